"""The plan as an Ansible inventory (docs/inventory.md): hosts.yml plus group_vars/all/<component>.yml.

Plain YAML a person can read and diff (Kubespray style), byte-identical when nothing changed. The
`cloudy` inventory plugin builds the same data with `build` and hands it to Ansible directly.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cloudy_deploy import __version__, clouder, hostkeys
from cloudy_deploy.errors import BadInput
from cloudy_deploy.lock import natural_key, write_atomic
from cloudy_deploy.nodes import Node
from cloudy_deploy.plan import GROUPS, Host, Plan, hostname_for
from cloudy_deploy.spec import CloudSpec, default_zone

HOSTS_FILE = "hosts.yml"
GROUP_VARS = Path("group_vars") / "all"
COMPONENTS = (
    "cloudy",
    "tinc",
    "avahi",
    "webui",
    "tahoe",
    "caracaldb",  # no longer written (the roles count their groups): listed so an old file goes
    "peerstreamer",
    "artifacts",
    "dns",
    "proxy3",
    "snpservices",
    "dnsservices",
    "repository",
)
# Empty groups the playbooks fill as they run: the boxes checked, and those left out as unchanged
# since their last complete run (playbooks/applied_check.yml). Declared so that a play's pattern
# `GROUP:!cloudy_unchanged` matches quietly when none is.
RUN_GROUPS = ("cloudy_checked", "cloudy_unchanged")
HEADER = "# Written by cloudy-deploy from cloudy.yml and cloudy.lock: edit those, not this file.\n"
# Planned variables win over a source's host vars of the same name.
_PLANNED = ("ansible_", "cloudy_", "common_hostname")


@dataclass(frozen=True)
class Inventory:
    hosts: dict[str, dict[str, Any]]  # inventory host name -> host vars (keys sorted); natural order
    groups: dict[str, list[str]]  # every group of the contract (GROUPS order) -> its hosts
    group_vars: dict[str, dict[str, Any]]  # component -> variables of group `all`


def host_vars(
    node: Node,
    default_user: str = "root",
    default_key: str | None = None,
    known_hosts: Path | None = None,
    key_files: bool = True,
) -> dict[str, Any]:
    """How the controller reaches a box over SSH, host keys checked strictly (hostkeys.py) against
    the node's own known_hosts, else KNOWN_HOSTS (the project's). KEY_FILES False names no key file:
    the run's credential gives the key (AWX)."""
    hv: dict[str, Any] = {"ansible_host": node.address, "ansible_user": node.ssh_user or default_user}
    if node.ssh_port not in (None, 22):
        hv["ansible_port"] = node.ssh_port
    key = (node.ssh_private_key or default_key) if key_files else None
    if key:
        hv["ansible_ssh_private_key_file"] = key
    return hv | hostkeys.ssh_vars(hostkeys.known_hosts_of(node, known_hosts), key)


def _host(host: Host, spec: CloudSpec, known_hosts: Path | None, key_files: bool) -> dict[str, Any]:
    node = host.node
    source_vars = {k: v for k, v in node.vars.items() if not k.startswith(_PLANNED)}
    planned = host_vars(node, spec.ssh.user, spec.ssh.private_key, known_hosts, key_files) | {
        "cloudy_node_name": host.name,
        "cloudy_tinc_name": host.tinc_name,
        "cloudy_overlay_ip": str(host.overlay_ip),
        "common_hostname": host.hostname,
    }
    # Other boxes dial this address for tinc. A box behind NAT (tag `nat`) only dials out: null, and
    # written, since the tinc role reads a missing value as "dial ansible_host".
    public = node.vars.get("cloudy_public_address", None if "nat" in node.tags else node.address)
    planned["cloudy_public_address"] = public or None
    merged = source_vars | planned
    return {k: merged[k] for k in sorted(merged)}


def _group_vars(plan: Plan, spec: CloudSpec) -> dict[str, dict[str, Any]]:
    overlay, services = spec.overlay, spec.services
    out: dict[str, dict[str, Any]] = {
        "cloudy": {
            "cloudy_cloud": spec.cloud,
            "cloudy_overlay_port": overlay.port,
            "cloudy_overlay_prefix": plan.subnet.prefixlen,
            "cloudy_overlay_subnet": str(plan.subnet),
            # Leave out the boxes unchanged since their last complete run (`cloudy deploy --full`
            # and `-e cloudy_skip_unchanged=false` run them too).
            "cloudy_skip_unchanged": True,
            "cloudy_version": __version__,
        },
        "tinc": {"tinc_spines": overlay.spines, "tinc_topology": overlay.topology},
    }
    if services.tahoe:
        shares = services.tahoe.shares
        out["tahoe"] = {
            "tahoe_shares_happy": shares.happy,
            "tahoe_shares_needed": shares.needed,
            "tahoe_shares_total": shares.total,
            "tahoe_reserved_space": services.tahoe.reserved_space,
        }
    if artifacts := services.artifacts():
        # The supplied software (name, sha256, src or url): each role installs its own entry.
        out["artifacts"] = {"cloudy_artifacts": artifacts}
    if services.dns:
        out["dns"] = {"dns_zone": services.dns.zone or default_zone(spec.cloud)}
    out |= _guifi_vars(spec)
    if services.repository and services.repository.mirror:
        out["repository"] = {"repository_mirror": services.repository.mirror}
    return out


