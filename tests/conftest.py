import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.no_skip import pytest_runtest_makereport  # noqa: F401 (a hook: skips fail when asked)
from tests.scheduling import pytest_xdist_make_scheduler  # noqa: F401 (a hook: lab tests on one worker)

REPO = Path(__file__).resolve().parent.parent
COLLECTION = REPO / "ansible_collections" / "clommunity" / "cloudy"


# The Python whose cloudy the tests run: this checkout's, or (CLOUDY_TEST_PYTHON, as the lab tier
# sets it) a venv where the wheel was pip-installed, outside the checkout (scripts/lib.sh).
CLI_PYTHON = os.environ.get("CLOUDY_TEST_PYTHON") or sys.executable


def run_cloudy(*args: str, home: Path, env: dict[str, str] | None = None, timeout: float = 900):
    """Run the real CLI in a subprocess, as a user would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [CLI_PYTHON, "-m", "cloudy_deploy", *args],
        cwd=home,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"


def run_playbook(inventory: Path, playbook: str, *args: str, facts: Path) -> subprocess.CompletedProcess:
    """ansible-playbook of this venv on a playbook of playbooks/, with the repository's ansible.cfg
    and a fact cache of the test's own (FACTS)."""
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    env["ANSIBLE_CACHE_PLUGIN_CONNECTION"] = str(facts)
    return subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", str(inventory), str(COLLECTION / "playbooks" / playbook), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


# A valid host key for known_hosts lines of boxes that unit tests never reach.
HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJZ6nW3+IShwh1GgUSZtVC2YYI4GHEj9WraMLXo1tnDq"


def record_host_keys(home: Path, *addresses: str) -> Path:
    """A project known_hosts with a key for each address, as `cloudy discover --probe` records it."""
    path = home / ".cloudy" / "known_hosts"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{a} {HOST_KEY}\n" for a in addresses))
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    return path


@pytest.fixture
def roles_for_every_service(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plan services that have no role yet, to test the placement the roles to come will use."""
    from cloudy_deploy import plan, spec

    monkeypatch.setattr(plan, "WITH_ROLES", frozenset(spec.Services.model_fields))


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory):
    """The wheel and the collection tarball of this checkout; the wheel installed in a fresh venv."""
    from tests.installed import build_and_install

    return build_and_install(tmp_path_factory.mktemp("installed"))
