#!/usr/bin/python3
# Role avahi of cloudy-deploy. GPL-3.0-or-later.
"""Write the definitions of announced services, the unit drop-ins that follow their liveness."""

import os
import re
from collections.abc import Iterable
from xml.sax.saxutils import escape

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clommunity.cloudy.plugins.module_utils.files import write_atomic

DOCUMENTATION = r"""
module: avahi_announce
short_description: Announce services over mDNS while their systemd unit is active
description:
  - Writes one Avahi service definition per entry, C(definitions_dir/NAME.service),
    only when its content differs (atomically, mode 0644).
  - Each definition records its I(owner) (the role that announces it) and the
    systemd unit that backs it. Entries of other owners are never changed or
    removed; a name another owner already uses is an error.
  - With I(exclusive), definitions of this owner that are not in I(services)
    are removed; with I(state=absent), the named entries are removed.
  - Makes every unit that backs a definition (of any owner) run the I(helper)
    when it starts and stops (a drop-in C(UNIT.d/DROPIN_NAME)), and removes
    that drop-in from units no definition names any more; runs
    C(systemctl daemon-reload) when a drop-in changed.
  - After a change runs C(helper sync), which copies the definitions whose
    unit is active to C(/etc/avahi/services/) and removes the others there.
options:
  owner: {description: who announces these entries (a role name), type: str, required: true}
  services:
    description:
      - entries with name, type, port, and optionally txt (dict), unit, instance, secret_txt
      - name is the file name; instance the announced instance name (C(%h) is the host name)
      - secret_txt lists the TXT keys whose values are secrets (a Tahoe FURL), announced as they
        are, but masked in this module's results (invocation, diff), as Ansible masks no_log
        values, also when the definition is withdrawn later
    type: list
    elements: dict
    default: []
  exclusive: {description: remove this owner's definitions not in services, type: bool, default: false}
  state: {description: present or absent (remove the named entries), type: str, default: present}
  definitions_dir: {description: folder of the definitions, type: path, required: true}
  systemd_dir: {description: folder for the unit drop-ins, type: path, default: /etc/systemd/system}
  dropin_name: {description: file name of the drop-in in UNIT.d/, type: str, required: true}
  helper: {description: the avahi-announce helper on the box, type: path, required: true}
author: cloudy-deploy
"""

RETURN = r"""
written: {description: definitions written (new or changed), type: list, returned: always}
removed: {description: definitions removed, type: list, returned: always}
units: {description: units that back a definition, with a drop-in, type: list, returned: always}
dropins_changed: {description: drop-ins written or removed, type: list, returned: always}
"""

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
# Letters, digits and hyphens, _tcp or _udp. RFC 6763 §7.2 asks for at most 15 characters, but
# avahi and zeroconf's browser take longer names, and Cloudy's own (_tahoe-introducer) are longer.
TYPE = re.compile(r"^_[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\._(tcp|udp)$")
UNIT = re.compile(r"^[A-Za-z0-9:_.\\@-]+\.(service|socket|mount|swap|target|timer|path)$")
OWNER = re.compile(r"^[A-Za-z0-9_.-]+$")
# Units whose drop-in can run commands when they start and stop, and the section that does.
SECTIONS = {"service": "Service", "socket": "Socket"}
HEAD = "<!-- Written by cloudy-deploy (role avahi): edits are overwritten. -->"
OWNER_LINE = re.compile(r"^<!-- cloudy-owner: (\S+) -->$", re.M)
UNIT_LINE = re.compile(r"^<!-- cloudy-unit: (\S*) -->$", re.M)
SECRET_LINE = re.compile(r"^<!-- cloudy-secret-txt: (\S*) -->$", re.M)
SECRET_KEY = re.compile(r"^[!-<>-~]+$")  # printable ASCII but '=': a TXT key
MASK = "********"  # what Ansible shows for a no_log value
DROPIN_HEAD = "# Written by cloudy-deploy (role avahi): edits are overwritten.\n"


class Invalid(ValueError):
    pass


def unit_name(text: object) -> str:
    unit = str(text or "").strip()
    if unit and "." not in unit:
        unit += ".service"
    # It goes into an XML comment, where "--" may not appear.
    if unit and (not UNIT.match(unit) or "--" in unit):
        raise Invalid(f"unit {unit!r} is not a systemd unit name (or holds '--')")
    return unit


def txt_strings(txt: object, name: str) -> list[str]:
    if txt is None:
        return []
    if not isinstance(txt, dict):
        raise Invalid(f"{name}: txt must be a mapping of key to value, not {type(txt).__name__}")
    out = []
    for key, value in txt.items():
        key = str(key)
        if not key or "=" in key or not key.isprintable() or not key.isascii():
            raise Invalid(f"{name}: TXT key {key!r} must be printable ASCII without '='")
        if value is None:
            text = key
        elif isinstance(value, bool):
            text = f"{key}={'true' if value else 'false'}"
        else:
            text = f"{key}={value}"
        if len(text.encode()) > 255:
            raise Invalid(f"{name}: TXT {key} is {len(text.encode())} bytes long, at most 255 fit")
        out.append(text)
    return out


