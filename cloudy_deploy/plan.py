"""The plan: nodes + spec (+ lock) give each box its tinc name, host name, overlay IP and services.

Pure: no I/O. Stable: whatever the lock holds is kept, new boxes get the lowest free addresses in
name order, and counted services (introducers, sources...) stay where the lock put them.
"""

import re
import socket
import unicodedata
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, ip_network
from typing import Any

from cloudy_deploy import clouder
from cloudy_deploy.errors import BadInput
from cloudy_deploy.lock import (
    LOCK_FILE,
    RESERVED_HOSTNAMES,
    SERVICES,
    TINC_NAME_MAX,
    VERSION,
    Allocation,
    Lock,
    check,
    check_spec,
    first_host,
    natural_key,
    usable,
)
from cloudy_deploy.nodes import Node
from cloudy_deploy.spec import WITH_ROLES, CloudSpec

GROUPS = ("cloudy", "tinc", *SERVICES)  # every inventory group, in the order of docs/inventory.md


# --- names --------------------------------------------------------------------------------------------------


def _ascii_lower(name: str) -> str:
    # "Can Jordi-Ràdio" -> "can jordi-radio": guifi.net titles carry accents tinc and DNS refuse.
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


def tinc_name_for(name: str) -> str:
    """Letters, digits and _ (what tinc accepts), at most 63 of them; '' when nothing is left."""
    return re.sub(r"[^a-z0-9]+", "_", _ascii_lower(name)).strip("_")[:TINC_NAME_MAX].rstrip("_")


def hostname_for(name: str) -> str:
    """A DNS label: letters, digits and inner '-', at most 63 characters."""
    return re.sub(r"[^a-z0-9]+", "-", _ascii_lower(name)).strip("-")[:63].rstrip("-")


# --- the result ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Host:
    name: str  # the node's name in its source; the lock's key
    tinc_name: str
    hostname: str  # also the inventory host name
    overlay_ip: IPv4Address
    services: tuple[str, ...]  # groups beyond cloudy and tinc, in GROUPS order
    node: Node

    @property
    def clouder_host(self) -> str | None:
        """The clouder host a Cloudy container runs on (its inventory host name); None for a box."""
        return self.node.vars.get(clouder.HOST_VAR) if clouder.GUEST_TAG in self.node.tags else None

    @property
    def reached_at(self) -> str:
        """Where the controller reaches it, for people: a container's address and its host."""
        if self.clouder_host is None:
            return self.node.address
        return f"{clouder.bridge_ip(self.overlay_ip)} via {self.clouder_host}"

    @property
    def groups(self) -> tuple[str, ...]:
        return ("cloudy", "tinc", *self.services)


@dataclass(frozen=True, slots=True)
class Change:
    name: str
    overlay_ip: IPv4Address
    gained: tuple[str, ...] = ()
    lost: tuple[str, ...] = ()


@dataclass(frozen=True)
class Diff:
    """The plan against the old lock."""

    added: tuple[Change, ...] = ()  # new in the lock (restored ones included)
    restored: tuple[str, ...] = ()  # back from `removed`, with their old address and names
    removed: tuple[Change, ...] = ()  # gone from the sources since the lock
    reclaimed: tuple[Change, ...] = ()  # removed boxes whose address and names --reclaim freed
    changed: tuple[Change, ...] = ()  # surviving boxes whose services changed
    subnet: tuple[IPv4Network, IPv4Network] | None = None  # (old, new) when the subnet grew

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.reclaimed or self.changed or self.subnet)

    def lines(self) -> list[str]:
        """For people: one line per change, `+` added, `-` removed, `~` changed."""
        out = [f"~ subnet {self.subnet[0]} -> {self.subnet[1]}"] if self.subnet else []
        back = set(self.restored)
        for c in self.added:
            note = " (back: its old address and names)" if c.name in back else ""
            out.append(f"+ {c.name} {c.overlay_ip} {' '.join(c.gained)}{note}".rstrip())
        freed = {c.name for c in self.reclaimed}
        for c in self.removed:
            if c.name not in freed:
                out.append(f"- {c.name} {c.overlay_ip} kept reserved (--reclaim frees it)")
        out += [f"- {c.name} {c.overlay_ip} freed (--reclaim)" for c in self.reclaimed]
        for c in self.changed:
            moves = [f"+{s}" for s in c.gained] + [f"-{s}" for s in c.lost]
            out.append(f"~ {c.name} {c.overlay_ip} {' '.join(moves)}")
        return out


