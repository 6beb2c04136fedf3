#!/usr/bin/python
# Role dnsservices of cloudy-deploy. GPL-3.0-or-later.
"""BIND zones and reverse zones of a guifi.net DNS server (DNSServices) from its DNS data."""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
import subprocess
import tempfile
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clommunity.cloudy.plugins.module_utils.cnml_import import cnml, require_lxml
from ansible_collections.clommunity.cloudy.plugins.module_utils.files import read_text, write_atomic

DOCUMENTATION = r"""
module: dns_zones
short_description: BIND zones of a guifi.net DNS server (DNSServices) from "domains" CNML
description:
  - Reads the DNS data I(src), the "domains" CNML that guifi.net exports for a DNS
    service (cnml > domains > internal|external > master|slave|forward), and optionally
    the zone's CNML I(devices_src), whose devices get names in I(devices_domain).
  - A master zone gets SOA, NS (C(nameserver), hosts with C(NS=yes), C(externalNS)), MX
    (hosts with C(MX=yes) and their C(Priority), C(externalMX)), the apex A
    (C(domain_ip)), each host's A and AAAA, a CNAME for each alias in its C(CNAME) list,
    and delegations (NS plus glue). Every IPv4 address gets a PTR (its first name) in
    the /24 reverse zone it falls in. Slave and forward entries become secondary and
    forward zones. A zone both internal and external is taken from internal.
  - Each zone file is checked with C(named-checkzone) and the zone list with
    C(named-checkconf) in a temporary staging folder; only when every check passes are
    the files moved into I(dir) (each atomically). A failed check fails with the
    checker's message and leaves the served files alone. Serials grow only when a zone changes.
options:
  src: {description: the DNS data file on the box, type: path, required: true}
  name: {description: how messages name it (its source), type: str}
  devices_src: {description: the zone's CNML on the box (devices named in devices_domain), type: path}
  devices_name: {description: how messages name devices_src, type: str}
  devices_domain: {description: zone of the devices' names, type: str, default: ip.guifi.net}
  dir: {description: folder of the zone files and of zones.conf, type: path, required: true}
  server_address:
    description: this server's IPv4 address (name server of the devices' zone)
    type: str
    required: true
  main_conf:
    description: BIND files included with the zones for named-checkconf
    type: list
    elements: path
    default: []
  ttl: {description: default TTL of the records, type: int, default: 3600}
  checkzone: {description: named-checkzone, type: path, default: /usr/bin/named-checkzone}
  checkconf: {description: named-checkconf, type: path, default: /usr/bin/named-checkconf}
author: cloudy-deploy
"""

RETURN = r"""
zones: {description: "the zones served: name, type, file", type: list, returned: always}
written: {description: zone files written, type: list, returned: always}
removed: {description: zone files removed (zones no longer in the data), type: list, returned: always}
"""

LABEL = r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?"
NAME = re.compile(rf"^(?=.{{1,253}}$){LABEL}(\.{LABEL})*\.?$")
FIX = "correct it in the DNS data (guifi.net: the domain's page) and export again"
KEYS = ("zone", "name", "id")


class Zone:
    """One zone as data: records (owner, type, value) in order, or a secondary/forward zone."""

    def __init__(self, name: str, kind: str = "primary", line: int = 0) -> None:
        self.name, self.kind, self.line = name, kind, line
        self.records: list[tuple[str, str, str]] = []
        self.soa = ("ns", f"hostmaster.{name}.")
        self.servers: list[str] = []  # primaries of a secondary, forwarders of a forward zone
        self.transfer: list[str] = []


def _fqdn(name: str, zone: str) -> str:
    """A name server's name: one label is in `zone` ('@' its apex); with a dot it is a full name."""
    if name == "@":
        return zone + "."
    if name.endswith("."):
        return name
    return f"{name}.{zone}." if "." not in name else name + "."


def _owner(name: str, zone: str) -> str:
    """An owner name (host, alias, delegation) is relative to the zone unless it ends with a dot."""
    if name == "@":
        return zone + "."
    return name if name.endswith(".") else f"{name}.{zone}."


def _list(value: str | None) -> list[str]:
    return [v.strip() for v in re.split(r"[,\s]+", value or "") if v.strip()]


