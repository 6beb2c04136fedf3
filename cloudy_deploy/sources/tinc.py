"""The `tinc` source: adopt an existing tinc 1.0 network from its host files.

DIR is the net directory (/etc/tinc/NET) or its hosts/ subdirectory. Only hosts/
is read, never tinc.conf or the private key next to it. Each file hosts/NAME is a
node: the name is the file name (tinc names: letters, digits, `_`; another name is
an error, except tinc's own NAME-up/NAME-down scripts, hidden files and `~`
backups, which are skipped). In the file:

- `Address = HOST [PORT]` (may repeat): the first IP address is the node's address
  (where the controller reaches it), other IP addresses go to `addresses`; every
  Address as written (DNS names too) is kept in the var tinc_addresses;
- `Subnet = ADDR[/PREFIX][#WEIGHT]` (may repeat; MAC subnets of switch mode too)
  goes to the var tinc_subnets; `Port = N` to tinc_port; key material is skipped.

The address other boxes dial (the var cloudy_public_address, which the inventory
hands to the tinc role) is the first Address HOST as written: a DNS name stays a
DNS name (dynamic-DNS boxes). Its PORT is dropped: the deploy moves every box to
the cloud's overlay.port. A box whose Addresses are all unusable (0.0.0.0, not a
host name) gets none: nobody dials it, it dials out.

A host without any Address is behind NAT (getinconf-era meshes have such boxes:
they dial out and are reached through the mesh). It is kept with the host address
of its Subnet (a /32 or /128) as its address, the tag `tinc_nat`, the var
tinc_behind_nat: true and a null cloudy_public_address, so a controller inside the
mesh reaches it, nobody lists it in ConnectTo and its host file has no Address. A
host whose Addresses are all DNS names is reached the same way (the merge and the
plan need an IP address) but is dialled on its name. One with no such Subnet
either cannot be reached at all: it is skipped, with a note saying so.

Adopted boxes already have a name of their own: each gets the var
common_manage_hostname: false, so the common role leaves it alone.
"""

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudy_deploy.errors import BadInput
from cloudy_deploy.nodes import Node
from cloudy_deploy.sources.files import shown
from cloudy_deploy.sources.ip import canonical_ip
from cloudy_deploy.sources.loaded import Loaded
from cloudy_deploy.sources.merge import check_unique

_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_MAC = re.compile(r"^[0-9A-Fa-f]{1,2}(:[0-9A-Fa-f]{1,2}){5}$")
_SPLIT = re.compile(r"[ \t]*[= \t][ \t=]*")  # tinc: `Var = value`, `Var value`, `Var=value`
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DNS_NAME = re.compile(rf"^(?=.{{1,253}}\.?$){_LABEL}(\.{_LABEL})*\.?$")


@dataclass
class HostFile:
    addresses: list[tuple[str, int | None]] = field(default_factory=list)  # (host, port) as written
    subnets: list[str] = field(default_factory=list)
    port: int | None = None


