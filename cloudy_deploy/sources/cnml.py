"""The `cnml` source: the servers of a guifi.net CNML 0.1 export (a zone or a node).

A CNML file is cnml > class, then network > zone > (zone | node)* or a single node;
node > device > (radio > interface | interface) > link. A device becomes a Node when
its `type` is one of `types` (default: server) and its `status` one of `status`
(default: Working, Testing):

- name: the device `title`; address: its `mainipv4` (both required: an error names
  the element and its line); other interface ipv4 addresses go to `addresses`;
- vars: guifi_node_id, guifi_node, guifi_device_id, guifi_device_type, guifi_status,
  guifi_zone_id, guifi_zone (nearest zone), guifi_lat, guifi_lon; tag `guifi`.

The file is parsed with lxml for line numbers, without loading the DTD, without
network access and without expanding entities; a document that declares entities
is refused (real exports never do).
"""

from pathlib import Path
from typing import Any

from lxml import etree

from cloudy_deploy.errors import BadInput
from cloudy_deploy.nodes import Node
from cloudy_deploy.sources.files import shown
from cloudy_deploy.sources.ip import canonical_ip
from cloudy_deploy.sources.loaded import Loaded
from cloudy_deploy.sources.merge import check_unique
from cloudy_deploy.sources.refs import CNML_STATUS, CNML_TYPES, cnml_options

EXPORT = "download the export again from guifi.net (zone page > CNML)"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _parse(path: Path, source: str) -> etree._Element:
    where = shown(path)
    if not path.is_file():
        raise BadInput(f"{source}: {where} is not a file; give the path of a guifi.net CNML export")
    try:
        tree = etree.parse(str(path), _parser())
    except etree.XMLSyntaxError as exc:
        raise BadInput(f"{where}:{exc.lineno}: not well-formed XML ({exc.msg}); {EXPORT}") from None
    except OSError as exc:
        raise BadInput(f"{where}: cannot read it ({exc}); check its permissions") from None
    dtd = tree.docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise BadInput(f"{where}: the file declares XML entities, which CNML exports never do; {EXPORT}")
    root = tree.getroot()
    if root.tag != "cnml":
        raise BadInput(
            f"{where}:{root.sourceline}: the root element is <{root.tag}>, not <cnml>; "
            "give a guifi.net CNML export"
        )
    return root


def _tag(el: etree._Element) -> str:
    shown_attrs = " ".join(f'{k}="{el.get(k)}"' for k in ("id", "title") if el.get(k) is not None)
    return f"<{el.tag}{' ' if shown_attrs else ''}{shown_attrs}>"


class _Reader:
    """Reads attributes of one file's elements; every problem names the element and its line."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, el: etree._Element, what: str, fix: str) -> BadInput:
        return BadInput(f"{self.where}:{el.sourceline}: {_tag(el)} {what}; {fix}")

    def text(self, el: etree._Element, attr: str, fix: str) -> str:
        value = (el.get(attr) or "").strip()
        if not value:
            raise self.fail(el, f"has no {attr} attribute", fix)
        return value

    def number(self, el: etree._Element, attr: str, kind: type, required: bool = True) -> Any:
        raw = el.get(attr)
        if raw is None and not required:
            return None
        try:
            return kind(raw)
        except (TypeError, ValueError):
            what = f"has no {attr} attribute" if raw is None else f"has {attr}={raw!r}, not a number"
            raise self.fail(el, what, EXPORT) from None


def _addresses(device: etree._Element, main: str) -> tuple[str, ...]:
    found = []
    for iface in device.iter("interface"):
        try:
            found.append(canonical_ip(iface.get("ipv4") or ""))
        except ValueError:
            continue  # interfaces without an address (or 0.0.0.0 placeholders) say nothing of the box
    return tuple(a for a in dict.fromkeys(found) if a != main)


def _node(r: _Reader, device: etree._Element, source: str) -> Node:
    parent = device.getparent()
    if parent is None or parent.tag != "node":
        raise r.fail(device, "is not inside a <node>", EXPORT)
    title = r.text(device, "title", "give the device a title in guifi.net and export again")
    raw_ip = r.text(
        device,
        "mainipv4",
        "set the device's main IPv4 address in guifi.net and export again "
        "(exports older than the mainipv4 attribute lack it)",
    )
    try:
        address = canonical_ip(raw_ip)
        if ":" in address:
            raise ValueError(f"{raw_ip!r} is IPv6, not IPv4")
    except ValueError as exc:
        raise r.fail(
            device, f"has mainipv4={raw_ip!r}: {exc}", "correct it in guifi.net and export again"
        ) from None
    found: dict[str, Any] = {
        "guifi_node_id": r.number(parent, "id", int),
        "guifi_node": parent.get("title"),
        "guifi_device_id": r.number(device, "id", int),
        "guifi_device_type": device.get("type"),
        "guifi_status": device.get("status"),
    }
    zone = next(device.iterancestors("zone"), None)
    if zone is not None:
        found["guifi_zone_id"] = r.number(zone, "id", int)
        found["guifi_zone"] = zone.get("title")
    found["guifi_lat"] = r.number(parent, "lat", float, required=False)
    found["guifi_lon"] = r.number(parent, "lon", float, required=False)
    return Node(
        name=title,
        address=address,
        addresses=_addresses(device, address),
        tags=("guifi",),
        vars={k: v for k, v in found.items() if v is not None},
        source=source,
    )


def load(path: Path, source: str, options: dict[str, Any] | None = None) -> Loaded:
    """The selected devices of a CNML file as nodes; `options` may hold `types` and `status` lists."""
    try:
        chosen = cnml_options(options or {})
    except ValueError as exc:
        raise BadInput(f"{source}: {exc}") from None
    types = chosen.get("types", CNML_TYPES)
    statuses = chosen.get("status", CNML_STATUS)
    wanted_status = {s.lower() for s in statuses}
    r = _Reader(shown(path))
    root = _parse(path, source)
    records: list[Node] = []
    lines: list[str] = []
    devices = 0
    for device in root.iter("device"):
        devices += 1
        dtype = (device.get("type") or "").strip().lower()
        status = (device.get("status") or "").strip().lower()
        if dtype in types and status in wanted_status:
            records.append(_node(r, device, source))
            lines.append(f"{r.where}:{device.sourceline}")
    check_unique(records, lines)
    note = (
        f"{source}: {len(records)} of {devices} devices selected "
        f"(type {' or '.join(types)}; status {' or '.join(statuses)})"
    )
    return Loaded(records, [note])
