"""cloudy-deploy as a user installs it: the wheel and the collection tarball built from this
checkout, the wheel installed into a fresh venv outside the checkout (tests/unit/test_packaging.py,
tests/lab/test_installed.py)."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COLLECTION = REPO / "ansible_collections" / "clommunity" / "cloudy"


@dataclass(frozen=True)
class Installed:
    venv: Path
    wheel: Path
    tarball: Path

    def bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: nothing of this checkout's Ansible settings or venv."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "VIRTUAL_ENV", "PYTHON"))}
    return env | extra


def run(argv: list[str], cwd: Path, timeout: float = 600, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        argv, cwd=cwd, env=clean_env(**env), capture_output=True, text=True, timeout=timeout, check=False
    )


def _ok(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert done.returncode == 0, f"{done.args}: {done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


GALAXY = str(Path(sys.executable).parent / "ansible-galaxy")


def build_collection(dist: Path) -> Path:
    """`ansible-galaxy collection build` of the checkout's collection into DIST: the tarball."""
    _ok(run([GALAXY, "collection", "build", str(COLLECTION), "--output-path", str(dist)], dist))
    return next(dist.glob("clommunity-cloudy-*.tar.gz"))


def install_collection(work: Path) -> Path:
    """The collection built and installed offline as Galaxy users install it, into WORK/collections
    (a collections path: WORK/collections/ansible_collections/clommunity/cloudy)."""
    dist = work / "dist"
    dist.mkdir(parents=True, exist_ok=True)
    target = work / "collections"
    _ok(
        run(
            [GALAXY, "collection", "install", "--offline", "-p", str(target), str(build_collection(dist))],
            work,
        )
    )
    return target


def build_and_install(work: Path) -> Installed:
    """Build both artifacts from the checkout, then `pip install` the wheel into WORK/venv."""
    dist = work / "dist"
    dist.mkdir(parents=True)
    _ok(run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)], work))
    tarball = build_collection(dist)
    wheel = next(dist.glob("cloudy_deploy-*.whl"))
    venv = work / "venv"
    _ok(run([sys.executable, "-m", "venv", str(venv)], work))
    _ok(run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], work, timeout=900))
    return Installed(venv, wheel, tarball)
