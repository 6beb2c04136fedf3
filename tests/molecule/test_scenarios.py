"""Every molecule scenario: create, converge, idempotence (changed=0), verify, destroy."""

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from tests.conftest import REPO

# Scenarios not run by CI yet, each with why (README, "Tests"): run them by hand with molecule.
NOT_YET: dict[str, str] = {}
SCENARIOS = sorted(
    p.parent.name for p in (REPO / "molecule").glob("*/molecule.yml") if p.parent.name not in NOT_YET
)


@pytest.fixture(scope="session")
def node_image() -> str:
    """The lab's node image; built (once) when the caller did not name it."""
    image = os.environ.get("CLOUDY_NODE_IMAGE")
    if image:
        return image
    cloudy = Path(sys.executable).parent / "cloudy"
    done = subprocess.run([str(cloudy), "lab", "image"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(done.stderr)
        pytest.skip(f"no node image: {done.stderr.strip()}")
    return done.stdout.strip()


@pytest.mark.molecule
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario(scenario, node_image):
    env = {
        **os.environ,
        "CLOUDY_NODE_IMAGE": node_image,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "ANSIBLE_FORCE_COLOR": "0",
        "PY_COLORS": "0",
    }

    def attempt() -> subprocess.CompletedProcess:
        return subprocess.run(
            ["molecule", "test", "-s", scenario],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    done = attempt()
    if done.returncode != 0:
        # One retry, loudly: on this shared 2-core machine a multi-box scenario has
        # been seen to time out once in about ten runs (see the closing notes).
        first = (done.stdout + done.stderr)[-3000:]
        warnings.warn(f"molecule scenario {scenario} failed once, retrying:\n{first}", stacklevel=1)
        done = attempt()
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-6000:]
    assert "idempotence" in log.lower()
