"""Typed, validated verb arguments: every value the helper acts on is checked here first."""

from __future__ import annotations

import re
from dataclasses import dataclass
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
class Values:
    """A form's values: a small object of short strings or integers. Their meaning is checked by the
    service's descriptor (cloudy_panel.web.services.validate); the keys in `secret` are masked."""

    secret: frozenset[str] = frozenset()
    max_keys: int = 16

    def check(self, name: str, value: Any) -> dict[str, str | int]:
        if not isinstance(value, dict) or len(value) > self.max_keys:
            raise HelperError(BAD_ARGS, f"{name} must be an object of at most {self.max_keys} fields")
        for key, item in value.items():
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,31}", key):
                raise HelperError(BAD_ARGS, f"{name} has a field name it may not have")
            if isinstance(item, bool) or not isinstance(item, str | int) or len(str(item)) > 1000:
                raise HelperError(BAD_ARGS, f"{name}.{key} must be a short string or an integer")
        return value

    def mask(self, value: Any) -> Any:
        if not isinstance(value, dict):
            return MASK
        return {k: MASK if k in self.secret else v for k, v in value.items()}


Arg = Text | Choice | Values

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
