"""What the benchmarks share: running the real CLI in a project folder, and taking a lab down.

Imported by the scripts beside it (`python benchmarks/X.py` puts this folder on sys.path)."""

import subprocess
import sys
import time
from pathlib import Path

CLOUDY = [sys.executable, "-m", "cloudy_deploy"]


def run(cmd: list[str], home: Path, env: dict[str, str] | None = None) -> float:
    """Seconds the command took; on failure, exit with its output (a figure needs a real run)."""
    started = time.monotonic()
    done = subprocess.run(cmd, cwd=home, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd[:6])} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return time.monotonic() - started


def cloudy(home: Path, *args: str) -> float:
    """`cloudy ARGS --home HOME`, timed."""
    return run([*CLOUDY, *args, "--home", str(home)], home)


def lab_down(home: Path, lab: str) -> bool:
    """Remove the lab (in a `finally`: never exits); whether it went."""
    down = [*CLOUDY, "lab", "down", "--name", lab, "--home", str(home)]
    return subprocess.run(down, capture_output=True, check=False).returncode == 0