class Data:
    """Reads the DNS data; every problem names the file, line and element."""

    def __init__(self, where: str) -> None:
        self.r = cnml.Reader(where, KEYS)
        self.zones: dict[str, Zone] = {}

    def name(self, el: Any, attr: str, required: bool = True, absolute: bool = False) -> str:
        raw = (el.get(attr) or "").strip()
        if not raw and not required:
            return ""
        if not raw:
            raise self.r.fail(el, f"has no {attr} attribute", FIX)
        if raw != "@" and not NAME.match(raw):
            raise self.r.fail(el, f"has {attr}={raw!r}, not a DNS name", FIX)
        return raw.rstrip(".").lower() if absolute else raw.lower()

    def ip(self, el: Any, attr: str, version: int) -> str:
        raw = (el.get(attr) or "").strip()
        if not raw:
            return ""
        try:
            ip = ipaddress.ip_address(raw)
        except ValueError:
            ip = None
        if ip is None or ip.version != version:
            raise self.r.fail(el, f"has {attr}={raw!r}, not an IPv{version} address", FIX)
        return str(ip)

    def networks(self, el: Any, attr: str) -> list[str]:
        found = []
        for raw in _list(el.get(attr)):
            try:
                found.append(str(ipaddress.ip_network(raw, strict=False)))
            except ValueError:
                raise self.r.fail(el, f"has {attr} {raw!r}, not an address or network", FIX) from None
        return found

    def read(self, root: Any) -> None:
        blocks = [b for d in root.iterchildren("domains") for b in d.iterchildren("internal", "external")]
        if not blocks:
            raise cnml.CnmlError(
                f"{self.r.where}: no <domains><internal> or <external> in it, so it is not DNS data; "
                "give the domains export of the DNS service (guifi.net: /guifi/cnml/SERVICE_ID/domains)"
            )
        # internal first: a zone in both is served as internal has it
        for block in sorted(blocks, key=lambda b: b.tag != "internal"):
            seen_here: set[str] = set()
            for el in block.iterchildren("master", "slave", "forward"):
                zone = self.name(el, "zone", absolute=True)
                if zone in seen_here:
                    raise self.r.fail(el, f"is the second <{el.tag}> of zone {zone} in <{block.tag}>", FIX)
                seen_here.add(zone)
                if zone in self.zones:
                    continue
                self.zones[zone] = getattr(self, el.tag)(el, zone)

    def master(self, el: Any, zone: str) -> Zone:
        z = Zone(zone, line=el.sourceline)
        contact = (el.get("contact") or "").strip()
        if contact:
            local, at, domain = contact.partition("@")
            if not at or not NAME.match(domain) or not re.match(r"^[A-Za-z0-9_+-]+$", local):
                raise self.r.fail(el, f"has contact={contact!r}, not an e-mail address", FIX)
            z.soa = (z.soa[0], f"{local}.{domain.rstrip('.')}.")
        z.transfer = self.networks(el, "allow-transfer")
        add = z.records.append
        nameserver = self.name(el, "nameserver", required=False) or "ns"
        z.soa = (_fqdn(nameserver, zone), z.soa[1])
        add(("@", "NS", _fqdn(nameserver, zone)))
        for ns in _list(el.get("externalNS")):
            if not NAME.match(ns):
                raise self.r.fail(el, f"has externalNS {ns!r}, not a DNS name", FIX)
            add(("@", "NS", ns.rstrip(".").lower() + "."))
        for mx in _list(el.get("externalMX")):
            if not NAME.match(mx):
                raise self.r.fail(el, f"has externalMX {mx!r}, not a DNS name", FIX)
            add(("@", "MX", f"20 {mx.rstrip('.').lower()}."))
        apex = self.ip(el, "domain_ip", 4)
        if apex:
            add(("@", "A", apex))
        hosts = set()
        for host in el.iterchildren("host"):
            self.host(host, zone, add)
            hosts.add(self.name(host, "name"))
        ns_ip = self.ip(el, "IPv4", 4)
        if ns_ip and "." not in nameserver and nameserver not in hosts:
            add((nameserver, "A", ns_ip))  # the server's own address, when no host names it
        for sub in el.iterchildren("delegation"):
            label = self.name(sub, "name")
            target = _fqdn(self.name(sub, "NS"), zone)
            add((label, "NS", target))
            glue = self.ip(sub, "IPv4", 4)
            if glue and target.endswith(f".{zone}."):
                add((target, "A", glue))
        z.records = list(dict.fromkeys(z.records))  # a host may repeat what the zone's attributes said
        return z

    def host(self, el: Any, zone: str, add: Any) -> None:
        name = self.name(el, "name")
        v4, v6 = self.ip(el, "IPv4", 4), self.ip(el, "IPv6", 6)
        if v4:
            add((name, "A", v4))
        if v6:
            add((name, "AAAA", v6))
        for alias in _list(el.get("CNAME")):
            if alias.lower() in ("yes", "no"):
                continue
            if not NAME.match(alias):
                raise self.r.fail(el, f"has CNAME alias {alias!r}, not a DNS name", FIX)
            add((alias.lower(), "CNAME", _owner(name, zone)))
        if (el.get("NS") or "").strip().lower() == "yes":
            add(("@", "NS", _owner(name, zone)))
        if (el.get("MX") or "").strip().lower() == "yes":
            raw = (el.get("Priority") or "10").strip()
            if not raw.isdigit() or int(raw) > 65535:
                raise self.r.fail(el, f"has Priority={raw!r}, not a number 0-65535", FIX)
            add(("@", "MX", f"{int(raw)} {_owner(name, zone)}"))

    def slave(self, el: Any, zone: str) -> Zone:
        z = Zone(zone, "secondary", el.sourceline)
        z.servers = [self.ip(el, "master", 4) or ""]
        if not z.servers[0]:
            raise self.r.fail(el, "has no master attribute (the primary's IPv4 address)", FIX)
        return z

    def forward(self, el: Any, zone: str) -> Zone:
        z = Zone(zone, "forward", el.sourceline)
        for raw in _list(el.get("forwarder")):
            try:
                z.servers.append(str(ipaddress.IPv4Address(raw)))
            except ValueError:
                raise self.r.fail(el, f"has forwarder {raw!r}, not an IPv4 address", FIX) from None
        if not z.servers:
            raise self.r.fail(el, "has no forwarder attribute (IPv4 addresses)", FIX)
        return z


