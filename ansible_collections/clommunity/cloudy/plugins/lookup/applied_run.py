# Part of the collection clommunity.cloudy. GPL-3.0-or-later.
"""The coming run, made once on the controller (playbooks/applied_check.yml): its inputs, and the boxes
it would change nothing on."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import secrets
from typing import Any

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase
from ansible.release import __version__ as ansible_version
from ansible.utils.vars import load_extra_vars

from ansible_collections.clommunity.cloudy.plugins.module_utils.applied import inputs_digest, unchanged_hosts

DOCUMENTATION = r"""
name: applied_run
short_description: The coming run of a playbook, and the boxes it would change nothing on
description:
  - "Its inputs' digest: what the controller gives the run (the collection, the panel's source,
    the inventory's folders, the extra vars, the controller files that *_src variables name, the
    playbook, ansible-core's version)."
  - "The state of every box of HOSTS as its check read it (the variable applied_now, module
    cloudy_applied), and the record each holds of its last complete run of the playbook."
  - "Returns {playbook, run, inputs, states, unchanged}: RUN a new id for the coming run's records,
    UNCHANGED the boxes whose last complete run had the same inputs and left every box as the
    check found it (module_utils/applied.py, unchanged_hosts)."
options:
  playbook: {description: the playbook's file name, type: str, required: true}
  hosts: {description: the boxes checked, type: list, elements: str, required: true}
"""

COLLECTION = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Extra vars that change with every job (AWX) or only say whether to leave boxes out.
VOLATILE = ("awx_", "tower_", "cloudy_skip_unchanged")


def _inventory_trees(sources: list[str]) -> list[tuple[str, str, bool]]:
    """The inventory's files: a folder source whole; for a file source, the files beside it (e.g.
    cloudy.yml and cloudy.lock beside the inventory plugin's file) and its group_vars, host_vars."""
    trees = []
    for number, source in enumerate(sources):
        if os.path.isdir(source):
            trees.append((f"inventory{number}", source, True))
        elif os.path.isfile(source):
            folder = os.path.dirname(source)
            trees.append((f"inventory{number}", folder, False))
            trees += [
                (f"inventory{number}/{sub}", os.path.join(folder, sub), True)
                for sub in ("group_vars", "host_vars")
            ]
    return trees


def _controller_files(variables: dict[str, Any]) -> list[str]:
    """Files on the controller the roles copy to the boxes (`*_src` variables holding an absolute
    path: docs/inventory.md), each with its content's digest: an edit there is a change too."""
    found = []
    for key in sorted(k for k in variables if k.endswith("_src")):
        value = variables[key]
        if isinstance(value, str) and os.path.isabs(value) and os.path.isfile(value):
            with open(value, "rb") as handle:
                found.append(f"{key} {value} {hashlib.sha256(handle.read()).hexdigest()}")
    return found


class LookupModule(LookupBase):
    def run(self, terms: list[Any], variables: dict[str, Any] | None = None, **kwargs: Any) -> list[Any]:
        variables = variables or {}
        playbook, hosts = kwargs.get("playbook"), kwargs.get("hosts")
        if not isinstance(playbook, str) or not isinstance(hosts, list):
            raise AnsibleError("lookup applied_run: give playbook= (a file name) and hosts= (a list)")
        hostvars = variables["hostvars"]
        states, records = {}, {}
        for host in hosts:
            now = hostvars[host].get("applied_now") or {}
            if now.get("state"):
                states[host] = str(now["state"])
                records[host] = now.get("recorded")
        extra = {k: v for k, v in load_extra_vars(self._loader).items() if not k.startswith(VOLATILE)}
        sources = [str(s) for s in variables.get("ansible_inventory_sources") or []]
        header = (
            f"playbook {playbook}\nansible-core {ansible_version}\n"
            f"extra vars {json.dumps(extra, sort_keys=True, default=str)}\n"
            f"inventory sources {json.dumps([s for s in sources if not os.path.exists(s)])}\n"
            f"controller files {json.dumps(_controller_files(variables))}\n"
        )
        trees = [("collection", COLLECTION, True)]
        panel = importlib.util.find_spec("cloudy_panel")
        if panel is not None and panel.origin:
            trees.append(("panel", os.path.dirname(panel.origin), True))
        inputs = inputs_digest(header, trees + _inventory_trees(sources))
        return [
            {
                "playbook": playbook,
                "run": secrets.token_hex(16),
                "inputs": inputs,
                "states": states,
                "unchanged": unchanged_hosts(inputs, states, records),
            }
        ]
