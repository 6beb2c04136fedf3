"""Lab boxes: systemd containers that behave like real Debian boxes over SSH."""

import io
import logging
import tarfile
import time
from ipaddress import IPv4Network

import docker
import paramiko
from docker.models.containers import Container
from docker.models.networks import Network
from docker.types import IPAMConfig, IPAMPool
from tenacity import retry, retry_if_result, stop_after_delay, wait_fixed

from cloudy_deploy.errors import BadInput
from cloudy_deploy.lab.naming import LABEL

# What systemd as PID 1 needs here (--privileged fails; see ENVIRONMENT.md),
# plus TUN and NET_ADMIN for tinc.
SYSTEMD_CONTAINER = {
    "cap_add": ["SYS_ADMIN", "NET_ADMIN"],
    "devices": ["/dev/net/tun:/dev/net/tun:rwm"],
    "security_opt": ["seccomp=unconfined", "apparmor=unconfined"],
    "cgroupns": "host",
    "volumes": {"/sys/fs/cgroup": {"bind": "/sys/fs/cgroup", "mode": "rw"}},
    "tmpfs": {"/run": "", "/run/lock": ""},
    "command": "/lib/systemd/systemd",
}
HOST_KEY = "/etc/ssh/ssh_host_ed25519_key.pub"
# A box still booting refuses connections; paramiko would log each try as a traceback.
logging.getLogger("paramiko").setLevel(logging.CRITICAL)


def ensure_network(
    client: docker.DockerClient, name: str, labels: dict[str, str], subnet: IPv4Network
) -> Network:
    found = client.networks.list(names=[name])
    if found:
        return found[0]
    ipam = IPAMConfig(pool_configs=[IPAMPool(subnet=str(subnet), gateway=str(subnet.network_address + 1))])
    return client.networks.create(name, driver="bridge", ipam=ipam, labels=labels)


def find_container(client: docker.DockerClient, name: str) -> Container | None:
    found = client.containers.list(all=True, filters={"name": f"^{name}$"})
    return found[0] if found else None


def _authorized_keys_tar(public_key: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        folder = tarfile.TarInfo(".ssh")
        folder.type, folder.mode = tarfile.DIRTYPE, 0o700
        tar.addfile(folder)
        data = (public_key + "\n").encode()
        info = tarfile.TarInfo(".ssh/authorized_keys")
        info.size, info.mode = len(data), 0o600
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def create_box(
    client: docker.DockerClient,
    *,
    labels: dict[str, str],
    name: str,
    container: str,
    image: str,
    network: str,
    address: str,
    public_key: str,
) -> Container:
    endpoint = client.api.create_endpoint_config(ipv4_address=address)
    box = client.containers.create(
        image,
        name=container,
        hostname=name,
        detach=True,
        labels={**labels, f"{LABEL}.node": name},
        network=network,
        networking_config={network: endpoint},
        **SYSTEMD_CONTAINER,
    )
    box.put_archive("/root", _authorized_keys_tar(public_key))
    return box


def read_host_key(box: Container, timeout: float = 60) -> str:
    """The box's public host key, read through Docker: a channel that does not trust the network."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code, out = box.exec_run(["cat", HOST_KEY])
        if code == 0 and out.strip():
            return out.decode().strip()
        time.sleep(0.2)
    raise BadInput(f"box {box.name} made no SSH host key in {timeout:.0f} s: see `docker logs {box.name}`")


def ssh_answers(address: str, user: str, key_file: str, known_hosts: str, timeout: float = 5) -> bool:
    """True when the box accepts our key and its host key matches the lab's known_hosts."""
    client = paramiko.SSHClient()
    client.load_host_keys(known_hosts)
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        client.connect(
            address,
            username=user,
            key_filename=key_file,
            timeout=timeout,
            banner_timeout=timeout,
            auth_timeout=timeout,
            allow_agent=False,
            look_for_keys=False,
        )
        _, stdout, _ = client.exec_command("true", timeout=timeout)
        return stdout.channel.recv_exit_status() == 0
    except (TimeoutError, paramiko.SSHException, OSError):
        return False
    finally:
        client.close()


def wait_ssh(address: str, user: str, key_file: str, known_hosts: str, timeout: float = 60) -> bool:
    waiting = retry(
        stop=stop_after_delay(timeout),
        wait=wait_fixed(0.3),
        retry=retry_if_result(lambda ok: not ok),
        retry_error_callback=lambda _: False,
    )
    return waiting(ssh_answers)(address, user, key_file, known_hosts)