def _port(text: str, where: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise BadInput(f"{where}: {text!r} is not a port number (1-65535); correct the line")
    return int(text)


def _subnet(value: str, where: str) -> str:
    subnet = value.split("#", 1)[0].strip()  # `#weight` is tinc's route preference
    if _MAC.match(subnet):
        return subnet.lower()
    try:
        return str(ipaddress.ip_network(subnet, strict=True))
    except ValueError as exc:
        raise BadInput(
            f"{where}: Subnet {value!r} is not an address, a network or a MAC address ({exc}); "
            "correct the line"
        ) from None


def parse_host_file(text: str, where: str) -> HostFile:
    """The Address, Subnet and Port lines of a tinc host file; `where` is its path for messages."""
    host = HostFile()
    in_key = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        at = f"{where}:{number}"
        if line.startswith("-----BEGIN"):
            in_key = True  # a PEM public key: nothing for us in it
        if in_key:
            in_key = not line.startswith("-----END")
            continue
        if not line or line.startswith("#"):
            continue
        parts = _SPLIT.split(line, maxsplit=1)
        name, value = parts[0].lower(), (parts[1].strip() if len(parts) > 1 else "")
        if name in ("address", "subnet", "port") and not value:
            raise BadInput(f"{at}: {parts[0]} without a value; complete or remove the line")
        if name == "address":
            words = value.split()
            if len(words) > 2:
                raise BadInput(f"{at}: Address {value!r} is not `HOST [PORT]`; correct the line")
            host.addresses.append((words[0], _port(words[1], at) if len(words) == 2 else None))
        elif name == "subnet":
            host.subnets.append(_subnet(value, at))
        elif name == "port":
            host.port = _port(value, at)
    return host


def _ip(host: str) -> str | None:
    """The canonical IP of an Address host; None for a DNS name (or an address nobody can dial)."""
    try:
        return canonical_ip(host)
    except ValueError:
        return None


def _dialable(host: str) -> str | None:
    """An Address HOST other boxes can dial: a usable IP (canonical) or a DNS name; None otherwise."""
    ip = _ip(host)
    if ip:
        return ip
    try:
        ipaddress.ip_address(host)
        return None  # an IP literal nobody can dial (0.0.0.0, multicast)
    except ValueError:
        return host.lower() if _DNS_NAME.match(host) and not host.replace(".", "").isdigit() else None


def _host_address(subnets: list[str]) -> str | None:
    for subnet in subnets:
        if _MAC.match(subnet):
            continue
        net = ipaddress.ip_network(subnet)
        if net.num_addresses == 1:
            return str(net.network_address)
    return None


def _hosts_dir(path: Path, source: str) -> Path:
    if not path.is_dir():
        raise BadInput(
            f"{source}: {shown(path)} is not a directory; give a tinc net directory such as /etc/tinc/NET "
            "or its hosts/ directory"
        )
    hosts = path / "hosts"
    if hosts.is_dir():
        return hosts
    if (path / "tinc.conf").exists():
        raise BadInput(
            f"{source}: {shown(path)} has a tinc.conf but no hosts/ directory; copy the host files there"
        )
    return path


def _skipped(name: str) -> bool:
    # tinc's own host scripts, editor leftovers and dotfiles are not host files.
    return name.startswith(".") or name.endswith("~") or name.endswith(("-up", "-down"))


def load(path: Path, source: str) -> Loaded:
    """The nodes of a tinc network's host files; `source` is the label records carry."""
    hosts = _hosts_dir(path, source)
    net = (hosts.parent if hosts.name == "hosts" else hosts).name
    records: list[Node] = []
    lines: list[str] = []
    notes: list[str] = []
    for file in sorted(p for p in hosts.iterdir() if p.is_file() and not _skipped(p.name)):
        where = shown(file)
        if not _NAME.match(file.name):
            raise BadInput(
                f"{where}: {file.name!r} is not a tinc node name (letters, digits and _ only); "
                "rename or remove the file"
            )
        try:
            text = file.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError) as exc:
            raise BadInput(f"{where}: cannot read it as a tinc host file ({exc}); remove the file") from None
        host = parse_host_file(text, where)
        ips = [ip for ip in (_ip(h) for h, _ in host.addresses) if ip]
        found: dict[str, Any] = {"tinc_net": net}
        if host.addresses:
            found["tinc_addresses"] = [h if p is None else f"{h} {p}" for h, p in host.addresses]
        if host.subnets:
            found["tinc_subnets"] = host.subnets
        if host.port is not None:
            found["tinc_port"] = host.port
        found["common_manage_hostname"] = False  # an adopted box keeps the name it has
        # What other boxes dial: the first usable Address as written; None (behind NAT) dials out only.
        found["cloudy_public_address"] = next(
            (d for d in (_dialable(h) for h, _ in host.addresses) if d), None
        )
        tags = ("tinc",)
        if not host.addresses:
            found["tinc_behind_nat"] = True
            tags = ("tinc", "tinc_nat")
        # Without an IP Address, the box is reached through the mesh, on its Subnet's host address.
        address = ips[0] if ips else _host_address(host.subnets)
        if address is None:
            why = "only DNS names in Address" if host.addresses else "no Address (behind NAT)"
            notes.append(
                f"{source}: skipped {file.name}: {why} and no single-address Subnet to reach it on; "
                "add it with a static source"
            )
            continue
        records.append(
            Node(
                name=file.name,
                address=address,
                addresses=tuple(a for a in dict.fromkeys(ips) if a != address),
                tags=tags,
                vars=found,
                source=source,
            )
        )
        lines.append(where)
    if not records and not notes:
        notes.append(f"{source}: no host files in {shown(hosts)}")
    check_unique(records, lines)
    return Loaded(records, notes)