def normalise(entry: dict) -> dict:
    name = str(entry.get("name") or "")
    if not NAME.match(name):
        raise Invalid(f"service name {name!r}: letters, digits, '_', '.', '-' (at most 63), no '/'")
    unknown = set(entry) - {"name", "type", "port", "txt", "unit", "instance", "secret_txt"}
    if unknown:
        raise Invalid(
            f"{name}: unknown keys {sorted(unknown)} (name, type, port, txt, unit, instance, secret_txt)"
        )
    stype = str(entry.get("type") or "")
    if not TYPE.match(stype):
        raise Invalid(f"{name}: type {stype!r} must look like _name._tcp or _name._udp")
    try:
        port = int(entry.get("port"))
    except (TypeError, ValueError):
        raise Invalid(f"{name}: port {entry.get('port')!r} is not a number") from None
    if not 0 <= port <= 65535:
        raise Invalid(f"{name}: port {port} is not in 0-65535")
    instance = str(entry.get("instance") or "%h")
    if len(instance.encode()) > 63:
        raise Invalid(f"{name}: instance name {instance!r} is too long for a DNS label (63 bytes)")
    return {
        "name": name,
        "type": stype,
        "port": port,
        "txt": txt_strings(entry.get("txt"), name),
        "unit": unit_name(entry.get("unit")),
        "instance": instance,
        "secret_txt": secret_keys(entry),
    }


def secret_keys(entry: dict) -> list[str]:
    """The TXT keys of an entry whose values are secrets (its secret_txt), sorted."""
    keys = entry.get("secret_txt") or []
    if not isinstance(keys, list) or not all(isinstance(k, str) and SECRET_KEY.match(k) for k in keys):
        raise Invalid(f"{entry.get('name')}: secret_txt must be a list of TXT keys (printable ASCII, no '=')")
    return sorted(set(keys))


def secret_values(entries: list) -> set[str]:
    """The values of the secret TXT keys of raw entries, as given and as written into XML."""
    found = set()
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("txt"), dict):
            continue
        keys = entry.get("secret_txt") if isinstance(entry.get("secret_txt"), list) else []
        for key in keys:
            value = entry["txt"].get(key)
            if value not in (None, ""):
                found |= {str(value), escape(str(value))}
    return found


def redact(text: str, keys: Iterable[str] = ()) -> str:
    """A definition with the values of its secret TXT keys (its own cloudy-secret-txt comment, and
    KEYS) masked: what diffs show."""
    marked = SECRET_LINE.search(text)
    secret = set(keys) | set(marked.group(1).split(",") if marked and marked.group(1) else [])
    if not secret:
        return text

    def mask(m: re.Match) -> str:
        key = m.group(2)
        return f"{m.group(1)}{key}={MASK}{m.group(4)}" if key in secret else m.group(0)

    return re.sub(r"(<txt-record>)([^=<]*)(=[^<]*)(</txt-record>)", mask, text)


def render(owner: str, svc: dict) -> str:
    wildcards = ' replace-wildcards="yes"' if "%h" in svc["instance"] else ""
    when = f"while {svc['unit']} is active" if svc["unit"] else "always"
    lines = [
        '<?xml version="1.0" standalone="no"?>',
        '<!DOCTYPE service-group SYSTEM "avahi-service.dtd">',
        HEAD,
        f"<!-- Announced {when}; see docs/avahi.md. -->",
        f"<!-- cloudy-owner: {owner} -->",
        f"<!-- cloudy-unit: {svc['unit']} -->",
        *([f"<!-- cloudy-secret-txt: {','.join(svc['secret_txt'])} -->"] if svc["secret_txt"] else []),
        "<service-group>",
        f"  <name{wildcards}>{escape(svc['instance'])}</name>",
        "  <service>",
        f"    <type>{svc['type']}</type>",
        f"    <port>{svc['port']}</port>",
        *(f"    <txt-record>{escape(t)}</txt-record>" for t in svc["txt"]),
        "  </service>",
        "</service-group>",
    ]
    return "\n".join(lines) + "\n"


def dropin(unit: str, helper: str) -> str:
    section = SECTIONS[unit.rsplit(".", 1)[1]]
    return (
        DROPIN_HEAD
        + f"# Announces the services {unit} backs over mDNS while it runs (see docs/avahi.md).\n"
        + f"# '-': never fails the unit; '+': full privileges, whatever User= {unit} runs as.\n"
        + f"[{section}]\n"
        + f"ExecStartPost=-+{helper} up %n\n"
        + f"ExecStopPost=-+{helper} down %n\n"
    )


def read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return None


