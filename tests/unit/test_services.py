"""`cloudy services`: rows from records (both ways the same), the box path with a fake runner, --local
on the loopback only, and bad input."""

import json
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest
import typer
from typer.testing import CliRunner
from zeroconf import IPVersion, ServiceInfo, Zeroconf

from cloudy_deploy import runner, runs
from cloudy_deploy import services as svc
from cloudy_deploy.cli.services import services as services_command
from cloudy_deploy.errors import BadInput
from cloudy_deploy.events import HostStats
from cloudy_deploy.sources.mdns_records import MdnsRecord, parse_avahi_browse, record_from_info
from tests.conftest import record_host_keys

BROWSE = [
    "+;cloud;IPv4;box-10;_ssh._tcp;local",
    "=;cloud;IPv4;box-10;_ssh._tcp;local;box-10.local;10.99.0.11;22;",
    "=;cloud;IPv4;box-2;_ssh._tcp;local;box-2.local;10.99.0.3;2222;",
    '=;cloud;IPv4;box-2;_cloudy._tcp;local;box-2.local;10.99.0.3;22;"services=avahi" "node=box-2" "cloud=c"',
    '=;cloud;IPv4;Intro\\032on\\032box-2;_tahoe-introducer._tcp;local;box-2.local;10.99.0.3;3458;"furl=pb://x@tcp:10.99.0.3:3458/i"',
    '=;cloud;IPv4;odd\\059[red]name;_x-y._udp;local;box-2.local;10.99.0.3;9;"Markup=[bold]x" "k"',
]

EXPECTED = [
    {
        "type": "_cloudy._tcp",
        "name": "box-2",
        "node": "box-2",
        "overlay_ip": "10.99.0.3",
        "port": 22,
        "txt": {"cloud": "c", "node": "box-2", "services": "avahi"},
    },
    {
        "type": "_ssh._tcp",
        "name": "box-2",
        "node": "box-2",
        "overlay_ip": "10.99.0.3",
        "port": 2222,
        "txt": {},
    },
    {
        "type": "_ssh._tcp",
        "name": "box-10",
        "node": "box-10",
        "overlay_ip": "10.99.0.11",
        "port": 22,
        "txt": {},
    },
    {
        "type": "_tahoe-introducer._tcp",
        "name": "Intro on box-2",
        "node": "box-2",
        "overlay_ip": "10.99.0.3",
        "port": 3458,
        "txt": {"furl": "pb://x@tcp:10.99.0.3:3458/i"},
    },
    {
        "type": "_x-y._udp",
        "name": "odd;[red]name",
        "node": "box-2",
        "overlay_ip": "10.99.0.3",
        "port": 9,
        "txt": {"k": "", "markup": "[bold]x"},
    },
]


def rows(records, service_type=None):
    return [s.to_json() for s in svc.services_from_records(records, service_type)]


def test_rows_from_avahi_browse():
    result = parse_avahi_browse(BROWSE)
    assert result.notes == []
    assert rows(result.records) == EXPECTED


def test_rows_of_one_type():
    records = parse_avahi_browse(BROWSE).records
    assert [(r["type"], r["node"]) for r in rows(records, "_ssh._tcp")] == [
        ("_ssh._tcp", "box-2"),
        ("_ssh._tcp", "box-10"),
    ]
    assert rows(records, "_nothing._tcp") == []


def info(type_, instance, host, address, port, txt):
    return ServiceInfo(
        f"{type_}.local.",
        f"{instance}.{type_}.local.",
        port=port,
        server=f"{host}.local.",
        parsed_addresses=[address],
        properties=txt,
    )


