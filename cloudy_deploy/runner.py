"""The only module that talks to ansible-runner.

Each run gets a private_data_dir under .cloudy/runs/<id>/ and a record of its
result there (runs.py). Events go through events.RunProgress to a Display.
"""

import os
import re
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import ansible_runner

from cloudy_deploy import applied, runs
from cloudy_deploy.events import RunProgress
from cloudy_deploy.fast import strategy_env
from cloudy_deploy.paths import collection_root, collections_path, playbook_path, state_root
from cloudy_deploy.progress import Display


def _first_error(stdout: Path) -> str:
    try:
        lines = stdout.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    found = next((x for x in lines if x.startswith("ERROR!") or "[ERROR]" in x), lines[-1] if lines else "")
    return " ".join(re.sub(r"\x1b\[[0-9;]*m", "", found).split())  # without terminal colours


def environment(home: Path | None, fast: bool = False) -> dict[str, str]:
    """The variables ansible-playbook runs with; FAST: with Mitogen (fast.py)."""
    return (strategy_env() if fast else {}) | {
        "ANSIBLE_CONFIG": str(Path(__file__).with_name("ansible.cfg")),
        # clommunity.cloudy beside this package first, then Ansible's usual places.
        "ANSIBLE_COLLECTIONS_PATH": os.pathsep.join(
            [str(collections_path()), "~/.ansible/collections", "/usr/share/ansible/collections"]
        ),
        "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(state_root(home) / "facts"),
        # ansible-runner sets it to False unless given; the inventory's host variables win anyway.
        "ANSIBLE_HOST_KEY_CHECKING": "True",
        # ansible-playbook lives next to this interpreter, in a venv that may not be activated.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }


def run_playbook(
    playbook: str,
    inventory: Path,
    display: Display,
    *,
    command: str,
    home: Path | None = None,
    limit: str | None = None,
    tags: str | None = None,
    check: bool = False,
    diff: bool = False,
    forks: int | None = None,
    extravars: dict[str, Any] | None = None,
    keep: int = runs.DEFAULT_KEEP,
    fast: bool = False,
) -> runs.RunRecord:
    """Run PLAYBOOK and record it, with the boxes its first play left out (applied.py)."""
    previous = runs.last(home, command, playbook)
    record, folder = runs.new_run(home, command, playbook, limit)
    runs.save(record, home)
    progress = RunProgress()
    canceled = threading.Event()

    def on_event(event: dict[str, Any]) -> bool:
        line = progress.apply(event)
        if line is not None:
            display.update(line, progress)
        return True

    def on_sigint(_signum: int, _frame: object) -> None:
        canceled.set()  # the runner polls this and stops ansible-playbook cleanly

    cmdline = " ".join(flag for flag, on in (("--check", check), ("--diff", diff)) if on)
    display.start(record, previous.tasks if previous and previous.status == "successful" else None)
    old_handler = signal.signal(signal.SIGINT, on_sigint)
    started = time.monotonic()
    try:
        result = ansible_runner.run(
            private_data_dir=str(folder),
            ident=record.id,
            project_dir=str(collection_root()),
            playbook=str(playbook_path(playbook)),
            inventory=str(inventory),
            extravars=extravars or {},
            limit=limit,
            tags=tags,
            forks=forks,
            cmdline=cmdline or None,
            envvars=environment(home, fast),
            event_handler=on_event,
            cancel_callback=canceled.is_set,
            quiet=True,
        )
        status = "canceled" if canceled.is_set() else result.status
    finally:
        signal.signal(signal.SIGINT, old_handler)
    record.seconds = time.monotonic() - started
    record.status = status
    record.tasks = progress.tasks_done
    record.hosts = progress.final()
    record.unchanged = applied.left_out(progress.reports)
    record.reports = progress.reports
    if status not in ("successful", "canceled") and not record.hosts:
        record.error = _first_error(folder / "artifacts" / record.id / "stdout")
    runs.save(record, home)
    runs.rotate(home, keep)
    display.stop(record)
    return record
