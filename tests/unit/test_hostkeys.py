"""Host keys on every run (cloudy_deploy/hostkeys.py): the strict SSH variables of the inventory
(wrapper and plugin alike), the runner's environment, the refusal before a run of a box with no
recorded key, and ssh's refusals in words."""

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from cloudy_deploy import events, hostkeys, inventory, runner, runs
from cloudy_deploy.cli import run
from cloudy_deploy.cli.services import services as services_command
from cloudy_deploy.errors import BadInput
from cloudy_deploy.events import HostStats
from cloudy_deploy.nodes import Node
from cloudy_deploy.plan import make_plan
from cloudy_deploy.spec import CloudSpec
from tests.conftest import HOST_KEY as KEY

REPO = Path(__file__).resolve().parents[2]

app = typer.Typer()
app.command()(run.status)
app.command()(run.deploy)
app.command()(services_command)


def common_args(hv: dict) -> list[str]:
    return shlex.split(hv["ansible_ssh_common_args"])


def test_a_node_is_checked_against_the_projects_known_hosts(tmp_path):
    known = tmp_path / "my project" / ".cloudy" / "known_hosts"
    hv = inventory.host_vars(Node(name="b", address="10.1.2.3"), "root", "/k/id", known)
    assert hv["ansible_host_key_checking"] is True  # wins over ANSIBLE_HOST_KEY_CHECKING=False
    assert common_args(hv) == [
        "-o",
        f"UserKnownHostsFile={known}",
        "-o",
        "GlobalKnownHostsFile=/dev/null",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "IdentitiesOnly=yes",
    ]


def test_a_node_with_its_own_file_keeps_it_and_without_a_key_the_agent_may_answer(tmp_path):
    lab = Node(name="lab-1", address="172.29.0.2", ssh_known_hosts="/lab/known_hosts")
    hv = inventory.host_vars(lab, known_hosts=tmp_path / "known_hosts")
    assert "UserKnownHostsFile=/lab/known_hosts" in common_args(hv)
    assert "IdentitiesOnly=yes" not in common_args(hv)
    # No project file given (a library caller): strict against ssh's own files.
    plain = inventory.host_vars(Node(name="b", address="10.1.2.3"))
    assert common_args(plain) == ["-o", "StrictHostKeyChecking=yes"]
    assert plain["ansible_host_key_checking"] is True


def test_the_written_inventory_and_the_plugin_data_carry_the_same_args(tmp_path):
    spec = CloudSpec(cloud="c")
    the_plan = make_plan([Node(name="b1", address="10.1.2.3")], spec, None)
    known = tmp_path / "known_hosts"
    written = yaml.safe_load(inventory.render(the_plan, spec, known)["hosts.yml"])["all"]["hosts"]["b1"]
    built = inventory.build(the_plan, spec, known).hosts["b1"]
    assert written == built
    assert f"UserKnownHostsFile={known}" in built["ansible_ssh_common_args"]


def test_the_runner_asks_ansible_for_host_key_checking(tmp_path):
    env = runner.environment(tmp_path)
    assert env["ANSIBLE_HOST_KEY_CHECKING"] == "True"
    assert env["ANSIBLE_CACHE_PLUGIN_CONNECTION"] == str(tmp_path / ".cloudy" / "facts")


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (None, ["a", "b", "c"]),
        ("b", ["b"]),
        ("c,a", ["a", "c"]),
        ("tahoe", ["b", "c"]),
        ("a:tahoe", ["a", "b", "c"]),
        ("b*", ["a", "b", "c"]),  # a pattern it does not resolve: every host is checked
        ("!a", ["a", "b", "c"]),
    ],
)
def test_the_hosts_a_limit_may_reach(limit, expected):
    hosts = {n: Node(name=n, address=f"10.0.0.{i}") for i, n in enumerate("abc", 1)}
    assert hostkeys.select(hosts, {"tahoe": ["b", "c"]}, limit) == expected


def test_missing_keys_per_file_with_ports_and_hashed_or_grouped_lines(tmp_path):
    known = tmp_path / "known_hosts"
    known.write_text(f"10.0.0.1 {KEY}\n[10.0.0.2]:2222 {KEY}\nbox3,10.0.0.3 {KEY}\n")
    lab = tmp_path / "lab_known_hosts"
    nodes = [
        ("a", Node(name="a", address="10.0.0.1")),
        ("b", Node(name="b", address="10.0.0.2", ssh_port=2222)),
        ("b22", Node(name="b22", address="10.0.0.2")),  # recorded for port 2222 only
        ("c", Node(name="c", address="10.0.0.3")),
        ("l", Node(name="l", address="10.0.0.1", ssh_known_hosts=str(lab))),  # its file does not exist
    ]
    assert hostkeys.missing(nodes, known) == {known: ["b22"], lab: ["l"]}


def test_an_unreadable_known_hosts_is_bad_input(tmp_path):
    known = tmp_path / "known_hosts"
    known.write_text("10.0.0.1 ssh-ed25519 not-base64!\n")
    with pytest.raises(BadInput, match=r"known_hosts:1: not a known_hosts line"):
        hostkeys.missing([("a", Node(name="a", address="10.0.0.1"))], known)


@pytest.fixture
def project(tmp_path):
    home = tmp_path / "project"
    home.mkdir()
    (home / "cloudy.yml").write_text("cloud: hk\nsources:\n  - static: nodes.yml\n")
    (home / "nodes.yml").write_text(
        "nodes:\n  - {name: b1, address: 10.1.2.1}\n  - {name: b2, address: 10.1.2.2}\n"
        "  - {name: b3, address: 10.1.2.3}\n"
    )
    return home


