"""mDNS answers as plain records, and the boxes they describe. Pure: no network here.

`cloudy discover --source mdns` turns records into nodes; `cloudy services` reads
the same records for the services a micro cloud announces.

- A record is one resolved service instance: its type (`_ssh._tcp.local.`), instance
  name, server (host name, `box1.local.`), addresses, port and TXT (text values).
- A box is one server: its name is the server name without `.local.`. Its address is
  the first announced IPv4 address (link-local 169.254/16 last), else a routable IPv6
  one; IPv6 link-local addresses are dropped, as they need an interface to be usable.
  The other addresses go to `addresses`. Its ssh_port is the port of `_ssh._tcp`.
- The TXT of `_cloudy._tcp` (keys cloud, node, overlay_ip, version, services, as the
  avahi role announces them) becomes the vars mdns_cloud, mdns_node, mdns_overlay_ip,
  mdns_version and mdns_services (a list: the value is comma separated). Other keys are
  left out: any host on the network can announce anything.
- `parse_avahi_browse` reads the same records out of `avahi-browse --parsable --resolve
  --no-db-lookup` output (what `cloudy services` gets from a box). It is the collection's
  (plugins/module_utils/avahi_browse.py), shared with the modules that browse on the boxes.
"""

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from ansible_collections.clommunity.cloudy.plugins.module_utils.avahi_browse import (
    BrowseLineError,
    BrowseResult,
    MdnsRecord,
    decode_txt,
    instance_name,
    parse_avahi_browse,
    parse_txt_strings,
    split_escaped_name,
    txt_from_strings,
    unescape_label,
)
from cloudy_deploy.nodes import Node
from cloudy_deploy.sources.loaded import Loaded

SSH = "_ssh._tcp.local."
CLOUDY = "_cloudy._tcp.local."
TXT_KEYS = ("cloud", "node", "overlay_ip", "version", "services")


class ServiceInfoLike(Protocol):
    """What record_from_info needs of a zeroconf ServiceInfo."""

    type: str
    name: str
    port: int | None

    @property
    def server(self) -> str | None: ...
    @property
    def properties(self) -> Mapping[Any, Any]: ...
    def parsed_addresses(self) -> list[str]: ...


def record_from_info(info: ServiceInfoLike) -> MdnsRecord:
    """A plain record from a resolved zeroconf ServiceInfo."""
    return MdnsRecord(
        type=info.type,
        name=info.name,
        server=info.server or "",
        addresses=tuple(info.parsed_addresses()),
        port=info.port,
        txt=decode_txt(info.properties or {}),
    )


def host_name(server: str) -> str:
    """box1.local. -> box1"""
    name = server.rstrip(".")
    return name[: -len(".local")] if name.lower().endswith(".local") else name


def _rank(address: str) -> tuple[int, int] | None:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None
    if ip.is_unspecified or ip.is_multicast:
        return None
    if ip.version == 6:
        return None if ip.is_link_local else (2, 0)
    return (1 if ip.is_link_local else 0, 0)


def order_addresses(addresses: Iterable[str]) -> list[str]:
    """Usable addresses, best first (see the module docstring); announced order kept within a rank."""
    ranked = [(r, str(ipaddress.ip_address(a))) for a in addresses if (r := _rank(a)) is not None]
    return list(dict.fromkeys(a for _, a in sorted(ranked, key=lambda x: x[0])))


def cloudy_vars(txt: Mapping[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key in TXT_KEYS:
        if key in txt:
            value = txt[key].strip()
            found[f"mdns_{key}"] = (
                [s.strip() for s in value.split(",") if s.strip()] if key == "services" else value
            )
    return found


def nodes_from_records(records: Iterable[MdnsRecord], source: str = "mdns") -> Loaded:
    """One node per server, sorted by name; servers with no usable address are noted and left out."""
    hosts: dict[str, list[MdnsRecord]] = {}
    for record in records:
        if record.server:
            hosts.setdefault(host_name(record.server).lower(), []).append(record)
    nodes: list[Node] = []
    notes: list[str] = []
    for key in sorted(hosts):
        group = hosts[key]
        name = host_name(group[0].server)
        addresses = order_addresses(a for r in group for a in r.addresses)
        if not addresses:
            notes.append(f"{source}: skipped {name}: it announced no usable address")
            continue
        ssh = next((r for r in group if r.type == SSH), None)
        cloudy = next((r for r in group if r.type == CLOUDY), None)
        nodes.append(
            Node(
                name=name,
                address=addresses[0],
                addresses=tuple(addresses[1:]),
                ssh_port=ssh.port if ssh and ssh.port else None,
                tags=("mdns",),
                vars=cloudy_vars(cloudy.txt) if cloudy else {},
                source=source,
            )
        )
    return Loaded(nodes, notes)


__all__ = [  # this module's, and the parser's it hands on
    "CLOUDY",
    "SSH",
    "TXT_KEYS",
    "BrowseLineError",
    "BrowseResult",
    "MdnsRecord",
    "ServiceInfoLike",
    "cloudy_vars",
    "decode_txt",
    "host_name",
    "instance_name",
    "nodes_from_records",
    "order_addresses",
    "parse_avahi_browse",
    "parse_txt_strings",
    "record_from_info",
    "split_escaped_name",
    "txt_from_strings",
    "unescape_label",
]