@dataclass(frozen=True)
class Plan:
    cloud: str
    subnet: IPv4Network
    hosts: tuple[Host, ...]  # in natural order of node names
    lock: Lock  # what to save as cloudy.lock
    diff: Diff
    lock_changed: bool  # False: the old lock already says all this
    off: tuple[tuple[str, str], ...] = ()  # supplied services left off: (service, the spec key to set)

    def diff_lines(self) -> list[str]:
        return self.diff.lines()

    def to_json(self) -> dict[str, Any]:
        """For `cloudy plan --json`."""
        return {
            "cloud": self.cloud,
            "subnet": str(self.subnet),
            "hosts": [
                {
                    "name": h.name,
                    "tinc_name": h.tinc_name,
                    "hostname": h.hostname,
                    "overlay_ip": str(h.overlay_ip),
                    "services": list(h.services),
                    "address": h.node.address,
                    "source": h.node.source,
                    "clouder_host": h.clouder_host,
                }
                for h in self.hosts
            ],
            "diff": {
                "added": [c.name for c in self.diff.added],
                "restored": list(self.diff.restored),
                "removed": [c.name for c in self.diff.removed],
                "reclaimed": [c.name for c in self.diff.reclaimed],
                "changed": [
                    {"name": c.name, "gained": list(c.gained), "lost": list(c.lost)}
                    for c in self.diff.changed
                ],
                "subnet": [str(n) for n in self.diff.subnet] if self.diff.subnet else None,
            },
            "lock_changed": self.lock_changed,
            "off": dict(self.off),
        }


# --- planning -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Slot:
    """A box's allocation while planning (the lock's Allocation, without pydantic's cost per box)."""

    tinc: str
    host: str
    ip: int
    services: tuple[str, ...] = ()

    @classmethod
    def of(cls, alloc: Allocation) -> "_Slot":
        return cls(alloc.tinc_name, alloc.hostname, int(alloc.overlay_ip), tuple(alloc.services))

    def allocation(self) -> Allocation:
        return Allocation.model_construct(
            tinc_name=self.tinc, hostname=self.host, overlay_ip=IPv4Address(self.ip), services=self.services
        )


@dataclass
class _Held:
    """Names and addresses already taken, by whom: so a new box can never take them."""

    ips: set[int] = field(default_factory=set)
    tinc: dict[str, str] = field(default_factory=dict)
    hostnames: dict[str, str] = field(default_factory=dict)

    def take(self, name: str, slot: _Slot) -> None:
        self.ips.add(slot.ip)
        self.tinc[slot.tinc] = name
        self.hostnames[slot.host] = name


