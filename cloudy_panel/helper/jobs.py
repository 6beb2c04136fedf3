"""Long work (an install, an upgrade) as a job: a child process with an id, its log and its state in
/run, polled with job.status. The helper stays up while a job runs."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cloudy_panel.protocol import BAD_ARGS, HelperError

TAIL_LINES = 40


class Jobs:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._running: dict[str, subprocess.Popen] = {}
        self._lock = threading.Lock()

    def start(self, kind: str, argv: Sequence[str], env: Mapping[str, str] | None = None) -> str:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        job = secrets.token_hex(16)
        self._write(job, {"kind": kind, "state": "running"})
        with open(self.root / f"{job}.log", "wb") as out:
            proc = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
                start_new_session=True,
            )
        with self._lock:
            self._running[job] = proc
        threading.Thread(target=self._wait, args=(job, kind, proc), daemon=True).start()
        return job

    def busy(self) -> bool:
        with self._lock:
            return bool(self._running)

    def status(self, job: str) -> dict[str, Any]:
        # Whether it runs, first: _wait writes the final state before it forgets the job.
        with self._lock:
            alive = job in self._running
        try:
            state = json.loads((self.root / f"{job}.json").read_text())
        except (OSError, ValueError):
            raise HelperError(BAD_ARGS, f"no job {job}") from None
        if state["state"] == "running" and not alive:
            # A helper that died mid-job (it never exits while one runs) cannot tell the outcome.
            state["state"] = "failed"
        try:
            lines = (self.root / f"{job}.log").read_text(errors="replace").splitlines()
        except OSError:
            lines = []
        return {"state": state["state"], "kind": state["kind"], "log_tail": lines[-TAIL_LINES:]}

    def _wait(self, job: str, kind: str, proc: subprocess.Popen) -> None:
        code = proc.wait()
        self._write(job, {"kind": kind, "state": "done" if code == 0 else "failed", "returncode": code})
        with self._lock:
            del self._running[job]

    def _write(self, job: str, state: dict[str, Any]) -> None:
        tmp = self.root / f"{job}.tmp"
        tmp.write_text(json.dumps(state))
        tmp.replace(self.root / f"{job}.json")