def definitions(folder: str) -> dict[str, tuple[str, str]]:
    """name -> (owner, unit) of every definition in the folder."""
    found = {}
    for entry in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if entry.startswith(".") or not entry.endswith(".service"):
            continue
        text = read(os.path.join(folder, entry)) or ""
        owner, unit = OWNER_LINE.search(text), UNIT_LINE.search(text)
        found[entry[: -len(".service")]] = (owner.group(1) if owner else "", unit.group(1) if unit else "")
    return found


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "owner": {"type": "str", "required": True},
            "services": {"type": "list", "elements": "dict", "default": []},
            "exclusive": {"type": "bool", "default": False},
            "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
            "definitions_dir": {"type": "path", "required": True},
            "systemd_dir": {"type": "path", "default": "/etc/systemd/system"},
            "dropin_name": {"type": "str", "required": True},
            "helper": {"type": "path", "required": True},
        },
        supports_check_mode=True,
    )
    p = module.params
    # Masked wherever this module's result shows them (module_args, diff), before anything can fail.
    module.no_log_values.update(secret_values(p["services"]))
    owner, folder, check = p["owner"], p["definitions_dir"], module.check_mode
    if not OWNER.match(owner) or "--" in owner:
        module.fail_json(msg=f"owner {owner!r}: letters, digits, '_', '.', '-' (not '--')")
    try:
        wanted = [normalise(e) for e in p["services"]]
    except Invalid as exc:
        module.fail_json(msg=f"avahi_announce ({owner}): {exc}")
    names = [s["name"] for s in wanted]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        module.fail_json(msg=f"avahi_announce ({owner}): service names used twice: {', '.join(dup)}")
    if not check and not os.path.isfile(p["helper"]):
        module.fail_json(msg=f"{p['helper']} is missing: apply the avahi role to this box first")

    existing = definitions(folder)
    taken = {n: o for n, (o, _) in existing.items() if n in names and o != owner}
    if taken:
        module.fail_json(
            msg=f"avahi_announce ({owner}): "
            + "; ".join(f"{n} is announced by {o or 'someone else'}" for n, o in sorted(taken.items()))
            + ": pick another name"
        )

    written, removed, diffs = [], [], []
    if p["state"] == "present":
        if not check:
            os.makedirs(folder, mode=0o755, exist_ok=True)
        for svc in wanted:
            path = os.path.join(folder, svc["name"] + ".service")
            text, old = render(owner, svc), read(path)
            if text != old:
                written.append(svc["name"])
                before, after = redact(old or "", svc["secret_txt"]), redact(text)
                diffs.append({"before": before, "after": after, "before_header": path, "after_header": path})
                if not check:
                    write_atomic(module, path, text.encode())
        mine = [n for n, (o, _) in existing.items() if o == owner]
        gone = [n for n in mine if n not in names] if p["exclusive"] else []
    else:
        gone = [n for n in names if n in existing]
    marked = {s["name"]: s["secret_txt"] for s in wanted}
    for name in gone:
        path = os.path.join(folder, name + ".service")
        removed.append(name)
        before = redact(read(path) or "", marked.get(name, []))
        diffs.append({"before": before, "after": "", "before_header": path, "after_header": path})
        if not check:
            os.unlink(path)

    # Drop-ins follow the definitions of every owner, as they are (or would be) after this run.
    if check:
        after = {n: u for n, (_, u) in existing.items() if n not in gone}
        after.update({s["name"]: s["unit"] for s in wanted} if p["state"] == "present" else {})
    else:
        after = {n: u for n, (_, u) in definitions(folder).items()}
    units = sorted({u for u in after.values() if u and u.rsplit(".", 1)[1] in SECTIONS})
    systemd_dir, dropin_name = p["systemd_dir"], p["dropin_name"]
    dropins_changed = []
    for unit in units:
        path = os.path.join(systemd_dir, unit + ".d", dropin_name)
        text = dropin(unit, p["helper"])
        if read(path) != text:
            dropins_changed.append(path)
            if not check:
                os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
                write_atomic(module, path, text.encode())
    for entry in sorted(os.listdir(systemd_dir)) if os.path.isdir(systemd_dir) else []:
        path = os.path.join(systemd_dir, entry, dropin_name)
        if entry.endswith(".d") and entry[:-2] not in units and (read(path) or "").startswith(DROPIN_HEAD):
            dropins_changed.append(path)
            if not check:
                os.unlink(path)
                if not os.listdir(os.path.dirname(path)):
                    os.rmdir(os.path.dirname(path))

    changed = bool(written or removed or dropins_changed)
    if changed and not check:
        if dropins_changed:
            module.run_command(["systemctl", "daemon-reload"], check_rc=True)
        module.run_command([p["helper"], "sync"], check_rc=True)
    result = {
        "changed": changed,
        "written": written,
        "removed": removed,
        "units": units,
        "dropins_changed": dropins_changed,
    }
    if module._diff:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
