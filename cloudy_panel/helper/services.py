"""service.action: install, configure, start, stop, uninstall or ask the state of a service of the
panel's descriptors (cloudy_panel.web.services). Installing applies the service's own role on this
box (ansible-playbook, connection local): the same role `cloudy deploy` runs. The web side names a
service by id and sends form values; packages, units and playbooks come from here only."""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Callable
from typing import Any

from cloudy_panel.helper.args import Choice, Values
from cloudy_panel.helper.artifacts import SUPPLIED, catalog, spec_key
from cloudy_panel.helper.context import Context
from cloudy_panel.helper.registry import verb
from cloudy_panel.helper.system import dpkg_busy
from cloudy_panel.protocol import BAD_ARGS, BUSY, FAILED, HelperError
from cloudy_panel.web.services import ACTIONS, Service, load_services, secret_fields, validate

SERVICES = load_services()
# Capabilities and passwords among form values: never logged, never written to local facts.
SECRET_FIELDS = secret_fields(SERVICES)

Plan = Callable[[dict[str, Any]], tuple[list[str], dict[str, Any]]]
# A service whose forms act on more than its role (Clouder's containers, cloudy_panel/helper/clouder.py):
# its configure, and what its status adds to the detail (given the state).
Configure = Callable[[Context, Service, dict[str, Any]], dict[str, Any]]
CONFIGURE: dict[str, Configure] = {}
DETAILS: dict[str, Callable[[Context, str], dict[str, Any]]] = {}


