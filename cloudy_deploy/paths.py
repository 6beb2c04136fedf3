"""Where cloudy-deploy keeps its state: `.cloudy/` in the project folder, or --home."""

import os
from pathlib import Path

STATE_DIR = ".cloudy"


def project_home(home: Path | None = None) -> Path:
    """The project folder: --home, else $CLOUDY_HOME, else the current folder."""
    if home is not None:
        return home.expanduser().resolve()
    env = os.environ.get("CLOUDY_HOME")
    return Path(env).expanduser().resolve() if env else Path.cwd()


def state_root(home: Path | None = None) -> Path:
    return project_home(home) / STATE_DIR


def repo_root() -> Path:
    """The source tree that holds roles/ and playbooks/ (this package's parent)."""
    return Path(__file__).resolve().parent.parent
