# Part of the collection clommunity.cloudy. GPL-3.0-or-later.
"""`avahi-browse --parsable --resolve --no-db-lookup` output as records: the one parser of it.

Used on the boxes (modules avahi_services and wheelhouse_find, through `run_avahi_browse`) and
on the controller (cloudy_deploy's mdns source and `cloudy services`). Stdlib only; the parser is
pure, `run_avahi_browse` runs avahi-browse on the box it is called on.

- A record is one resolved service instance: its type (`_ssh._tcp.local.`), instance name,
  server (host name, `box1.local.`), addresses, port and TXT (text values; keys lower-case).
- Lines are `;`-separated fields, names escaped (`\\032` a space, `\\.` a dot), TXT strings quoted.
"""

from __future__ import annotations

import ipaddress
import re
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple


@dataclass(frozen=True)
class MdnsRecord:
    type: str
    name: str
    server: str
    addresses: tuple[str, ...] = ()
    port: int | None = None
    txt: Mapping[str, str] = field(default_factory=dict)


def instance_name(record: MdnsRecord) -> str:
    """The instance part of a record's name: `My box._http._tcp.local.` -> `My box`."""
    suffix = "." + record.type
    return record.name[: -len(suffix)] if record.name.endswith(suffix) else record.name


def service_dict(record: MdnsRecord) -> dict[str, Any]:
    """A record as the modules return it: the instance name, the host without its final dot."""
    return {
        "type": record.type,
        "name": instance_name(record),
        "host": record.server.rstrip("."),
        "addresses": list(record.addresses),
        "port": record.port,
        "txt": dict(record.txt),
    }


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return "" if value is None else str(value)


def decode_txt(properties: Mapping[Any, Any]) -> dict[str, str]:
    """TXT as text: keys lower-case (DNS-SD keys are case-insensitive), a key without value -> ""."""
    return {_text(k).lower(): _text(v) for k, v in properties.items() if _text(k)}


# avahi-browse --parsable (avahi-browse.c, avahi_escape_label, avahi_string_list_to_string).
_DECIMAL = re.compile(r"\\([0-9]{3})")


class BrowseLineError(ValueError):
    """One line of avahi-browse output that is not what avahi-browse --parsable prints."""


def unescape_label(text: str) -> str:
    """avahi's escaped label as text: `\\DDD` a byte in decimal, `\\x` the character x; UTF-8."""
    out = bytearray()
    i = 0
    while i < len(text):
        char = text[i]
        if char != "\\":
            out += char.encode()
            i += 1
            continue
        if (m := _DECIMAL.match(text, i)) is not None:
            value = int(m.group(1))
            if value > 255:
                raise BrowseLineError(f"escape {m.group(0)} is not a byte")
            out.append(value)
            i = m.end()
        elif i + 1 < len(text):
            out += text[i + 1].encode()
            i += 2
        else:
            raise BrowseLineError("a name ends with a lone backslash")
    return out.decode("utf-8", errors="replace")


def split_escaped_name(text: str) -> list[str]:
    """An escaped domain name (`box1.local`, `a\\.b.local`) as its labels, unescaped."""
    labels, start, i = [], 0, 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == ".":
            labels.append(text[start:i])
            start = i + 1
        i += 1
    labels.append(text[start:])
    return [unescape_label(label) for label in labels if label]


def parse_txt_strings(text: str) -> list[bytes]:
    """`"a=1" "b"` -> [b"a=1", b"b"]: quoted strings separated by spaces, with \\" \\\\ and \\DDD inside."""
    strings: list[bytes] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] == " ":
            i += 1
            continue
        if text[i] != '"':
            raise BrowseLineError(f"TXT: expected a quoted string at {text[i : i + 20]!r}")
        i += 1
        out = bytearray()
        while True:
            if i >= n:
                raise BrowseLineError("TXT: a quoted string is not closed")
            char = text[i]
            if char == '"':
                i += 1
                break
            if char == "\\":
                if (m := _DECIMAL.match(text, i)) is not None and int(m.group(1)) <= 255:
                    out.append(int(m.group(1)))
                    i = m.end()
                    continue
                if i + 1 >= n:
                    raise BrowseLineError("TXT: a string ends with a lone backslash")
                char = text[i + 1]
                i += 1
            out += char.encode()
            i += 1
        strings.append(bytes(out))
    return strings


def txt_from_strings(strings: Iterable[bytes]) -> dict[str, str]:
    """TXT strings as decode_txt makes them: `key=value`, a key alone -> "", the first of a key wins."""
    pairs: dict[bytes, bytes | None] = {}
    for raw in strings:
        key, sep, value = raw.partition(b"=")
        if key and key.lower() not in {k.lower() for k in pairs}:
            pairs[key] = value if sep else None
    return decode_txt(pairs)


@dataclass
class BrowseResult:
    records: list[MdnsRecord]
    notes: list[str]  # lines left out and why, in words


class _Answer(NamedTuple):
    server: str
    address: str
    port: int
    txt: dict[str, str]


_TYPE = re.compile(r"^_[^.;\s]+\._(tcp|udp)$|^_[^.;\s]+\._sub\._[^.;\s]+\._(tcp|udp)$")


