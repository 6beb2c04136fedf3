"""Naming a source: `--source KIND[:ARG]` on the command line, or an entry of cloudy.yml's `sources:`."""

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cloudy_deploy.errors import BadInput
from cloudy_deploy.lab.naming import validate_lab_name

KINDS = ("static", "lab", "cnml", "mdns", "tinc")
NEEDS_ARG = {"static": "a file", "cnml": "a file", "tinc": "a directory"}

# Device statuses of guifi.net (libcnml's list); `status` filters are checked against it.
CNML_STATUSES = ("Planned", "Reserved", "Building", "Testing", "Working", "Dropped", "Inactive")
CNML_TYPES = ("server",)
CNML_STATUS = ("Working", "Testing")
CNML_KEYS = ("file", "types", "status")
_CNML_EXAMPLE = {"types": "types: [server, cloudy]", "status": "status: [Working, Testing]"}

MDNS_SECONDS = 3.0
MDNS_MAX_SECONDS = 60.0

# How each kind is written, to show in messages: on the command line and in cloudy.yml.
_CLI = {
    "static": "--source static:nodes.yml",
    "lab": "--source lab or --source lab:NAME",
    "cnml": "--source cnml:zone.cnml",
    "mdns": "--source mdns or --source mdns:5",
    "tinc": "--source tinc:/etc/tinc/NET",
}
_SPEC = {
    "static": "`- static: nodes.yml`",
    "lab": "`- lab` or `- lab: NAME`",
    "cnml": "`- cnml: zone.cnml` or `- cnml: {file: zone.cnml, types: [server], status: [Working]}`",
    "mdns": "`- mdns` or `- mdns: {timeout: 5}`",
    "tinc": "`- tinc: /etc/tinc/NET`",
}


@dataclass(frozen=True)
class SourceRef:
    """One source to read: its kind, its argument (file, dir, lab name, seconds) and options."""

    kind: str  # static | lab | cnml | mdns | tinc
    arg: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)  # cnml: types, status

    def __str__(self) -> str:
        return self.kind if self.arg is None else f"{self.kind}:{self.arg}"

    def __hash__(self) -> int:
        # options is a mapping: hash a frozen copy, so refs can live in sets and frozen models.
        frozen = tuple(
            sorted((k, tuple(v) if isinstance(v, list | tuple) else v) for k, v in self.options.items())
        )
        return hash((self.kind, self.arg, frozen))


def _kind(kind: str, examples: dict[str, str]) -> str:
    if kind in KINDS:
        return kind
    close = difflib.get_close_matches(kind.lower(), KINDS, n=1)
    hint = f"did you mean {examples[close[0]]}? " if close else ""
    raise ValueError(f"unknown source kind {kind!r}; {hint}the kinds are {', '.join(KINDS)}")


def seconds(value: object) -> str:
    """The mDNS browsing time, as the canonical text of a number in (0, 60]."""
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None or not math.isfinite(number) or not 0 < number <= MDNS_MAX_SECONDS:
        raise ValueError(
            f"mdns browsing time {value!r} is not a number of seconds from 0 to {MDNS_MAX_SECONDS:g}; "
            "give e.g. 3"
        )
    return f"{number:g}"


def _lab(name: object, example: str) -> str:
    if not isinstance(name, str):
        raise ValueError(f"lab name {name!r} is not text; write it as {example}")
    try:
        return validate_lab_name(name)
    except BadInput as exc:
        raise ValueError(str(exc)) from None


def _path(kind: str, value: object, example: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"the {kind} source needs {NEEDS_ARG[kind]}: write it as {example}")
    return value


def _from_text(text: str, examples: dict[str, str]) -> SourceRef:
    kind, sep, arg = text.strip().partition(":")
    kind = _kind(kind, examples)
    if kind in NEEDS_ARG:
        return SourceRef(kind, _path(kind, arg, examples[kind]))
    if sep and not arg:
        raise ValueError(f"nothing after ':'; write {examples[kind]}")
    if kind == "lab":
        return SourceRef(kind, _lab(arg, examples[kind]) if arg else None)
    return SourceRef(kind, seconds(arg) if arg else None)


def parse_ref(text: str) -> SourceRef:
    """A source from the command line: KIND[:ARG], e.g. static:nodes.yml, lab:lab2, mdns:5; else BadInput."""
    try:
        return _from_text(text, _CLI)
    except ValueError as exc:
        raise BadInput(f"--source {text}: {exc}") from None


def _strings(key: str, value: object) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise ValueError(f"cnml {key} must be a non-empty list, e.g. {_CNML_EXAMPLE[key]}")
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise ValueError(f"cnml {key}: {item!r} is not a name; write e.g. {_CNML_EXAMPLE[key]}")
    return tuple(dict.fromkeys(item.strip() for item in items))


def cnml_statuses(value: object) -> tuple[str, ...]:
    """Status names as guifi.net writes them (Working, Testing...), whatever their case here."""
    known = {s.lower(): s for s in CNML_STATUSES}
    out = []
    for item in _strings("status", value):
        if item.lower() not in known:
            raise ValueError(
                f"cnml status {item!r} is not a guifi.net status; use some of {', '.join(CNML_STATUSES)}"
            )
        out.append(known[item.lower()])
    return tuple(dict.fromkeys(out))


def cnml_options(options: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """The device filters of a cnml source, checked; missing ones are left to the defaults."""
    out: dict[str, tuple[str, ...]] = {}
    if "types" in options:
        out["types"] = tuple(t.lower() for t in _strings("types", options["types"]))
    if "status" in options:
        out["status"] = cnml_statuses(options["status"])
    return out


def _cnml(value: object) -> SourceRef:
    if not isinstance(value, Mapping):
        return SourceRef("cnml", _path("cnml", value, _SPEC["cnml"]))
    unknown = [k for k in value if k not in CNML_KEYS]
    if unknown:
        raise ValueError(
            f"unknown key {unknown[0]!r} in the cnml source; the keys are {', '.join(CNML_KEYS)}"
        )
    return SourceRef("cnml", _path("cnml", value.get("file"), _SPEC["cnml"]), cnml_options(value))


def _mdns(value: object) -> SourceRef:
    if value is None:
        return SourceRef("mdns")
    if isinstance(value, Mapping):
        unknown = [k for k in value if k != "timeout"]
        if unknown:
            raise ValueError(f"unknown key {unknown[0]!r} in the mdns source; the only key is timeout")
        value = value.get("timeout", MDNS_SECONDS)
    return SourceRef("mdns", seconds(value))


def from_spec(entry: object) -> SourceRef:
    """One entry of cloudy.yml's `sources:` list. ValueError (the spec loader adds file:line) if bad."""
    if isinstance(entry, str):
        return _from_text(entry, _SPEC)
    if not isinstance(entry, Mapping) or len(entry) != 1:
        raise ValueError(
            f"a source is one KIND or one {{KIND: ARG}}, not {entry!r}; e.g. `- static: nodes.yml` or `- lab`"
        )
    [(kind, value)] = entry.items()
    kind = _kind(str(kind), _SPEC)
    if kind == "cnml":
        return _cnml(value)
    if kind == "mdns":
        return _mdns(value)
    if kind == "lab":
        return SourceRef("lab", None if value is None else _lab(value, _SPEC["lab"]))
    return SourceRef(kind, _path(kind, value, _SPEC[kind]))
