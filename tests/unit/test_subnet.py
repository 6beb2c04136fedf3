from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import pytest

from cloudy_deploy.errors import BadInput
from cloudy_deploy.lab import subnet

N = IPv4Network


def test_first_free_subnet_of_the_pool():
    assert subnet.choose_subnet([]) == N("172.29.0.0/24")
    used = [N("172.29.0.0/24"), N("172.29.1.0/25")]
    assert subnet.choose_subnet(used) == N("172.29.2.0/24")


def test_a_wide_network_in_use_blocks_every_subnet_inside_it():
    used = [N("172.16.0.0/12")]
    with pytest.raises(BadInput, match="no free /24"):
        subnet.choose_subnet(used)
    assert subnet.choose_subnet(used, pool=N("10.250.0.0/16")) == N("10.250.0.0/24")


def test_user_subnet_that_overlaps_is_refused_with_its_owner():
    used = {N("172.29.0.0/16"): "docker network 'other'"}
    with pytest.raises(BadInput, match=r"overlaps 172\.29\.0\.0/16 of docker network 'other'"):
        subnet.check_free(N("172.29.5.0/24"), used)
    subnet.check_free(N("172.30.5.0/24"), used)  # no overlap: no error


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nonsense", "not a network"),
        ("172.29.0.1/24", "not a network"),
        ("fd00::/64", "IPv4"),
        ("172.29.0.0/30", "no room"),
    ],
)
def test_bad_user_subnets(text, message):
    with pytest.raises(BadInput, match=message):
        subnet.parse_subnet(text, nodes=3)


def test_box_addresses_skip_the_gateway():
    net = N("172.29.3.0/24")
    assert subnet.box_address(net, 1) == IPv4Address("172.29.3.2")
    assert subnet.box_address(net, 3) == IPv4Address("172.29.3.4")


def test_host_routes_are_read_from_proc(tmp_path: Path):
    table = tmp_path / "route"
    table.write_text(
        "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n"
        "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"  # default: ignored
        "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"  # 192.0.2.0/24
        "docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n"  # 172.17.0.0/16
    )
    assert subnet.host_routes(table) == [N("192.0.2.0/24"), N("172.17.0.0/16")]
    assert subnet.host_routes(tmp_path / "missing") == []
