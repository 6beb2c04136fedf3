#!/usr/bin/python
# Role snpservices of cloudy-deploy. GPL-3.0-or-later.
"""Write MRTG's configuration for a guifi.net graph server from the zone's CNML."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clommunity.cloudy.plugins.module_utils.cnml_import import cnml, require_lxml
from ansible_collections.clommunity.cloudy.plugins.module_utils.files import read_text, write_atomic

DOCUMENTATION = r"""
module: snp_mrtg_config
short_description: MRTG targets of a guifi.net graph server (SNPServices) from a CNML export
description:
  - Reads the zone's CNML I(src) and finds the devices this graph server draws, those
    whose C(graph_server) (on the device, else its node, else the nearest zone) is
    I(graph_server), with a status in I(statuses). The CNML must hold a
    C(<service id=GRAPH_SERVER type="SNPgraphs">), as guifi.net's own generator required.
  - For each device, a ping target (round trip in microseconds and loss in percent, by
    the I(ping) command) and an SNMP traffic target for each interface the CNML names
    for SNMP (C(snmp_name) or C(snmp_index) of the device or of its radios).
  - Writes MRTG's configuration I(dest) and the list of targets I(index) (JSON, read by
    the graph drawer), each only when it differs, atomically. Bad input (not CNML, an
    unknown graph server, a device with a bad address) fails naming the file and the
    item, and changes nothing.
