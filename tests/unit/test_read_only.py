"""Read-only commands (status, services, deploy --check) plan in memory: they never write cloudy.lock nor the
deploy's inventory; deploy and plan do (README, 'The command line')."""

import json

import pytest
import typer
import yaml
from typer.testing import CliRunner

from cloudy_deploy import runner, runs
from cloudy_deploy.cli import cloud, run
from cloudy_deploy.cli.services import services as services_command
from cloudy_deploy.events import HostStats
from tests.conftest import record_host_keys

app = typer.Typer()
app.command()(cloud.plan)
app.command()(run.status)
app.command()(run.deploy)
app.command()(services_command)

BROWSE = ["=;tinc-svc;IPv4;b1;_ssh._tcp;local;b1.local;10.99.0.2;22;"]


@pytest.fixture
def project(tmp_path):
    home = tmp_path / "project"
    home.mkdir()
    (home / "cloudy.yml").write_text("cloud: svc\nsources:\n  - static: nodes.yml\n")
    write_nodes(home, 1, 2, 3)
    record_host_keys(home, *(f"10.1.2.{i}" for i in range(1, 5)))
    return home


def write_nodes(home, *numbers):
    nodes = "".join(f"  - {{name: b{i}, address: 10.1.2.{i}}}\n" for i in numbers)
    (home / "nodes.yml").write_text("nodes:\n" + nodes)


@pytest.fixture
def calls(monkeypatch):
    """A runner that records the inventory as the playbook would have seen it."""
    seen = []

    def run_playbook(playbook, inventory, display, **kwargs):
        hosts = yaml.safe_load((inventory / "hosts.yml").read_text())["all"]["hosts"]
        seen.append({"playbook": playbook, "inventory": inventory, "hosts": hosts, **kwargs})
        record = runs.RunRecord(f"run-{len(seen)}", kwargs["command"], playbook, 0.0, status="successful")
        record.hosts = {h: HostStats(ok=1) for h in hosts}
        record.reports = {h: {"browse": BROWSE} for h in hosts} if playbook == "browse.yml" else {}
        if playbook == "status.yml":
            record.reports = {h: {"uptime": 5, "services": [], "peers": []} for h in hosts}
        return record

    monkeypatch.setattr(runner, "run_playbook", run_playbook)
    return seen


def invoke(*args):
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def state(home):
    """What a read-only command must leave alone: the lock, and the deploy's inventory."""
    files = [home / "cloudy.lock", *sorted((home / ".cloudy" / "inventory").rglob("*.yml"))]
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files if p.exists()}


READ_ONLY = [
    ["status", "--json"],
    ["services", "--json"],
    ["deploy", "--check"],
    ["deploy", "--check", "--diff"],
]


@pytest.mark.parametrize("command", READ_ONLY)
def test_without_a_lock_nothing_is_recorded(project, calls, command):
    result = invoke(*command, "--home", str(project))
    [call] = calls
    assert sorted(call["hosts"]) == ["b1", "b2", "b3"]
    assert call["hosts"]["b1"]["cloudy_overlay_ip"] == "10.99.0.2"
    assert call["inventory"].parent == project / ".cloudy" / "tmp"
    assert not call["inventory"].exists()  # the scratch inventory is removed afterwards
    assert not (project / "cloudy.lock").exists()
    assert not (project / ".cloudy" / "inventory").exists()
    assert "no cloudy.lock yet: boxes shown as planned, not recorded" in result.stderr


@pytest.mark.parametrize("command", READ_ONLY)
def test_a_new_node_gets_no_allocation_from_a_read_only_command(project, calls, command):
    invoke("deploy", "--home", str(project))
    before = state(project)
    lock_text = (project / "cloudy.lock").read_text()
    assert "b4" not in lock_text and len(before) > 1
    write_nodes(project, 1, 2, 3, 4)

    result = invoke(*command, "--home", str(project))

    seen = calls[-1]["hosts"]
    assert seen["b4"]["cloudy_overlay_ip"] == "10.99.0.5"  # planned in memory, for this run only
    assert state(project) == before  # same bytes, not even rewritten
    assert "cloudy.lock does not hold this plan yet" in result.stderr
    # The next deploy records b4, as it would have without the read-only run.
    invoke("deploy", "--home", str(project))
    assert "b4: {tinc_name: b4, hostname: b4, overlay_ip: 10.99.0.5" in (project / "cloudy.lock").read_text()


def test_a_lock_the_sources_agree_with_gives_no_note(project, calls):
    invoke("plan", "--home", str(project))
    result = invoke("status", "--home", str(project))
    assert "cloudy.lock" not in result.stderr


def test_status_json_comes_from_the_scratch_inventory(project, calls):
    result = invoke("status", "--json", "--home", str(project))
    assert [row["node"] for row in json.loads(result.stdout)] == ["b1", "b2", "b3"]
    assert calls[0]["forks"] == 3 and calls[0]["command"] == "status"


def test_plan_and_deploy_record_the_lock(project, calls):
    invoke("plan", "--dry-run", "--home", str(project))
    assert not (project / "cloudy.lock").exists()
    invoke("plan", "--home", str(project))
    assert "b3: {tinc_name: b3" in (project / "cloudy.lock").read_text()
    assert not (project / ".cloudy" / "inventory").exists()  # plan writes no inventory
    write_nodes(project, 1, 2, 3, 4)
    invoke("deploy", "--home", str(project))
    assert "b4: {tinc_name: b4" in (project / "cloudy.lock").read_text()
    assert calls[-1]["inventory"] == project / ".cloudy" / "inventory"
    assert "b4:" in (project / ".cloudy" / "inventory" / "hosts.yml").read_text()


def test_deploy_check_runs_site_yml_in_check_mode_on_the_scratch_inventory(project, calls):
    invoke("deploy", "--check", "--limit", "b1", "--home", str(project))
    [call] = calls
    assert (call["playbook"], call["check"], call["limit"]) == ("site.yml", True, "b1")
    assert call["command"] == "check"  # not a deploy: --retry-failed looks past it
    assert call["inventory"].parent == project / ".cloudy" / "tmp"
    # known_hosts is the fixture's (what `discover --probe` records); the run added only tmp/, empty
    assert sorted(p.name for p in (project / ".cloudy").iterdir()) == ["known_hosts", "tmp"]
    assert list((project / ".cloudy" / "tmp").iterdir()) == []
