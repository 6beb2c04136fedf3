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
    run_digest,
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
  - "C(state=record) writes the record of a run that just completed on the box: the run digest
    (INPUTS and STATES, the state of every box, this one included, as a check read it after the
    run) and this box's state and PARTS."
  - The wrapper (cloudy deploy) compares them. A box whose record holds the digest of the coming
    run is left out of it. The record holds digests only.
options:
  state: {description: check or record, type: str, choices: [check, record], default: check}
  playbook: {description: the playbook the record is for (site.yml, mesh.yml), type: str, required: true}
  inputs: {description: "record: digest of the run's inputs (collection, inventory, playbook)", type: str}
  states:
    description: "record: state digest of every box of the cloud (this one included), by host"
    type: dict
    default: {}
  parts: {description: "record: this box's parts, as the check read them", type: dict, default: {}}
  host: {description: "record: this box's name in STATES", type: str}
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
  description: "the last complete run's record (digest, state, parts, at), or null"
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
            "inputs": {"type": "str"},
            "states": {"type": "dict", "default": {}},
            "parts": {"type": "dict", "default": {}},
            "host": {"type": "str"},
            "folder": {"type": "path", "default": "/var/lib/cloudy/applied"},
        },
        required_if=[("state", "record", ("inputs", "host"))],
        supports_check_mode=True,
    )
    p = module.params
    if "/" in p["playbook"] or p["playbook"].startswith("."):
        module.fail_json(msg=f"playbook {p['playbook']!r}: a file name such as site.yml")
    path = os.path.join(p["folder"], p["playbook"] + ".json")
    if p["state"] == "check" or module.check_mode:
        parts = state_parts(ROOTS, FILES, EXCLUDE)
        module.exit_json(changed=False, state=state_digest(parts), parts=parts, recorded=_read(path))
    # Every box computes the digest from the same states (its own as the others saw it).
    states = {str(k): str(v) for k, v in p["states"].items()}
    parts = {str(k): str(v) for k, v in p["parts"].items()}
    state = states.get(p["host"])
    if state is None or state != state_digest(parts):
        module.fail_json(msg=f"states has no entry for {p['host']!r}, or it is not the digest of parts")
    record = {
        "digest": run_digest(p["inputs"], states),
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
