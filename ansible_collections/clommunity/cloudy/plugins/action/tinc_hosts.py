# Role tinc of cloudy-deploy. GPL-3.0-or-later.
"""Controller side of module tinc_hosts: the host file archive travels inside the module call.

One round trip per box instead of a copy (temporary folder, stat, transfer, move) and then the
module. The archive holds public host files only; the result shows its size, not its bytes, so
run artifacts stay small at fifty boxes.
"""

import base64

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

MODULE = "clommunity.cloudy.tinc_hosts"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp: str | None = None, task_vars: dict | None = None) -> dict:
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        src = args.pop("src", None)
        if src is not None:
            try:
                with open(src, "rb") as handle:
                    data = handle.read()
            except OSError as exc:
                raise AnsibleActionFail(
                    f"tinc_hosts: cannot read the host file archive {src}: {exc}"
                ) from exc
            args["content"] = base64.b64encode(data).decode("ascii")
        result.update(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars))
        module_args = result.get("invocation", {}).get("module_args")
        if isinstance(module_args, dict) and module_args.get("content") is not None:
            module_args["content"] = f"({len(data)} bytes from {src})" if src else "(archive, base64)"
        return result
