"""plugins/modules/dns_zones.py: BIND zones from guifi.net's "domains" DNS data (and a zone's CNML), serials
that move only on change, bad input named with file and line, and checkers that keep a bad zone out."""

import datetime
import os

import pytest

from ansible_collections.clommunity.cloudy.plugins.module_utils import cnml
from ansible_collections.clommunity.cloudy.plugins.modules import dns_zones as dz
from tests.unit.guifi_fixtures import FIXTURES, run_module

DAY = datetime.date(2026, 1, 2)


@pytest.fixture
def module():
    from ansible.module_utils.testing import patch_module_args

    with patch_module_args({}):
        return dz.AnsibleModule(argument_spec={})


def params(tmp_path, src=FIXTURES / "domains.cnml", **more):
    return {
        "src": str(src),
        "name": "domains.cnml",
        "devices_src": None,
        "devices_name": None,
        "devices_domain": "ip.guifi.example",
        "dir": str(tmp_path / "zones"),
        "server_address": "192.0.2.53",
        "main_conf": [],
        "ttl": 3600,
        **more,
    }


def rendered(tmp_path, **more):
    p = params(tmp_path, **more)
    return dz.render(dz.build(p), p, DAY)


def test_zones_from_domains(tmp_path):
    files = rendered(tmp_path)
    assert sorted(files) == [
        "100.51.198.in-addr.arpa.zone",
        "2.0.192.in-addr.arpa.zone",
        "lab.guifi.example.zone",
        "pub.guifi.example.zone",
        "zones.conf",
    ]
    lab = files["lab.guifi.example.zone"].splitlines()
    assert lab[:2] == [
        "$TTL 3600",
        "@\tIN\tSOA\tns1.lab.guifi.example. admin.guifi.example. 2026010200 3600 900 1209600 300",
    ]
    for line in [
        "lab.guifi.example.\tIN\tNS\tns1.lab.guifi.example.",  # nameserver, and the NS=yes host (once)
        "lab.guifi.example.\tIN\tA\t192.0.2.80",  # domain_ip
        "lab.guifi.example.\tIN\tMX\t20 mx.example.net.",  # externalMX
        "lab.guifi.example.\tIN\tMX\t10 mail.lab.guifi.example.",  # MX=yes Priority=10
        "web.lab.guifi.example.\tIN\tAAAA\t2001:db8::80",
        "www.lab.guifi.example.\tIN\tCNAME\tweb.lab.guifi.example.",
        "ftp.lab.guifi.example.\tIN\tCNAME\tweb.lab.guifi.example.",
        "sub.lab.guifi.example.\tIN\tNS\tns.sub.lab.guifi.example.",
        "ns.sub.lab.guifi.example.\tIN\tA\t192.0.2.99",  # glue
    ]:
        assert line in lab, line
    assert lab.count("lab.guifi.example.\tIN\tNS\tns1.lab.guifi.example.") == 1
    reverse = files["2.0.192.in-addr.arpa.zone"]
    assert "80.2.0.192.in-addr.arpa.\tIN\tPTR\tlab.guifi.example.\n" in reverse  # the first name of .80
    assert "25.2.0.192.in-addr.arpa.\tIN\tPTR\tmail.lab.guifi.example.\n" in reverse
    assert (
        "7.100.51.198.in-addr.arpa.\tIN\tPTR\tpub.guifi.example.\n" in files["100.51.198.in-addr.arpa.zone"]
    )
    conf = files["zones.conf"]
    # internal wins over external for lab (its ns9 is not used); slave and forward zones too
    assert "ns9" not in files["lab.guifi.example.zone"]
    assert "allow-transfer { 192.0.2.0/24; }" in conf
    assert 'zone "other.guifi.example" { type secondary; primaries { 192.0.2.1; };' in conf
    assert 'zone "far.example" { type forward; forward only; forwarders { 192.0.2.2; 192.0.2.3; }; };' in conf


def test_devices_of_a_zone_cnml(tmp_path):
    files = rendered(tmp_path, devices_src=str(FIXTURES / "snp.cnml"), devices_name="zone.cnml")
    devices = files["ip.guifi.example.zone"]
    assert "a-radio-co.ip.guifi.example.\tIN\tA\t192.0.2.11\n" in devices  # title "A-Radio & co"
    assert "ns.ip.guifi.example.\tIN\tA\t192.0.2.53\n" in devices
    assert (
        "11.2.0.192.in-addr.arpa.\tIN\tPTR\ta-radio-co.ip.guifi.example.\n"
        in files["2.0.192.in-addr.arpa.zone"]
    )


def test_serial_moves_only_when_the_zone_changes(tmp_path, module):
    p = params(tmp_path)
    (tmp_path / "zones").mkdir()
    first = dz.render(dz.build(p), p, DAY)
    dz.install(module, first, p["dir"])
    assert dz.render(dz.build(p), p, datetime.date(2026, 3, 1)) == first
    text = (FIXTURES / "domains.cnml").read_text().replace('Priority="10"', 'Priority="5"')
    (tmp_path / "d.cnml").write_text(text)
    p2 = params(tmp_path, src=tmp_path / "d.cnml")
    second = dz.render(dz.build(p2), p2, DAY)
    assert " 2026010201 " in second["lab.guifi.example.zone"]  # same day: old + 1
    assert second["pub.guifi.example.zone"] == first["pub.guifi.example.zone"]
    assert dz.next_serial(2026010201, datetime.date(2026, 3, 1)) == 2026030100


