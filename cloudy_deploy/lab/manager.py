"""`cloudy lab up|down|status|ssh`: bring a lab of real systemd Debian boxes up and down.

Every check on the user's input runs before anything is built or written.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from ipaddress import IPv4Network
from pathlib import Path

import docker

from cloudy_deploy.errors import BadInput
from cloudy_deploy.lab import boxes, limits, naming, state, subnet
from cloudy_deploy.lab.docker_api import connect, used_subnets
from cloudy_deploy.lab.images import NodeRecipe, ensure_images
from cloudy_deploy.lab.sshkeys import ensure_client_key, known_hosts_line, write_known_hosts
from cloudy_deploy.paths import project_home

DEFAULT_NODES = 3
Say = Callable[[str], None]


class LabError(Exception):
    """The lab could not be brought up although the input was fine (exit 1)."""


@dataclass
class UpRequest:
    lab: str = "lab"
    nodes: int | None = None
    subnet: str | None = None
    host_ca: bool = True
    mirror: str | None = None
    home: Path | None = None


def _plan_subnet(
    client: docker.DockerClient, req: UpRequest, old: state.LabState | None, count: int
) -> IPv4Network:
    if old is not None:
        net = IPv4Network(old.subnet)
        if req.subnet and subnet.parse_subnet(req.subnet, count) != net:
            raise BadInput(
                f"lab {req.lab!r} already uses subnet {old.subnet}: leave --subnet out, "
                f"or run `cloudy lab down --name {req.lab}` first"
            )
        if net.num_addresses - 3 < count:
            hint = "`lab down`, then up with a larger --subnet"
            raise BadInput(f"lab subnet {old.subnet} is too small for {count} boxes: {hint}")
        return net
    used = used_subnets(client)
    ours = client.networks.list(names=[naming.network_name(req.lab)])
    for net in ours:  # a network left by an interrupted `lab up` is ours to reuse
        used = {k: v for k, v in used.items() if v != f"docker network {net.name!r}"}
    for route in subnet.host_routes():  # a docker network's own route keeps the network's name
        used.setdefault(route, "a host route")
    if req.subnet:
        net = subnet.parse_subnet(req.subnet, count)
        subnet.check_free(net, used)
        return net
    return subnet.choose_subnet(used)


def _owner_clash(client: docker.DockerClient, lab: str, project: str) -> str | None:
    """The project that owns a lab of this name on this engine, when it is not ours."""
    nets = client.networks.list(names=[naming.network_name(lab)])
    boxes_ = client.containers.list(all=True, filters={"label": f"{naming.LABEL}={lab}"})
    for obj in [*boxes_, *nets]:
        owner = (obj.attrs.get("Labels") or obj.attrs.get("Config", {}).get("Labels") or {}).get(
            naming.PROJECT_LABEL, "an unknown project"
        )
        if owner != project:
            return owner
    return None


def up(req: UpRequest, say: Say, tick: Callable[[], None] = lambda: None) -> state.LabState:
    naming.validate_lab_name(req.lab)
    if req.nodes is not None:
        naming.validate_node_count(req.nodes)
    client = connect()
    project = str(project_home(req.home))
    other = _owner_clash(client, req.lab, project)
    if other:
        raise BadInput(
            f"a lab named {req.lab!r} already runs for the project {other}: "
            "give this one another --name, or take that one down there"
        )
    old = state.load(req.lab, req.home)
    count = req.nodes or (len(old.nodes) if old else DEFAULT_NODES)
    if old and count < len(old.nodes):
        say(f"lab {req.lab!r} has {len(old.nodes)} boxes; keeping them all (`lab down` removes a lab)")
        count = len(old.nodes)
    net = _plan_subnet(client, req, old, count)
    running = client.containers.list(filters={"label": f"{naming.LABEL}={req.lab}", "status": "running"})
    limits.check_inotify(count - len(running))

    image = ensure_images(client, NodeRecipe(host_ca=req.host_ca), req.mirror, say)
    folder = state.make_lab_dir(req.lab, req.home)
    key = folder / state.KEY_FILE
    public_key = ensure_client_key(key, comment=f"cloudy-lab-{req.lab}")
    network = naming.network_name(req.lab)
    labels = naming.labels(req.lab, project)
    boxes.ensure_network(client, network, labels, net)

    def bring_up(index: int) -> tuple[state.LabBox, str]:
        name, cname = naming.box_name(req.lab, index), naming.container_name(req.lab, index)
        address = str(subnet.box_address(net, index))
        box = boxes.find_container(client, cname)
        if box is None:
            box = boxes.create_box(
                client,
                labels=labels,
                name=name,
                container=cname,
                image=image,
                network=network,
                address=address,
                public_key=public_key,
            )
        if box.status != "running":
            box.start()
        line = known_hosts_line([name, address], boxes.read_host_key(box))
        tick()
        return state.LabBox(name=name, container=cname, address=address), line

    with ThreadPoolExecutor(max_workers=min(count, 8)) as pool:
        results = list(pool.map(bring_up, range(1, count + 1)))
    known = folder / state.KNOWN_HOSTS
    write_known_hosts(known, [line for _, line in results])
    lab = state.LabState(
        lab=req.lab,
        network=network,
        subnet=str(net),
        image=image,
        ssh_private_key=str(key),
        ssh_known_hosts=str(known),
        nodes=[b for b, _ in results],
    )
    state.save(lab, req.home)

    def answers(b: state.LabBox) -> bool:
        return boxes.wait_ssh(b.address, lab.ssh_user, str(key), str(known))

    with ThreadPoolExecutor(max_workers=min(count, 8)) as pool:
        silent = [b.name for b, ok in zip(lab.nodes, pool.map(answers, lab.nodes), strict=True) if not ok]
    if silent:
        raise LabError(f"boxes started but do not answer SSH: {', '.join(silent)} (see `docker logs`)")
    return lab


def down(lab: str, home: Path | None, say: Say) -> bool:
    """Remove the lab's containers, network and state; keep the images. False if there was none."""
    naming.validate_lab_name(lab)
    client = connect()
    found = False
    ours = [f"{k}={v}" for k, v in naming.labels(lab, str(project_home(home))).items()]
    for box in client.containers.list(all=True, filters={"label": ours}):
        box.remove(force=True, v=True)
        found = True
    for net in client.networks.list(filters={"label": ours}):
        net.remove()
        found = True
    if state.lab_dir(lab, home).exists():
        state.remove(lab, home)
        found = True
    if not found:
        say(f"no lab named {lab!r} here")
    return found


