"""Shared by the tests of the guifi roles' modules: the fixtures, and a module run by Ansible here."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "guifi"
ANSIBLE = Path(sys.executable).parent / "ansible"


def run_module(
    name: str, args: dict[str, Any], check: bool = False, python: str = sys.executable
) -> dict[str, Any]:
    """The result of clommunity.cloudy.NAME run by Ansible on this machine (json callback), failed or not;
    PYTHON runs the module (default: this one, which has lxml)."""
    env = {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": str(REPO),
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
        "ANSIBLE_LOCALHOST_WARNING": "0",
    }
    argv = [
        str(ANSIBLE),
        "localhost",
        "-c",
        "local",
        "-m",
        f"clommunity.cloudy.{name}",
        "-a",
        json.dumps(args),
    ]
    argv += ["-e", f"ansible_python_interpreter={python}"]
    done = subprocess.run(
        argv + (["--check"] if check else []),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    try:
        return json.loads(done.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except (ValueError, KeyError, IndexError):
        raise AssertionError(done.stdout[-3000:] + done.stderr[-3000:]) from None
