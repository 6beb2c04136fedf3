"""cloudy.lock: the plan's allocations by node name, so re-plans never rename or renumber a box."""

import os
import re
import tempfile
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, PlainValidator, ValidationError, field_validator

from cloudy_deploy.errors import BadInput
from cloudy_deploy.spec import CloudSpec, Located, gc_paused, parse_subnet, read_yaml, validation_error

LOCK_FILE = "cloudy.lock"
VERSION = 1
# tinc names its files hosts/NAME and hosts/NAME-up: kept, like host names, to 63 characters.
TINC_NAME_MAX = 63
TINC_NAME_RE = re.compile(rf"[A-Za-z0-9_]{{1,{TINC_NAME_MAX}}}")
HOSTNAME_RE = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
# The inventory groups a box can be in beyond `cloudy` and `tinc` (every box), in contract order.
Service = Literal[
    "avahi",
    "repository",
    "webui",
    "tahoe",
    "tahoe_introducer",
    "tahoe_storage",
    "caracaldb",
    "caracaldb_api",
    "gvod",
    "peerstreamer",
    "peerstreamer_source",
    "dns",
    "avahi_dns",
    "proxy3",
    "snpservices",
    "dnsservices",
    "clouder",
    "clouder_guests",
]
SERVICES: tuple[str, ...] = get_args(Service)
# A host named like a group confuses Ansible's patterns (and it warns): these host names are refused.
RESERVED_HOSTNAMES = frozenset({"all", "ungrouped", "localhost", "cloudy", "tinc", *SERVICES})
HEADER = (
    "# cloudy.lock: what `cloudy plan` allocated, by node name. Keep it beside cloudy.yml (and in git).\n"
    "# Re-plans never rename or renumber a box listed here; removed boxes keep their address and\n"
    "# names reserved until `cloudy plan --reclaim`. Edit by hand only to rename or renumber a box.\n"
)
_FIX = "delete the entry and run `cloudy plan` to allocate it again"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Allocation(_Model):
    tinc_name: str
    hostname: str
    overlay_ip: IPv4Address
    # What the last plan placed here; boxes keep their counted services (introducer...) on re-plans.
    services: tuple[Service, ...] = ()

    @field_validator("tinc_name", mode="before")
    @classmethod
    def _tinc(cls, value: Any) -> Any:
        if not isinstance(value, str) or not TINC_NAME_RE.fullmatch(value):
            raise ValueError(
                f"{value!r}: tinc names here are 1 to {TINC_NAME_MAX} letters, digits and _: fix it or {_FIX}"
            )
        return value

    @field_validator("hostname", mode="before")
    @classmethod
    def _host(cls, value: Any) -> Any:
        if not isinstance(value, str) or not HOSTNAME_RE.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a host name: use 1-63 lower-case letters, digits and inner -; or {_FIX}"
            )
        if value in RESERVED_HOSTNAMES:
            raise ValueError(f"{value!r} is the name of an Ansible group: pick another host name")
        return value

    @field_validator("services", mode="after")
    @classmethod
    def _contract_order(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a service is listed twice: keep each once")
        return tuple(s for s in SERVICES if s in value)


class Lock(_Model):
    version: int = VERSION
    cloud: str
    subnet: Annotated[IPv4Network, PlainValidator(parse_subnet)]
    nodes: dict[str, Allocation] = {}
    removed: dict[str, Allocation] = {}  # gone from the sources; reserved until --reclaim

    @field_validator("version", mode="before")
    @classmethod
    def _known_version(cls, value: Any) -> Any:
        if type(value) is not int or value != VERSION:
            raise ValueError(
                f"{value!r}: this cloudy-deploy reads version {VERSION}; use the one that wrote it"
            )
        return value


def natural_key(name: str) -> tuple[Any, ...]:
    """Sort order of boxes: lab-2 before lab-10 (digit runs compare as numbers)."""
    parts = re.split(r"(\d+)", name.lower())
    # Nested: a key that is a prefix of another stops there, so no int is ever compared with a str.
    return tuple(int(p) if i % 2 else p for i, p in enumerate(parts)), name


def path_for(spec_path: Path) -> Path:
    """The lock of a cloudy.yml: beside it."""
    return spec_path.with_name(LOCK_FILE)


def first_host(subnet: IPv4Network) -> int:
    """The lowest address the plan gives a box. The first host address (.1) stays free for the
    admin's controller or a gateway joining the mesh later."""
    return int(subnet.network_address) + 2


def usable(subnet: IPv4Network) -> int:
    """How many boxes fit: all host addresses but the reserved first one."""
    return max(0, int(subnet.broadcast_address) - first_host(subnet))


# --- reading ------------------------------------------------------------------------------------------------


def load(path: Path, spec: CloudSpec | None = None) -> Lock | None:
    """Read and check cloudy.lock (None when there is none); with `spec`, also that it belongs to it."""
    if not path.exists():
        return None
    located = read_yaml(path, "make it readable, or delete it and run `cloudy plan`")
    if not isinstance(located.data, dict):
        raise BadInput(
            f"{path}:1: not a lock file (a mapping with cloud:, subnet:, nodes:): delete it and re-plan"
        )
    try:
        with gc_paused():
            lock = Lock.model_validate(located.data)
    except ValidationError as exc:
        raise validation_error(located, Lock, exc, "or delete cloudy.lock and re-plan") from None
    if spec is not None:
        check_spec(lock, spec, located)
    check(lock, located)
    return lock


def check(lock: Lock, located: Located | None = None) -> None:
    """What a hand edit can break: addresses outside the subnet, and names or addresses held twice."""

    def bad(loc: tuple[str, ...], text: str) -> BadInput:
        where = f"{located.name}:{located.line(loc)}" if located else LOCK_FILE
        return BadInput(f"{where}: {'.'.join(loc)}: {text}")

    low, high = first_host(lock.subnet), int(lock.subnet.broadcast_address) - 1
    owners: dict[tuple[str, Any], str] = {}
    for section in ("nodes", "removed"):
        for name, alloc in getattr(lock, section).items():
            if section == "removed" and name in lock.nodes:
                raise bad(("removed", name), f"{name} is also under nodes: delete one of the two entries")
            ip = int(alloc.overlay_ip)
            if not low <= ip <= high:
                raise bad(
                    (section, name, "overlay_ip"),
                    f"{alloc.overlay_ip} is not a box address of {lock.subnet} (from {IPv4Address(low)} to"
                    f" {IPv4Address(high)}): pick a free one there, or {_FIX}",
                )
            for field, value in (
                ("overlay_ip", ip),
                ("tinc_name", alloc.tinc_name),
                ("hostname", alloc.hostname),
            ):
                other = owners.setdefault((field, value), name)
                if other != name:
                    shown = alloc.overlay_ip if field == "overlay_ip" else value
                    raise bad(
                        (section, name, field),
                        f"{shown} is also {other}'s: give {name} another one, or {_FIX}",
                    )


def check_spec(lock: Lock, spec: CloudSpec, located: Located | None = None) -> None:
    """The lock must be the spec's: same cloud, and a subnet the spec's equals or contains."""
    where = (lambda key: f"{located.name}:{located.line((key,))}") if located else (lambda _key: LOCK_FILE)
    if lock.cloud != spec.cloud:
        raise BadInput(
            f"{where('cloud')}: cloud: {lock.cloud}, but cloudy.yml says cloud: {spec.cloud}: a running mesh"
            " cannot change its name; put it back in cloudy.yml, or delete cloudy.lock to start a new cloud"
            " (every box is renamed and renumbered)"
        )
    if lock.subnet != spec.overlay.subnet and not lock.subnet.subnet_of(spec.overlay.subnet):
        raise BadInput(
            f"{where('subnet')}: subnet: {lock.subnet}, but cloudy.yml says overlay.subnet:"
            f" {spec.overlay.subnet}: boxes keep their addresses, so the subnet can only grow around"
            f" {lock.subnet}; put it back, or delete cloudy.lock to renumber every box"
        )


# --- writing ------------------------------------------------------------------------------------------------


def dumps(lock: Lock) -> str:
    """Deterministic text: sections in a fixed order, boxes in natural name order, one line each."""

    def entry(a: Allocation, with_services: bool) -> _Flow:
        out = _Flow(tinc_name=a.tinc_name, hostname=a.hostname, overlay_ip=str(a.overlay_ip))
        if with_services:
            out["services"] = [s for s in SERVICES if s in a.services]
        return out

    def section(allocs: dict[str, Allocation], with_services: bool) -> dict[str, _Flow]:
        return {name: entry(allocs[name], with_services) for name in sorted(allocs, key=natural_key)}

    data = {
        "version": lock.version,
        "cloud": lock.cloud,
        "subnet": str(lock.subnet),
        "nodes": section(lock.nodes, True),
        "removed": section(lock.removed, False),
    }
    with gc_paused():
        return HEADER + yaml.dump(
            data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=1 << 16, allow_unicode=True
        )


class _Flow(dict):
    """A mapping written on one line, so a diff of the lock shows one line per box."""


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    pass


_Dumper.add_representer(
    _Flow, lambda d, data: d.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)
)


def save(lock: Lock, path: Path) -> Path:
    """Write the lock atomically (temp file and rename in the same folder, made if missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, dumps(lock))
    return path


def write_atomic(path: Path, text: str) -> None:
    """Readers see the old file or the new one, never half of it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
