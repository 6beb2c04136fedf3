"""CLOUDY_NO_SKIP=1 (scripts/test.sh's lab and molecule tiers) turns a skipped test into a failure."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

SKIPPING = """
import pytest

def test_needs_docker():
    pytest.skip("no Docker engine: connection refused")

@pytest.mark.skipif(True, reason="no node image")
def test_marked():
    pass

@pytest.mark.xfail(reason="known")
def test_known():
    assert False

def test_runs():
    pass
"""


def _pytest(folder: Path, no_skip: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CLOUDY_NO_SKIP"}
    if no_skip is not None:
        env["CLOUDY_NO_SKIP"] = no_skip
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.no_skip", "-q", "-p", "no:cacheprovider", str(folder)],
        cwd=REPO,
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def skipping(tmp_path: Path) -> Path:
    (tmp_path / "test_tier.py").write_text(SKIPPING)
    return tmp_path


def test_skips_fail_when_asked(skipping: Path) -> None:
    done = _pytest(skipping, "1")
    assert done.returncode == 1, done.stdout
    # A skip in setup (a mark, a fixture such as docker_client) is reported as an error.
    assert "1 failed, 1 passed, 1 xfailed, 1 error" in done.stdout
    assert "CLOUDY_NO_SKIP=1 says this tier must run: no Docker engine: connection refused" in done.stdout
    assert "no node image" in done.stdout


@pytest.mark.parametrize("value", [None, "0"])
def test_skips_stay_skips_otherwise(skipping: Path, value: str | None) -> None:
    done = _pytest(skipping, value)
    assert done.returncode == 0, done.stdout
    assert "1 passed, 2 skipped, 1 xfailed" in done.stdout


def test_test_sh_runs_lab_and_molecule_tiers_without_skips() -> None:
    script = (REPO / "scripts" / "test.sh").read_text()
    runs = re.findall(r"^\s*(.*\bpytest -m (\w+|\"[^\"]+\") .*tests.*)$", script, re.M)
    marked = [(ln, m) for ln, m in runs if ("lab" in m or "molecule" in m) and "not lab" not in m]
    assert {m for _, marker in marked for m in ("lab", "molecule") if m in marker} == {"lab", "molecule"}
    for line, _ in marked:
        assert line.startswith("CLOUDY_NO_SKIP=1 pytest"), line