HEAD = '<?xml version="1.0"?>\n<cnml version="0.1">\n<domains><internal>\n'


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("<cnml><domains>", "domains.cnml:1: not well-formed XML"),
        ('<cnml version="0.1"><network/></cnml>', "domains.cnml: no <domains><internal> or <external> in it"),
        (HEAD + "</internal></domains></cnml>", "domains.cnml: it holds no zone"),
        (
            HEAD + '<master zone="z.example">\n<host name="bad name" IPv4="192.0.2.1"/></master>',
            "domains.cnml:5: <host name=\"bad name\"> has name='bad name', not a DNS name",
        ),
        (
            HEAD + '<master zone="z.example">\n<host name="a" IPv4="192.0.2.300"/></master>',
            "domains.cnml:5: <host name=\"a\"> has IPv4='192.0.2.300', not an IPv4 address",
        ),
        (
            HEAD + '<master zone="z.example">\n<host name="a" IPv6="192.0.2.3"/></master>',
            "has IPv6='192.0.2.3', not an IPv6 address",
        ),
        (
            HEAD + '<master zone="z.example">\n<host name="m" MX="yes" Priority="high"/></master>',
            "domains.cnml:5: <host name=\"m\"> has Priority='high', not a number 0-65535",
        ),
        (
            HEAD + '<master zone="z.example" contact="nobody"/>',
            "domains.cnml:4: <master zone=\"z.example\"> has contact='nobody', not an e-mail address",
        ),
        (HEAD + '<master zone="z..example"/>', "has zone='z..example', not a DNS name"),
        (HEAD + "<master/>", "domains.cnml:4: <master> has no zone attribute"),
        (
            HEAD + '<master zone="z.example"/>\n<master zone="Z.example"/>',
            'domains.cnml:5: <master zone="Z.example"> is the second <master> of zone z.example in <internal',
        ),
        (HEAD + '<slave zone="z.example"/>', "has no master attribute (the primary's IPv4 address)"),
        (HEAD + '<forward zone="z.example" forwarder="x"/>', "has forwarder 'x', not an IPv4 address"),
        (
            HEAD + '<master zone="z.example" allow-transfer="10.0.0.0/33"/>',
            "has allow-transfer '10.0.0.0/33', not an address or network",
        ),
    ],
    ids=[
        "not-xml",
        "not-domains",
        "no-zone",
        "bad-host-name",
        "bad-ipv4",
        "bad-ipv6",
        "bad-priority",
        "bad-contact",
        "bad-zone-name",
        "no-zone-name",
        "zone-twice",
        "slave-without-master",
        "bad-forwarder",
        "bad-allow-transfer",
    ],
)
def test_bad_dns_data(tmp_path, text, fragment):
    if text.startswith(HEAD) and not text.endswith("</cnml>"):
        text += "\n</internal></domains></cnml>\n"
    (tmp_path / "d.cnml").write_text(text)
    with pytest.raises(cnml.CnmlError) as caught:
        dz.build(params(tmp_path, src=tmp_path / "d.cnml"))
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


def checker(tmp_path, name, script):
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)
    return str(path)


def test_module_checks_before_installing_and_keeps_the_good_zones(tmp_path):
    calls = tmp_path / "calls"
    ok_zone = checker(tmp_path, "checkzone-ok", f'echo "$@" >> {calls}\n')
    ok_conf = checker(tmp_path, "checkconf-ok", f'echo conf "$@" >> {calls}; cat "$1" >> {calls}\n')
    bad_zone = checker(
        tmp_path,
        "checkzone-bad",
        'echo "zone $2/IN: www.$2: CNAME and other data"; echo "zone $2/IN: loading failed"; exit 1\n',
    )
    (tmp_path / "zones").mkdir()
    p = params(tmp_path, checkzone=ok_zone, checkconf=ok_conf, main_conf=["/etc/bind/named.conf.options"])
    first = run_module("dns_zones", p)
    assert first["changed"] is True and first.get("failed") is not True, first
    assert sorted(first["written"]) == sorted(os.listdir(tmp_path / "zones"))
    log = calls.read_text()
    assert "-k fail -m fail -M fail -i local lab.guifi.example " in log  # every zone checked, in staging
    assert 'include "/etc/bind/named.conf.options";' in log and "/zones.conf" in log
    assert str(tmp_path / "zones") not in log  # the checks never read the served folder
    before = {f: (tmp_path / "zones" / f).read_text() for f in os.listdir(tmp_path / "zones")}
    assert run_module("dns_zones", p)["changed"] is False

    text = (FIXTURES / "domains.cnml").read_text().replace('CNAME="www,ftp"', 'CNAME="www,ftp,mail"')
    (tmp_path / "d.cnml").write_text(text)
    failed = run_module("dns_zones", {**p, "src": str(tmp_path / "d.cnml"), "checkzone": bad_zone})
    assert failed["failed"] is True
    assert failed["msg"].startswith("domains.cnml: named-checkzone ")
    assert "CNAME and other data" in failed["msg"] and failed["msg"].endswith(
        "the served zones are unchanged"
    )
    assert {f: (tmp_path / "zones" / f).read_text() for f in os.listdir(tmp_path / "zones")} == before

    gone = run_module("dns_zones", {**p, "src": str(tmp_path / "d.cnml"), "checkzone": bad_zone}, check=True)
    assert gone["failed"] is True  # check mode runs the checkers too, and writes nothing
    assert {f: (tmp_path / "zones" / f).read_text() for f in os.listdir(tmp_path / "zones")} == before
