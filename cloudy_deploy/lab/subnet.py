"""Choose the lab network's subnet so that it clashes with nothing on the host."""

from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network, ip_network
from pathlib import Path

from cloudy_deploy.errors import BadInput

# Docker's own default pools are 172.17-31.x and 192.168.x; guifi.net uses
# 10.0.0.0/8 and the default overlay is 10.99.0.0/16. This range avoids all of
# them in the common case, and every candidate is still checked.
DEFAULT_POOL = IPv4Network("172.29.0.0/16")
DEFAULT_PREFIX = 24


def host_routes(route_file: Path = Path("/proc/net/route")) -> list[IPv4Network]:
    """The host's IPv4 routes except the default one: networks already in use."""
    try:
        lines = route_file.read_text().splitlines()[1:]
    except OSError:
        return []
    nets = []
    for line in lines:
        fields = line.split()
        if len(fields) < 8:
            continue
        dest, mask = (IPv4Address(int(fields[i], 16).to_bytes(4, "little")) for i in (1, 7))
        if int(mask) == 0:
            continue
        nets.append(IPv4Network(f"{dest}/{mask}", strict=False))
    return nets


def parse_subnet(text: str, nodes: int) -> IPv4Network:
    """Validate a subnet given by the user (`--subnet`)."""
    try:
        net = ip_network(text, strict=True)
    except ValueError as exc:
        raise BadInput(f"--subnet {text!r} is not a network: {exc} (e.g. --subnet 172.29.5.0/24)") from None
    if not isinstance(net, IPv4Network):
        raise BadInput(f"--subnet {text}: the lab needs an IPv4 network (e.g. 172.29.5.0/24)")
    if net.num_addresses - 3 < nodes:  # network, gateway, broadcast
        raise BadInput(f"--subnet {text} has no room for {nodes} boxes: give a larger network")
    return net


def check_free(net: IPv4Network, used: dict[IPv4Network, str]) -> None:
    for other, owner in used.items():
        if net.overlaps(other):
            raise BadInput(
                f"--subnet {net} overlaps {other} of {owner}: choose another subnet, "
                "or leave --subnet out to pick a free one"
            )


def choose_subnet(
    used: Iterable[IPv4Network],
    pool: IPv4Network = DEFAULT_POOL,
    prefix: int = DEFAULT_PREFIX,
) -> IPv4Network:
    """The first /prefix network of the pool that overlaps no network in use."""
    taken = list(used)
    for candidate in pool.subnets(new_prefix=prefix):
        if not any(candidate.overlaps(t) for t in taken):
            return candidate
    raise BadInput(f"no free /{prefix} left in {pool}: remove unused docker networks, or give --subnet")


def box_address(net: IPv4Network, index: int) -> IPv4Address:
    """Box i gets host address i+1; the first host address is docker's gateway."""
    return net.network_address + 1 + index
