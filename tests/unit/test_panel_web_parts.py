"""The panel's parts without Flask: service descriptors' checks and the avahi-browse reader."""

from __future__ import annotations

import time

import pytest

from cloudy_panel.web import avahi
from cloudy_panel.web.services import FURL_RE, Field, check_field, is_hostname, load_services, validate

FURL = "pb://" + "b" * 32 + "@tcp:10.99.0.3:3458,tcp:box-2.local:3458/introducer"


def test_only_services_with_a_role_load():
    services = load_services()
    assert sorted(services) == [
        "caracaldb",
        "clouder",
        "dnsservices",
        "gvod",
        "peerstreamer",
        "proxy3",
        "snpservices",
        "tahoe",
    ]
    guifi = [s.id for s in services.values() if s.category == "guifi"]
    assert guifi == ["proxy3", "snpservices", "dnsservices"]
    tahoe = services["tahoe"]
    assert tahoe.role == "tahoe" and tahoe.gateway_port == 3456
    assert {f.id for f in tahoe.forms} == {"create", "join"}


@pytest.mark.parametrize(
    ("name", "good"),
    [
        ("box-1", True),
        ("a.b-c.d", True),
        ("x" * 63, True),
        ("x" * 64, False),
        ("-box", False),
        ("box-", False),
        ("box_1", False),
        ("a..b", False),
        ("", False),
        (".".join(["a" * 60] * 5), False),
    ],
)
def test_rfc1123_host_names(name, good):
    assert is_hostname(name) is good


@pytest.mark.parametrize(
    ("furl", "good"),
    [
        (FURL, True),
        ("pb://" + "b" * 32 + "@10.0.0.1:1/x", True),
        ("pb://" + "b" * 31 + "@tcp:10.0.0.1:1/x", False),
        ("pb://" + "B" * 32 + "@tcp:10.0.0.1:1/x", False),
        ("http://" + "b" * 32 + "@tcp:10.0.0.1:1/x", False),
        (FURL + " x", False),
        (FURL + "\n", False),
        ("pb://" + "b" * 32 + "@tcp:10.0.0.1/x", False),
    ],
)
def test_furl_pattern(furl, good):
    assert bool(FURL_RE.fullmatch(furl)) is good


def test_validate_join_and_create():
    tahoe = load_services()["tahoe"]
    assert validate(tahoe, {"form": "join", "furl": FURL, "nickname": "box-2"}) == (
        {"form": "join", "furl": FURL, "nickname": "box-2"},
        {},
    )
    clean, errors = validate(tahoe, {"form": "create", "grid": "g1", "nickname": " box-2 "})
    assert not errors and clean["nickname"] == "box-2"


@pytest.mark.parametrize(
    ("values", "bad"),
    [
        ({"form": "nope"}, {"form"}),
        ({}, {"form"}),
        ({"form": "join", "furl": FURL}, {"nickname"}),
        ({"form": "join", "furl": FURL, "nickname": "b", "extra": "x"}, {"extra"}),
        ({"form": "join", "furl": ["x"], "nickname": "b"}, {"furl"}),
        ({"form": "create", "grid": True, "nickname": "b"}, {"grid"}),
        ({"form": "create", "grid": "a-b", "nickname": "b"}, {"grid"}),
    ],
)
def test_validate_refuses(values, bad):
    _clean, errors = validate(load_services()["tahoe"], values)
    assert set(errors) == bad


def test_int_and_ip_fields():
    port = Field("port", "Port", "int", "bad", low=1, high=65535)
    assert check_field(port, "8080") == (8080, None)
    assert check_field(port, 0) == (None, "bad")
    assert check_field(port, "70000") == (None, "bad")
    assert check_field(port, "1e3") == (None, "bad")
    ip = Field("ip", "IP", "ip", "bad")
    assert check_field(ip, "10.0.0.1") == ("10.0.0.1", None)
    assert check_field(ip, "10.0.0.256") == (None, "bad")


