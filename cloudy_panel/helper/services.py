"""service.action: the services a box owner may install and run, each applied by its own role,
locally (ansible-playbook, connection local), with values checked here. A closed table: the web
side names a service by id, never a package, unit or playbook."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cloudy_panel.helper.args import Choice, Fields, Text
from cloudy_panel.helper.context import Context
from cloudy_panel.helper.registry import verb
from cloudy_panel.helper.system import dpkg_busy
from cloudy_panel.protocol import BAD_ARGS, BUSY, FAILED, HelperError

ACTIONS = ("install", "configure", "start", "stop", "uninstall", "status")
# An introducer FURL: pb://TUBID@HINTS/NAME (Tahoe's Foolscap form, base32 tub id).
FURL = Text(r"pb://[a-z2-7]{32}@[A-Za-z0-9.:,\[\]_-]+/[A-Za-z0-9_-]+", max_len=255, secret=True)
# RFC 1123 host label (the nickname is shown to the grid's other nodes).
LABEL = Text(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?", max_len=63)
GRID = Text(r"[A-Za-z0-9_]+", max_len=32)


@dataclass(frozen=True)
class Service:
    id: str
    playbook: str
    units: tuple[str, ...]
    values: Fields
    # Inventory groups and role variables from the checked values and the panel's config.
    plan: Callable[[dict[str, str], dict[str, Any]], tuple[list[str], dict[str, Any]]]


def tahoe_plan(values: dict[str, str], config: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    groups = ["tahoe"]
    if values.get("storage", "yes") == "yes":
        groups.append("tahoe_storage")
    role_vars: dict[str, Any] = {}
    if values.get("mode") == "create":
        groups.append("tahoe_introducer")
    if values.get("furl"):
        role_vars["tahoe_extra_introducers"] = {"panel": values["furl"]}
    if values.get("grid"):
        role_vars["tahoe_grid"] = values["grid"]
    if values.get("nickname"):
        role_vars["tahoe_nickname"] = values["nickname"]
    return groups, role_vars


SERVICES: dict[str, Service] = {
    "tahoe": Service(
        id="tahoe",
        playbook="tahoe.yml",
        units=("tahoe-node.service", "tahoe-introducer.service"),
        values=Fields(
            {
                "mode": Choice(("join", "create")),
                "furl": FURL,
                "grid": GRID,
                "nickname": LABEL,
                "storage": Choice(("yes", "no")),
            }
        ),
        plan=tahoe_plan,
    ),
}


def read_facts(ctx: Context) -> dict[str, Any]:
    try:
        facts = json.loads(ctx.facts_file.read_text())
    except (OSError, ValueError):
        return {"services": {}}
    return facts if isinstance(facts, dict) and isinstance(facts.get("services"), dict) else {"services": {}}


def record_choice(ctx: Context, service: Service, values: dict[str, str] | None) -> None:
    """What the owner chose, as local facts (ansible_local.cloudy_panel): the admin's deploy keeps it."""
    facts = read_facts(ctx)
    if values is None:
        facts["services"].pop(service.id, None)
    else:
        # The FURL is a capability: it stays in Tahoe's own private folder, not in facts.
        facts["services"][service.id] = {k: v for k, v in values.items() if k != "furl"}
    ctx.facts_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = ctx.facts_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(facts, indent=2, sort_keys=True) + "\n")
    tmp.chmod(0o644)
    tmp.replace(ctx.facts_file)


def unit_states(ctx: Context, service: Service) -> dict[str, dict[str, str]]:
    props = "Id,LoadState,ActiveState,UnitFileState"
    done = ctx.run(["systemctl", "show", "-p", props, "--", *service.units])
    states: dict[str, dict[str, str]] = {}
    for block in done.stdout.strip().split("\n\n"):
        props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        if props.get("Id"):
            states[props["Id"]] = {
                "loaded": props.get("LoadState", ""),
                "active": props.get("ActiveState", ""),
                "enabled": props.get("UnitFileState", ""),
            }
    return states


def status(ctx: Context, service: Service) -> dict[str, Any]:
    units = unit_states(ctx, service)
    return {
        "service": service.id,
        "installed": any(u["loaded"] == "loaded" for u in units.values()),
        "running": any(u["active"] == "active" for u in units.values()),
        "units": units,
        "choice": read_facts(ctx)["services"].get(service.id),
    }


def systemctl(ctx: Context, service: Service, *command: str) -> None:
    installed = [u for u, s in unit_states(ctx, service).items() if s["loaded"] == "loaded"]
    if not installed:
        raise HelperError(FAILED, f"{service.id} is not installed")
    done = ctx.run(["systemctl", *command, "--", *installed])
    if done.returncode != 0:
        raise HelperError(FAILED, f"systemctl {' '.join(command)} failed: {done.stderr.strip()[-200:]}")


def apply_role(ctx: Context, service: Service, values: dict[str, str]) -> str:
    """Start a job running the service's playbook on this box (connection local)."""
    playbook = shutil.which(ctx.ansible_playbook)
    if playbook is None:
        raise HelperError(FAILED, "ansible-core is not installed on this box (see role webui's README)")
    if dpkg_busy(ctx):
        raise HelperError(BUSY, "apt, dpkg or another job is running; try again when it is done")
    groups, role_vars = service.plan(values, ctx.config)
    host = {
        "ansible_connection": "local",
        "ansible_python_interpreter": "/usr/bin/python3",
        "cloudy_cloud": ctx.config.get("cloud", "cloudy"),
        "cloudy_overlay_ip": ctx.config.get("overlay_ip", ""),
        **role_vars,
    }
    inventory = {"all": {"children": {g: {"hosts": {"localhost": {}}} for g in groups}}}
    inventory["all"]["hosts"] = {"localhost": host}
    work = ctx.state_dir / "ansible"
    work.mkdir(mode=0o700, parents=True, exist_ok=True)
    # JSON is YAML: the inventory plugin reads it; the file is root's only (it may hold a FURL).
    path = work / f"{service.id}-inventory.json"
    path.touch(mode=0o600)
    path.write_text(json.dumps(inventory))
    argv = [playbook, "-i", str(path), str(ctx.ansible_dir / "playbooks" / service.playbook)]
    env = {
        "ANSIBLE_CONFIG": str(ctx.ansible_dir / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCAL_TEMP": str(work / "tmp"),
    }
    record_choice(ctx, service, values)
    return ctx.jobs.start(f"service.{service.id}", argv, env=env)


@verb(
    "service.action",
    optional=("values",),
    service=Choice(tuple(SERVICES)),
    action=Choice(ACTIONS),
    values=Fields({name: spec for s in SERVICES.values() for name, spec in s.values.fields.items()}),
)
def action(ctx: Context, service: str, action: str, values: dict[str, str] | None = None) -> dict[str, Any]:
    entry = SERVICES[service]
    values = entry.values.check("values", values or {})
    if values and action not in ("install", "configure"):
        raise HelperError(BAD_ARGS, f"{action} takes no values")
    if action == "status":
        return status(ctx, entry)
    if action in ("install", "configure"):
        return {"job": apply_role(ctx, entry, values)}
    if action == "start":
        systemctl(ctx, entry, "enable", "--now")
    elif action == "stop":
        systemctl(ctx, entry, "stop")
    else:  # uninstall: the role has no removal yet; stop and disable, keep its files and keys.
        systemctl(ctx, entry, "disable", "--now")
        record_choice(ctx, entry, None)
    return status(ctx, entry)