def _label(title: str, device_id: int) -> str:
    label = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:63].strip("-")
    return label or f"d{device_id}"


def devices(root: Any, where: str, domain: str, server: str) -> Zone:
    """The zone of the devices' names: <title>.<domain> A its main address (every device of the CNML)."""
    r = cnml.Reader(where)
    z = Zone(domain)
    z.soa = (f"ns.{domain}.", z.soa[1])
    z.records += [("@", "NS", f"ns.{domain}."), ("ns", "A", server)]
    taken: set[str] = {"ns"}
    for el in root.iter("device"):
        if not (el.get("mainipv4") or "").strip():
            continue  # planned devices often have none yet
        dev = cnml.device(r, el)
        device_id = dev["vars"]["guifi_device_id"]
        label = _label(dev["title"], device_id)
        if label in taken:
            label = f"{label}-{device_id}"
        taken.add(label)
        if ":" not in dev["address"]:
            z.records.append((label, "A", dev["address"]))
    return z


def reverse(zones: list[Zone], server: str) -> list[Zone]:
    """An in-addr.arpa zone per /24 of the primaries' IPv4 addresses: PTR to each address's first name."""
    names: dict[str, str] = {}
    for z in zones:
        if z.kind != "primary":
            continue
        for owner, rtype, value in z.records:
            if rtype == "A":
                names.setdefault(value, _owner(owner, z.name))
    by_net: dict[str, Zone] = {}
    served = {z.name for z in zones}
    primary = next((z for z in zones if z.kind == "primary"), None)
    ns, rname = primary.soa if primary else ("localhost.", "hostmaster.localhost.")
    for ip in sorted(names, key=ipaddress.IPv4Address):
        a, b, c, d = ip.split(".")
        name = f"{c}.{b}.{a}.in-addr.arpa"
        if name in served:
            continue  # the data has this reverse zone itself
        if name not in by_net:
            by_net[name] = Zone(name)
            by_net[name].soa = (ns, rname)
            by_net[name].records.append(("@", "NS", ns))
        by_net[name].records.append((d, "PTR", names[ip]))
    return list(by_net.values())


