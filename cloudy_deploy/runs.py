"""Run history: one folder per run under .cloudy/runs/, with a small JSON record of the result."""

import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cloudy_deploy.errors import BadInput
from cloudy_deploy.events import HostStats
from cloudy_deploy.paths import state_root

RECORD = "cloudy-run.json"
DEFAULT_KEEP = 20  # runs kept per command (rotate)


@dataclass
class RunRecord:
    id: str
    command: str
    playbook: str
    started: float  # epoch seconds
    seconds: float = 0.0
    status: str = "running"  # successful | failed | canceled | timeout | error
    tasks: int = 0
    limit: str | None = None
    hosts: dict[str, HostStats] = field(default_factory=dict)
    error: str = ""  # why the playbook did not run at all (syntax error, missing role...)
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)  # what status.yml reported
    unchanged: list[str] = field(default_factory=list)  # left out: unchanged since their last complete run

    @property
    def success(self) -> bool:
        return self.status == "successful" and all(h.success for h in self.hosts.values())

    @property
    def failed_hosts(self) -> list[str]:
        return [name for name, h in self.hosts.items() if not h.success]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "RunRecord":
        hosts = {h: HostStats(**s) for h, s in data.pop("hosts", {}).items()}
        return cls(**data, hosts=hosts)


def runs_dir(home: Path | None) -> Path:
    return state_root(home) / "runs"


def new_run(home: Path | None, command: str, playbook: str, limit: str | None) -> tuple[RunRecord, Path]:
    """A fresh record and its private_data_dir. Ids sort by time."""
    root = runs_dir(home)
    # Private: the artifacts hold hostvars, task results and the paths of keys.
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(root, 0o700)  # also a folder made before runs were private
    run_id = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"
    folder = root / run_id
    folder.mkdir(mode=0o700)
    return RunRecord(run_id, command, playbook, time.time(), limit=limit), folder


def save(record: RunRecord, home: Path | None) -> None:
    path = runs_dir(home) / record.id / RECORD
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(json.dumps(record.to_json(), indent=1))
    os.chmod(tmp, 0o600)  # a .tmp left by a crash had the umask's mode
    tmp.replace(path)


def load_all(home: Path | None) -> list[RunRecord]:
    records = []
    for path in sorted(runs_dir(home).glob(f"*/{RECORD}")):
        try:
            records.append(RunRecord.from_json(json.loads(path.read_text())))
        except (ValueError, TypeError):
            continue  # a record cut short by a crash: not worth failing the listing
    return records


def load(home: Path | None, run_id: str) -> RunRecord:
    for record in load_all(home):
        if record.id == run_id:
            return record
    raise BadInput(f"no run {run_id!r} in {runs_dir(home)}: `cloudy runs` lists them")


def last(home: Path | None, command: str, playbook: str | None = None) -> RunRecord | None:
    """The newest finished run of COMMAND (and PLAYBOOK), e.g. for --retry-failed."""
    done = [
        r
        for r in load_all(home)
        if r.command == command and r.status != "running" and playbook in (None, r.playbook)
    ]
    return done[-1] if done else None


def rotate(home: Path | None, keep: int) -> None:
    """Keep the newest KEEP runs of each command: status and services runs, however many, never
    push out the deploy that --retry-failed needs."""
    by_command: dict[str, list[Path]] = {}
    for path in sorted(p for p in runs_dir(home).iterdir() if p.is_dir()):
        by_command.setdefault(_command_of(path), []).append(path)
    for folders in by_command.values():
        for path in folders[: max(len(folders) - keep, 0)]:
            shutil.rmtree(path, ignore_errors=True)


def _command_of(folder: Path) -> str:
    """The command of a run folder; '' when its record is missing or unreadable (they rotate together)."""
    try:
        command = json.loads((folder / RECORD).read_text())["command"]
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    return command if isinstance(command, str) else ""