def make_plan(nodes: list[Node], spec: CloudSpec, lock: Lock | None, reclaim: bool = False) -> Plan:
    """Allocate names, addresses and services; BadInput when the nodes, spec and lock do not fit."""
    subnet = spec.overlay.subnet
    _refuse_roleless(spec)
    if lock is not None:  # lock.load checked it too, with line numbers; this plan trusts no caller
        check_spec(lock, spec)
        check(lock)
    nodes = [*nodes, *clouder.guest_nodes(spec, nodes, hostname_for)]
    by_name = _by_name(nodes)
    _refuse_overlap(nodes, spec)
    old_nodes = lock.nodes if lock else {}
    old_removed = lock.removed if lock else {}

    slots: dict[str, _Slot] = {}
    restored = []
    for name in by_name:
        if name in old_nodes:
            slots[name] = _Slot.of(old_nodes[name])
        elif name in old_removed:  # a box that comes back gets its old address and names back
            slots[name] = _Slot.of(old_removed[name])
            restored.append(name)
    # A removed box keeps its address and names, not its services: those move on to other boxes.
    gone = {
        n: _Slot(a.tinc_name, a.hostname, int(a.overlay_ip)) for n, a in old_nodes.items() if n not in by_name
    }
    left = {n: _Slot.of(a) for n, a in old_removed.items() if n not in by_name}
    kept_removed = {} if reclaim else {**left, **gone}

    held = _Held()
    for name, slot in (*slots.items(), *kept_removed.items()):
        held.take(name, slot)
    _refuse_too_small(spec, len(by_name) + len(kept_removed), len(kept_removed))
    slots.update(_allocate([n for n in by_name if n not in slots], by_name, held, subnet, kept_removed))

    services = _with_clouder(spec, by_name, slots, _place(spec, by_name, slots))
    order = sorted(slots, key=natural_key)
    hosts = tuple(
        Host(n, slots[n].tinc, slots[n].host, IPv4Address(slots[n].ip), services[n], by_name[n])
        for n in order
    )
    new_lock = Lock.model_construct(
        version=VERSION,
        cloud=spec.cloud,
        subnet=subnet,
        nodes={n: _Slot(slots[n].tinc, slots[n].host, slots[n].ip, services[n]).allocation() for n in order},
        removed={n: slot.allocation() for n, slot in kept_removed.items()},
    )
    diff = _diff(lock, new_lock, restored, gone, {**left, **gone} if reclaim else {})
    changed = lock is None or _lock_fields(lock) != _lock_fields(new_lock)
    off = tuple((k, ".".join(key)) for k, key in spec.services.off().items())
    return Plan(spec.cloud, subnet, hosts, new_lock, diff, changed, off)


def _with_clouder(
    spec: CloudSpec, by_name: dict[str, Node], slots: dict[str, _Slot], services: dict[str, tuple[str, ...]]
) -> dict[str, tuple[str, ...]]:
    """The clouder hosts the spec names, and their containers (group clouder_guests)."""
    c = spec.services.clouder
    if c is None:
        return services
    guests = {n: node for n, node in by_name.items() if clouder.GUEST_TAG in node.tags}
    hosts = {hostname_for(b) for b in c.boxes}
    clouder.refuse_clashes(
        {n: (node.vars[clouder.HOST_VAR], IPv4Address(slots[n].ip)) for n, node in guests.items()}
    )
    out = {}
    for name, groups in services.items():
        extra = {"clouder"} if hostname_for(name) in hosts else set()
        extra |= {"clouder_guests"} if name in guests else set()
        out[name] = tuple(g for g in SERVICES if g in groups or g in extra)
    return out


def _lock_fields(lock: Lock) -> tuple[Any, ...]:
    def flat(allocs: dict[str, Allocation]) -> dict[str, tuple[Any, ...]]:
        return {
            n: (a.tinc_name, a.hostname, a.overlay_ip, tuple(sorted(a.services))) for n, a in allocs.items()
        }

    return (lock.cloud, lock.subnet, flat(lock.nodes), flat(lock.removed))


def _by_name(nodes: list[Node]) -> dict[str, Node]:
    by_name: dict[str, Node] = {}
    for node in nodes:
        other = by_name.setdefault(node.name, node)
        if other is not node:
            raise BadInput(
                f"two nodes are named {node.name!r} ({other.source}, {node.source}): the plan needs unique"
                " names; rename one in its source"
            )
    return by_name


_DOTTED_QUAD = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")


