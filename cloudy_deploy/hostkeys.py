"""Host keys on every run: the SSH arguments that check them strictly, and the check before a run.

One known_hosts per project (`.cloudy/known_hosts`, filled by `cloudy discover --probe`); a node
whose source names its own file (lab boxes) is checked against that one. The arguments are the
inventory's host variables, so the wrapper and the inventory plugin (plain ansible, AWX) get the
same. `ansible_host_key_checking` is a host variable because it wins over ANSIBLE_HOST_KEY_CHECKING,
which ansible-runner (and AWX) set to False: with it false, Ansible passes StrictHostKeyChecking=no
ahead of ours, and ssh takes the first value it sees.
"""

import shlex
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cloudy_deploy.errors import BadInput
from cloudy_deploy.nodes import Node
from cloudy_deploy.paths import check_writable, state_root
from cloudy_deploy.plan import Plan
from cloudy_deploy.probe import KnownHostsError, host_id, load_host_keys

KNOWN_HOSTS = "known_hosts"
FIX = "cloudy discover --probe"


def project_known_hosts(home: Path | None) -> Path:
    """The project's known_hosts: where `discover --probe` records keys on first use."""
    return state_root(home) / KNOWN_HOSTS


def known_hosts_of(node: Node, project_file: Path | None) -> Path | None:
    """The file that holds NODE's key: its source's own (lab), else the project's."""
    return Path(node.ssh_known_hosts).expanduser() if node.ssh_known_hosts else project_file


def ssh_vars(known_hosts: Path | None, private_key: str | None) -> dict[str, Any]:
    """Host variables for strict host key checking against KNOWN_HOSTS (ssh's default files when
    None); IdentitiesOnly when a key is named, so ssh offers that key alone."""
    opts = []
    if known_hosts is not None:
        opts += [f"UserKnownHostsFile={known_hosts}", "GlobalKnownHostsFile=/dev/null"]
    opts.append("StrictHostKeyChecking=yes")
    if private_key:
        opts.append("IdentitiesOnly=yes")
    return {
        "ansible_host_key_checking": True,
        "ansible_ssh_common_args": " ".join(f"-o {shlex.quote(o)}" for o in opts),
    }


def select(hosts: Mapping[str, Node], groups: Mapping[str, Sequence[str]], limit: str | None) -> list[str]:
    """The inventory hosts a run with LIMIT may reach. Host and group names are resolved; any other
    pattern (wildcards, `!`, `&`, ranges) counts as every host: checking more is safe."""
    if not limit:
        return list(hosts)
    chosen: list[str] = []
    for term in (t.strip() for t in limit.replace(":", ",").split(",")):
        if not term:
            continue
        if term in hosts:
            chosen.append(term)
        elif term in groups:
            chosen += groups[term]
        else:
            return list(hosts)
    return [h for h in hosts if h in set(chosen)]


def missing(nodes: Iterable[tuple[str, Node]], project_file: Path) -> dict[Path, list[str]]:
    """known_hosts file -> the inventory hosts with no key recorded there (BadInput: an unreadable file)."""
    loaded: dict[Path, Any] = {}
    out: dict[Path, list[str]] = {}
    for name, node in nodes:
        path = known_hosts_of(node, project_file) or project_file
        if path not in loaded:
            try:
                loaded[path] = load_host_keys(path) if path.exists() else None
            except KnownHostsError as exc:
                raise BadInput(str(exc)) from None
        keys = loaded[path]
        if keys is None or not keys.lookup(host_id(node.address, node.ssh_port or 22)):
            out.setdefault(path, []).append(name)
    return out


def _names(names: list[str]) -> str:
    return ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")


def require_known(the_plan: Plan, limit: str | None, home: Path | None) -> None:
    """Refuse a run before it starts (BadInput) when a box it may reach has no recorded host key."""
    project_file = project_known_hosts(home)
    check_writable(project_file.parent)  # a state folder that cannot be used is the first thing to fix
    hosts = {h.hostname: h.node for h in the_plan.hosts}
    groups: dict[str, list[str]] = {}
    for h in the_plan.hosts:
        for group in h.groups:
            groups.setdefault(group, []).append(h.hostname)
    unknown = missing(((h, hosts[h]) for h in select(hosts, groups, limit)), project_file)
    if not unknown:
        return
    parts = []
    if project_file in unknown:
        parts.append(
            f"no recorded host key for {_names(unknown.pop(project_file))} in {project_file}: run `{FIX}`, "
            "check the fingerprints it shows, then run this again"
        )
    for path, names in unknown.items():  # files of the node sources (lab): the probe never writes them
        parts.append(f"no host key for {_names(names)} in {path}, the file its source names: add it there")
    raise BadInput("; ".join(parts))
