"""Typed, validated verb arguments: every value the helper acts on is checked here first."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cloudy_panel.protocol import BAD_ARGS, HelperError

MASK = "***"


@dataclass(frozen=True)
class Text:
    """A string matching a full-match pattern, within a length range."""

    pattern: str
    max_len: int = 255
    min_len: int = 1
    secret: bool = False

    def check(self, name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise HelperError(BAD_ARGS, f"{name} must be a string")
        if not self.min_len <= len(value) <= self.max_len:
            raise HelperError(BAD_ARGS, f"{name} must have {self.min_len} to {self.max_len} characters")
        if not re.fullmatch(self.pattern, value):
            raise HelperError(BAD_ARGS, f"{name} has characters or a form it may not have")
        return value

    def mask(self, value: Any) -> Any:
        return MASK if self.secret else value


@dataclass(frozen=True)
class Choice:
    """One of a fixed set of strings."""

    values: tuple[str, ...]

    def check(self, name: str, value: Any) -> str:
        if value not in self.values:
            raise HelperError(BAD_ARGS, f"{name} must be one of {', '.join(self.values)}")
        return value

    def mask(self, value: Any) -> Any:
        return value


@dataclass(frozen=True)
class Fields:
    """A JSON object with known keys (each optional unless in required)."""

    fields: dict[str, Text | Choice] = field(default_factory=dict)
    required: frozenset[str] = frozenset()

    def check(self, name: str, value: Any) -> dict[str, str]:
        if not isinstance(value, dict):
            raise HelperError(BAD_ARGS, f"{name} must be an object")
        return check_all(self.fields, value, self.required, where=f"{name}.")

    def mask(self, value: Any) -> Any:
        return mask_all(self.fields, value) if isinstance(value, dict) else MASK


Arg = Text | Choice | Fields

# Patterns shared by the verbs.
USER_NAME = Text(r"[a-z_][a-z0-9_-]*\$?", max_len=32)
# PAM and chpasswd take any printable text; a newline would end chpasswd's line.
PASSWORD = Text(r"[^\x00-\x1f\x7f]+", max_len=256, secret=True)
JOB_ID = Text(r"[0-9a-f]{32}", max_len=32)


def check_all(
    specs: dict[str, Arg], values: dict[str, Any], required: frozenset[str] | None = None, where: str = ""
) -> dict[str, Any]:
    """The values checked against their specs; unknown or missing names are bad-args."""
    unknown = set(values) - set(specs)
    if unknown:
        raise HelperError(BAD_ARGS, f"unknown argument {where}{sorted(unknown)[0]}")
    needed = set(specs) if required is None else required
    missing = needed - set(values)
    if missing:
        raise HelperError(BAD_ARGS, f"missing argument {where}{sorted(missing)[0]}")
    return {name: specs[name].check(where + name, value) for name, value in values.items()}


def mask_all(specs: dict[str, Arg], values: dict[str, Any]) -> dict[str, Any]:
    """The values as they may be logged: secrets masked, values of unknown names hidden."""
    return {name: specs[name].mask(value) if name in specs else MASK for name, value in values.items()}