def tahoe_plan(values: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """Inventory groups and role variables for the tahoe role from a form (none: the announced grid)."""
    groups = ["tahoe", "tahoe_storage"]
    # The run holds this box alone: an upload from it needs only its own storage (the admin's spec
    # sets the cloud's shares when it places Tahoe on the box).
    role_vars: dict[str, Any] = {"tahoe_shares_needed": 1, "tahoe_shares_happy": 1, "tahoe_shares_total": 1}
    if values.get("form") == "create":
        groups.append("tahoe_introducer")
        role_vars["tahoe_grid"] = values["grid"]
    if values.get("form") == "join":
        # The FURL the owner chose is the grid: no browse for the cloud's grid (it may announce none,
        # and the role would fail waiting for it).
        role_vars["tahoe_introducer_source"] = "play"
        role_vars["tahoe_extra_introducers"] = {"panel": values["furl"]}
    if values.get("nickname"):
        role_vars["tahoe_nickname"] = values["nickname"]
    return groups, role_vars


def proxy3_plan(values: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """The proxy3 role's variables from its form (the original panel's: id, cache, language, LDAP)."""
    role_vars: dict[str, Any] = {
        "proxy3_node_id": values["node_id"],
        "proxy3_federation_src": values["federation"],
        "proxy3_cache_size": values["cache_size"],
        "proxy3_cache_mem": values["cache_mem"],
        "proxy3_language": values["language"],
        "proxy3_manager": values.get("manager", ""),
        "proxy3_ldap_uris": [values["ldap_uri"]],
        "proxy3_ldap_base": values["ldap_base"],
        "proxy3_ldap_bind_dn": values.get("bind_dn", ""),
    }
    if values.get("bind_password"):
        # In the run's inventory (root's only), never on its command line; the role writes it to a
        # file squid's helpers read (no_log).
        role_vars["proxy3_ldap_bind_password"] = values["bind_password"]
    return ["proxy3"], role_vars


def snpservices_plan(values: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    return ["snpservices"], {
        "snpservices_graph_server_id": values["graph_server_id"],
        "snpservices_cnml_src": values["cnml"],
    }


def dnsservices_plan(values: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    return ["dnsservices"], {"dnsservices_data_src": values["data"]}


def peerstreamer_plan(values: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """One channel from a form: "publish" (a source node; the box may publish) or "connect" (a peer
    that relays it). The run's list holds that channel alone, so it replaces what the box ran before:
    one channel per box from the panel for now. The artifact is not the form's (the catalog's)."""
    if values.get("form") == "publish":
        port = values["port"]
        channel = {
            "name": f"ch{port}",
            "kind": "publish",
            "port": port,
            "description": values["description"],
            "source": values["source"],
        }
        return ["peerstreamer", "peerstreamer_source"], {"peerstreamer_channels": [channel]}
    # The box's own P2P port is the one after its output (the descriptor's help says so).
    port = values["local_port"] + 1
    channel = {
        "name": f"ch{port}",
        "kind": "connect",
        "port": port,
        "description": f"{values['peer_ip']}:{values['peer_port']} relayed",
        "peer_ip": values["peer_ip"],
        "peer_port": values["peer_port"],
        "output": values["output"],
        "output_port": values["local_port"],
    }
    if values.get("source"):
        channel["source_ip"] = values["source"]
    return ["peerstreamer"], {"peerstreamer_channels": [channel]}


# How each role is applied from the panel: a service whose role has no plan here cannot be installed.
# The sources are URLs only: a path would be read on this box, as root.
def caracaldb_plan(values: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """Install: a CaracalDB of its own here (bootstrap, REST API, web UI); join: a node of another's."""
    if values.get("form") == "join":
        return ["caracaldb"], {"caracaldb_bootstrap": values["bootstrap"]}
    return ["caracaldb", "caracaldb_api"], {}


def gvod_plan(values: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    return ["gvod"], {"gvod_library": values["library"], "gvod_caracal_address": values["caracal"]}


PLANS: dict[str, Plan] = {
    "tahoe": tahoe_plan,
    "proxy3": proxy3_plan,
    "caracaldb": caracaldb_plan,
    "gvod": gvod_plan,
    "snpservices": snpservices_plan,
    "dnsservices": dnsservices_plan,
    "peerstreamer": peerstreamer_plan,
}


def read_facts(ctx: Context) -> dict[str, Any]:
    try:
        facts = json.loads(ctx.facts_file.read_text())
    except (OSError, ValueError):
        return {"services": {}}
    return facts if isinstance(facts, dict) and isinstance(facts.get("services"), dict) else {"services": {}}


def record_choice(
    ctx: Context, service: Service, values: dict[str, Any] | None, groups: list[str] | None = None
) -> None:
    """What the owner chose, as local facts (ansible_local.cloudy_panel): the admin's deploy keeps it.
    `groups`: the inventory groups the panel's run put the box in; the avahi role counts the service
    as placed on the box by them, so the TXT of _cloudy._tcp keeps listing it."""
    facts = read_facts(ctx)
    facts_groups = facts.setdefault("groups", {})
    if not isinstance(facts_groups, dict):
        facts_groups = facts["groups"] = {}
    if values is None:
        facts["services"].pop(service.id, None)
        facts_groups.pop(service.id, None)
    else:
        facts["services"][service.id] = {k: v for k, v in values.items() if k not in SECRET_FIELDS}
        facts_groups[service.id] = sorted(groups or [])
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
        fields = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        if fields.get("Id"):
            states[fields["Id"]] = {
                "loaded": fields.get("LoadState", ""),
                "active": fields.get("ActiveState", ""),
                "enabled": fields.get("UnitFileState", ""),
            }
    return states


def status(ctx: Context, service: Service) -> dict[str, Any]:
    """The page's state: not-installed, installed (not configured), stopped or running."""
    units = unit_states(ctx, service)
    choice = read_facts(ctx)["services"].get(service.id)
    loaded = [u for u in units.values() if u["loaded"] == "loaded"]
    if not loaded:
        state = "not-installed"
    elif any(u["active"] in ("active", "activating", "reloading") for u in loaded):
        state = "running"
    elif choice is not None or any(u["enabled"] == "enabled" for u in loaded):
        state = "stopped"
    else:
        state = "installed"
    detail: dict[str, Any] = {"units": units, "choice": choice}
    if service.id in DETAILS:
        detail |= DETAILS[service.id](ctx, state)
    return {"state": state, "detail": detail}


def systemctl(ctx: Context, service: Service, *command: str) -> None:
    installed = [u for u, s in unit_states(ctx, service).items() if s["loaded"] == "loaded"]
    if not installed:
        raise HelperError(FAILED, f"{service.id} is not installed")
    done = ctx.run(["systemctl", *command, "--", *installed])
    if done.returncode != 0:
        raise HelperError(FAILED, f"systemctl {' '.join(command)} failed: {done.stderr.strip()[-200:]}")


def apply_role(ctx: Context, service: Service, values: dict[str, Any]) -> str:
    """Start a job running the service's playbook on this box (connection local)."""
    plan = PLANS.get(service.role)
    if plan is None:
        raise HelperError(FAILED, f"the panel cannot apply role {service.role} yet")
    playbook = shutil.which(ctx.ansible_playbook)
    if playbook is None:
        raise HelperError(FAILED, "ansible-core is not installed on this box (see role webui's README)")
    if dpkg_busy(ctx):
        raise HelperError(BUSY, "apt, dpkg or another job is running; try again when it is done")
    groups, role_vars = plan(values)
    offered = catalog(ctx.artifacts_file)
    for key in (g for g in groups if g in SUPPLIED):
        if key not in offered:
            raise HelperError(
                FAILED,
                f"this cloud offers no {service.name} software yet: its admin gives it in cloudy.yml"
                f" ({spec_key(key)}) and deploys",
            )
        role_vars[f"{key}_artifact"] = offered[key]
    host = {
        "ansible_connection": "local",
        "ansible_python_interpreter": "/usr/bin/python3",
        "cloudy_cloud": ctx.config.get("cloud", "cloudy"),
        "cloudy_overlay_ip": ctx.config.get("overlay_ip", ""),
        "cloudy_version": ctx.config.get("version", "0.1.0"),
        # This run knows no admin's plan: the TXT of _cloudy._tcp keeps every registered service.
        "avahi_placed": None,
        **role_vars,
    }
    # The box under its node name (a nickname, a log line say it), reached by connection local.
    name = str(ctx.config.get("node") or socket.gethostname())
    children: dict[str, dict] = {g: {"hosts": {name: {}}} for g in groups}
    # Filled as site.yml runs (applied_check.yml); declared so the playbook's patterns match quietly.
    children |= {"cloudy_checked": {}, "cloudy_unchanged": {}}
    inventory = {"all": {"hosts": {name: host}, "children": children}}
    work = ctx.state_dir / "ansible"
    work.mkdir(mode=0o700, parents=True, exist_ok=True)
    # JSON is YAML to the inventory plugin; root's only, as it may hold a FURL.
    path = work / f"{service.id}-inventory.json"
    path.touch(mode=0o600)
    path.write_text(json.dumps(inventory))
    # Its own config: none from the helper's folder, root's home or /etc/ansible applies.
    (work / "ansible.cfg").write_text("[defaults]\ninterpreter_python = /usr/bin/python3\n")
    # The collection's playbook, as `cloudy deploy` runs it; only the collection role webui put here.
    argv = [playbook, "-i", str(path), f"clommunity.cloudy.{service.role}"]
    env = {
        "ANSIBLE_COLLECTIONS_PATH": str(ctx.collections_dir),
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
        "ANSIBLE_CONFIG": str(work / "ansible.cfg"),
        "ANSIBLE_HOME": str(work / "home"),
        "ANSIBLE_LOCAL_TEMP": str(work / "tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "ANSIBLE_PIPELINING": "true",
    }
    record_choice(ctx, service, values, groups)
    return ctx.jobs.start(f"service.{service.id}", argv, env=env)


@verb(
    "service.action",
    optional=("values",),
    service=Choice(tuple(SERVICES)),
    action=Choice(ACTIONS),
    values=Values(secret=SECRET_FIELDS),
)
def action(ctx: Context, service: str, action: str, values: dict[str, Any] | None = None) -> dict[str, Any]:
    entry = SERVICES[service]
    values = values or {}
    if action == "configure":
        values, errors = validate(entry, values)
        if errors:
            raise HelperError(BAD_ARGS, "bad values: " + ", ".join(sorted(errors)))
    elif values:
        raise HelperError(BAD_ARGS, f"{action} takes no values")
    elif action == "install" and entry.settings_first:
        raise HelperError(BAD_ARGS, f"{service} is installed with its settings (configure)")
    if action == "status":
        return status(ctx, entry)
    if action == "configure" and service in CONFIGURE:
        return CONFIGURE[service](ctx, entry, values)
    if action in ("install", "configure"):
        return {"job": apply_role(ctx, entry, values)}
    if action == "start":
        systemctl(ctx, entry, "enable", "--now")
    elif action == "stop":
        systemctl(ctx, entry, "stop")
    else:  # uninstall: no role removes its software yet; stop and disable, keep files and keys.
        systemctl(ctx, entry, "disable", "--now")
        record_choice(ctx, entry, None)
    return status(ctx, entry)
