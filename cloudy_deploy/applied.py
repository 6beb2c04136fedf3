"""What the first play of a run (playbooks/applied_check.yml) decided: the boxes it left out as
unchanged since their last complete run, and why each other box ran.

The decision is made in the playbook, so `ansible-playbook` and AWX leave boxes out the same way
`cloudy deploy` does: one task per box reads its state and its record, the controller makes the
run's digest once (lookup applied_run), and a box whose record holds it is left out (action
applied_group, which reports `cloudy_report.applied` per box). `--full` runs every box.
"""

from collections.abc import Mapping
from typing import Any

from ansible_collections.clommunity.cloudy.plugins.module_utils.applied import NO_RECORD


def _applied(reports: Mapping[str, Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {h: r["applied"] for h, r in reports.items() if isinstance(r.get("applied"), Mapping)}


def left_out(reports: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The boxes the run left out, sorted: the boxes report in whatever order they answered, and the
    record, the recap and --json say the same for the same boxes."""
    return sorted(h for h, a in _applied(reports).items() if a.get("left_out"))


def reasons(reports: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    """Why the boxes found changed ran -> which ones; {} when the check did not run (a partial
    run) or when none has a record yet (a first run says nothing)."""
    by_reason: dict[str, list[str]] = {}
    for host, a in _applied(reports).items():
        if a.get("why"):
            by_reason.setdefault(str(a["why"]), []).append(host)
    return {} if set(by_reason) == {NO_RECORD} else by_reason
