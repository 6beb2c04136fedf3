"""Host keys through the wrapper, on one lab box: a box with no recorded key is refused before the
run and deployed after `discover --probe`; when the box makes new host keys, `cloudy status`
fails with the box and the changed key named, checked against the project's known_hosts and
against the lab's own, and ssh never logs in (sshd accepts no login), though ansible-runner asks
Ansible for no host key checking."""

import json
from pathlib import Path

import pytest

from cloudy_deploy import runs
from cloudy_deploy.lab import naming, state
from tests.conftest import run_cloudy

pytestmark = pytest.mark.lab


def logins(box) -> int:
    """Public-key logins sshd accepted on the box so far."""
    code, out = box.exec_run(["journalctl", "-q", "--no-pager", "_COMM=sshd"])
    assert code == 0, out
    return out.decode(errors="replace").count("Accepted publickey")


def reinstall_ssh(box) -> None:
    """New host keys on the box, as after a reinstall, and its old sessions gone (with them the
    ControlPersist master of the last run, which would otherwise carry the next run unchecked)."""
    made = box.exec_run(["sh", "-c", "rm -f /etc/ssh/ssh_host_* && ssh-keygen -A && systemctl restart ssh"])
    assert made.exit_code == 0, made.output
    pids = box.exec_run(["pgrep", "-f", "^sshd: root"]).output.decode().split()
    if pids:
        box.exec_run(["kill", *pids])


def refused_status(home: Path, box, name: str, where: str, *args: str) -> None:
    before = logins(box)
    result = run_cloudy("status", *args, home=home)
    assert result.returncode == 1, result.stderr[-3000:]
    said = " ".join(result.stderr.split())
    assert f"the host key of {name} changed" in said, said
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in said and where in said
    record = [r for r in runs.load_all(home) if r.command == "status"][-1]
    assert (record.hosts[name].ok, record.hosts[name].unreachable) == (0, 1)
    assert logins(box) == before  # ssh stopped at the key: no login, so no command ran


def test_host_keys_are_checked_on_every_run(home, lab, docker_client):
    up = run_cloudy("lab", "up", "--nodes", "1", "--name", lab, home=home)
    assert up.returncode == 0, up.stderr[-3000:]
    lab_state = state.load(lab, home)
    [lab_box] = lab_state.nodes
    box = docker_client.containers.get(lab_box.container)
    name = naming.box_name(lab, 1)

    # The lab box as a plain static node: its key is not in the project's known_hosts yet.
    (home / "nodes.yml").write_text(f"nodes:\n  - {{name: {name}, address: {lab_box.address}}}\n")
    ssh = f"ssh: {{user: root, private_key: {lab_state.ssh_private_key}}}\n"
    (home / "cloudy.yml").write_text(f"cloud: hk\nsources:\n  - static: nodes.yml\n{ssh}")
    refused = run_cloudy("deploy", home=home)
    assert refused.returncode == 2, refused.stderr[-3000:]
    [line] = refused.stderr.strip().splitlines()
    assert f"no recorded host key for {name}" in line and "cloudy discover --probe" in line
    assert sorted(p.name for p in (home / ".cloudy").iterdir()) == ["lab"]  # no lock, inventory or run
    assert not (home / "cloudy.lock").exists()

    probed = run_cloudy("discover", "--probe", "--json", home=home)
    assert probed.returncode == 0, probed.stderr[-3000:]
    assert json.loads(probed.stdout)[0]["probe"]["first_use"] is True
    deployed = run_cloudy("deploy", "--tags", "common", home=home)
    assert deployed.returncode == 0, deployed.stderr[-3000:]
    inventory = (home / ".cloudy" / "inventory" / "hosts.yml").read_text()
    assert f"UserKnownHostsFile={home / '.cloudy' / 'known_hosts'}" in inventory

    # The box answers with another key: refused and named, against the project's known_hosts and
    # against the lab's own file alike; ssh never logs in.
    reinstall_ssh(box)
    refused_status(home, box, name, "line 1 of " + str(home / ".cloudy" / "known_hosts"))
    refused_status(home, box, name, f"of {lab_state.ssh_known_hosts}", "--source", f"lab:{lab}")
