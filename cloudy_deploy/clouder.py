"""Cloudy containers (services.clouder): boxes of the cloud that run on a clouder host.

Each container becomes a node before the plan, so it gets its tinc name, host name and overlay
address like any box (and keeps them in the lock). The controller reaches it through its host:
ssh's ProxyCommand, and its host key is read from the host by ssh's KnownHostsCommand, over a
connection that checks the host's own key. Nothing about a container is trusted blindly.
"""

import shlex
import shutil
from collections.abc import Callable, Sequence
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from cloudy_deploy.errors import BadInput
from cloudy_deploy.nodes import Node
from cloudy_deploy.spec import CloudSpec

# The containers' network on each host (role clouder's clouder_boxes_subnet): a container's address
# there is the overlay address's last two octets, so it needs no allocation of its own.
SUBNET = IPv4Network("100.64.0.0/16")
GUEST_TAG = "clouder_guest"
HOST_VAR = "cloudy_clouder_host"  # the guest's clouder host (its inventory host name)
STATE_DIR = "/var/lib/cloudy-clouder"  # role clouder's clouder__state_dir


def guest_nodes(spec: CloudSpec, nodes: Sequence[Node], hostname_of: Callable[[str], str]) -> list[Node]:
    """A node per Cloudy container, reached through its host. HOSTNAME_OF: node name -> host name."""
    clouder = spec.services.clouder
    if clouder is None:
        return []
    by_name = {n.name: n for n in nodes}
    for box in clouder.boxes:
        if box not in by_name:
            raise BadInput(
                f"{spec.where('services', 'clouder', 'boxes')}: no node is named {box!r}: name a node of the"
                " sources (`cloudy discover` lists them)"
            )
    out = []
    for c in clouder.containers:
        host = by_name[clouder.host_of(c)]
        out.append(
            Node(
                name=c.name,
                address=host.address,
                ssh_user="root",
                ssh_port=host.ssh_port,
                ssh_private_key=host.ssh_private_key,
                ssh_known_hosts=host.ssh_known_hosts,
                tags=("nat", GUEST_TAG),  # behind its host's NAT: it dials out to the mesh
                vars={HOST_VAR: hostname_of(host.name)},
                source=f"clouder:{host.name}",
            )
        )
    return out


def bridge_ip(overlay_ip: IPv4Address) -> IPv4Address:
    """The container's address on its host's network: the overlay address's last two octets."""
    low = int(overlay_ip) & 0xFFFF
    return SUBNET.network_address + low


def refuse_clashes(guests: dict[str, tuple[str, IPv4Address]]) -> None:
    """guests: name -> (host, overlay IP). Two containers of one host must not share an address,
    nor take the network's gateway (.0.1) or its ends (overlays wider than /16 can map there)."""
    seen: dict[tuple[str, IPv4Address], str] = {}
    for name, (host, ip) in guests.items():
        addr = bridge_ip(ip)
        if int(addr) & 0xFFFF in (0, 1, 0xFFFF):
            raise BadInput(
                f"container {name}: its overlay address {ip} maps to {addr}, which its host's network"
                " keeps: use an overlay subnet of /16 or narrower"
            )
        other = seen.setdefault((host, addr), name)
        if other != name:
            raise BadInput(
                f"containers {other} and {name} on {host} would share {addr}: use an overlay subnet of /16"
                " or narrower"
            )


def guest_ssh_vars(
    name: str, host: str, port: int | None, user: str, key: str | None, host_ssh_args: str
) -> dict[str, str]:
    """ansible_ssh_common_args of a guest: through its host (the host's own checked ssh options),
    its host key read from the host (role clouder writes it in known_hosts form), nothing else."""
    ssh = shutil.which("ssh") or "/usr/bin/ssh"  # KnownHostsCommand needs an absolute path
    to_host = [ssh, *shlex.split(host_ssh_args)]
    if key:
        to_host += ["-i", key]
    if port not in (None, 22):
        to_host += ["-p", str(port)]
    to_host.append(f"{user}@{host}")
    known = f"{STATE_DIR}/boxes/{name}/known_host"
    opts = [
        "UserKnownHostsFile=/dev/null",
        "GlobalKnownHostsFile=/dev/null",
        "StrictHostKeyChecking=yes",
        "ProxyCommand=" + shlex.join([*to_host[:1], "-W", "%h:%p", *to_host[1:]]),
        "KnownHostsCommand=" + shlex.join([*to_host, "cat", known]),
    ]
    if key:
        opts.append("IdentitiesOnly=yes")
    return {"ansible_ssh_common_args": " ".join(f"-o {shlex.quote(o)}" for o in opts)}


def inventory_vars(
    hosts: dict[str, dict[str, Any]],
    guests: dict[str, str],
    spec: CloudSpec,
    hostname_of: Callable[[str], str],
) -> None:
    """Add the clouder variables to HOSTS (inventory host -> its vars), in place. GUESTS: each
    container's inventory host -> its clouder host's. Hosts get clouder_boxes and clouder_apps;
    containers get their address on the host's network and their way through the host."""
    c = spec.services.clouder
    if c is None:
        return
    for box in c.boxes:
        hosts[hostname_of(box)] |= {"clouder_boxes": [], "clouder_apps": []}
    for guest, host in guests.items():
        hv, via = hosts[guest], hosts[host]
        ip = bridge_ip(IPv4Address(hv["cloudy_overlay_ip"]))
        hv.pop("ansible_port", None)  # the container's sshd listens on 22; the port is its host's
        port = via.get("ansible_port")
        hv |= {"ansible_host": str(ip), "ansible_user": "root", HOST_VAR: host}
        key, args = via.get("ansible_ssh_private_key_file"), via["ansible_ssh_common_args"]
        hv |= guest_ssh_vars(guest, via["ansible_host"], port, via["ansible_user"], key, args)
        via["clouder_boxes"].append({"name": guest, "ip": str(ip)})
    for app in c.apps:
        entry = app.model_dump(exclude={"host"}, exclude_none=True)
        hosts[hostname_of(c.host_of(app))]["clouder_apps"].append(entry)