def body(z: Zone, ttl: int) -> str:
    """The zone file without its SOA line (what decides whether the serial moves)."""
    lines = [f"$TTL {ttl}"]
    lines += [f"{_owner(owner, z.name)}\tIN\t{rtype}\t{value}" for owner, rtype, value in z.records]
    return "\n".join(lines) + "\n"


def soa(z: Zone, serial: int) -> str:
    mname = z.soa[0] if z.soa[0].endswith(".") else _fqdn(z.soa[0], z.name)
    return f"@\tIN\tSOA\t{mname} {z.soa[1]} {serial} 3600 900 1209600 300\n"


def zone_file(z: Zone, ttl: int, serial: int) -> str:
    """$TTL first (it applies to the SOA too), then the SOA, then the records."""
    ttl_line, _, records = body(z, ttl).partition("\n")
    return f"{ttl_line}\n{soa(z, serial)}{records}"


def serial_of(text: str | None) -> tuple[int, str | None]:
    """(serial, the file without its SOA line) of a zone file this module wrote; (0, None) if none."""
    lines = (text or "").split("\n", 2)
    m = re.match(r"^@\tIN\tSOA\t\S+ \S+ (\d+) ", lines[1]) if len(lines) == 3 else None
    return (int(m.group(1)), f"{lines[0]}\n{lines[2]}") if m else (0, None)


def next_serial(old: int, today: datetime.date) -> int:
    return max(old + 1, int(today.strftime("%Y%m%d00")))


def file_name(zone: str) -> str:
    return zone + ".zone"


def zones_conf(zones: list[Zone], folder: str) -> str:
    out = ["// Written by cloudy-deploy (role dnsservices); changes here are overwritten.", ""]
    for z in zones:
        if z.kind == "primary":
            transfer = "".join(f" {n};" for n in z.transfer) or " none;"
            where = f"{folder}/{file_name(z.name)}"
            out.append(
                f'zone "{z.name}" {{ type primary; file "{where}"; allow-transfer {{{transfer} }}; }};'
            )
        elif z.kind == "secondary":
            servers = "".join(f" {s};" for s in z.servers)
            where = f"/var/cache/bind/{file_name(z.name)}"
            out.append(f'zone "{z.name}" {{ type secondary; primaries {{{servers} }}; file "{where}"; }};')
        else:
            servers = "".join(f" {s};" for s in z.servers)
            out.append(f'zone "{z.name}" {{ type forward; forward only; forwarders {{{servers} }}; }};')
    return "\n".join(out) + "\n"


def build(p: dict) -> list[Zone]:
    """Every zone from the data (and the devices' CNML); CnmlError if anything is bad."""
    where = p.get("name") or p["src"]
    data = Data(where)
    data.read(cnml.parse(p["src"], where))
    zones = list(data.zones.values())
    if p.get("devices_src"):
        dev_where = p.get("devices_name") or p["devices_src"]
        domain = (p.get("devices_domain") or "").rstrip(".").lower()
        if not NAME.match(domain):
            raise cnml.CnmlError(f"devices_domain {domain!r} is not a DNS name")
        if domain not in data.zones:
            zones.append(
                devices(cnml.parse(p["devices_src"], dev_where), dev_where, domain, p["server_address"])
            )
    if not zones:
        raise cnml.CnmlError(f"{where}: it holds no zone (no <master>, <slave> or <forward>); {FIX}")
    return zones + reverse(zones, p["server_address"])


def _check(argv: list[str]) -> str | None:
    """The checker's complaint in one line, or None when it passed."""
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode == 0:
        return None
    text = " ".join((done.stdout + " " + done.stderr).split())
    return text or f"{argv[0]} exited with {done.returncode}"


