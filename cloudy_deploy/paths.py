"""Where cloudy-deploy keeps its state: `.cloudy/` in the project folder, or --home."""

import os
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


def state_root(home: Path | None = None) -> Path:
    return project_home(home) / STATE_DIR


def repo_root() -> Path:
    """The source tree that holds roles/ and playbooks/ (this package's parent)."""
    return Path(__file__).resolve().parent.parent
