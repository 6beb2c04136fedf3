"""Service descriptors: one module per service in this folder, each with a `SERVICE`.

Adding a service adds a file here (its page, buttons, form and discovery action follow from it).
Stdlib only: the root helper imports this too, to check `service.action` arguments with the same
rules the web forms use (`validate`).

Contract with the helper's `service.action(service, action, values)`:
- `action` "status" answers `{"state": one of STATES, "detail": {...}}`;
- "configure" takes `values` = `{"form": FORM_ID, FIELD: VALUE, ...}` as `validate` returns them;
- every other action takes `values` = `{}`.
"""

from __future__ import annotations

import importlib
import ipaddress
import pkgutil
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# States of a service's page, in order (the original panel's state machine): "installed" means
# installed but not configured; "stopped" and "running" are configured.
STATES = ("not-installed", "installed", "stopped", "running")
ACTIONS = ("install", "configure", "start", "stop", "uninstall", "status")
# The buttons (besides the configure forms) each state offers.
BUTTONS: dict[str, tuple[str, ...]] = {
    "not-installed": ("install",),
    "installed": ("uninstall",),
    "stopped": ("start", "uninstall"),
    "running": ("stop",),
}
# States whose page shows the configuration forms.
CONFIGURABLE = ("installed", "stopped")


def N_(message: str) -> str:  # gettext's name for "translate later"
    """Marks an English msgid for extraction; the page translates it when it shows it."""
    return message


# RFC 1123 host name: labels of letters, digits and inner hyphens, at most 63 each, 253 in all.
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
# A Tahoe FURL: pb://TUBID@HINT[,HINT...]/SWISSNUM, a hint being [tcp:]HOST:PORT.
FURL_RE = re.compile(
    r"pb://[a-z2-7]{32}@(?:tcp:)?[A-Za-z0-9.:\[\]-]+:[0-9]{1,5}"
    r"(?:,(?:tcp:)?[A-Za-z0-9.:\[\]-]+:[0-9]{1,5})*/[A-Za-z0-9_-]{1,64}"
)


