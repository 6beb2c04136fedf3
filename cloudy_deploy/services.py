"""`cloudy services`: the services a micro cloud announces, one list whichever way it was browsed.

Both ways give mdns_records.MdnsRecord records, and the same rows come out of them:

- on a box, through the runner: playbooks/browse.yml runs `avahi-browse -rpkt` there
  (read-only) and returns its output lines as `cloudy_report.browse`;
  mdns_records.parse_avahi_browse reads them;
- from this machine with zeroconf (`--local`), when it is on the overlay: the `mdns`
  source's browse, on every type announced (or the one asked for).

Pure but for browse_local: the CLI (cli/services.py) runs the playbook and prints.
"""

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from cloudy_deploy.errors import BadInput
from cloudy_deploy.lock import natural_key
from cloudy_deploy.sources.mdns_records import (
    BrowseResult,
    MdnsRecord,
    host_name,
    instance_name,
    order_addresses,
    parse_avahi_browse,
)

PLAYBOOK = "browse.yml"
BROWSE_BOXES = 3  # boxes the playbook browses on at once; the first of them that answers is used
DOMAIN = "local"
# A DNS-SD type as a person may write it: ssh, _ssh, _ssh._tcp, _ssh._tcp.local.
_TYPE = re.compile(r"^_?(?P<name>[A-Za-z0-9][A-Za-z0-9-]{0,62})(?:\._(?P<proto>tcp|udp))?(?:\.local)?\.?$")


@dataclass(frozen=True)
class Service:
    """One announced service instance, as `cloudy services` shows it."""

    type: str  # _ssh._tcp
    name: str  # the instance name, e.g. the box's host name or "Test web on box1"
    node: str  # the box: the host name it announced, without .local
    overlay_ip: str | None  # the address it announced (on the overlay: avahi only runs there)
    port: int | None
    txt: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def normalise_type(text: str) -> str:
    """`ssh`, `_ssh`, `_ssh._tcp.local.` -> `_ssh._tcp` (TCP unless it says _udp); BadInput otherwise."""
    m = _TYPE.match(text.strip())
    if m is None:
        raise BadInput(
            f"--type {text!r}: not a DNS-SD service type; give one like _ssh._tcp, "
            "_tahoe-introducer._tcp or just ssh"
        )
    return f"_{m.group('name').lower()}._{m.group('proto') or 'tcp'}"


def short_type(full: str) -> str:
    """`_ssh._tcp.local.` -> `_ssh._tcp`"""
    name = full.rstrip(".")
    return name[: -len("." + DOMAIN)] if name.lower().endswith("." + DOMAIN) else name


def _overlay_ip(addresses: Iterable[str]) -> str | None:
    usable = order_addresses(addresses)
    ipv4 = [a for a in usable if ipaddress.ip_address(a).version == 4]
    return (ipv4 or usable or [None])[0]


def services_from_records(records: Iterable[MdnsRecord], service_type: str | None = None) -> list[Service]:
    """Rows, sorted by type, node (lab-2 before lab-10) and name; only `service_type` when given."""
    rows = []
    for record in records:
        stype = short_type(record.type)
        if service_type and stype.lower() != service_type:
            continue
        rows.append(
            Service(
                type=stype,
                name=instance_name(record),
                node=host_name(record.server),
                overlay_ip=_overlay_ip(record.addresses),
                port=record.port,
                txt=dict(sorted(record.txt.items())),
            )
        )
    return sorted(rows, key=lambda s: (s.type, natural_key(s.node), s.name))


def browse_extravars(service_type: str | None) -> dict[str, Any]:
    """What playbooks/browse.yml takes: the type to browse (all when absent)."""
    return {"services_type": service_type} if service_type else {}


def browse_boxes(avahi_hosts: Sequence[str], via: str | None) -> list[str]:
    """The boxes to browse on, in order of preference: --via, else the first BROWSE_BOXES."""
    if via is None:
        return list(avahi_hosts[:BROWSE_BOXES])
    if via not in avahi_hosts:
        known = ", ".join(avahi_hosts[:10]) + (", ..." if len(avahi_hosts) > 10 else "")
        raise BadInput(f"--via {via!r}: not a box of the avahi group in the plan; pick one of: {known}")
    return [via]


def from_reports(reports: Mapping[str, Mapping[str, Any]], boxes: Sequence[str]) -> tuple[str, BrowseResult]:
    """The first box, in `boxes` order, that reported its browse, and what it saw.

    ValueError when none did (all unreachable or failed: the caller says why).
    """
    for box in boxes:
        report = reports.get(box)
        lines = report.get("browse") if isinstance(report, Mapping) else None
        if isinstance(lines, list):
            return box, parse_avahi_browse((str(x) for x in lines), source=f"avahi-browse on {box}")
    raise ValueError("no box reported")


def browse_local(
    service_type: str | None,
    seconds: float,
    interfaces: Sequence[str] | None = None,
) -> list[MdnsRecord]:
    """Browse from this machine with zeroconf: the types announced (or `service_type`), resolved.

    `interfaces`: addresses of this machine's interfaces to browse on (all when None).
    """
    from zeroconf import InterfaceChoice, ZeroconfServiceTypes

    from cloudy_deploy.sources import mdns

    where: InterfaceChoice | list[str] = list(interfaces) if interfaces else InterfaceChoice.All
    try:
        if service_type:
            types: Sequence[str] = [f"{service_type}.{DOMAIN}."]
        else:
            types = sorted(ZeroconfServiceTypes.find(interfaces=where, timeout=seconds))
    except OSError as exc:
        raise BadInput(
            f"--local: cannot browse here ({exc}); this machine needs a network with multicast"
        ) from None
    if not types:
        return []
    return mdns.browse(seconds, interfaces=where, types=types)