@dataclass
class BoxStatus:
    lab: str
    name: str
    container: str
    address: str
    running: bool
    ssh: bool


def status(home: Path | None, lab: str | None = None) -> list[BoxStatus]:
    labs = state.load_all(home)
    if lab is not None:
        labs = [s for s in labs if s.lab == naming.validate_lab_name(lab)]
    if not labs:
        return []
    client = connect()

    def check(item: tuple[state.LabState, state.LabBox]) -> BoxStatus:
        lab_state, b = item
        box = boxes.find_container(client, b.container)
        running = box is not None and box.status == "running"
        ok = running and boxes.ssh_answers(
            b.address, lab_state.ssh_user, lab_state.ssh_private_key, lab_state.ssh_known_hosts
        )
        return BoxStatus(lab_state.lab, b.name, b.container, b.address, running, ok)

    items = [(s, b) for s in labs for b in s.nodes]
    with ThreadPoolExecutor(max_workers=min(len(items), 16) or 1) as pool:
        return list(pool.map(check, items))


def ssh_argv(home: Path | None, node: str, command: list[str]) -> list[str]:
    """The ssh command line for a lab box: the lab's key, its known_hosts, strict checking."""
    for lab_state in state.load_all(home):
        for b in lab_state.nodes:
            if node in (b.name, b.container, b.address):
                return [
                    "ssh",
                    "-i",
                    lab_state.ssh_private_key,
                    "-o",
                    "IdentitiesOnly=yes",
                    "-o",
                    f"UserKnownHostsFile={lab_state.ssh_known_hosts}",
                    "-o",
                    "GlobalKnownHostsFile=/dev/null",
                    "-o",
                    "StrictHostKeyChecking=yes",
                    f"{lab_state.ssh_user}@{b.address}",
                    *command,
                ]
    raise BadInput(f"no lab box named {node!r}: see `cloudy lab status` for the names")
