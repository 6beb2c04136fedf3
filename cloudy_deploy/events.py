"""Reduce ansible-runner events to what a person needs: progress, a recap, failures in words.

Pure: no ansible_runner import, so recorded event streams replay in tests.
"""

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

MAX_MESSAGE = 400


@dataclass
class HostStats:
    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)  # "task: message", in words
    warnings: list[str] = field(default_factory=list)  # what a role warns about (`cloudy_warnings`), in words

    @property
    def success(self) -> bool:
        return self.failed == 0 and self.unreachable == 0


def _squash(text: object) -> str:
    words = " ".join(str(text).split())
    return words if len(words) <= MAX_MESSAGE else words[: MAX_MESSAGE - 1] + "…"


def failure_message(res: Mapping[str, Any]) -> str:
    """The reason a task failed, from its result: the first of msg, stderr, stdout that says something."""
    results = res.get("results")
    if isinstance(results, list):  # a loop: name the first item that failed
        for item in results:
            if isinstance(item, Mapping) and (item.get("failed") or item.get("unreachable")):
                label = item.get("_ansible_item_label", item.get("item"))
                return _squash(f"item {label}: {failure_message(item)}")
    msg = str(res.get("msg") or "").strip()
    stderr = str(res.get("stderr") or res.get("module_stderr") or "").strip()
    stdout = str(res.get("stdout") or res.get("module_stdout") or "").strip()
    if msg and stderr and msg.startswith(("non-zero return code", "MODULE FAILURE")):
        return _squash(f"{msg}: {stderr.splitlines()[-1]}")
    for text in (msg, stderr, stdout, res.get("reason")):
        if text:
            return _squash(str(text).removeprefix("Task failed: "))
    rc = res.get("rc")
    return f"failed (exit code {rc})" if rc is not None else "failed without a message"


_KEY_CHANGED = ("REMOTE HOST IDENTIFICATION HAS CHANGED", "has changed and you have requested strict")
_OFFENDING = re.compile(r"Offending \S+ key in (\S+):(\d+)")


def host_key_message(host: str, res: Mapping[str, Any]) -> str | None:
    """ssh's refusal of a host key, in words (None: not that). ssh never logged in."""
    text = str(res.get("msg") or "")
    if any(s in text for s in _KEY_CHANGED):
        where = _OFFENDING.search(text)
        line = f" (line {where.group(2)} of {where.group(1)})" if where else ""
        return (
            f"the host key of {host} changed: it is not the recorded one{line}, so ssh refused to log in "
            "(REMOTE HOST IDENTIFICATION HAS CHANGED); if the box was reinstalled, delete that line and "
            "run `cloudy discover --probe`, else someone may be answering in its place"
        )
    if "you have requested strict checking" in text or "Host key verification failed" in text:
        return (
            f"the host key of {host} is not recorded, so ssh refused to log in: "
            "run `cloudy discover --probe` and check the fingerprint it shows"
        )
    return None


@dataclass
class RunProgress:
    """The state of a run as events arrive; also what --json streams."""

    play: str = ""
    task: str = ""
    tasks_done: int = 0
    hosts: dict[str, HostStats] = field(default_factory=dict)
    recap: dict[str, HostStats] | None = None  # from playbook_on_stats: the authoritative counts
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)  # `cloudy_report` results, per host

    def host(self, name: str) -> HostStats:
        return self.hosts.setdefault(name, HostStats())

    def apply(self, event: Mapping[str, Any]) -> dict[str, Any] | None:
        """Fold one event in; return a JSON-able line describing it, or None if it says nothing new."""
        kind = event.get("event", "")
        data = event.get("event_data") or {}
        host = data.get("host") or ""
        if kind == "playbook_on_play_start":
            self.play = data.get("play", "")
            return {"type": "play", "play": self.play}
        if kind == "playbook_on_task_start":
            self.task = data.get("task", "")
            self.tasks_done += 1
            return {"type": "task", "play": self.play, "task": self.task, "number": self.tasks_done}
        if kind == "playbook_on_stats":
            self.recap = _recap(data)
            return {"type": "recap", "hosts": {h: asdict(s) for h, s in self.final().items()}}
        if not host or not kind.startswith("runner_on_"):
            return None
        res = data.get("res") or {}
        stats = self.host(host)
        for text in res.get("cloudy_warnings") or []:
            if _squash(text) not in stats.warnings:
                stats.warnings.append(_squash(text))
        if kind == "runner_on_ok":
            msg = res.get("msg")
            # A debug task's msg (status.yml), or an action's own result (applied_group).
            shown = msg.get("cloudy_report") if isinstance(msg, Mapping) else None
            for report in (shown, res.get("cloudy_report")):
                if isinstance(report, Mapping):
                    self.reports.setdefault(host, {}).update(report)
            stats.ok += 1
            stats.changed += bool(res.get("changed"))
            status = "changed" if res.get("changed") else "ok"
        elif kind == "runner_on_failed" and data.get("ignore_errors"):
            stats.ok += 1
            status = "ignored"
        elif kind == "runner_on_failed":
            stats.failed += 1
            stats.failures.append(f"{data.get('task', '?')}: {failure_message(res)}")
            status = "failed"
        elif kind == "runner_on_unreachable":
            stats.unreachable += 1
            why = host_key_message(host, res) or failure_message(res)
            stats.failures.append(f"{data.get('task', '?')}: unreachable: {why}")
            status = "unreachable"
        elif kind == "runner_on_skipped":
            stats.skipped += 1
            status = "skipped"
        else:
            return None
        line: dict[str, Any] = {
            "type": "result",
            "host": host,
            "task": data.get("task", ""),
            "status": status,
        }
        if status in ("failed", "unreachable"):
            line["message"] = stats.failures[-1].split(": ", 1)[1]
        return line

    def final(self) -> dict[str, HostStats]:
        """Per-host results: the recap's counts with the failures seen on the way."""
        if self.recap is None:
            return self.hosts
        for name, stats in self.recap.items():
            seen = self.hosts.get(name, HostStats())
            stats.failures, stats.warnings = seen.failures, seen.warnings
            if stats.success and stats.failures:
                # Ansible counted them as ignored (e.g. ignore_unreachable on a delegated task).
                stats.warnings = stats.warnings + [f"{name}: ignored: {f}" for f in stats.failures]
                stats.failures = []
        return self.recap


def _recap(data: Mapping[str, Any]) -> dict[str, HostStats]:
    keys = {
        "ok": "ok",
        "changed": "changed",
        "failures": "failed",
        "dark": "unreachable",
        "skipped": "skipped",
    }
    hosts: dict[str, HostStats] = {}
    for src, dst in keys.items():
        for name, count in (data.get(src) or {}).items():
            setattr(hosts.setdefault(name, HostStats()), dst, int(count))
    for name in data.get("ignored") or {}:
        hosts.setdefault(name, HostStats())
    return dict(sorted(hosts.items()))