def _ip_range(address: str) -> tuple[int, int] | None:
    """First and last IPv4 address (as ints) of an address or CIDR; None for DNS names and IPv6."""
    if _DOTTED_QUAD.fullmatch(address):
        try:
            ip = int.from_bytes(socket.inet_aton(address), "big")  # C speed, for 10,000 boxes
        except OSError:
            return None
        return (ip, ip) if all(int(o) < 256 for o in address.split(".")) else None
    try:
        net = ip_network(address, strict=False)
    except ValueError:
        return None
    if not isinstance(net, IPv4Network):
        return None
    return int(net.network_address), int(net.broadcast_address)


def _refuse_overlap(nodes: list[Node], spec: CloudSpec) -> None:
    """The overlay must not reuse the boxes' own addresses: routes to them would go into the mesh."""
    subnet = spec.overlay.subnet
    low, high = int(subnet.network_address), int(subnet.broadcast_address)
    for node in nodes:
        for address in (node.address, *node.addresses):
            span = _ip_range(address)
            if span is not None and span[0] <= high and span[1] >= low:
                suggestion = _suggest_subnet(nodes, subnet)
                raise BadInput(
                    f"{spec.where('overlay', 'subnet')}: {subnet} overlaps {address}, the address of node"
                    f" {node.name} ({node.source}): choose a subnet no box uses{suggestion}"
                )


def _suggest_subnet(nodes: list[Node], subnet: IPv4Network) -> str:
    taken = [span for node in nodes for a in (node.address, *node.addresses) if (span := _ip_range(a))]
    for base in ("10.99.0.0", "10.199.0.0", "172.31.0.0", "100.100.0.0", "192.168.199.0"):
        candidate = ip_network(f"{base}/{max(subnet.prefixlen, 16 if base[0] == '1' else 24)}", strict=False)
        low, high = int(candidate.network_address), int(candidate.broadcast_address)
        if candidate != subnet and not any(a <= high and b >= low for a, b in taken):
            return f", e.g. {candidate}"
    return ""


def _refuse_too_small(spec: CloudSpec, needed: int, reserved: int) -> None:
    subnet = spec.overlay.subnet
    room = usable(subnet)
    if needed <= room:
        return
    prefix = next(p for p in range(30, 0, -1) if usable(ip_network(f"0.0.0.0/{p}")) >= needed)
    kept = f" ({reserved} kept for removed nodes; `cloudy plan --reclaim` frees them)" if reserved else ""
    raise BadInput(
        f"{spec.where('overlay', 'subnet')}: {subnet} has room for {room} boxes (the first host address is"
        f" kept for the controller), the plan needs {needed}{kept}: use a /{prefix} or larger"
    )


def _allocate(
    names: list[str],
    by_name: dict[str, Node],
    held: _Held,
    subnet: IPv4Network,
    kept_removed: dict[str, _Slot],
) -> dict[str, _Slot]:
    """New boxes, in natural order of their tinc names, take the lowest free addresses (one pass: the
    cursor only rises)."""
    derived = {name: (tinc_name_for(name), hostname_for(name)) for name in names}
    out: dict[str, _Slot] = {}
    cursor = first_host(subnet)
    for name in sorted(names, key=lambda n: natural_key(derived[n][0])):
        tinc, host = derived[name]
        _refuse_name(name, tinc, host, by_name, held, kept_removed)
        while cursor in held.ips:
            cursor += 1
        slot = out[name] = _Slot(tinc, host, cursor)
        held.take(name, slot)
    return out