# What the roles take: no quote, backslash, space or control character, nothing Jinja reads.
URL_RE = re.compile(r"https?://[A-Za-z0-9.\[\]:-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~%!$&'()*+,;=:@/?-]*)?")
EMAIL_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`|~-]{1,64}@(?!-)[A-Za-z0-9.-]{1,253}")


def is_hostname(text: str) -> bool:
    return 0 < len(text) <= 253 and all(_LABEL.fullmatch(label) for label in text.split("."))


@dataclass(frozen=True)
class Field:
    """One form field: `name` is the key in `values`; `label`, `help` and `error` are English msgids."""

    name: str
    label: str
    # "text" (with pattern), "int" (with low/high), "hostname" (RFC 1123), "furl", "ip", "url"
    # (http or https), "email", "secret" (a password: with pattern, masked in the helper's log,
    # never recorded nor shown again), "choice" (a list: `options`, else the status detail's
    # options[name], which the helper checks; with pattern)
    kind: str
    error: str
    help: str = ""
    pattern: str = ""
    low: int = 0
    high: int = 0
    max_length: int = 255
    default: str = ""
    required: bool = True  # else an empty value is kept as ""
    needs: tuple[str, str] = ()  # (a field that must be set when this one is, the error msgid)
    options: tuple[str, ...] = ()  # a "choice" among fixed msgids (shown translated)


@dataclass(frozen=True)
class Form:
    """`card`: shown as a form of its own; else a button of the service's own section (a row's)."""

    id: str
    title: str
    submit: str
    fields: tuple[Field, ...]
    card: bool = True


@dataclass(frozen=True)
class Discovery:
    """An action on another box's announcement: a button that opens `form` prefilled from TXT keys."""

    avahi_type: str
    label: str
    form: str
    prefill: Mapping[str, str]  # field name -> TXT key


@dataclass(frozen=True)
class Service:
    """`settings_first`: the role cannot run without the form's values (guifi.net's services), so the
    forms show from "not-installed" on and their button installs; there is no bare Install."""

    id: str
    name: str
    summary: str
    role: str  # the Ansible role the helper applies locally; a service without one is not shown
    units: tuple[str, ...]
    avahi_types: tuple[str, ...]
    forms: tuple[Form, ...]
    discovery: tuple[Discovery, ...] = ()
    gateway_port: int = 0  # a web UI on 127.0.0.1:PORT, proxied behind the login
    category: str = "clommunity"  # the menu: clommunity or guifi
    order: int = 100
    settings_first: bool = False
    form_states: tuple[str, ...] = CONFIGURABLE  # the states whose page shows the forms
    extra: Mapping[str, Any] = field(default_factory=dict)

    def form(self, form_id: str) -> Form | None:
        return next((f for f in self.forms if f.id == form_id), None)


def check_field(spec: Field, raw: object) -> tuple[object, str | None]:
    """(the clean value, None) or (None, the English msgid of the error)."""
    if raw is None or raw == "":
        return (None, spec.error) if spec.required else ("", None)
    if not isinstance(raw, str | int) or isinstance(raw, bool):
        return None, spec.error
    text = str(raw) if spec.kind == "secret" else str(raw).strip()
    if not text.strip():
        return (None, spec.error) if spec.required else ("", None)
    # The values reach an Ansible inventory, which would evaluate a Jinja delimiter as root.
    if len(text) > spec.max_length or any(d in text for d in ("{{", "{%", "{#")):
        return None, spec.error
    if spec.kind == "int":
        if not re.fullmatch(r"[0-9]{1,9}", text) or not spec.low <= int(text) <= spec.high:
            return None, spec.error
        return int(text), None
    if spec.kind == "hostname":
        return (text, None) if is_hostname(text) else (None, spec.error)
    if spec.kind == "furl":
        return (text, None) if FURL_RE.fullmatch(text) else (None, spec.error)
    if spec.kind == "url":
        return (text, None) if URL_RE.fullmatch(text) and is_hostname(_url_host(text)) else (None, spec.error)
    if spec.kind == "email":
        return (text, None) if EMAIL_RE.fullmatch(text) else (None, spec.error)
    if spec.kind == "choice" and spec.options and text not in spec.options:
        return None, spec.error
    if spec.kind == "ip":
        try:
            return str(ipaddress.ip_address(text)), None
        except ValueError:
            return None, spec.error
    if spec.pattern and not re.fullmatch(spec.pattern, text):
        return None, spec.error
    return text, None


def _url_host(url: str) -> str:
    host = url.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0]
    if host.startswith("["):
        return "ip6.invalid" if host.split("]", 1)[0][1:].count(":") >= 2 else ""
    return host.rsplit(":", 1)[0] if ":" in host else host


def secret_fields(services: Mapping[str, Service]) -> frozenset[str]:
    """The names of the descriptors' secret fields: masked in the helper's log, never recorded."""
    fields = (f for s in services.values() for form in s.forms for f in form.fields)
    return frozenset(f.name for f in fields if f.kind in ("secret", "furl"))


def validate(service: Service, values: Mapping[str, object]) -> tuple[dict[str, object], dict[str, str]]:
    """`values` of a configure call -> (clean values with "form", errors field -> English msgid)."""
    form = service.form(str(values.get("form", "")))
    if form is None:
        return {}, {"form": N_("Unknown form.")}
    known = {"form"} | {f.name for f in form.fields}
    errors = {name: N_("Unknown field.") for name in values if name not in known}
    clean: dict[str, object] = {"form": form.id}
    for spec in form.fields:
        value, error = check_field(spec, values.get(spec.name))
        if error:
            errors[spec.name] = error
        else:
            clean[spec.name] = value
    for spec in form.fields:
        if spec.needs and clean.get(spec.name) and not clean.get(spec.needs[0]) and spec.name not in errors:
            errors[spec.name] = spec.needs[1]
    return clean, errors


def load_services() -> dict[str, Service]:
    """Every descriptor of this folder that names a role, by id, in menu order."""
    found: list[Service] = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        service = getattr(module, "SERVICE", None)
        if isinstance(service, Service) and service.role:
            found.append(service)
    return {s.id: s for s in sorted(found, key=lambda s: (s.order, s.id))}
