#!/usr/bin/python3
# Part of the collection clommunity.cloudy. GPL-3.0-or-later.
"""Read what a box is now and what its last complete run recorded; record a complete run."""

import json
import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clommunity.cloudy.plugins.module_utils.applied import (
    EXCLUDE,
    FILES,
    ROOTS,
    state_digest,
    state_parts,
)
from ansible_collections.clommunity.cloudy.plugins.module_utils.files import write_atomic

DOCUMENTATION = r"""
module: cloudy_applied
short_description: The state of a box, and the record of its last complete run of a playbook
description:
  - "C(state=check) reads, changing nothing, the box's state digest (its files under the roles'
    folders by type, mode, size and modification time; its installed packages; its running
    services; its addresses) and the record the last complete run of PLAYBOOK left."
  - "C(state=record) writes the record of a run that just completed on the box: the run (RUN,
    its INPUTS, and STATES: every box as the run's check found it) and the box's state and parts
    read now, in the same call."
  - "On the controller, the lookup applied_run compares them: a box whose run had the same inputs
    and left every box as it is now is left out of the coming run. The record holds digests only."
options:
  state: {description: check or record, type: str, choices: [check, record], default: check}
  playbook: {description: the playbook the record is for (site.yml, mesh.yml), type: str, required: true}
  run: {description: "record: the run's id (lookup applied_run)", type: str}
  inputs: {description: "record: digest of the run's inputs (collection, inventory, playbook)", type: str}
  states:
    description: "record: state digest of every box the run's check read, by host"
    type: dict
    default: {}
  folder: {description: where the records are kept, type: path, default: /var/lib/cloudy/applied}
author: cloudy-deploy
"""

RETURN = r"""
state: {description: the box's state digest, type: str, returned: always}
parts:
  description: "the digests it is made of: files, packages, units, addresses"
  type: dict
  returned: always
recorded:
  description: "the last complete run's record (run, inputs, states, state, parts, at), or null"
  type: dict
  returned: always
"""


def _read(path: str) -> dict | None:
    try:
        with open(path, encoding="utf-8") as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "state": {"type": "str", "choices": ["check", "record"], "default": "check"},
            "playbook": {"type": "str", "required": True},
            "run": {"type": "str"},
            "inputs": {"type": "str"},
            "states": {"type": "dict", "default": {}},
            "folder": {"type": "path", "default": "/var/lib/cloudy/applied"},
        },
        required_if=[("state", "record", ("run", "inputs"))],
        supports_check_mode=True,
    )
    p = module.params
    if "/" in p["playbook"] or p["playbook"].startswith("."):
        module.fail_json(msg=f"playbook {p['playbook']!r}: a file name such as site.yml")
    path = os.path.join(p["folder"], p["playbook"] + ".json")
    parts = state_parts(ROOTS, FILES, EXCLUDE)
    state = state_digest(parts)
    if p["state"] == "check" or module.check_mode:
        module.exit_json(changed=False, state=state, parts=parts, recorded=_read(path))
    record = {
        "run": p["run"],
        "inputs": p["inputs"],
        "states": {str(k): str(v) for k, v in p["states"].items()},
        "state": state,
        "parts": parts,
        "at": int(time.time()),
    }
    os.makedirs(p["folder"], mode=0o755, exist_ok=True)
    write_atomic(module, path, json.dumps(record, sort_keys=True).encode() + b"\n")
    # Not a change of the box's configuration: a second run still reports changed=0.
    module.exit_json(changed=False, state=state, parts=parts, recorded=record)


if __name__ == "__main__":
    main()
