#!/usr/bin/python3
# Role tinc of cloudy-deploy. GPL-3.0-or-later.
"""Documentation of the tinc_bundle action; it runs on the controller (action_plugins/tinc_bundle.py)."""

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: tinc_bundle
short_description: Assemble the mesh's host files, their archive and the topology, on the controller
description:
  - An action plugin (action_plugins/tinc_bundle.py); it never runs on a box.
    Use it with C(run_once).
  - Takes the public records (name, address, port, overlay IP, MAC, public key) of
    the boxes of the play, completes them for the members that are not in the
    play from the host file archives the boxes hold (I(held)), and makes the
    host files and their archive (byte-identical for the same content). Each
    host file carries its record as a comment, so a later run reads it back.
  - Keeps nothing on the controller; the archive lives in Ansible's temporary
    folder of the run. Only public material.
  - A member with no known key (a new box not reached in this run) is left
    out of the archive and of every ConnectTo list, with a warning, unless
    I(allow_missing) is false.
  - Returns the ConnectTo list of every member for the chosen topology, and
    the members outside the play that hold an older archive.
options:
  records:
    description: records returned by tinc_key for the play's boxes
    type: list
    elements: dict
    required: true
  held:
    description: "[box, slurp result of the box's delivered archive] pairs (failed or unreachable: ignored)"
    type: list
    elements: list
    default: []
  outside:
    description: members outside the play whose archive was read (they may get the new one)
    type: list
    elements: str
    default: []
  members:
    description: inventory names of all the mesh's boxes
    type: list
    elements: str
    required: true
  removed:
    description: inventory or tinc names to leave out of the mesh
    type: list
    elements: str
    default: []
  topology: {description: "auto, full or spine", type: str, default: auto}
  spines: {description: number of spines, type: int, default: 3}
  auto_full_max: {description: largest mesh that auto makes full, type: int, default: 16}
  spine_hosts:
    description: inventory names chosen as spines
    type: list
    elements: str
    default: []
  extra_dir:
    description: controller folder of host files of hand-made nodes
    type: path
    default: ''
  allow_missing:
    description: leave members without a known key out with a warning (false fails the run)
    type: bool
    default: true
author: cloudy-deploy
"""

RETURN = r"""
archive: {description: "the archive's path, in Ansible's temporary folder", type: str, returned: always}
push: {description: members outside the play that hold an older archive, type: list, returned: always}
cloudy_warnings: {description: the warnings (members left out), type: list, returned: always}
host_files: {description: names of the host files in the archive, type: list, returned: always}
nodes: {description: "inventory name -> {name, role, connect_to}", type: dict, returned: always}
topology: {description: full or spine (auto resolved), type: str, returned: always}
spines: {description: tinc names of the spines (spine topology), type: list, returned: always}
removed: {description: tinc names of removed nodes, type: list, returned: always}
members: {description: number of members, type: int, returned: always}
neighbours:
  description: "[{host, ip, mac}] of the members whose fixed MAC is known, by IP"
  type: list
  returned: always
"""


if __name__ == "__main__":
    AnsibleModule(argument_spec={}).fail_json(msg="tinc_bundle runs on the controller as an action plugin")
