"""Where cloudy-deploy keeps its state: `.cloudy/` in the project folder, or --home."""

import errno
import os
import tempfile
from pathlib import Path

from cloudy_deploy.errors import BadInput

STATE_DIR = ".cloudy"
HOME_ENV = "CLOUDY_HOME"


def project_home(home: Path | None = None) -> Path:
    """The project folder: --home, else $CLOUDY_HOME, else the current folder. A folder that does
    not exist is BadInput: a typo must not start a new, empty project somewhere else."""
    if home is not None:
        return _existing(home, "--home")
    env = os.environ.get(HOME_ENV)
    return _existing(Path(env), f"${HOME_ENV}") if env else Path.cwd()


def _existing(path: Path, what: str) -> Path:
    try:
        resolved = path.expanduser().resolve()
        is_dir = resolved.is_dir()
    except (OSError, RuntimeError, ValueError) as exc:  # a loop of links, a NUL byte
        raise BadInput(f"{what} {path}: cannot use it ({exc}): give the project folder") from None
    if not is_dir:
        state = "is not a folder" if resolved.exists() else "does not exist"
        raise BadInput(
            f"{what} {path}: {state}: give the project folder (the one of cloudy.yml), or create it first"
            " (mkdir)"
        )
    return resolved


def check_writable(*targets: Path, files: tuple[Path, ...] = ()) -> None:
    """Before anything is written: each folder in TARGETS is a folder or can be made, and files can
    be written there; each path in FILES is not a folder. Probed with a temporary file, removed at
    once: the one way to know for root, a read-only mount or /proc. BadInput names the first that
    cannot, so that a command writes all of its files or none."""
    for path in files:
        if path.is_dir():
            raise BadInput(f"{path}: is a folder, a file goes there: move it away")
    for target in targets:
        folder = Path(os.path.abspath(target))
        if len(str(folder).encode()) >= 4096 or any(len(p.encode()) > 255 for p in folder.parts):
            raise BadInput(
                f"{target}: a name in this path is too long for Linux (255 bytes): pick a shorter one"
            )
        while not os.path.lexists(folder) and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir():
            raise BadInput(
                f"{folder}: is a file, {target} needs a folder there: move it, or pick another place"
            )
        try:
            fd, probe = tempfile.mkstemp(dir=folder, prefix=".cloudy-probe-")
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            on_disk = exc.errno in (errno.EROFS, errno.ENOENT)  # a read-only mount, /proc, /sys
            fix = (
                "pick a folder on a writable disk"
                if on_disk
                else "check its permissions, or pick another folder"
            )
            raise BadInput(f"{folder}: cannot write there ({reason}), needed for {target}: {fix}") from None


def state_root(home: Path | None = None) -> Path:
    return project_home(home) / STATE_DIR


def repo_root() -> Path:
    """This package's parent: the checkout, or site-packages when installed from the wheel."""
    return Path(__file__).resolve().parent.parent


def collections_path() -> Path:
    """The folder holding ansible_collections/ with clommunity.cloudy: the checkout, or site-packages."""
    return repo_root()


def collection_root() -> Path:
    """The Ansible collection clommunity.cloudy (roles, playbooks, plugins) beside this package."""
    return collections_path() / "ansible_collections" / "clommunity" / "cloudy"


def playbook_path(name: str) -> Path:
    """A playbook of the collection, by file name (site.yml)."""
    return collection_root() / "playbooks" / name