options:
  src: {description: the CNML file on the box, type: path, required: true}
  name: {description: how messages name the file (its source), type: str}
  graph_server: {description: this graph server's guifi.net service id, type: int, required: true}
  dest: {description: MRTG's configuration file, type: path, required: true}
  index: {description: JSON list of the targets, type: path, required: true}
  workdir: {description: folder of the RRD files, type: path, required: true}
  ping: {description: "command that pings an address (MRTG external target)", type: path, required: true}
  community: {description: SNMP community, type: str, default: public}
  statuses: {description: device statuses graphed, type: list, elements: str, default: [Working, Testing]}
  forks: {description: MRTG's parallel pollers, type: int, default: 4}
  interval: {description: minutes between polls (MRTG Interval), type: int, default: 5}
extends_documentation_fragment: [ansible.builtin.files]
author: cloudy-deploy
"""

RETURN = r"""
targets:
  description: the targets (name, kind ping or traffic, device_id, title, address, port)
  type: list
  returned: always
devices: {description: how many devices are graphed, type: int, returned: always}
skipped: {description: SNMP interfaces left out, with why, type: list, returned: always}
"""

IFNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:-]{0,63}$")
COMMUNITY = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
FIX_ID = "set graph_server to the id of an SNPgraphs service of this CNML (guifi.net: the service's page)"


def _plain(text: str) -> str:
    """Text from the CNML as one safe MRTG value: no control characters, no line breaks."""
    return re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip()


def _snmp_ifaces(r: Any, device: Any, skipped: list[str]) -> list[tuple[str, str]]:
    """(MRTG port spec, name suffix) for each interface the device names for SNMP."""
    found: dict[str, str] = {}
    for holder in (device, *device.iterchildren("radio")):
        index, name = (holder.get("snmp_index") or "").strip(), (holder.get("snmp_name") or "").strip()
        if index:
            if index.isdigit() and int(index) > 0:
                found.setdefault(index, f"if{index}")
            else:
                skipped.append(f"{r.where}:{holder.sourceline}: {cnml.tag(holder)} snmp_index={index!r}")
        elif name:
            if IFNAME.match(name):
                found.setdefault("\\" + name, re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"))
            else:
                skipped.append(f"{r.where}:{holder.sourceline}: {cnml.tag(holder)} snmp_name={name!r}")
    return list(found.items())


def targets(root: Any, where: str, graph_server: int, statuses: list[str]) -> tuple[list[dict], list[str]]:
    """The MRTG targets of the devices `graph_server` draws, and the SNMP interfaces left out."""
    r = cnml.Reader(where)
    if graph_server not in cnml.services(root, "SNPgraphs"):
        known = ", ".join(str(i) for i in sorted(cnml.services(root, "SNPgraphs"))) or "none"
        raise cnml.CnmlError(
            f"{where}: no SNPgraphs service with id {graph_server} "
            f"(graph servers in the file: {known}); {FIX_ID}"
        )
    wanted = {s.lower() for s in statuses}
    found: list[dict] = []
    skipped: list[str] = []
    for el in root.iter("device"):
        if (el.get("status") or "").strip().lower() not in wanted or cnml.graph_server(r, el) != graph_server:
            continue
        dev = cnml.device(r, el)
        device_id, title = dev["vars"]["guifi_device_id"], _plain(dev["title"])
        base = {"device_id": device_id, "title": title, "address": dev["address"]}
        found.append({"name": f"d{device_id}-ping", "kind": "ping", **base})
        for port, suffix in _snmp_ifaces(r, el, skipped):
            found.append({"name": f"d{device_id}-{suffix}", "kind": "traffic", "port": port, **base})
    dup = sorted(n for n, count in Counter(t["name"] for t in found).items() if count > 1)
    if dup:
        raise cnml.CnmlError(f"{where}: devices with the same id ({', '.join(dup)}); {cnml.EXPORT}")
    return found, skipped


def render(found: list[dict], *, where: str, graph_server: int, p: dict) -> str:
    """MRTG's configuration of the targets (rrdtool logs; the graphs are drawn apart)."""
    lines = [
        f"# Written by cloudy-deploy (role snpservices): graph server {graph_server}, {_plain(where)}.",
        "# Changes here are overwritten by the next run.",
        f"WorkDir: {p['workdir']}",
        "LogFormat: rrdtool",
        f"Forks: {p['forks']}",
        f"Interval: {p['interval']}",
        "RunAsDaemon: no",
        "",
    ]
    for t in found:
        n = t["name"]
        if t["kind"] == "ping":
            lines += [
                f"Target[{n}]: `{p['ping']} {t['address']}`",
                f"Title[{n}]: Ping {t['title']} ({t['address']})",
                f"MaxBytes[{n}]: 100000000",
                f"Options[{n}]: gauge, nopercent, growright",
                f"YLegend[{n}]: round trip (us) / loss (%)",
            ]
        else:
            lines += [
                f"Target[{n}]: {t['port']}:{p['community']}@{t['address']}:",
                f"Title[{n}]: Traffic {t['title']} ({t['address']} {t['port'].lstrip(chr(92))})",
                f"MaxBytes[{n}]: 1250000000",
                f"Options[{n}]: growright, bits",
            ]
        lines.append("")
    return "\n".join(lines)


def generate(p: dict) -> tuple[dict[str, str], list[dict], list[str]]:
    """{path: content} of the files to write, the targets, and the interfaces left out; CnmlError if bad."""
    where = p.get("name") or p["src"]
    if not COMMUNITY.match(p["community"]):
        raise cnml.CnmlError(f"snmp community {p['community']!r}: 1 to 64 letters, digits, '.', '_', '-'")
    root = cnml.parse(p["src"], where)
    found, skipped = targets(root, where, p["graph_server"], p["statuses"])
    files = {
        p["dest"]: render(found, where=where, graph_server=p["graph_server"], p=p),
        p["index"]: json.dumps(found, indent=1, sort_keys=True) + "\n",
    }
    return files, found, skipped


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "src": {"type": "path", "required": True},
            "name": {"type": "str"},
            "graph_server": {"type": "int", "required": True},
            "dest": {"type": "path", "required": True},
            "index": {"type": "path", "required": True},
            "workdir": {"type": "path", "required": True},
            "ping": {"type": "path", "required": True},
            "community": {"type": "str", "default": "public", "no_log": False},
            "statuses": {"type": "list", "elements": "str", "default": ["Working", "Testing"]},
            "forks": {"type": "int", "default": 4},
            "interval": {"type": "int", "default": 5},
        },
        supports_check_mode=True,
        add_file_common_args=True,
    )
    require_lxml(module)
    try:
        files, found, skipped = generate(module.params)
    except cnml.CnmlError as exc:
        module.fail_json(msg=str(exc))
    for item in skipped:
        module.warn(f"SNMP interface left out (not a usable name or index): {item}")
    changed = [path for path, text in files.items() if read_text(path) != text]
    if not module.check_mode:
        for path in changed:
            write_atomic(module, path, files[path].encode(), 0o644)
    # owner, group and mode (the file options) apply to MRTG's configuration, which holds the community.
    file_args = module.load_file_common_arguments(module.params, path=module.params["dest"])
    attrs_changed = os.path.exists(module.params["dest"]) and module.set_fs_attributes_if_different(
        file_args, False
    )
    module.exit_json(
        changed=bool(changed) or attrs_changed,
        targets=found,
        devices=len({t["device_id"] for t in found}),
        skipped=skipped,
    )


if __name__ == "__main__":
    main()
