"""The cnml source: guifi.net CNML exports, device selection, and broken files."""

from pathlib import Path

import pytest

from cloudy_deploy.errors import BadInput
from cloudy_deploy.sources import SourceRef, collect, from_spec, load

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "cnml"


def names(ref):
    return [n.name for n in load(ref, FIXTURES)]


def test_zone_default_selection_is_working_and_testing_servers():
    nodes = load(SourceRef("cnml", "zone.cnml"), FIXTURES)
    assert [(n.name, n.address) for n in nodes] == [
        ("BCNSantsRiera-Srv1", "10.139.40.66"),
        ("BCNOlzinelles-Srv", "10.139.40.130"),  # Testing
        ("BCNCastell-Srv", "10.139.40.2"),  # in the parent zone, after the subzones in the file
    ]
    srv1, olz, castell = nodes
    assert srv1.vars == {
        "guifi_node_id": 35821,
        "guifi_node": "BCNSants-Riera",
        "guifi_device_id": 61013,
        "guifi_device_type": "server",
        "guifi_status": "Working",
        "guifi_zone_id": 8347,
        "guifi_zone": "Sants",
        "guifi_lat": 41.375301,
        "guifi_lon": 2.135712,
    }
    assert srv1.tags == ("guifi",)
    assert srv1.source == "cnml:zone.cnml"
    assert olz.addresses == ("10.139.40.131",)  # its second interface
    assert (castell.vars["guifi_zone_id"], castell.vars["guifi_zone"]) == (8346, "Sants-Montjuïc")
    assert (srv1.ssh_user, srv1.ssh_port) == (None, None)


def test_types_and_status_options():
    ref = from_spec({"cnml": {"file": "zone.cnml", "types": ["server", "cloudy"]}})
    assert names(ref) == [
        "BCNSantsRiera-Srv1",
        "BCNSantsRiera-Cloudy1",
        "BCNOlzinelles-Srv",
        "BCNVapor-Cloudy2",
        "BCNCastell-Srv",
    ]
    assert names(from_spec({"cnml": {"file": "zone.cnml", "status": ["Planned"]}})) == ["BCNHostafrancs-Srv"]
    assert names(from_spec({"cnml": {"file": "zone.cnml", "status": ["Dropped", "Planned"]}})) == [
        "BCNHostafrancs-Srv",
        "BCNVapor-OldSrv",
    ]
    assert names(from_spec({"cnml": {"file": "zone.cnml", "types": ["radio"]}})) == [
        "BCNSantsRiera-RB",
        "BCNOlzinelles-Rd1",
    ]


def test_node_export_has_no_zone():
    [node] = load(SourceRef("cnml", "node.cnml"), FIXTURES)
    assert (node.name, node.address) == ("BCNUPFp9Srvr1", "10.139.173.67")
    assert "guifi_zone" not in node.vars and node.vars["guifi_node_id"] == 56604


def test_selection_is_reported():
    result = collect([SourceRef("cnml", "zone.cnml")], FIXTURES)
    assert result.notes == [
        "cnml:zone.cnml: 3 of 11 devices selected (type server; status Working or Testing)"
    ]


def test_entities_are_never_expanded(tmp_path):
    # An external entity would read a local file: the parser leaves it alone, and the
    # file is refused because it declares entities (in an attribute, libxml2 refuses it itself).
    doctype = '<?xml version="1.0"?>\n<!DOCTYPE cnml [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    node = '<cnml version="0.1"><class mapping="y"/><node id="1" title="n" lat="0" lon="0" status="Working">'
    (tmp_path / "text.cnml").write_text(
        doctype + node + '<device id="2" title="t" type="server" status="Working" mainipv4="10.0.0.1">&x;'
        "</device></node></cnml>\n"
    )
    with pytest.raises(BadInput, match=r"text.cnml: the file declares XML entities"):
        load(SourceRef("cnml", "text.cnml"), tmp_path)
    (tmp_path / "attr.cnml").write_text(
        doctype + node + '<device id="2" title="&x;" type="server" status="Working" mainipv4="10.0.0.1"/>'
        "</node></cnml>\n"
    )
    with pytest.raises(BadInput, match=r"attr.cnml:3: not well-formed XML \(Attribute references external"):
        load(SourceRef("cnml", "attr.cnml"), tmp_path)


def test_billion_laughs_is_refused_quickly(tmp_path):
    decls = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)
    )
    (tmp_path / "lol.cnml").write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE cnml [{decls}]>\n<cnml v="&i;">&i;</cnml>'
    )
    with pytest.raises(BadInput, match=r"lol.cnml"):
        load(SourceRef("cnml", "lol.cnml"), tmp_path)


