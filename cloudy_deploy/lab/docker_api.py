"""The lab's only door to Docker: the SDK, with a one-line error when it is closed."""

import os
from ipaddress import IPv4Network, ip_network

import docker
from docker.errors import DockerException

from cloudy_deploy.errors import BadInput


def connect() -> docker.DockerClient:
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except DockerException:
        raise BadInput(
            f"cannot reach the Docker daemon at {host}: start it (on Debian, as root: "
            "`apt-get install docker.io` then `dockerd &`), or point DOCKER_HOST at a running one"
        ) from None
    return client


def used_subnets(client: docker.DockerClient) -> dict[IPv4Network, str]:
    """Subnets of every docker network, with a label saying whose they are."""
    used: dict[IPv4Network, str] = {}
    for net in client.networks.list():
        for cfg in (net.attrs.get("IPAM") or {}).get("Config") or []:
            try:
                subnet = ip_network(cfg.get("Subnet", ""), strict=False)
            except ValueError:
                continue
            if isinstance(subnet, IPv4Network):
                used[subnet] = f"docker network {net.name!r}"
    return used
