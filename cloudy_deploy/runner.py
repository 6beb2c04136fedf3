"""The only module that talks to ansible-runner.

Each run gets a private_data_dir under .cloudy/runs/<id>/. Events are reduced
to per-host counts and, for failures, the failing task and its message.
"""

import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ansible_runner

from cloudy_deploy.paths import repo_root, state_root

KEEP_RUNS = 20


@dataclass
class HostResult:
    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return self.failed == 0 and self.unreachable == 0


@dataclass
class RunResult:
    run_id: str
    status: str
    hosts: dict[str, HostResult]
    seconds: float
    error: str = ""  # why the playbook did not run at all (syntax, missing role...)

    @property
    def success(self) -> bool:
        return self.status == "successful" and all(h.success for h in self.hosts.values())


def _message(data: dict[str, Any]) -> str:
    res = data.get("res") or {}
    msg = res.get("msg") or res.get("stderr") or res.get("reason") or "failed"
    return " ".join(str(msg).split())[:300]


class Recorder:
    """Turns the runner's events into HostResults and short progress lines."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.hosts: dict[str, HostResult] = {}

    def __call__(self, event: dict[str, Any]) -> bool:
        kind, data = event.get("event", ""), event.get("event_data") or {}
        host = data.get("host")
        if kind == "playbook_on_play_start":
            self.say(f"play: {data.get('play', '')}")
        elif kind == "playbook_on_task_start":
            self.say(f"  task: {data.get('task', '')}")
        elif host and kind.startswith("runner_on_") and not data.get("ignore_errors"):
            h = self.hosts.setdefault(host, HostResult())
            if kind == "runner_on_ok":
                h.ok += 1
                h.changed += bool((data.get("res") or {}).get("changed"))
            elif kind == "runner_on_failed":
                h.failed += 1
                h.failures.append(f"{data.get('task', '?')}: {_message(data)}")
                self.say(f"  FAILED {host}: {h.failures[-1]}")
            elif kind == "runner_on_unreachable":
                h.unreachable += 1
                h.failures.append(f"unreachable: {_message(data)}")
                self.say(f"  UNREACHABLE {host}: {_message(data)}")
            elif kind == "runner_on_skipped":
                h.skipped += 1
        return True


def _rotate(runs: Path, keep: int) -> None:
    old = sorted(p for p in runs.iterdir() if p.is_dir())[:-keep]
    for path in old:
        shutil.rmtree(path, ignore_errors=True)


def run_playbook(
    playbook: str,
    inventory: Path,
    say: Callable[[str], None],
    home: Path | None = None,
    extravars: dict[str, Any] | None = None,
    limit: str | None = None,
) -> RunResult:
    runs = state_root(home) / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    run_id = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"
    (runs / run_id).mkdir()
    root = repo_root()
    # ansible-playbook lives next to this interpreter in a venv that is not activated.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    recorder = Recorder(say)
    started = time.monotonic()
    result = ansible_runner.run(
        private_data_dir=str(runs / run_id),
        ident=run_id,
        project_dir=str(root),
        playbook=str(root / "playbooks" / playbook),
        inventory=str(inventory),
        extravars=extravars or {},
        limit=limit,
        envvars={
            "ANSIBLE_CONFIG": str(root / "ansible.cfg"),
            "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(state_root(home) / "facts"),
            "PATH": path,
        },
        event_handler=recorder,
        quiet=True,
    )
    _rotate(runs, KEEP_RUNS)
    error = ""
    if result.status != "successful" and not recorder.hosts:
        lines = (runs / run_id / "artifacts" / run_id / "stdout").read_text(errors="replace").splitlines()
        error = next(
            (x for x in lines if x.startswith("ERROR!") or "[ERROR]" in x),
            lines[-1] if lines else "",
        )
    return RunResult(run_id, result.status, recorder.hosts, time.monotonic() - started, error.strip())
