"""mDNS: records from zeroconf answers to nodes (pure), and one live browse on the loopback only."""

import secrets
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest
from zeroconf import IPVersion, ServiceInfo, Zeroconf

from cloudy_deploy.sources import mdns
from cloudy_deploy.sources.mdns_records import (
    CLOUDY,
    SSH,
    MdnsRecord,
    decode_txt,
    host_name,
    nodes_from_records,
    order_addresses,
    record_from_info,
)


def info(type_, host, addresses, port, txt=None):
    return ServiceInfo(
        type_,
        f"{host}.{type_}",
        port=port,
        server=f"{host}.local.",
        parsed_addresses=addresses,
        properties=txt or {},
    )


def test_record_from_service_info():
    record = record_from_info(
        info(
            CLOUDY, "box1", ["10.1.2.3", "fd00::1"], 80, {b"Cloud": b"gcodis", b"flag": None, "node": "box1"}
        )
    )
    assert record == MdnsRecord(
        type=CLOUDY,
        name="box1._cloudy._tcp.local.",
        server="box1.local.",
        addresses=("10.1.2.3", "fd00::1"),
        port=80,
        txt={"cloud": "gcodis", "flag": "", "node": "box1"},
    )


def test_decode_txt_survives_bad_bytes():
    assert decode_txt({b"version": b"1.\xff", b"": b"x"}) == {"version": "1.\ufffd"}


@pytest.mark.parametrize(
    ("server", "name"),
    [
        ("box1.local.", "box1"),
        ("box1.local", "box1"),
        ("Box-2.LOCAL.", "Box-2"),
        ("gw.example.org.", "gw.example.org"),
    ],
)
def test_host_name(server, name):
    assert host_name(server) == name


def test_address_order():
    announced = ["fe80::1", "169.254.7.7", "2001:db8::5", "10.1.2.3", "172.16.0.9", "0.0.0.0", "junk"]
    assert order_addresses(announced) == ["10.1.2.3", "172.16.0.9", "169.254.7.7", "2001:db8::5"]


def test_one_node_per_host_with_ssh_port_and_cloudy_txt():
    records = [
        record_from_info(info(SSH, "box2", ["10.1.2.4"], 2222)),
        record_from_info(
            info(
                CLOUDY,
                "box1",
                ["10.99.0.1", "10.1.2.3"],
                80,
                {
                    "cloud": "gcodis",
                    "node": "box1",
                    "overlay_ip": "10.99.0.1",
                    "version": "0.1.0",
                    "services": "tahoe-introducer, webui,,avahi",
                    "evil": "x",
                },
            )
        ),
        record_from_info(info(SSH, "box1", ["10.1.2.3"], 22)),
        record_from_info(info(SSH, "printer", ["fe80::9"], 22)),  # only link-local IPv6: unusable
    ]
    found = nodes_from_records(records)
    box1, box2 = found.nodes
    assert (box1.name, box1.address, box1.addresses, box1.ssh_port) == (
        "box1",
        "10.99.0.1",
        ("10.1.2.3",),
        22,
    )
    assert box1.vars == {
        "mdns_cloud": "gcodis",
        "mdns_node": "box1",
        "mdns_overlay_ip": "10.99.0.1",
        "mdns_version": "0.1.0",
        "mdns_services": ["tahoe-introducer", "webui", "avahi"],
    }
    assert (box1.tags, box1.source) == (("mdns",), "mdns")
    assert (box2.name, box2.address, box2.ssh_port, box2.vars) == ("box2", "10.1.2.4", 2222, {})
    assert found.notes == ["mdns: skipped printer: it announced no usable address"]


def test_a_cloudy_only_box_has_no_ssh_port():
    [node] = nodes_from_records(
        [MdnsRecord(CLOUDY, "b._cloudy._tcp.local.", "b.local.", ("10.0.0.9",), 80)]
    ).nodes
    assert node.ssh_port is None


def test_live_browse_on_the_loopback_only():
    """Publish and browse in-process on 127.0.0.1: no packet leaves this machine."""
    try:
        publisher = Zeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    except OSError as exc:
        pytest.skip(f"no multicast on the loopback here: {exc}")
    # Names of this run only: another run of this test on the machine shares the loopback's mDNS.
    tag = secrets.token_hex(3)
    box7, box8 = f"lo{tag}-box7", f"lo{tag}-box8"
    services = [
        ServiceInfo(SSH, f"{host}.{SSH}", addresses=[socket.inet_aton(ip)], port=22, server=f"{host}.local.")
        for host, ip in [(box7, "127.0.0.7"), (box8, "127.0.0.8")]
    ]
    services.append(
        ServiceInfo(
            CLOUDY,
            f"{box7}.{CLOUDY}",
            addresses=[socket.inet_aton("127.0.0.7")],
            port=80,
            properties={"cloud": "gcodis", "services": "webui"},
            server=f"{box7}.local.",
        )
    )
    try:
        with ThreadPoolExecutor() as pool:  # each registration probes the name for ~1.7 s: together
            list(pool.map(publisher.register_service, services))
        records = mdns.browse(1.5, interfaces=["127.0.0.1"])
    finally:
        publisher.close()
    nodes = [n for n in nodes_from_records(records).nodes if tag in n.name]
    assert [(n.name, n.address, n.ssh_port) for n in nodes] == [
        (box7, "127.0.0.7", 22),
        (box8, "127.0.0.8", 22),
    ]
    assert nodes[0].vars == {"mdns_cloud": "gcodis", "mdns_services": ["webui"]}


def test_the_mdns_source_through_load(monkeypatch, tmp_path):
    from cloudy_deploy.sources import SourceRef, collect

    asked = []

    def fake_browse(seconds, *args, **kwargs):
        asked.append(seconds)
        return [MdnsRecord(SSH, "b9._ssh._tcp.local.", "b9.local.", ("10.0.0.9",), 22)]

    monkeypatch.setattr(mdns, "browse", fake_browse)
    result = collect([SourceRef("mdns", "2.5")], tmp_path)
    assert asked == [2.5]
    assert [(n.name, n.source) for n in result.nodes] == [("b9", "mdns")]
    assert result.notes == ["mdns: 1 box answered in 2.5 s"]