def _refuse_name(
    name: str, tinc: str, host: str, by_name: dict[str, Node], held: _Held, kept_removed: dict[str, _Slot]
) -> None:
    source = by_name[name].source
    if not tinc or not host:
        raise BadInput(
            f"node {name!r} ({source}): no letters or digits to make a tinc name of: rename it in its source"
        )
    if host in RESERVED_HOSTNAMES:
        raise BadInput(
            f"node {name!r} ({source}) would get the host name {host}, which is an Ansible group: rename it"
            " in its source"
        )
    for kind, value, owners in (("tinc name", tinc, held.tinc), ("host name", host, held.hostnames)):
        owner = owners.get(value)
        if owner is None:
            continue
        if owner in kept_removed:
            raise BadInput(
                f"node {name!r} ({source}) would get the {kind} {value}, which {LOCK_FILE} keeps for the"
                f" removed node {owner!r}: rename the node, or free it with `cloudy plan --reclaim`"
            )
        raise BadInput(
            f"nodes {owner!r} ({by_name[owner].source}) and {name!r} ({source}) both make the {kind} {value}:"
            " rename one in its source"
        )


def _refuse_roleless(spec: CloudSpec) -> None:
    """A service placed in the spec must have a role: planned but not deployed would be a lie."""
    for key in spec.services.placed():
        if key not in WITH_ROLES:
            fix = f"set {key}: none" if key == "webui" else f"remove services.{key}"
            raise BadInput(
                f"{spec.where('services', key)}: no role deploys {key} yet (the roles:"
                f" {', '.join(sorted(WITH_ROLES))}): {fix} in cloudy.yml"
            )


def _wanted(spec: CloudSpec) -> dict[str, tuple[int | None, tuple[str, ...]]]:
    """Service group -> (count, or None for every box; the spec key that says so)."""
    s = spec.services
    wanted: dict[str, tuple[int | None, tuple[str, ...]]] = {}
    if s.avahi == "all":
        wanted["avahi"] = (None, ("services", "avahi"))
    if s.webui == "all":
        wanted["webui"] = (None, ("services", "webui"))
    if s.tahoe:
        # Every box gets a Tahoe client gateway; introducers and storage are counted.
        wanted["tahoe"] = (None, ("services", "tahoe"))
        wanted["tahoe_introducer"] = (s.tahoe.introducers, ("services", "tahoe", "introducers"))
        storage = None if s.tahoe.storage == "all" else s.tahoe.storage
        wanted["tahoe_storage"] = (storage, ("services", "tahoe", "storage"))
    off = s.off()  # supplied software not given: said by note_spec, placed nowhere
    if s.caracaldb and "caracaldb" not in off:
        wanted["caracaldb"] = (s.caracaldb.nodes, ("services", "caracaldb", "nodes"))
        if s.caracaldb.api:
            wanted["caracaldb_api"] = (1, ("services", "caracaldb", "api"))  # on a caracaldb node: _place
    if s.gvod and "gvod" not in off:
        wanted["gvod"] = (s.gvod.boxes, ("services", "gvod", "boxes"))
    if s.peerstreamer and "peerstreamer" not in off:
        wanted["peerstreamer"] = (None, ("services", "peerstreamer"))
        wanted["peerstreamer_source"] = (s.peerstreamer.sources, ("services", "peerstreamer", "sources"))
    if s.dns:
        # The DNS server is counted (it stays where the lock put it); every avahi box publishes in its zone.
        wanted["dns"] = (s.dns.servers, ("services", "dns", "servers"))
        wanted["avahi_dns"] = (None, ("services", "dns"))
    # The guifi.net services: one box each (one guifi.net service id), kept where the lock put it.
    for key in ("proxy3", "snpservices", "dnsservices"):
        service = getattr(s, key)
        if service is not None:
            wanted[key] = (service.servers, ("services", key, "servers"))
    if s.repository:
        wanted["repository"] = (s.repository.boxes, ("services", "repository", "boxes"))
    return wanted


