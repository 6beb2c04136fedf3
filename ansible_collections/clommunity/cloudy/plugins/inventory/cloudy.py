"""Inventory plugin `clommunity.cloudy.cloudy` (`cloudy` in the checkout): cloudy.yml + cloudy.lock."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin

DOCUMENTATION = r"""
name: cloudy
author: cloudy-deploy
short_description: A Cloudy micro cloud from its cloudy.yml
description:
  - Reads a cloudy.yml (the cloud spec of cloudy-deploy), its node sources and the cloudy.lock
    beside it, and gives the same hosts, groups and variables that C(cloudy inventory) writes
    (docs/inventory.md), so ansible-playbook, ansible-inventory and AWX work without the wrapper.
  - Never writes cloudy.lock. Boxes the lock does not hold yet get what C(cloudy plan) would give
    them, with a warning; run C(cloudy plan) to keep those allocations.
  - Takes files named C(cloudy.yml) or C(cloudy.yaml) (or ending in C(.cloudy.yml)), and any YAML
    file whose top key C(plugin) is C(clommunity.cloudy.cloudy) (or C(cloudy)), which Ansible's
    C(auto) plugin hands over.
  - Needs the cloudy_deploy Python package in the Python that runs Ansible.
  - The environment variable C(CLOUDY_SSH_KEYS=credential) leaves out the ssh key files that
    cloudy.yml or the node files name (laptop paths), as on AWX the machine credential gives the key.
    Host keys are still checked, against the project's C(.cloudy/known_hosts).
  - Other keys of the file are the cloud spec (cloud, overlay, sources, ssh, services), described
    in the comments of the cloudy.yml that C(cloudy init) writes.
options:
  plugin:
    description: >-
      C(clommunity.cloudy.cloudy), so that the C(auto) inventory plugin picks this plugin for the
      file. The short C(cloudy) works where C(inventory_plugins) points at this folder (the checkout).
    required: false
    type: str
    choices: [clommunity.cloudy.cloudy, cloudy]
"""

EXAMPLES = r"""
# cloudy.yml
plugin: clommunity.cloudy.cloudy
cloud: gcodis
overlay: {subnet: 10.99.0.0/16}
sources:
  - static: nodes.yml

# ansible-inventory -i cloudy.yml --graph
"""

_NAMES = ("cloudy.yml", "cloudy.yaml")
_PLUGIN_LINE = re.compile(r"""^plugin:\s*["']?(clommunity\.cloudy\.)?cloudy["']?\s*(#.*)?$""", re.MULTILINE)


class InventoryModule(BaseInventoryPlugin):
    NAME = "cloudy"

    def verify_file(self, path: str) -> bool:
        if not super().verify_file(path):
            return False
        name = os.path.basename(path)
        if name in _NAMES or name.endswith(tuple(f".{n}" for n in _NAMES)):
            return True
        if not name.endswith((".yml", ".yaml")):
            return False
        try:
            with open(path, encoding="utf-8") as handle:
                return bool(_PLUGIN_LINE.search(handle.read(1 << 16)))
        except (OSError, UnicodeDecodeError):
            return False

    def parse(self, inventory: Any, loader: Any, path: str, cache: bool = True) -> None:
        super().parse(inventory, loader, path, cache)
        try:
            from cloudy_deploy import hostkeys, lock, plan, sources, spec
            from cloudy_deploy import inventory as cloudy_inventory
            from cloudy_deploy.errors import BadInput
        except ImportError as exc:
            raise AnsibleParserError(
                f"{path}: the cloudy inventory plugin needs the cloudy_deploy package ({exc}): run Ansible"
                " from the cloudy-deploy virtualenv, or `pip install` cloudy-deploy into its Python"
            ) from exc
        keys = os.environ.get("CLOUDY_SSH_KEYS", "file")
        if keys not in ("file", "credential"):
            raise AnsibleParserError(
                f"CLOUDY_SSH_KEYS={keys!r}: give file (the key files cloudy.yml names) or credential"
                " (the run's credential gives the key, as on AWX)"
            )
        spec_path = Path(path)
        base = spec_path.parent
        home = Path(os.environ["CLOUDY_HOME"]) if os.environ.get("CLOUDY_HOME") else base
        try:
            the_spec = spec.load(spec_path)
            found = sources.collect(the_spec.sources, base, home)
            the_plan = plan.make_plan(found.nodes, the_spec, lock.load(lock.path_for(spec_path), the_spec))
        except BadInput as exc:
            raise AnsibleParserError(str(exc)) from exc
        for note in found.notes:
            self.display.v(f"cloudy: {note}")
        for line in the_spec.off_lines():
            self.display.warning(f"cloudy: {line}")
        if the_plan.lock_changed:
            d = the_plan.diff
            self.display.warning(
                f"{lock.path_for(spec_path)} is missing or out of date ({len(d.added)} added,"
                f" {len(d.removed)} removed, {len(d.changed)} changed): this inventory may change until"
                " `cloudy plan` records it"
            )
        # Host keys checked as under the wrapper, against the project's known_hosts (hostkeys.py).
        known = hostkeys.project_known_hosts(home)
        self._populate(cloudy_inventory.build(the_plan, the_spec, known, key_files=keys == "file"))

    def _populate(self, data: Any) -> None:
        for group in data.groups:
            self.inventory.add_group(group)
        for name, variables in data.hosts.items():
            self.inventory.add_host(name)
            for key, value in variables.items():
                self.inventory.set_variable(name, key, value)
        for group, members in data.groups.items():
            for name in members:
                self.inventory.add_host(name, group=group)
        for variables in data.group_vars.values():
            for key, value in variables.items():
                self.inventory.set_variable("all", key, value)
