"""roles/avahi_dns/files/avahi-dns: the records a box wants, the ones it owns in the zone, and the
updates that bring one to the other (its own names apart from the shared PTRs, as Knot's ACL needs)."""

import importlib.machinery
import importlib.util
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO

PATH = Path(REPO) / "ansible_collections/clommunity/cloudy/roles" / "avahi_dns" / "files" / "avahi-dns"
loader = importlib.machinery.SourceFileLoader("avahi_dns", str(PATH))
spec = importlib.util.spec_from_loader("avahi_dns", loader)
assert spec
avahi_dns = importlib.util.module_from_spec(spec)
loader.exec_module(avahi_dns)

ZONE = "w.cloudy"
SERVICE = """<?xml version="1.0" standalone='no'?>
<service-group>
  <name replace-wildcards="yes">{name}</name>
  <service><type>{type}</type><port>{port}</port>{txt}</service>
</service-group>
"""


def conf(tmp_path: Path, host: str = "box-b") -> dict:
    return {
        "zone": ZONE,
        "host": host,
        "address": "10.96.0.3",
        "ttl": 15,
        "services_dir": str(tmp_path),
        "server": "10.96.0.2",
        "port": 53,
        "key_file": "/k",
    }


def service(tmp_path: Path, file: str, name: str, stype: str, port: int, txt: str = "") -> None:
    (tmp_path / file).write_text(SERVICE.format(name=name, type=stype, port=port, txt=txt))


def n(text: str) -> tuple[bytes, ...]:
    return avahi_dns.labels(text)


def records(text: str) -> set:
    """dig answer lines as the zone's records."""
    return {r for r in map(avahi_dns.parse_record, text.strip().splitlines()) if r and r[1] != "SOA"}


ZONE_NOW = r"""
w.cloudy. 15 IN SOA ns.w.cloudy. hostmaster.w.cloudy. 1 3600 600 86400 15
box-b.w.cloudy. 15 IN A 10.96.0.3
web._http._tcp.box-b.w.cloudy. 15 IN SRV 0 0 80 box-b.w.cloudy.
web._http._tcp.box-b.w.cloudy. 15 IN TXT "path=/"
old._http._tcp.box-b.w.cloudy. 15 IN SRV 0 0 81 box-b.w.cloudy.
_http._tcp.w.cloudy. 15 IN PTR web._http._tcp.box-b.w.cloudy.
_http._tcp.w.cloudy. 15 IN PTR old._http._tcp.box-b.w.cloudy.
_http._tcp.w.cloudy. 15 IN PTR web._http._tcp.box-c.w.cloudy.
box-c.w.cloudy. 15 IN A 10.96.0.4
web._http._tcp.box-c.w.cloudy. 15 IN SRV 0 0 80 box-c.w.cloudy.
_services._dns-sd._udp.w.cloudy. 15 IN PTR _http._tcp.w.cloudy.
b._dns-sd._udp.w.cloudy. 15 IN PTR w.cloudy.
"""


def test_wanted_puts_every_record_of_the_box_under_its_own_name(tmp_path):
    service(tmp_path, "web.service", "Web on %h", "_http._tcp", 80, "<txt-record>path=/</txt-record>")
    instance = (b"web on box-b", b"_http", b"_tcp", *n("box-b.w.cloudy"))
    assert avahi_dns.wanted(conf(tmp_path)) == {
        (n("box-b.w.cloudy"), "A", "10.96.0.3"),
        (n("_http._tcp.w.cloudy"), "PTR", instance),
        (instance, "SRV", (0, 0, 80, n("box-b.w.cloudy"))),
        (instance, "TXT", (b"path=/",)),
    }


def test_udp_types_and_other_hosts_services_are_not_published(tmp_path):
    service(tmp_path, "a.service", "A", "_sleep-proxy._udp", 5353)
    (tmp_path / "b.service").write_text(
        SERVICE.format(name="B", type="_http._tcp", port=80, txt="<host-name>other.local</host-name>")
    )
    assert avahi_dns.wanted(conf(tmp_path)) == {(n("box-b.w.cloudy"), "A", "10.96.0.3")}


def test_owned_is_the_box_subtree_and_the_shared_ptrs_to_it(tmp_path):
    mine = avahi_dns.owned(records(ZONE_NOW), conf(tmp_path))
    assert sorted(avahi_dns.name_text(r[0]) + " " + r[1] for r in mine) == [
        "_http._tcp.w.cloudy. PTR",
        "_http._tcp.w.cloudy. PTR",
        "box-b.w.cloudy. A",
        "old._http._tcp.box-b.w.cloudy. SRV",
        "web._http._tcp.box-b.w.cloudy. SRV",
        "web._http._tcp.box-b.w.cloudy. TXT",
    ]
    # A name that only ends like the box's (another label) is not the box's.
    assert not avahi_dns.owned(records("xbox-b.w.cloudy. 15 IN A 10.0.0.9"), conf(tmp_path))


