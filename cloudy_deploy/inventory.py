"""Write the Ansible inventory as plain YAML a person can read and diff."""

import os
import shlex
from pathlib import Path

import yaml

from cloudy_deploy import __version__
from cloudy_deploy.nodes import Node

HEADER = "# Written by cloudy-deploy from its node sources. Re-generated on every run.\n"
GROUP = "cloudy"


def host_vars(node: Node) -> dict[str, object]:
    hv: dict[str, object] = {"ansible_host": node.address, "ansible_user": node.ssh_user or "root"}
    if node.ssh_port not in (None, 22):
        hv["ansible_port"] = node.ssh_port
    if node.ssh_private_key:
        hv["ansible_ssh_private_key_file"] = node.ssh_private_key
    if node.ssh_known_hosts:
        # Strict checking against the file that holds this box's recorded key.
        hv["ansible_ssh_common_args"] = " ".join(
            f"-o {shlex.quote(opt)}"
            for opt in (
                f"UserKnownHostsFile={node.ssh_known_hosts}",
                "StrictHostKeyChecking=yes",
                "IdentitiesOnly=yes",
            )
        )
    return hv


def render(nodes: list[Node], cloud: str) -> dict[str, object]:
    return {
        "all": {
            "vars": {"cloudy_cloud": cloud, "cloudy_version": __version__},
            "children": {GROUP: {"hosts": {n.name: host_vars(n) for n in nodes}}},
        }
    }


def write(nodes: list[Node], out_dir: Path, cloud: str) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "hosts.yml"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(HEADER + yaml.safe_dump(render(nodes, cloud), sort_keys=False))
    os.chmod(tmp, 0o644)
    tmp.replace(path)
    return path