def render(zones: list[Zone], p: dict, today: datetime.date) -> dict[str, str]:
    """{file name: content} in `dir`: each primary's zone file (same serial unless it changed), zones.conf."""
    files = {}
    for z in zones:
        if z.kind != "primary":
            continue
        name = file_name(z.name)
        text = body(z, p["ttl"])
        old_serial, old_rest = serial_of(read_text(os.path.join(p["dir"], name)))
        serial = old_serial if old_rest == text else next_serial(old_serial, today)
        files[name] = zone_file(z, p["ttl"], serial)
    files["zones.conf"] = zones_conf(zones, p["dir"])
    return files


def stage_and_check(zones: list[Zone], files: dict[str, str], p: dict) -> str | None:
    """Writes the files to a temporary folder and runs the checkers there; their complaint, or None."""
    with tempfile.TemporaryDirectory(prefix="dnsservices-") as staging:
        return _checked(zones, files, p, staging)


def _checked(zones: list[Zone], files: dict[str, str], p: dict, staging: str) -> str | None:
    for name, text in files.items():
        with open(os.path.join(staging, name), "w", encoding="utf-8") as f:
            f.write(text.replace(p["dir"] + "/", staging + "/") if name == "zones.conf" else text)
    for z in zones:
        if z.kind == "primary":
            argv = [p["checkzone"], "-q", "-k", "fail", "-m", "fail", "-M", "fail", "-i", "local"]
            path = os.path.join(staging, file_name(z.name))
            complaint = _check([*argv, z.name, path])
            if complaint:
                verbose = _check([argv[0], *argv[2:], z.name, path])  # without -q: the reason
                return f"named-checkzone {z.name}: {verbose or complaint}"
    main = os.path.join(staging, "named.conf")
    with open(main, "w", encoding="utf-8") as f:
        f.writelines(
            f'include "{path}";\n' for path in [*p["main_conf"], os.path.join(staging, "zones.conf")]
        )
    complaint = _check([p["checkconf"], main])
    return f"named-checkconf: {complaint}" if complaint else None


def install(module: Any, files: dict[str, str], folder: str) -> tuple[list[str], list[str]]:
    """Moves the checked files that differ into `folder`; removes the zone files no longer wanted."""
    written = []
    for name, text in files.items():
        path = os.path.join(folder, name)
        if read_text(path) == text:
            continue
        write_atomic(module, path, text.encode(), 0o644)
        written.append(name)
    removed = sorted(n for n in os.listdir(folder) if n.endswith(".zone") and n not in files)
    for name in removed:
        os.unlink(os.path.join(folder, name))
    return written, removed


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "src": {"type": "path", "required": True},
            "name": {"type": "str"},
            "devices_src": {"type": "path"},
            "devices_name": {"type": "str"},
            "devices_domain": {"type": "str", "default": "ip.guifi.net"},
            "dir": {"type": "path", "required": True},
            "server_address": {"type": "str", "required": True},
            "main_conf": {"type": "list", "elements": "path", "default": []},
            "ttl": {"type": "int", "default": 3600},
            "checkzone": {"type": "path", "default": "/usr/bin/named-checkzone"},
            "checkconf": {"type": "path", "default": "/usr/bin/named-checkconf"},
        },
        supports_check_mode=True,
    )
    require_lxml(module)
    p = module.params
    try:
        zones = build(p)
    except cnml.CnmlError as exc:
        module.fail_json(msg=str(exc))
    files = render(zones, p, datetime.date.today())
    summary = [
        {"name": z.name, "type": z.kind, "file": file_name(z.name) if z.kind == "primary" else ""}
        for z in zones
    ]
    complaint = stage_and_check(zones, files, p)
    if complaint:
        module.fail_json(
            msg=f"{p.get('name') or p['src']}: {complaint}; the served zones are unchanged", zones=summary
        )
    differs = [n for n, t in files.items() if read_text(os.path.join(p["dir"], n)) != t]
    stale = (
        [n for n in os.listdir(p["dir"]) if n.endswith(".zone") and n not in files]
        if os.path.isdir(p["dir"])
        else []
    )
    if module.check_mode:
        module.exit_json(
            changed=bool(differs or stale), zones=summary, written=differs, removed=sorted(stale)
        )
    written, removed = install(module, files, p["dir"])
    module.exit_json(changed=bool(written or removed), zones=summary, written=written, removed=removed)


if __name__ == "__main__":
    main()
