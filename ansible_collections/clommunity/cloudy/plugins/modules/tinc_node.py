#!/usr/bin/python3
# Role tinc of cloudy-deploy. GPL-3.0-or-later.
"""A box's whole tinc step before the mesh, in one call: packages, files, firewall port, key pair."""

import json
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clommunity.cloudy.plugins.module_utils.files import FILES_OPTIONS, apply_files
from ansible_collections.clommunity.cloudy.plugins.module_utils.packages import ensure_packages
from ansible_collections.clommunity.cloudy.plugins.module_utils.tinc_key import RECORD_OPTIONS, ensure_key

DOCUMENTATION = r"""
module: tinc_node
short_description: Install tinc, write its files, open its port, make its key pair; return the public record
description:
  - What role tinc does on a box before the host files are exchanged, as one call (a task for each
    cost a round trip and an interpreter per box each, on every box).
  - In order. The missing I(packages) are installed with dpkg-query and apt-get (lists refreshed
    when older than I(cache_valid_time), or when the install fails from them). The folders, files
    and lines are written (only those that differ). When I(open_port) is set, C(tinc-helper open-port)
    opens the tinc port if a firewall filters input. The key pair is made if missing (C(tincd -K),
    stdin closed; never replaced) and its public half read (C(openssl rsa -RSAPublicKey_out)).
  - Reports whether each of I(units) is enabled and active, so the role starts only what is not.
  - With I(generate) false (a box already in the mesh, host files only), pass no packages and no
    files; the key must exist.
  - Supports check mode (nothing installed, written, opened or generated) and diff mode (the files).
options:
  packages: {description: Debian packages the mesh needs, type: list, elements: str, default: []}
  cache_valid_time:
    description: refresh the package lists first when older than this (seconds)
    type: int
    default: 3600
  directories: {description: folders to make (mode 0755), type: list, elements: path, default: []}
  files:
    description: "files to write: path, content, mode (octal string), state (present or absent)"
    type: list
    elements: dict
    default: []
  lines: {description: "lines that must be in a file: path, line", type: list, elements: dict, default: []}
  open_port:
    description: "C(helper), C(port) and C(tag) of tinc-helper open-port; unset: the firewall is left alone"
    type: dict
  units: {description: systemd units to report on, type: list, elements: str, default: []}
extends_documentation_fragment: [clommunity.cloudy.tinc_record]
author: cloudy-deploy
"""

RETURN = r"""
record:
  description: >-
    host, name, address, port, overlay_ip, mac and key (PEM; null in check mode before the first key).
  type: dict
  returned: always
generated: {description: Whether a key pair was generated, type: bool, returned: always}
missing: {description: The packages that were not installed, type: list, returned: always}
lists_refreshed: {description: Whether the package lists were refreshed, type: bool, returned: always}
changed_paths: {description: The folders and files made or changed, type: list, returned: always}
port_opened: {description: Whether open-port added a firewall rule, type: bool, returned: always}
units_down: {description: Those of I(units) not both enabled and active, type: list, returned: always}
"""


def open_port(module: AnsibleModule, spec: dict, helper_written: bool) -> bool:
    argv = [spec["helper"], "open-port", "--port", str(spec["port"]), "--tag", spec["tag"]]
    if module.check_mode:
        if helper_written:  # the helper is not on the box yet: nothing to ask
            return False
        argv.append("--check")
    rc, out, err = module.run_command(argv)
    if rc != 0:
        module.fail_json(msg=f"tinc-helper open-port failed: {(err or out).strip()[-500:]}")
    try:
        return bool(json.loads(out)["changed"])
    except (ValueError, KeyError, TypeError):
        module.fail_json(msg=f"tinc-helper open-port printed no result: {out.strip()[-300:]}")
    return False


def units_down(module: AnsibleModule, units: list[str]) -> list[str]:
    systemctl = module.get_bin_path("systemctl")
    if not units or systemctl is None:
        return list(units)
    down = []
    for unit in units:
        enabled = module.run_command([systemctl, "is-enabled", "--quiet", unit])[0] == 0
        active = module.run_command([systemctl, "is-active", "--quiet", unit])[0] == 0
        if not (enabled and active):
            down.append(unit)
    return down


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "packages": {"type": "list", "elements": "str", "default": []},
            "cache_valid_time": {"type": "int", "default": 3600},
            **FILES_OPTIONS,
            "open_port": {
                "type": "dict",
                "options": {
                    "helper": {"type": "path", "required": True},
                    "port": {"type": "int", "required": True},
                    "tag": {"type": "str", "required": True},
                },
            },
            "units": {"type": "list", "elements": "str", "default": []},
            **RECORD_OPTIONS,
        },
        supports_check_mode=True,
    )
    p = module.params
    missing, updated = ensure_packages(module, p["packages"], p["cache_valid_time"])
    paths, diffs = apply_files(module, p["directories"], p["files"], p["lines"])
    opened = False
    if p["open_port"]:
        helper = p["open_port"]["helper"]
        opened = open_port(module, p["open_port"], helper in paths or not os.path.exists(helper))
    record, key_changed, generated = ensure_key(module, p)
    result = {
        "changed": bool(missing or paths or opened or key_changed),
        "record": record,
        "generated": generated,
        "missing": missing,
        "lists_refreshed": updated,
        "changed_paths": paths,
        "port_opened": opened,
        "units_down": units_down(module, p["units"]),
    }
    if module._diff:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