def test_zeroconf_answers_give_the_same_rows():
    """What --local sees with zeroconf and what avahi-browse prints on a box: the same output."""
    infos = [
        info("_ssh._tcp", "box-10", "box-10", "10.99.0.11", 22, {}),
        info("_ssh._tcp", "box-2", "box-2", "10.99.0.3", 2222, {}),
        info(
            "_cloudy._tcp",
            "box-2",
            "box-2",
            "10.99.0.3",
            22,
            {"services": "avahi", "node": "box-2", "cloud": "c"},
        ),
        info(
            "_tahoe-introducer._tcp",
            "Intro on box-2",
            "box-2",
            "10.99.0.3",
            3458,
            {b"furl": b"pb://x@tcp:10.99.0.3:3458/i"},
        ),
        info("_x-y._udp", "odd;[red]name", "box-2", "10.99.0.3", 9, {"Markup": "[bold]x", "k": None}),
    ]
    assert rows(record_from_info(i) for i in infos) == EXPECTED


def test_the_overlay_ip_is_the_first_usable_ipv4():
    record = MdnsRecord(
        "_a._tcp.local.", "a._a._tcp.local.", "b.local.", ("fe80::1", "fd00::2", "10.99.0.5"), 1
    )
    assert rows([record])[0]["overlay_ip"] == "10.99.0.5"
    only6 = MdnsRecord("_a._tcp.local.", "a._a._tcp.local.", "b.local.", ("fe80::1", "fd00::2"), 1)
    assert rows([only6])[0]["overlay_ip"] == "fd00::2"
    none = MdnsRecord("_a._tcp.local.", "a._a._tcp.local.", "b.local.", ("fe80::1",), 1)
    assert rows([none])[0]["overlay_ip"] is None


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("ssh", "_ssh._tcp"),
        ("_ssh", "_ssh._tcp"),
        ("_ssh._tcp", "_ssh._tcp"),
        ("_SSH._TCP", None),
        ("_ssh._tcp.local", "_ssh._tcp"),
        ("_ssh._tcp.local.", "_ssh._tcp"),
        ("_tahoe-introducer._tcp", "_tahoe-introducer._tcp"),
        ("Cloudy", "_cloudy._tcp"),
        ("_sip._udp", "_sip._udp"),
        (" ssh ", "_ssh._tcp"),
    ],
)
def test_normalise_type(text, normal):
    if normal is None:
        with pytest.raises(BadInput):
            svc.normalise_type(text)
    else:
        assert svc.normalise_type(text) == normal


@pytest.mark.parametrize(
    "text", ["", "_", "my service", "_ssh._sctp", "a;b", "_ssh._tcp.example.org", "-x", "x" * 64]
)
def test_bad_types(text):
    with pytest.raises(BadInput, match="not a DNS-SD service type"):
        svc.normalise_type(text)


def test_browse_boxes():
    hosts = ["b1", "b2", "b3", "b4"]
    assert svc.browse_boxes(hosts, None) == ["b1", "b2", "b3"]
    assert svc.browse_boxes(hosts[:1], None) == ["b1"]
    assert svc.browse_boxes(hosts, "b4") == ["b4"]
    with pytest.raises(BadInput, match="--via 'b9': not a box of the avahi group"):
        svc.browse_boxes(hosts, "b9")


def test_the_first_box_that_reported_in_order():
    reports = {"b3": {"browse": BROWSE[:2]}, "b2": {"browse": []}, "b1": {"other": 1}}
    box, result = svc.from_reports(reports, ["b1", "b2", "b3"])
    assert (box, result.records) == ("b2", [])
    box, result = svc.from_reports(reports, ["b3", "b2"])
    assert box == "b3" and len(result.records) == 1
    with pytest.raises(ValueError):
        svc.from_reports({"b1": {"browse": "not a list"}}, ["b1", "b2"])


def test_browse_extravars():
    assert svc.browse_extravars(None) == {}
    assert svc.browse_extravars("_ssh._tcp") == {"services_type": "_ssh._tcp"}


# The command, on a Typer app of its own (the `cloudy` app registers the same function).
app = typer.Typer()
app.command()(services_command)
app.command("other")(lambda: None)  # two commands: `services` is then a subcommand, as in `cloudy`