def _guifi_vars(spec: CloudSpec) -> dict[str, dict[str, Any]]:
    """The guifi.net services' role variables (names agreed with the roles: docs/inventory.md)."""
    services, out = spec.services, {}
    if services.proxy3:
        p = services.proxy3
        out["proxy3"] = {
            "proxy3_node_id": p.node_id,
            "proxy3_federation_src": p.federation,
            "proxy3_ldap_uris": list(p.ldap.uris),
            "proxy3_ldap_base": p.ldap.base,
            "proxy3_ldap_bind_dn": p.ldap.bind_dn,
            "proxy3_cache_size": p.cache_size,
            "proxy3_cache_mem": p.cache_mem,
            "proxy3_language": p.language,
            "proxy3_manager": p.manager,
        }
    if services.snpservices:
        out["snpservices"] = {
            "snpservices_cnml_src": services.snpservices.cnml,
            "snpservices_graph_server_id": services.snpservices.graph_server,
        }
    if services.dnsservices:
        out["dnsservices"] = {
            "dnsservices_data_src": services.dnsservices.data,
            "dnsservices_cnml_src": services.dnsservices.cnml,
        }
    return out


def build(
    plan: Plan, spec: CloudSpec, known_hosts: Path | None = None, *, key_files: bool = True
) -> Inventory:
    """The inventory as data: what render() writes and the inventory plugin hands to Ansible.
    KNOWN_HOSTS: the project's (hostkeys.project_known_hosts); None leaves ssh its default files.
    KEY_FILES False leaves out ssh key files (the plugin on AWX, where a credential gives the key)."""
    ordered = sorted(plan.hosts, key=lambda h: natural_key(h.hostname))
    hosts = {h.hostname: _host(h, spec, known_hosts, key_files) for h in ordered}
    guests = {h.hostname: h.node.vars[clouder.HOST_VAR] for h in ordered if clouder.GUEST_TAG in h.node.tags}
    clouder.inventory_vars(hosts, guests, spec, hostname_for)
    hosts = {name: dict(sorted(hv.items())) for name, hv in hosts.items()}
    groups: dict[str, list[str]] = {g: [] for g in (*GROUPS, *RUN_GROUPS)}
    for h in ordered:
        for group in h.groups:
            groups[group].append(h.hostname)
    return Inventory(hosts, groups, _group_vars(plan, spec))


class _Unsafe(str):
    """Text Ansible must never render as a template: written with the `!unsafe` tag."""


def _guard(value: Any) -> Any:
    # Names and vars come from CNML exports and mDNS answers: `{{ ... }}` there must stay text.
    if isinstance(value, str):
        return _Unsafe(value) if any(m in value for m in ("{{", "{%", "{#")) else value
    if isinstance(value, dict):
        return {k: _guard(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_guard(v) for v in value]
    return value


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Block style; a group's host list reads `box1:` rather than `box1: null`."""


_Dumper.add_representer(type(None), lambda d, _: d.represent_scalar("tag:yaml.org,2002:null", ""))
_Dumper.add_representer(_Unsafe, lambda d, v: d.represent_scalar("!unsafe", str(v), style="'"))


def _dump(data: Any) -> str:
    return yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1 << 16
    )


def _key(name: str) -> str:
    """A host name as a mapping key: plain unless YAML would read it as something else (`yes`, `1e3`)."""
    plain = _RESOLVER.resolve(yaml.ScalarNode, name, (True, False)) == "tag:yaml.org,2002:str"
    return name if plain else f"'{name}'"  # host names are letters, digits and '-': no quote inside


_RESOLVER = yaml.resolver.Resolver()


def _hosts_yml(inv: Inventory) -> str:
    # Written host by host: one YAML graph of 10,000 hosts keeps the garbage collector busy for seconds.
    out = [HEADER, "all:\n", "  hosts:\n" if inv.hosts else "  hosts: {}\n"]
    for name, variables in inv.hosts.items():
        block = _dump({name: _guard(variables)})
        out.append("    " + block[:-1].replace("\n", "\n    ") + "\n")
    out.append("  children:\n")
    for group, members in inv.groups.items():
        if not members:
            out.append(f"    {group}: {{}}\n")
            continue
        out += [f"    {group}:\n", "      hosts:\n"]
        out += [f"        {_key(m)}:\n" for m in members]
    return "".join(out)


def render(plan: Plan, spec: CloudSpec, known_hosts: Path | None = None) -> dict[str, str]:
    """Relative path -> file text: hosts.yml and one group_vars/all/<component>.yml per component."""
    inv = build(plan, spec, known_hosts)
    files = {HOSTS_FILE: _hosts_yml(inv)}
    for component, variables in inv.group_vars.items():
        files[str(GROUP_VARS / f"{component}.yml")] = HEADER + _dump(_guard(variables))
    return files


def write(plan: Plan, spec: CloudSpec, out_dir: Path, known_hosts: Path | None = None) -> list[Path]:
    """Write the inventory (hosts.yml first); component files the spec no longer has are removed."""
    files = render(plan, spec, known_hosts)
    for folder in (out_dir, out_dir / GROUP_VARS):
        if folder.exists() and not folder.is_dir():
            raise BadInput(
                f"{folder}: is a file, the inventory needs a folder there: move it or pick another -o"
            )
    (out_dir / GROUP_VARS).mkdir(parents=True, exist_ok=True)
    written = []
    for rel, text in files.items():
        path = out_dir / rel
        # Unchanged files are left alone: same bytes and same mtime, so re-runs are no-ops.
        if not (path.is_file() and path.read_text(encoding="utf-8") == text):
            write_atomic(path, text)
        written.append(path)
    for component in COMPONENTS:
        stale = out_dir / GROUP_VARS / f"{component}.yml"
        if str(GROUP_VARS / f"{component}.yml") not in files and stale.is_file():
            stale.unlink()
    return written
