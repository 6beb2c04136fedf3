# Collection clommunity.cloudy of cloudy-deploy. GPL-3.0-or-later.
"""The one CNML parser of cloudy-deploy: guifi.net CNML 0.1 exports, read safely.

Used on the controller by the wrapper's `cnml` source (cloudy_deploy/sources/cnml.py)
and on the boxes by the modules of roles snpservices and dnsservices (boxes need
python3-lxml). It imports nothing of the wrapper: problems are `CnmlError`, one line
naming the file, the line and the element, and how to fix it.

A zone export is cnml > class, then network > zone > (zone | node)* or a single node;
node > device > (radio > interface | interface) > link, and device > service. A
"domains" export (DNS data) is cnml > domains > (internal | external) > master > host.
The file is parsed with lxml for line numbers, without loading the DTD, without
network access and without expanding entities; a document that declares entities
is refused (real exports never do).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from lxml import etree

EXPORT = "download the export again from guifi.net (zone page > CNML)"


class CnmlError(ValueError):
    """A CNML file that cannot be used; the message is one line: where, what, how to fix."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse(path: str, where: str | None = None) -> Any:
    """The root <cnml> element of the file at `path`; `where` is how messages name the file."""
    where = where or path
    try:
        tree = etree.parse(path, _parser())
    except etree.XMLSyntaxError as exc:
        raise CnmlError(f"{where}:{exc.lineno}: not well-formed XML ({exc.msg}); {EXPORT}") from None
    except OSError as exc:
        raise CnmlError(f"{where}: cannot read it ({exc}); check its permissions") from None
    dtd = tree.docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise CnmlError(f"{where}: the file declares XML entities, which CNML exports never do; {EXPORT}")
    root = tree.getroot()
    if root.tag != "cnml":
        raise CnmlError(
            f"{where}:{root.sourceline}: the root element is <{root.tag}>, not <cnml>; "
            "give a guifi.net CNML export"
        )
    return root


def tag(el: Any, keys: tuple[str, ...] = ("id", "title")) -> str:
    """How messages show an element: <device id="5" title="Srv"> (the attributes `keys` it has)."""
    shown_attrs = " ".join(f'{k}="{el.get(k)}"' for k in keys if el.get(k) is not None)
    return f"<{el.tag}{' ' if shown_attrs else ''}{shown_attrs}>"


def address(text: object) -> str:
    """The canonical form of an IPv4 or IPv6 address a box can have; ValueError if not one."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not an IPv4 or IPv6 address")
    try:
        ip = ipaddress.ip_address(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an IPv4 or IPv6 address") from None
    for bad, what in (
        (ip.is_unspecified, "unspecified"),
        (ip.is_multicast, "multicast"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
    ):
        if bad:
            raise ValueError(f"{text!r} cannot be a box's address ({what})")
    return str(ip)


class Reader:
    """Reads attributes of one file's elements; every problem names the element and its line."""

    def __init__(self, where: str, keys: tuple[str, ...] = ("id", "title")) -> None:
        self.where = where
        self.keys = keys  # the attributes that name an element in messages

    def fail(self, el: Any, what: str, fix: str) -> CnmlError:
        return CnmlError(f"{self.where}:{el.sourceline}: {tag(el, self.keys)} {what}; {fix}")

    def text(self, el: Any, attr: str, fix: str) -> str:
        value = (el.get(attr) or "").strip()
        if not value:
            raise self.fail(el, f"has no {attr} attribute", fix)
        return value

    def number(self, el: Any, attr: str, kind: type, required: bool = True) -> Any:
        raw = el.get(attr)
        if raw is None and not required:
            return None
        try:
            return kind(raw)
        except (TypeError, ValueError):
            what = f"has no {attr} attribute" if raw is None else f"has {attr}={raw!r}, not a number"
            raise self.fail(el, what, EXPORT) from None

    def ipv4(self, el: Any, attr: str, fix: str) -> str:
        raw = self.text(el, attr, fix)
        try:
            ip = address(raw)
            if ":" in ip:
                raise ValueError(f"{raw!r} is IPv6, not IPv4")
        except ValueError as exc:
            raise self.fail(
                el, f"has {attr}={raw!r}: {exc}", "correct it in guifi.net and export again"
            ) from None
        return ip


def addresses(device: Any, main: str) -> tuple[str, ...]:
    """The device's other interface IPv4 addresses, in file order, without `main`."""
    found = []
    for iface in device.iter("interface"):
        try:
            found.append(address(iface.get("ipv4") or ""))
        except ValueError:
            continue  # interfaces without an address (or 0.0.0.0 placeholders) say nothing of the box
    return tuple(a for a in dict.fromkeys(found) if a != main)


def device(r: Reader, el: Any) -> dict[str, Any]:
    """A device's fields: title, address (mainipv4), addresses, and its guifi_* values.

    guifi_* are guifi_node_id, guifi_node, guifi_device_id, guifi_device_type, guifi_status,
    guifi_zone_id, guifi_zone (nearest zone), guifi_lat, guifi_lon (absent ones left out).
    """
    parent = el.getparent()
    if parent is None or parent.tag != "node":
        raise r.fail(el, "is not inside a <node>", EXPORT)
    title = r.text(el, "title", "give the device a title in guifi.net and export again")
    main = r.ipv4(
        el,
        "mainipv4",
        "set the device's main IPv4 address in guifi.net and export again "
        "(exports older than the mainipv4 attribute lack it)",
    )
    found: dict[str, Any] = {
        "guifi_node_id": r.number(parent, "id", int),
        "guifi_node": parent.get("title"),
        "guifi_device_id": r.number(el, "id", int),
        "guifi_device_type": el.get("type"),
        "guifi_status": el.get("status"),
    }
    zone = next(el.iterancestors("zone"), None)
    if zone is not None:
        found["guifi_zone_id"] = r.number(zone, "id", int)
        found["guifi_zone"] = zone.get("title")
    found["guifi_lat"] = r.number(parent, "lat", float, required=False)
    found["guifi_lon"] = r.number(parent, "lon", float, required=False)
    return {
        "title": title,
        "address": main,
        "addresses": addresses(el, main),
        "vars": {k: v for k, v in found.items() if v is not None},
    }


def graph_server(r: Reader, el: Any) -> int | None:
    """The graph server that draws a device: its own graph_server, else its node's, else the nearest zone's.

    guifi.net writes 0 or nothing for "inherit from above"; the zone tree's root may have none.
    """
    for holder in (el, *el.iterancestors("node", "zone")):
        raw = (holder.get("graph_server") or "").strip()
        if raw and raw != "0":
            return r.number(holder, "graph_server", int)
    return None


def services(root: Any, kind: str) -> dict[int, Any]:
    """The <service> elements of a type (SNPgraphs, DNS, ...) by id; ids that are not numbers are skipped."""
    found = {}
    for el in root.iter("service"):
        if (el.get("type") or "").strip().lower() == kind.lower():
            try:
                found[int(el.get("id") or "")] = el
            except ValueError:
                continue
    return found
