"""`cloudy init`: a commented cloudy.yml and an example nodes.yml, never over existing files."""

from importlib.resources import files
from pathlib import Path

from cloudy_deploy.errors import BadInput
from cloudy_deploy.lock import write_atomic
from cloudy_deploy.paths import check_writable

TEMPLATES = ("cloudy.yml", "nodes.yml")  # package data in cloudy_deploy/templates/


def template(name: str) -> str:
    return files("cloudy_deploy").joinpath("templates", name).read_text(encoding="utf-8")


def scaffold(directory: Path) -> list[Path]:
    """Write the templates into `directory` (made if missing); BadInput, and nothing written, if
    either file is there already."""
    if directory.exists() and not directory.is_dir():
        raise BadInput(f"{directory}: is a file, not a folder: give `cloudy init` a folder")
    targets = [directory / name for name in TEMPLATES]
    present = [str(p) for p in targets if p.exists() or p.is_symlink()]
    if present:
        raise BadInput(
            f"{', '.join(present)}: already there, and `cloudy init` never overwrites: edit the file, or move"
            " it away and run `cloudy init` again"
        )
    texts = [template(name) for name in TEMPLATES]  # read both before writing either
    check_writable(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for path, text in zip(targets, texts, strict=True):
        write_atomic(path, text)
    return targets