@pytest.fixture
def calls(monkeypatch):
    seen = []

    def run_playbook(playbook, inventory, display, **kwargs):
        seen.append(playbook)
        record = runs.RunRecord("r", kwargs["command"], playbook, 0.0, status="successful")
        record.hosts = {"b1": HostStats(ok=1)}
        record.reports = {"b1": {"browse": [], "uptime": 1, "services": [], "peers": []}}
        return record

    monkeypatch.setattr(runner, "run_playbook", run_playbook)
    return seen


def record(home, *numbers):
    known = home / ".cloudy" / "known_hosts"
    known.parent.mkdir(parents=True, exist_ok=True)
    known.write_text("".join(f"10.1.2.{i} {KEY}\n" for i in numbers))


@pytest.mark.parametrize("command", [["deploy"], ["status"], ["services"], ["deploy", "--limit", "b2,b3"]])
def test_a_box_with_no_recorded_key_is_refused_before_the_run(project, calls, command):
    record(project, 1)
    result = CliRunner().invoke(app, [*command, "--home", str(project)])
    assert isinstance(result.exception, BadInput), result.output
    message = str(result.exception)
    assert "\n" not in message
    assert "no recorded host key for b2, b3 in" in message and "`cloudy discover --probe`" in message
    assert calls == []
    assert not (project / "cloudy.lock").exists()
    assert not (project / ".cloudy" / "inventory").exists()
    assert not (project / ".cloudy" / "runs").exists()


def test_a_limit_to_boxes_with_keys_runs_and_after_recording_every_run_does(project, calls):
    record(project, 1)
    result = CliRunner().invoke(app, ["deploy", "--limit", "b1", "--home", str(project)])
    assert result.exit_code == 0, result.output
    record(project, 1, 2, 3)
    for command in ("deploy", "status", "services"):
        result = CliRunner().invoke(app, [command, "--home", str(project)])
        assert result.exit_code == 0, (command, result.output, result.exception)
    assert calls == ["site.yml", "site.yml", "status.yml", "browse.yml"]
    hosts = yaml.safe_load((project / ".cloudy" / "inventory" / "hosts.yml").read_text())["all"]["hosts"]
    known = project / ".cloudy" / "known_hosts"
    assert f"UserKnownHostsFile={known}" in hosts["b2"]["ansible_ssh_common_args"]


CHANGED = (
    "Failed to connect to the host via ssh: @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n"
    "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\n"
    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n"
    "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\r\n"
    "Offending ED25519 key in /p/.cloudy/known_hosts:3\r\n"
    "Host key for 10.1.2.2 has changed and you have requested strict checking.\r\n"
    "Host key verification failed."
)
UNKNOWN = (
    "Failed to connect to the host via ssh: No ED25519 host key is known for 10.1.2.2 and you have "
    "requested strict checking.\r\nHost key verification failed."
)


def unreachable(msg: str) -> str:
    progress = events.RunProgress()
    line = progress.apply(
        {
            "event": "runner_on_unreachable",
            "event_data": {"host": "b2", "task": "Gathering Facts", "res": {"msg": msg, "unreachable": True}},
        }
    )
    assert line is not None and line["status"] == "unreachable"
    assert progress.hosts["b2"].failures == [f"Gathering Facts: {line['message']}"]
    return line["message"].removeprefix("unreachable: ")


def test_a_changed_host_key_is_named_in_words():
    message = unreachable(CHANGED)
    assert message.startswith("the host key of b2 changed:")
    assert "line 3 of /p/.cloudy/known_hosts" in message
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in message
    assert "@@@" not in message


def test_an_unrecorded_host_key_says_how_to_record_it():
    message = unreachable(UNKNOWN)
    assert message.startswith("the host key of b2 is not recorded") and "cloudy discover --probe" in message
    other = unreachable("Failed to connect to the host via ssh: Connection refused")
    assert other.endswith("Connection refused")


ANSIBLE = Path(sys.executable).parent / "ansible"


@pytest.mark.skipif(not ANSIBLE.exists(), reason="needs ansible-core beside this Python")
def test_ansible_runs_ssh_strictly_even_when_told_not_to_check(tmp_path):
    """ssh as Ansible runs it for the written inventory, with ANSIBLE_HOST_KEY_CHECKING=False as
    ansible-runner and AWX set it (to a closed port on this machine: nothing is reached)."""
    spec = CloudSpec(cloud="c")
    nodes = [Node(name="b1", address="127.0.0.1", ssh_port=9)]
    inventory.write(make_plan(nodes, spec, None), spec, tmp_path / "inv", tmp_path / "known_hosts")
    hosts = tmp_path / "inv" / "hosts.yml"
    plain = tmp_path / "plain"  # the same host without ansible_host_key_checking: what used to run
    (plain / "hosts.yml").parent.mkdir()
    (plain / "hosts.yml").write_text(hosts.read_text().replace("ansible_host_key_checking: true", ""))
    env = {**os.environ, "ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")}
    env["ANSIBLE_SSH_CONTROL_PATH_DIR"] = str(tmp_path / "cp")

    def ssh_line(inv: Path) -> str:
        argv = [str(ANSIBLE), "-i", str(inv), "all", "-m", "ping", "-vvv", "-e", "ansible_ssh_retries=0"]
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)
        return next(line for line in done.stdout.splitlines() if "SSH: EXEC" in line)

    strict = ssh_line(tmp_path / "inv")
    assert "StrictHostKeyChecking=no" not in strict and "StrictHostKeyChecking=yes" in strict
    assert f"UserKnownHostsFile={tmp_path / 'known_hosts'}" in strict
    assert "StrictHostKeyChecking=no" in ssh_line(plain)  # ssh takes the first value: this one