def _refuse_counts(spec: CloudSpec, wanted: dict[str, tuple[int | None, tuple[str, ...]]], n: int) -> None:
    for group, (count, key) in wanted.items():
        if count is None or count <= n:
            continue
        if group == "caracaldb":
            raise BadInput(
                f"{spec.where(*key)}: caracaldb needs at least {count} nodes, the plan has {n}: add nodes, or"
                " remove services.caracaldb from cloudy.yml"
            )
        raise BadInput(
            f"{spec.where(*key)}: {count} {group} boxes wanted, the plan has {n} nodes: lower it to {n} or"
            " fewer, or add nodes"
        )
    tahoe = spec.services.tahoe
    if tahoe:
        storage = n if tahoe.storage == "all" else tahoe.storage
        if storage < tahoe.shares.happy:
            raise BadInput(
                f"{spec.where('services', 'tahoe', 'shares')}: happy is {tahoe.shares.happy}, the plan has"
                f" {storage} Tahoe storage boxes, and uploads need `happy` of them: lower shares.happy (and"
                " needed), or add storage boxes"
            )


# Counted services that never share a box: Knot (dns) and BIND (dnsservices) both answer on port 53
# of the overlay IP.
APART = {"dns": "dnsservices", "dnsservices": "dns"}


def _place(spec: CloudSpec, by_name: dict[str, Node], slots: dict[str, _Slot]) -> dict[str, tuple[str, ...]]:
    """Each box's services. A counted service keeps the boxes the lock gave it; when it needs more,
    the longest-planned boxes (lowest overlay IPs) come first."""
    wanted = _wanted(spec)
    _refuse_counts(spec, wanted, len(by_name))
    by_ip = sorted(by_name, key=lambda n: slots[n].ip)
    members: dict[str, set[str] | None] = {}
    for group, (count, _key) in wanted.items():
        if count is None:
            members[group] = None
            continue
        if group == "caracaldb_api":
            # The REST API asks the servers of its own box first: one of the caracaldb nodes.
            nodes = [n for n in by_ip if n in (members.get("caracaldb") or set())]
            members[group] = {next((n for n in nodes if group in slots[n].services), nodes[0])}
            continue
        partner = APART.get(group)
        if partner in members:
            avoid = members[partner] or set()
        else:  # placed later: keep away from the boxes the lock gave it, so that neither moves
            avoid = {n for n in by_ip if partner in slots[n].services}
        chosen = [n for n in by_ip if group in slots[n].services and n not in avoid][:count]
        if len(chosen) < count:
            taken = set(chosen) | avoid
            chosen += [n for n in by_ip if n not in taken][: count - len(chosen)]
        if len(chosen) < count:
            raise BadInput(
                f"{spec.where('services', group)}: services.{group} and services.{partner} would both answer"
                f" on port 53 of one box (the plan has {len(by_ip)}): add a box, or remove one of them"
            )
        members[group] = set(chosen)
    order = [g for g in SERVICES if g in members]
    return {name: tuple(g for g in order if (m := members[g]) is None or name in m) for name in by_name}


def _diff(
    old: Lock | None,
    new: Lock,
    restored: list[str],
    gone: dict[str, _Slot],
    reclaimed: dict[str, _Slot],
) -> Diff:
    before = old.nodes if old else {}
    added, changed = [], []
    for name, alloc in new.nodes.items():
        prev = before.get(name)
        if prev is None:
            added.append(Change(name, alloc.overlay_ip, gained=alloc.services))
        elif set(prev.services) != set(alloc.services):
            gained = tuple(s for s in alloc.services if s not in prev.services)
            lost = tuple(s for s in SERVICES if s in prev.services and s not in alloc.services)
            changed.append(Change(name, alloc.overlay_ip, gained, lost))
    return Diff(
        added=tuple(added),
        restored=tuple(sorted(restored)),
        removed=tuple(Change(n, IPv4Address(s.ip)) for n, s in sorted(gone.items())),
        reclaimed=tuple(Change(n, IPv4Address(s.ip)) for n, s in sorted(reclaimed.items())),
        changed=tuple(changed),
        subnet=(old.subnet, new.subnet) if old and old.subnet != new.subnet else None,
    )
