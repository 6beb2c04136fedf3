"""The `cnml` source: the servers of a guifi.net CNML 0.1 export (a zone or a node).

A device becomes a Node when its `type` is one of `types` (default: server) and its
`status` one of `status` (default: Working, Testing):

- name: the device `title`; address: its `mainipv4` (both required: an error names
  the element and its line); other interface ipv4 addresses go to `addresses`;
- vars: guifi_node_id, guifi_node, guifi_device_id, guifi_device_type, guifi_status,
  guifi_zone_id, guifi_zone (nearest zone), guifi_lat, guifi_lon; tag `guifi`.

The parsing itself (safe lxml, the file's structure, messages with element and line)
is the collection's, shared with the roles that read CNML on the boxes:
ansible_collections/clommunity/cloudy/plugins/module_utils/cnml.py.
"""

from pathlib import Path
from typing import Any

# The collection travels with this package (the wheel, or the editable install's finder).
from ansible_collections.clommunity.cloudy.plugins.module_utils import cnml
from cloudy_deploy.errors import BadInput
from cloudy_deploy.nodes import Node
from cloudy_deploy.sources.files import shown
from cloudy_deploy.sources.loaded import Loaded
from cloudy_deploy.sources.merge import check_unique
from cloudy_deploy.sources.refs import CNML_STATUS, CNML_TYPES, cnml_options


def _records(
    path: Path, source: str, types: tuple[str, ...], wanted_status: set[str]
) -> tuple[list[Node], int]:
    """The selected devices as nodes, and how many devices the file has."""
    where = shown(path)
    if not path.is_file():
        raise BadInput(f"{source}: {where} is not a file; give the path of a guifi.net CNML export")
    root = cnml.parse(str(path), where)
    r = cnml.Reader(where)
    records: list[Node] = []
    lines: list[str] = []
    devices = 0
    for device in root.iter("device"):
        devices += 1
        dtype = (device.get("type") or "").strip().lower()
        status = (device.get("status") or "").strip().lower()
        if dtype in types and status in wanted_status:
            found = cnml.device(r, device)
            records.append(
                Node(
                    name=found["title"],
                    address=found["address"],
                    addresses=found["addresses"],
                    tags=("guifi",),
                    vars=found["vars"],
                    source=source,
                )
            )
            lines.append(f"{where}:{device.sourceline}")
    check_unique(records, lines)
    return records, devices


def load(path: Path, source: str, options: dict[str, Any] | None = None) -> Loaded:
    """The selected devices of a CNML file as nodes; `options` may hold `types` and `status` lists."""
    try:
        chosen = cnml_options(options or {})
    except ValueError as exc:
        raise BadInput(f"{source}: {exc}") from None
    types = chosen.get("types", CNML_TYPES)
    statuses = chosen.get("status", CNML_STATUS)
    try:
        records, devices = _records(path, source, tuple(types), {s.lower() for s in statuses})
    except cnml.CnmlError as exc:
        raise BadInput(str(exc)) from None
    note = (
        f"{source}: {len(records)} of {devices} devices selected "
        f"(type {' or '.join(types)}; status {' or '.join(statuses)})"
    )
    return Loaded(records, [note])