@pytest.fixture
def project(tmp_path):
    home = tmp_path / "project"
    home.mkdir()
    (home / "cloudy.yml").write_text("cloud: svc\nsources:\n  - static: nodes.yml\n")
    nodes = "".join(f"  - {{name: b{i}, address: 10.1.2.{i}}}\n" for i in (1, 2, 3, 4))
    (home / "nodes.yml").write_text("nodes:\n" + nodes)
    record_host_keys(home, *(f"10.1.2.{i}" for i in (1, 2, 3, 4)))
    return home


def fake_runner(monkeypatch, reports, failures=None):
    calls = []

    def run_playbook(playbook, inventory, display, **kwargs):
        calls.append({"playbook": playbook, "inventory": inventory, **kwargs})
        record, _folder = runs.new_run(kwargs["home"], kwargs["command"], playbook, kwargs["limit"])
        record.status = "successful" if not failures else "failed"
        hosts = kwargs["limit"].split(",")
        record.hosts = {h: HostStats(ok=2) for h in hosts}
        for host, message in (failures or {}).items():
            record.hosts[host] = HostStats(unreachable=1, failures=[message])
        record.reports = reports
        return record

    monkeypatch.setattr(runner, "run_playbook", run_playbook)
    return calls


def test_services_on_a_box_json(monkeypatch, project):
    calls = fake_runner(monkeypatch, {"b2": {"browse": BROWSE}, "b1": {"browse": BROWSE[:2]}})
    result = CliRunner().invoke(app, ["services", "--json", "--home", str(project)])
    assert result.exit_code == 0, result.output
    [call] = calls
    assert call["playbook"] == "browse.yml" and call["command"] == "services"
    assert call["limit"] == "b1,b2,b3" and call["forks"] == 3
    assert call["extravars"] == {}
    # A read-only command: a scratch inventory of its own, gone afterwards; no lock, no deploy inventory.
    assert call["inventory"].parent == project / ".cloudy" / "tmp" and not call["inventory"].exists()
    assert not (project / ".cloudy" / "inventory").exists() and not (project / "cloudy.lock").exists()
    # b1 comes first (lowest overlay IP) and reported: its two lines, one ssh service.
    assert [r["node"] for r in json.loads(result.stdout)] == ["box-10"]
    assert "as b1 sees them" in result.stderr


