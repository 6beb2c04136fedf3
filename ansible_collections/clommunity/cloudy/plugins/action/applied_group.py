# Part of the collection clommunity.cloudy. GPL-3.0-or-later.
"""Put a box in group cloudy_unchanged (left out of the rest of the run) or cloudy_run, both
children of cloudy_checked (playbooks/applied_check.yml)."""

from __future__ import annotations

from typing import Any

from ansible.plugins.action import ActionBase

from ansible_collections.clommunity.cloudy.plugins.module_utils.applied import why_run

DOCUMENTATION = r"""
module: applied_group
short_description: Leave a box out of the run when nothing changed since its last complete run
description:
  - "Runs on the controller. The box goes to group cloudy_unchanged when RUN (lookup applied_run)
    finds it unchanged since its last complete run and LEAVE_OUT is true; else to cloudy_run. Both
    groups are children of cloudy_checked."
  - "Returns cloudy_report.applied: {left_out, unchanged, why} (why the box runs, for people)."
options:
  run: {description: "the lookup applied_run's result; omitted: every box runs", type: dict}
  now: {description: "what module cloudy_applied read on the box", type: dict}
  leave_out: {description: leave out a box found unchanged, type: bool, default: true}
"""


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("run", "now", "leave_out"))
    _requires_connection = False

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        host = (task_vars or {}).get("inventory_hostname")
        run, now = self._task.args.get("run"), self._task.args.get("now") or {}
        result.update(changed=False, add_group="cloudy_run", parent_groups=["cloudy_checked"])
        if not isinstance(run, dict) or "unchanged" not in run:
            return result
        unchanged = host in run["unchanged"]
        left_out = unchanged and bool(self._task.args.get("leave_out", True))
        if left_out:
            result["add_group"] = "cloudy_unchanged"
        why = "" if unchanged else why_run(now if isinstance(now, dict) else None)
        result["cloudy_report"] = {"applied": {"left_out": left_out, "unchanged": unchanged, "why": why}}
        return result
