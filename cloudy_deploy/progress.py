"""How a run looks while it happens and afterwards: live (terminal), plain lines, or JSON Lines."""

import json
import sys
from typing import Any, Protocol

from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from cloudy_deploy.events import HostStats, RunProgress
from cloudy_deploy.runs import RunRecord
from cloudy_deploy.ui import PlainTable, err, plain

RETRIED = ("deploy", "up")  # commands whose failed hosts `deploy --retry-failed` runs again
MAX_LIVE_HOSTS = 30  # beyond this the live table shows the hosts with trouble first


class Display(Protocol):
    def start(self, record: RunRecord, expected_tasks: int | None) -> None: ...
    def update(self, line: dict[str, Any], progress: RunProgress) -> None: ...
    def stop(self, record: RunRecord) -> None: ...


def _host_table(
    hosts: dict[str, HostStats], title: str | None = None, limit: int | None = None
) -> PlainTable:
    table = PlainTable("host", "ok", "changed", "failed", "unreachable", "skipped", title=title)
    rows = sorted(hosts.items(), key=lambda kv: (kv[1].success, kv[0]))
    for name, h in rows[:limit] if limit else rows:
        style = None if h.success else "bold red"
        table.add_row(
            name, str(h.ok), str(h.changed), str(h.failed), str(h.unreachable), str(h.skipped), style=style
        )
    if limit and len(rows) > limit:
        table.caption = f"and {len(rows) - limit} more hosts"
    return table


def print_recap(record: RunRecord, console: Console = err) -> None:
    """The recap table, the roles' warnings (once each), then each failed host's failing task and
    message, in words; an unreachable host is named as such."""
    title = f"run {record.id} ({record.command}): {record.status}, {record.seconds:.0f} s"
    console.print(_host_table(record.hosts, title=title))
    warned = dict.fromkeys(w for h in record.hosts.values() for w in h.warnings)
    for text in warned:
        console.print(Text.assemble(plain("warning", "yellow"), plain(f": {text}")), soft_wrap=True)
    for name, h in record.hosts.items():
        if h.unreachable:
            hint = "; `cloudy deploy --retry-failed` runs it again" if record.command in RETRIED else ""
            console.print(
                Text.assemble(
                    plain(name, "bold red"), plain(f": unreachable, it did not answer over SSH{hint}")
                ),
                soft_wrap=True,
            )
        for failure in h.failures:
            # Host names and the boxes' messages are text, not markup.
            console.print(Text.assemble(plain(name, "bold red"), plain(f": {failure}")), soft_wrap=True)
    if record.unchanged:
        console.print(
            f"unchanged since their last complete run, left out: {', '.join(record.unchanged)}"
            " (`--full` runs them too)",
            soft_wrap=True,
            markup=False,
        )
    if record.error:
        console.print(f"the playbook did not run: {record.error}", soft_wrap=True, markup=False)


class LiveDisplay:
    """rich: the play, the task, tasks done out of the expected total, per-host counts."""

    def __init__(self, console: Console = err) -> None:
        self.console = console
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self.task_id = self.bar.add_task("tasks", total=None)
        self.live: Live | None = None
        self.heading: Text | str = ""

    def _render(self, progress: RunProgress) -> Group:
        return Group(self.heading, self.bar, _host_table(progress.hosts, limit=MAX_LIVE_HOSTS))

    def start(self, record: RunRecord, expected_tasks: int | None) -> None:
        self.bar.update(self.task_id, total=expected_tasks)
        self.live = Live(self._render(RunProgress()), console=self.console, refresh_per_second=4)
        self.live.start()

    def update(self, line: dict[str, Any], progress: RunProgress) -> None:
        if line["type"] in ("play", "task"):
            self.heading = Text.assemble(plain(progress.play, "bold"), plain(f" > {progress.task}"))
            self.bar.update(self.task_id, completed=max(progress.tasks_done - 1, 0))
        if self.live:
            self.live.update(self._render(progress))

    def stop(self, record: RunRecord) -> None:
        self.bar.update(self.task_id, completed=record.tasks, total=record.tasks)
        if self.live:
            self.live.stop()
        print_recap(record, self.console)


class PlainDisplay:
    """No terminal: one line per play, task and trouble, then the recap."""

    def __init__(self, console: Console = err) -> None:
        self.console = console

    def start(self, record: RunRecord, expected_tasks: int | None) -> None:
        self.console.print(f"run {record.id}: {record.playbook}", markup=False)

    def update(self, line: dict[str, Any], progress: RunProgress) -> None:
        kind = line["type"]
        if kind == "play":
            text = f"play: {line['play']}"
        elif kind == "task":
            text = f"  task {line['number']}: {line['task']}"
        elif kind == "result" and line["status"] in ("failed", "unreachable"):
            text = f"    {line['status'].upper()} {line['host']}: {line['message']}"
        else:
            return
        self.console.print(text, markup=False, soft_wrap=True, highlight=False)

    def stop(self, record: RunRecord) -> None:
        print_recap(record, self.console)


class JsonDisplay:
    """--json: JSON Lines on stdout and nothing else there; the last line is the recap, with EXTRA's keys
    (e.g. the panels' URLs)."""

    def __init__(self, extra: dict[str, Any] | None = None) -> None:
        self.extra = extra or {}

    def start(self, record: RunRecord, expected_tasks: int | None) -> None:
        self._emit(
            {"type": "start", "run": record.id, "command": record.command, "playbook": record.playbook}
        )

    def update(self, line: dict[str, Any], progress: RunProgress) -> None:
        if line["type"] != "recap":  # the recap comes last, with the run's status
            self._emit(line)

    def stop(self, record: RunRecord) -> None:
        self._emit({"type": "recap", **record.to_json(), **self.extra})

    @staticmethod
    def _emit(obj: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
        sys.stdout.flush()


class QuietDisplay:
    """For commands that print their own summary (status)."""

    def start(self, record: RunRecord, expected_tasks: int | None) -> None:
        pass

    def update(self, line: dict[str, Any], progress: RunProgress) -> None:
        pass

    def stop(self, record: RunRecord) -> None:
        pass


def choose(as_json: bool, extra: dict[str, Any] | None = None) -> Display:
    if as_json:
        return JsonDisplay(extra)
    return LiveDisplay() if err.is_terminal else PlainDisplay()