HEAD = '<?xml version="1.0"?>\n<cnml version="0.1">\n<class network_description="detail" mapping="y"/>\n'
ZONE = '<network><zone id="9" title="Z" box="0,0,0,0" zone_nodes="1" created="20150101 0000">\n'
NODE = '<node id="7" title="N7" lat="41.1" lon="2.1" status="Working" created="20150101 0000">\n'
TAIL = "</node>\n</zone></network>\n</cnml>\n"


def device(attrs: str) -> str:
    return (
        HEAD + ZONE + NODE + f"<device {attrs} created='20150101 0000'/>\n" + TAIL
    )  # the device is on line 6


GOOD = 'id="5" type="server" status="Working"'


# Each bad file: BadInput naming the file and line, the element, and the fix.
@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (
            HEAD + ZONE + NODE + "<device id='5'>\n</node>\n",
            ["zone.cnml:7:", "not well-formed XML", "mismatch"],
        ),
        ("", ["zone.cnml:1:", "not well-formed XML", "download the export again"]),
        ("PK\x03\x04 binary junk", ["zone.cnml:1:", "not well-formed XML"]),
        (
            '<?xml version="1.0"?>\n<html><body/></html>\n',
            ["zone.cnml:2:", "the root element is <html>, not <cnml>"],
        ),
        (
            device(GOOD + ' title="Srv"'),
            [
                "zone.cnml:6:",
                '<device id="5" title="Srv"> has no mainipv4 attribute',
                "set the device's main IPv4",
            ],
        ),
        (device(GOOD + ' title="Srv" mainipv4=""'), ["zone.cnml:6:", "has no mainipv4 attribute"]),
        (
            device(GOOD + ' title="Srv" mainipv4="10.1.2"'),
            ["zone.cnml:6:", "has mainipv4='10.1.2': '10.1.2' is not an IPv4", "correct it in guifi.net"],
        ),
        (
            device(GOOD + ' title="Srv" mainipv4="fd00::5"'),
            ["zone.cnml:6:", "has mainipv4='fd00::5': 'fd00::5' is IPv6, not IPv4"],
        ),
        (
            device(GOOD + ' mainipv4="10.0.0.5"'),
            ["zone.cnml:6:", '<device id="5"> has no title attribute', "title"],
        ),
        (
            device('id="x5" title="Srv" type="server" status="Working" mainipv4="10.0.0.5"'),
            ["zone.cnml:6:", "has id='x5', not a number"],
        ),
        (
            HEAD
            + ZONE
            + NODE.replace('lat="41.1"', 'lat="north"')
            + f"<device {GOOD} title='S' mainipv4='10.0.0.5'/>"
            + TAIL,
            ["zone.cnml:5:", '<node id="7" title="N7"> has lat=\'north\', not a number'],
        ),
        (
            HEAD + ZONE + NODE + f"<device {GOOD} title='A' mainipv4='10.0.0.5'/>\n"
            f"<device {GOOD.replace('5', '6')} title='B' mainipv4='10.0.0.5'/>\n" + TAIL,
            [
                "cnml:zone.cnml: two records with the address 10.0.0.5",
                "A at 10.0.0.5 (zone.cnml:6)",
                "(zone.cnml:7)",
            ],
        ),
        (
            HEAD + ZONE + f"<device {GOOD} title='S' mainipv4='10.0.0.5'/>\n</zone></network></cnml>\n",
            ["zone.cnml:5:", '<device id="5" title="S"> is not inside a <node>'],
        ),
    ],
    ids=[
        "tag-mismatch",
        "empty-file",
        "not-xml",
        "not-cnml",
        "device-without-mainipv4",
        "device-empty-mainipv4",
        "device-bad-mainipv4",
        "device-ipv6-mainipv4",
        "device-without-title",
        "device-bad-id",
        "node-bad-lat",
        "same-address-twice",
        "device-outside-node",
    ],
)
def test_bad_cnml(tmp_path, monkeypatch, text, fragments):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "zone.cnml").write_text(text)
    with pytest.raises(BadInput) as caught:
        load(SourceRef("cnml", "zone.cnml"), tmp_path)
    message = str(caught.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


def test_unselected_devices_may_lack_attributes(tmp_path):
    (tmp_path / "z.cnml").write_text(device('id="5" type="radio" status="Working"'))
    assert load(SourceRef("cnml", "z.cnml"), tmp_path) == []


def test_missing_file_and_bad_status_option(tmp_path):
    with pytest.raises(
        BadInput, match=r"^cnml:gone.cnml: .*gone.cnml is not a file; give the path of a guifi"
    ):
        load(SourceRef("cnml", "gone.cnml"), tmp_path)
    bad = SourceRef("cnml", "zone.cnml", {"status": ["Wroking"]})
    with pytest.raises(
        BadInput, match=r"^cnml:zone.cnml: cnml status 'Wroking' is not a guifi.net status; use"
    ):
        load(bad, FIXTURES)