LINES = [
    "+;tap0;IPv6;My\\032Grid;_tahoe-introducer._tcp;local",
    "=;tap0;IPv6;My\\032Grid;_tahoe-introducer._tcp;local;box-2.local;fe80::1%tap0;3458;"
    '"furl=pb://x" "grid=g"',
    '=;tap0;IPv4;My\\032Grid;_tahoe-introducer._tcp;local;box-2.local;10.99.0.3;3458;"furl=pb://x" "grid=g"',
    "=;tap0;IPv4;semi\\059colon\\\\;_cloudy._tcp;local;box-3.local;10.99.0.4;22;"
    '"services=a;b" "FLAG" "a=1" "A=2"',
    "=;tap0;IPv4;caf\\195\\169;_cloudy._tcp;local;box-4.local;10.99.0.5;22;",
    "=;tap0;IPv4;bad ip;_x._tcp;local;box.local;not-an-ip;1;",
    "=;tap0;IPv4;bad port;_x._tcp;local;box.local;10.0.0.1;99999;",
    "=;tap0;IPv4;bad type;Tahoe Introducer;local;box.local;10.0.0.1;1;",
    "garbage",
    "",
]


def test_parse_avahi_browse():
    found = {(a.type, a.name): a for a in avahi.parse(LINES)}
    assert set(found) == {
        ("_tahoe-introducer._tcp", "My Grid"),
        ("_cloudy._tcp", "semi;colon\\"),
        ("_cloudy._tcp", "café"),
    }
    grid = found["_tahoe-introducer._tcp", "My Grid"]
    assert grid.address == "10.99.0.3" and grid.port == 3458 and grid.host == "box-2.local"
    assert grid.txt == {"furl": "pb://x", "grid": "g"}
    assert found["_cloudy._tcp", "semi;colon\\"].txt == {"services": "a;b", "flag": "", "a": "1"}
    assert found["_cloudy._tcp", "café"].txt == {}


def test_browse_runs_a_command(tmp_path):
    out = tmp_path / "out"
    out.write_text(LINES[2] + "\n")
    assert [a.name for a in avahi.browse(["cat", str(out)])] == ["My Grid"]
    assert avahi.browse(["/nonexistent/avahi-browse"]) == []
    assert avahi.browse(["false"]) == []


def test_parse_keeps_one_record_per_service_and_leaves_subtypes_out():
    lines = [
        "=;eth0;IPv4;a;_x._tcp;local;b.local;10.0.0.1;1;",
        "=;tap0;IPv4;a;_x._tcp;local;b.local;10.99.0.1;1;",
        "=;tap0;IPv4;a;_p._sub._x._tcp;local;b.local;10.99.0.1;1;",
        "-;tap0;IPv4;gone;_x._tcp;local",
    ]
    assert [(a.type, a.name, a.address) for a in avahi.parse(lines)] == [("_x._tcp", "a", "10.0.0.1")]


def test_browser_serves_a_fresh_answer_then_refreshes_a_stale_one_in_the_background(tmp_path):
    out, runs = tmp_path / "out", tmp_path / "runs"
    out.write_text(LINES[2] + "\n")
    # Counts its runs, so the test sees which calls ran avahi-browse.
    command = ["sh", "-c", f"echo run >> {runs}; cat {out}"]
    now = [100.0]
    browser = avahi.Browser(command, fresh=3, stale=30, clock=lambda: now[0])
    assert [a.name for a in browser.announcements()] == ["My Grid"]
    out.write_text(LINES[3] + "\n")
    assert [a.name for a in browser.announcements()] == ["My Grid"]  # fresh: no run
    assert runs.read_text().count("run") == 1
    now[0] += 5
    assert [a.name for a in browser.announcements()] == ["My Grid"]  # stale: served, refresh starts
    for _ in range(400):  # waits for the background run, whatever the machine's load
        if [a.name for a in browser.announcements()] == ["semi;colon\\"]:
            break
        time.sleep(0.05)
    assert [a.name for a in browser.announcements()] == ["semi;colon\\"]
    assert runs.read_text().count("run") == 2


def test_browser_waits_for_a_run_when_its_answer_is_too_old(tmp_path):
    out = tmp_path / "out"
    out.write_text(LINES[2] + "\n")
    now = [100.0]
    browser = avahi.Browser(["cat", str(out)], fresh=3, stale=30, clock=lambda: now[0])
    assert [a.name for a in browser.announcements()] == ["My Grid"]
    out.write_text("")
    now[0] += 31
    assert browser.announcements() == []