def test_services_of_a_type_via_a_box(monkeypatch, project):
    calls = fake_runner(monkeypatch, {"b4": {"browse": BROWSE}})
    result = CliRunner().invoke(
        app, ["services", "--type", "tahoe-introducer", "--via", "b4", "--json", "--home", str(project)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [EXPECTED[3]]
    assert calls[0]["limit"] == "b4" and calls[0]["extravars"] == {"services_type": "_tahoe-introducer._tcp"}


def test_services_table_goes_to_stderr_as_text(monkeypatch, project):
    fake_runner(monkeypatch, {"b1": {"browse": BROWSE}})
    result = CliRunner().invoke(app, ["services", "--home", str(project)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "Intro on box-2" in result.stderr and "furl=pb://x@tcp:10.99.0.3:3458/i" in result.stderr
    assert "odd;[red]name" in result.stderr and "markup=[bold]x" in result.stderr  # not rich markup


def test_no_box_could_browse(monkeypatch, project):
    fake_runner(monkeypatch, {}, failures={"b1": "Browse: unreachable: ssh: connect refused"})
    result = CliRunner().invoke(app, ["services", "--json", "--home", str(project)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "b1: Browse: unreachable: ssh: connect refused" in result.stderr
    assert "no box could browse (tried b1, b2, b3)" in result.stderr


def test_a_malformed_line_is_noted_and_the_rest_shown(monkeypatch, project):
    fake_runner(monkeypatch, {"b1": {"browse": [*BROWSE[:2], "=;broken"]}})
    result = CliRunner().invoke(app, ["services", "--json", "--home", str(project)])
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)) == 1
    assert "avahi-browse on b1: line 3 left out" in result.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--type", "not a type"], "not a DNS-SD service type"),
        (["--local", "--via", "b1"], "exclude each other"),
        (["--interface", "127.0.0.1"], "only goes with --local"),
        (["--via", "b9"], "--via 'b9'"),
    ],
)
def test_bad_input_writes_nothing(monkeypatch, project, args, fragment):
    calls = fake_runner(monkeypatch, {})
    result = CliRunner().invoke(app, ["services", *args, "--home", str(project)])
    assert isinstance(result.exception, BadInput) and fragment in str(result.exception)
    assert calls == []
    written = sorted(p.relative_to(project).as_posix() for p in project.rglob("*"))
    assert written == [".cloudy", ".cloudy/known_hosts", "cloudy.yml", "nodes.yml"]


def test_no_box_runs_avahi(monkeypatch, project):
    (project / "cloudy.yml").write_text(
        "cloud: svc\nsources:\n  - static: nodes.yml\nservices:\n  avahi: none\n"
    )
    fake_runner(monkeypatch, {})
    result = CliRunner().invoke(app, ["services", "--home", str(project)])
    assert isinstance(result.exception, BadInput) and "no box runs avahi" in str(result.exception)


def test_no_nodes(monkeypatch, project):
    (project / "nodes.yml").write_text("nodes: []\n")
    fake_runner(monkeypatch, {})
    result = CliRunner().invoke(app, ["services", "--home", str(project)])
    assert isinstance(result.exception, BadInput) and "its sources give no nodes" in str(result.exception)


def test_local_browse_on_the_loopback_only(project):
    """Announce with zeroconf on 127.0.0.1 and browse there: no packet leaves this machine."""
    try:
        publisher = Zeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    except OSError as exc:
        pytest.skip(f"no multicast on the loopback here: {exc}")
    announced = [
        ServiceInfo(
            "_ssh._tcp.local.",
            "lo-svc1._ssh._tcp.local.",
            addresses=[socket.inet_aton("127.0.0.21")],
            port=22,
            server="lo-svc1.local.",
        ),
        ServiceInfo(
            "_cloudytest-lo._tcp.local.",
            "Web on lo-svc1._cloudytest-lo._tcp.local.",
            addresses=[socket.inet_aton("127.0.0.21")],
            port=8080,
            properties={"path": "/", "note": "a b;c"},
            server="lo-svc1.local.",
        ),
    ]
    try:
        with ThreadPoolExecutor() as pool:
            list(pool.map(publisher.register_service, announced))
        # The typed browse first: a responder does not multicast the same answer twice within 1 s.
        one = CliRunner().invoke(
            app,
            [
                *("services", "--local", "--interface", "127.0.0.1", "--timeout", "2"),
                *("--type", "cloudytest-lo", "--json", "--home", str(project)),
            ],
        )
        every = CliRunner().invoke(
            app,
            [
                "services",
                "--local",
                "--interface",
                "127.0.0.1",
                "--timeout",
                "1.5",
                "--json",
                "--home",
                str(project),
            ],
        )
    finally:
        publisher.close()
    assert every.exit_code == 0, every.output
    mine = [r for r in json.loads(every.stdout) if r["node"] == "lo-svc1"]
    assert mine == [
        {
            "type": "_cloudytest-lo._tcp",
            "name": "Web on lo-svc1",
            "node": "lo-svc1",
            "overlay_ip": "127.0.0.21",
            "port": 8080,
            "txt": {"note": "a b;c", "path": "/"},
        },
        {
            "type": "_ssh._tcp",
            "name": "lo-svc1",
            "node": "lo-svc1",
            "overlay_ip": "127.0.0.21",
            "port": 22,
            "txt": {},
        },
    ]
    assert one.exit_code == 0, one.output
    assert [r["name"] for r in json.loads(one.stdout)] == ["Web on lo-svc1"]
    assert "zeroconf" in every.stderr
    written = sorted(p.relative_to(project).as_posix() for p in project.rglob("*"))
    assert written == [".cloudy", ".cloudy/known_hosts", "cloudy.yml", "nodes.yml"]  # --local writes nothing
