"""The lab tier runs `cloudy` as a user installs it: from the wheel, in a venv outside the checkout
(scripts/test.sh sets CLOUDY_TEST_PYTHON), so every lab test also proves the wheel carries what a
run needs: the collection, its playbooks and plugins, the wrapper's ansible.cfg."""

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CLI_PYTHON, REPO

pytestmark = pytest.mark.lab

WHERE = "import cloudy_deploy.paths as p, cloudy_deploy.runner as r; print(p.collection_root(), r.__file__)"


# A skip fails the tier in CI (CLOUDY_NO_SKIP): there the lab tier must run the installed cloudy.
@pytest.mark.skipif(
    not os.environ.get("CLOUDY_TEST_PYTHON"), reason="cloudy of the checkout (no CLOUDY_TEST_PYTHON)"
)
def test_the_lab_tier_runs_the_installed_cloudy(tmp_path):
    python = Path(CLI_PYTHON)
    assert REPO not in python.parents
    done = subprocess.run([python, "-c", WHERE], cwd=tmp_path, capture_output=True, text=True, check=True)
    collection, runner = (Path(x) for x in done.stdout.split())
    venv = python.parent.parent
    assert venv in collection.parents and venv in Path(runner).parents
    assert (collection / "playbooks" / "site.yml").is_file()
    assert (Path(runner).with_name("ansible.cfg")).is_file()