def test_changes_split_own_names_from_shared_ptrs(tmp_path):
    service(tmp_path, "web.service", "web", "_http._tcp", 80, "<txt-record>path=/</txt-record>")
    service(tmp_path, "ssh.service", "box-b", "_ssh._tcp", 22)
    c = conf(tmp_path)
    updates = avahi_dns.changes(records(ZONE_NOW), avahi_dns.wanted(c), c)
    assert len(updates) == 2
    own = avahi_dns.update_lines(*updates[0], 15)
    shared = avahi_dns.update_lines(*updates[1], 15)
    assert own == [
        "update delete old._http._tcp.box-b.w.cloudy. SRV 0 0 81 box-b.w.cloudy.",
        "update add box-b._ssh._tcp.box-b.w.cloudy. 15 SRV 0 0 22 box-b.w.cloudy.",
        'update add box-b._ssh._tcp.box-b.w.cloudy. 15 TXT ""',
    ]
    assert shared == [
        "update delete _http._tcp.w.cloudy. PTR old._http._tcp.box-b.w.cloudy.",
        "update add _services._dns-sd._udp.w.cloudy. 15 PTR _ssh._tcp.w.cloudy.",
        "update add _ssh._tcp.w.cloudy. 15 PTR box-b._ssh._tcp.box-b.w.cloudy.",
    ]
    # Every own line names the box's subtree; every shared one is a PTR.
    assert all(".box-b.w.cloudy. " in line for line in own)
    assert all(" PTR " in line for line in shared)


def test_nothing_to_do_when_the_zone_holds_what_is_announced(tmp_path):
    service(tmp_path, "web.service", "web", "_http._tcp", 80, "<txt-record>path=/</txt-record>")
    c = conf(tmp_path)
    now = {r for r in records(ZONE_NOW) if b"old" not in r[0] and (r[1] != "PTR" or b"old" not in r[2][0])}
    assert avahi_dns.changes(now, avahi_dns.wanted(c), c) == []


def test_withdraw_deletes_only_the_boxs_records(tmp_path):
    c = conf(tmp_path)
    updates = avahi_dns.changes(records(ZONE_NOW), set(), c)
    lines = [line for d, a in updates for line in avahi_dns.update_lines(d, a, 15)]
    assert len(lines) == 6 and all(line.startswith("update delete") for line in lines)
    assert not any("box-c" in line for line in lines)


def test_a_new_box_adds_its_a_record_first_then_the_ptrs(tmp_path):
    service(tmp_path, "web.service", "Web on %h", "_http._tcp", 80)
    c = conf(tmp_path, host="box-d")
    c["address"] = "10.96.0.5"
    updates = avahi_dns.changes(records(ZONE_NOW), avahi_dns.wanted(c), c)
    assert [len(d) for d, _ in updates] == [0, 0]
    assert [r[1] for r in updates[0][1]] == ["A", "SRV", "TXT"]
    assert [avahi_dns.name_text(r[0]) for r in updates[1][1]] == ["_http._tcp.w.cloudy."]
    # An instance name with a space and a dot is escaped in the update (\032, \046).
    assert "web\\032on\\032box-d._http._tcp.box-d.w.cloudy." in avahi_dns.update_lines(*updates[1], 15)[0]


def test_update_sends_own_names_then_shared_ptrs_and_stops_when_refused(tmp_path, monkeypatch):
    service(tmp_path, "web.service", "web", "_http._tcp", 80)
    c = conf(tmp_path, host="box-d")
    sent: list[str] = []

    def fake_run(
        cmd: list[str], stdin: str | None = None, timeout: float = 10
    ) -> subprocess.CompletedProcess:
        if cmd[0] == "dig":
            return subprocess.CompletedProcess(cmd, 0, ZONE_NOW, "")
        sent.append(stdin or "")
        return subprocess.CompletedProcess(cmd, 2, "", "update failed: NOTAUTH(BADKEY)")

    monkeypatch.setattr(avahi_dns, "run", fake_run)
    with pytest.raises(avahi_dns.Failed, match="refused: update failed: NOTAUTH"):
        avahi_dns.update(c)
    assert len(sent) == 1 and "box-d.w.cloudy. 15 A" in sent[0] and " PTR " not in sent[0]


def test_sync_skips_the_transfer_while_serial_and_announcements_stay_the_same(tmp_path, monkeypatch):
    service(tmp_path, "web.service", "web", "_http._tcp", 80, "<txt-record>path=/</txt-record>")
    c = conf(tmp_path)
    asked: list[str] = []
    serial = {"now": 1}

    def fake_run(cmd, stdin=None, timeout=10):
        if cmd[0] != "dig":
            raise AssertionError(f"no update expected: {stdin}")
        asked.append(cmd[-1])
        zone = ZONE_NOW.replace(" 1 3600 ", f" {serial['now']} 3600 ")
        zone = "\n".join(x for x in zone.splitlines() if "old._http" not in x)  # nothing to change
        if cmd[-1] == "SOA":
            zone = "\n".join(x for x in zone.splitlines() if " SOA " in x)
        return subprocess.CompletedProcess(cmd, 0, zone, "")

    monkeypatch.setattr(avahi_dns, "run", fake_run)
    adds, dels, state = avahi_dns.update(c, last=None)  # an event, or the first sync: in full
    assert (adds, dels) == ([], []) and asked == ["SOA", "AXFR"] and state["serial"] == 1
    asked.clear()
    assert avahi_dns.update(c, last=state)[:2] == ([], []) and asked == ["SOA"]  # in step: no transfer
    serial["now"] = 2  # the zone changed (another box, or records deleted behind this one's back)
    asked.clear()
    assert avahi_dns.update(c, last=state)[2]["serial"] == 2 and asked == ["SOA", "AXFR"]
    service(tmp_path, "ssh.service", "ssh", "_ssh._tcp", 22)  # the box announces something new
    asked.clear()
    with pytest.raises(AssertionError, match="no update expected"):
        avahi_dns.update(c, last={**state, "serial": 2})
    assert asked == ["SOA", "AXFR"]