def is_service_type(text: str) -> bool:
    """`_name._tcp`, `_name._udp` or a subtype `_sub._sub._name._tcp`: what avahi-browse takes."""
    return bool(_TYPE.match(text))


def _fields(line: str) -> list[str]:
    # The TXT field (the last) may hold ';' inside its quotes; the names before it never do
    # (avahi-browse escapes a ';' in a name as \059).
    fields = line.split(";", 9)
    event = fields[0]
    if event not in ("+", "-", "="):
        raise BrowseLineError(f"unknown event {event[:8]!r} (expected +, - or =)")
    want = 10 if event == "=" else 6
    if len(fields) != want:
        raise BrowseLineError(f"{len(fields)} fields, a {event!r} line has {want}")
    if not all(fields[1:6]):
        raise BrowseLineError("an empty interface, protocol, name, type or domain")
    if not _TYPE.match(fields[4]):
        raise BrowseLineError(
            f"type {fields[4]!r} is not _name._tcp or _name._udp "
            "(a description instead? run avahi-browse with --no-db-lookup)"
        )
    return fields


def _answer(fields: list[str]) -> _Answer:
    host, address, port_text, txt = fields[6:10]
    labels = split_escaped_name(host)
    if not labels:
        raise BrowseLineError("no host name")
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        raise BrowseLineError(f"{address!r} is not an IP address") from None
    if not port_text.isdigit() or int(port_text) > 65535:
        raise BrowseLineError(f"port {port_text!r} is not a number from 0 to 65535")
    return _Answer(".".join(labels) + ".", str(ip), int(port_text), txt_from_strings(parse_txt_strings(txt)))


def parse_avahi_browse(lines: Iterable[str], source: str = "avahi-browse") -> BrowseResult:
    """Records from `avahi-browse -rpk` output (`-t`: a dump; without: a stream of changes).

    One record per service instance (type, domain, name): the host name, port and TXT of its
    first resolved line, the addresses of all of them (every interface and protocol it was
    resolved on, in order). A `-` line withdraws it from that interface and protocol.
    Malformed lines, and instances found but never resolved, are left out with a note each.
    """
    found: dict[tuple[str, str, str], set[tuple[str, str]]] = {}
    resolved: dict[tuple[str, str, str], dict[tuple[str, str], _Answer]] = {}
    notes: list[str] = []
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        try:
            fields = _fields(line)
            event, iface, proto, name, stype, domain = fields[:6]
            key, where = (stype, domain, unescape_label(name)), (iface, proto)
            if event == "-":
                found.get(key, set()).discard(where)
                resolved.get(key, {}).pop(where, None)
                continue
            answer = _answer(fields) if event == "=" else None
            found.setdefault(key, set()).add(where)
            if answer is not None:
                resolved.setdefault(key, {})[where] = answer
        except BrowseLineError as exc:
            shown = line if len(line) <= 80 else line[:79] + "…"
            notes.append(f"{source}: line {number} left out: {exc}: {shown}")
    records = []
    for (stype, domain, instance), seen in resolved.items():
        if not seen:
            continue
        first = next(iter(seen.values()))
        addresses = tuple(dict.fromkeys(a.address for a in seen.values()))
        full_type = f"{stype}.{domain}."
        records.append(
            MdnsRecord(full_type, f"{instance}.{full_type}", first.server, addresses, first.port, first.txt)
        )
    for (stype, _domain, instance), where in found.items():
        if where and not resolved.get((stype, _domain, instance)):
            notes.append(f"{source}: {instance} ({stype}) was found but did not resolve")
    return BrowseResult(records, notes)


@dataclass
class BrowseRun(BrowseResult):
    timed_out: bool = False  # stopped after the timeout: the records resolved by then
    returncode: int | None = None  # avahi-browse's exit code (None when it was stopped)
    stderr: str = ""


BROWSE_ARGV = ("--resolve", "--terminate", "--parsable", "--no-db-lookup")


def run_avahi_browse(service_type: str, timeout: float, binary: str = "avahi-browse") -> BrowseRun:
    """The resolved records of SERVICE_TYPE as `avahi-browse -rtpk` dumps them, in at most TIMEOUT s.

    avahi-browse -t has been seen never to finish (with many publishers): it is stopped after
    TIMEOUT seconds and the complete lines printed by then are the answer (`timed_out`).
    OSError when BINARY cannot be run; a failing avahi-browse is its returncode and stderr.
    """
    argv = [binary, *BROWSE_ARGV, service_type]
    try:
        done = subprocess.run(
            argv, capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
        )
        out, err, code, timed_out = done.stdout, done.stderr, done.returncode, False
    except subprocess.TimeoutExpired as exc:
        out, err, code, timed_out = exc.stdout or b"", exc.stderr or b"", None, True
        out = out[: out.rfind(b"\n") + 1]  # the last line may be cut short
    parsed = parse_avahi_browse(out.decode("utf-8", errors="replace").splitlines(), source=binary)
    return BrowseRun(parsed.records, parsed.notes, timed_out, code, err.decode("utf-8", errors="replace"))
