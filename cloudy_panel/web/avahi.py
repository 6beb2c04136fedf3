"""The services announced in the micro cloud, as `avahi-browse -artpk` prints them (no root needed).

A second, smaller reader of the format that cloudy_deploy/sources/mdns_records.py reads on the
controller (box-side code cannot import cloudy_deploy); to fold into one module_utils later.
"""

from __future__ import annotations

import ipaddress
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

BROWSE = ("avahi-browse", "--all", "--resolve", "--terminate", "--parsable", "--no-db-lookup")
BROWSE_TIMEOUT = 15.0
_DECIMAL = re.compile(r"\\([0-9]{3})")
_TYPE = re.compile(r"_[A-Za-z0-9-]{1,63}\._(tcp|udp)")


@dataclass(frozen=True)
class Announcement:
    type: str  # _tahoe-introducer._tcp
    name: str  # the instance name (the description), unescaped: data from another box
    host: str  # box-2.local
    address: str
    port: int
    txt: dict[str, str]

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def _unescape(text: str) -> str:
    """avahi's escapes: \\DDD a byte in decimal, \\x the character x."""
    out, i = bytearray(), 0
    while i < len(text):
        if text[i] == "\\" and (m := _DECIMAL.match(text, i)) and int(m.group(1)) < 256:
            out.append(int(m.group(1)))
            i = m.end()
        elif text[i] == "\\" and i + 1 < len(text):
            out += text[i + 1].encode()
            i += 2
        else:
            out += text[i].encode()
            i += 1
    return out.decode("utf-8", errors="replace")


def _txt(text: str) -> dict[str, str]:
    """`"a=1" "b=2"` -> {"a": "1", "b": "2"}; the first of a key wins."""
    pairs: dict[str, str] = {}
    for quoted in re.findall(r'"((?:[^"\\]|\\.)*)"', text):
        key, _, value = _unescape(quoted).partition("=")
        if key and key.lower() not in pairs:
            pairs[key.lower()] = value
    return pairs


def parse(lines: Iterable[str]) -> list[Announcement]:
    """The resolved (`=`) lines, one announcement per type and name (IPv4 first); others skipped."""
    found: dict[tuple[str, str], Announcement] = {}
    for line in lines:
        fields = line.rstrip("\r\n").split(";", 9)
        if len(fields) != 10 or fields[0] != "=" or not _TYPE.fullmatch(fields[4]):
            continue
        _, _iface, proto, name, stype, _domain, host, address, port, txt = fields
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            continue
        if not port.isdigit() or int(port) > 65535:
            continue
        key = (stype, _unescape(name))
        if key in found and not (proto == "IPv4" and ip.version == 4 and ":" in found[key].address):
            continue
        found[key] = Announcement(stype, key[1], _unescape(host), str(ip), int(port), _txt(txt))
    return sorted(found.values(), key=lambda a: (a.type, a.host, a.name))


def browse(command: Sequence[str] = BROWSE) -> list[Announcement]:
    """Run avahi-browse once; an absent or failing avahi gives an empty list (the page says none)."""
    try:
        done = subprocess.run(
            list(command), capture_output=True, text=True, timeout=BROWSE_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    return parse(done.stdout.splitlines())
