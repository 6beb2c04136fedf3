"""plugins/modules/snp_mrtg_config.py: which devices a graph server draws, MRTG's targets, and bad input
(malformed CNML, an unknown graph server id) failing with the file and item named and nothing written."""

import json

import pytest

from ansible_collections.clommunity.cloudy.plugins.module_utils import cnml
from ansible_collections.clommunity.cloudy.plugins.modules import snp_mrtg_config as snp
from tests.unit.guifi_fixtures import FIXTURES, run_module


def params(tmp_path, src=FIXTURES / "snp.cnml", graph_server=900, **more):
    return {
        "src": str(src),
        "name": "zone.cnml",
        "graph_server": graph_server,
        "dest": str(tmp_path / "mrtg.cfg"),
        "index": str(tmp_path / "targets.json"),
        "workdir": "/var/lib/snpservices/rrd",
        "ping": "/usr/local/lib/cloudy/snp-ping",
        "community": "public",
        "statuses": ["Working", "Testing"],
        "forks": 4,
        "interval": 5,
        **more,
    }


def test_devices_of_the_graph_server_by_inheritance(tmp_path):
    _, found, skipped = snp.generate(params(tmp_path))
    # zone 100 says 900; sub zone 101 says 0 (inherit); node B says 901 but its device 1102 says 900;
    # 1003 is Planned.
    assert [(t["name"], t["kind"]) for t in found] == [
        ("d1001-ping", "ping"),
        ("d1001-eth0", "traffic"),
        ("d1002-ping", "ping"),
        ("d1002-if3", "traffic"),
        ("d1002-wlan1", "traffic"),
        ("d1102-ping", "ping"),
        ("d1201-ping", "ping"),
        ("d1201-if2", "traffic"),
    ]
    assert found[3]["title"] == "A-Radio & co" and found[3]["address"] == "192.0.2.11"
    assert skipped == ["zone.cnml:16: <radio id=\"2\"> snmp_name='bad name'"]
    _, other, _ = snp.generate(params(tmp_path, graph_server=901))
    assert [t["name"] for t in other] == ["d1101-ping"]


def test_mrtg_configuration(tmp_path):
    files, found, _ = snp.generate(params(tmp_path))
    cfg = files[str(tmp_path / "mrtg.cfg")]
    assert "WorkDir: /var/lib/snpservices/rrd\nLogFormat: rrdtool\nForks: 4\nInterval: 5\n" in cfg
    assert "Target[d1001-ping]: `/usr/local/lib/cloudy/snp-ping 192.0.2.10`\n" in cfg
    assert "Target[d1001-eth0]: \\eth0:public@192.0.2.10:\n" in cfg
    assert "Target[d1002-if3]: 3:public@192.0.2.11:\n" in cfg
    assert "Options[d1001-eth0]: growright, bits\n" in cfg
    assert cfg.count("Target[") == len(found) == 8
    assert json.loads(files[str(tmp_path / "targets.json")]) == found


def test_titles_cannot_break_the_configuration(tmp_path):
    text = (FIXTURES / "snp.cnml").read_text().replace('title="A-Srv"', 'title="A&#10;Target[x]: `reboot`"')
    (tmp_path / "z.cnml").write_text(text)
    files, _, _ = snp.generate(params(tmp_path, src=tmp_path / "z.cnml"))
    cfg = files[str(tmp_path / "mrtg.cfg")]
    assert "Title[d1001-ping]: Ping A Target[x]: `reboot` (192.0.2.10)\n" in cfg
    assert "\nTarget[x]" not in cfg


def test_unknown_graph_server(tmp_path):
    with pytest.raises(cnml.CnmlError) as caught:
        snp.generate(params(tmp_path, graph_server=1234))
    assert str(caught.value) == (
        "zone.cnml: no SNPgraphs service with id 1234 (graph servers in the file: 900, 901); "
        "set graph_server to the id of an SNPgraphs service of this CNML (guifi.net: the service's page)"
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("<cnml><zone", "zone.cnml:1: not well-formed XML"),
        ("<html/>", "zone.cnml:1: the root element is <html>, not <cnml>"),
        (
            '<cnml><service id="9" type="SNPgraphs"/><node id="1"><device id="2" title="D" status="Working" '
            'graph_server="9" mainipv4="10.0.0"/></node></cnml>',
            "zone.cnml:1: <device id=\"2\" title=\"D\"> has mainipv4='10.0.0': '10.0.0' is not an IPv4",
        ),
        (
            '<cnml><service id="9" type="SNPgraphs"/><node id="1"><device id="2" status="Working" '
            'graph_server="9" mainipv4="10.0.0.1"/></node></cnml>',
            '<device id="2"> has no title attribute',
        ),
        (
            '<cnml><service id="9" type="SNPgraphs"/><zone id="1" graph_server="x"><node id="1">'
            '<device id="2" '
            'status="Working" title="D" mainipv4="10.0.0.1"/></node></zone></cnml>',
            "<zone id=\"1\"> has graph_server='x', not a number",
        ),
    ],
    ids=["not-xml", "not-cnml", "bad-address", "no-title", "bad-graph-server"],
)
def test_bad_cnml(tmp_path, text, fragment):
    (tmp_path / "z.cnml").write_text(text)
    with pytest.raises(cnml.CnmlError) as caught:
        snp.generate(params(tmp_path, src=tmp_path / "z.cnml", graph_server=9))
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


def test_module_writes_once_and_bad_input_changes_nothing(tmp_path):
    p = params(tmp_path)
    first = run_module("snp_mrtg_config", p)
    assert first["changed"] is True and first["devices"] == 4
    assert first["warnings"] == [
        "SNMP interface left out (not a usable name or index): "
        "zone.cnml:16: <radio id=\"2\"> snmp_name='bad name'"
    ]
    assert run_module("snp_mrtg_config", p)["changed"] is False
    before = {f.name: f.read_text() for f in tmp_path.iterdir()}
    failed = run_module("snp_mrtg_config", params(tmp_path, graph_server=7))
    assert failed["failed"] is True and "no SNPgraphs service with id 7" in failed["msg"]
    assert {f.name: f.read_text() for f in tmp_path.iterdir()} == before
