"""Host keys through the wrapper, on one lab box: a box with no recorded key is refused before the
run and taken after `discover --probe`; a changed key (in the project's known_hosts, and in the
lab's own) fails `cloudy status` with the box and the changed key named, and ssh never logs in
(sshd accepts no login, though ansible-runner asks for no host key checking)."""

import json
from pathlib import Path

import pytest

from cloudy_deploy import runs
from cloudy_deploy.lab import naming, state
from tests.conftest import HOST_KEY, run_cloudy

pytestmark = pytest.mark.lab


def logins(box) -> int:
    """Public-key logins sshd accepted on the box so far."""
    code, out = box.exec_run(["journalctl", "-q", "--no-pager", "_COMM=sshd"])
    assert code == 0, out
    return out.decode(errors="replace").count("Accepted publickey")


def swap_key(path: Path, address: str) -> None:
    """Record another key for ADDRESS (the box's real one stays on the box)."""
    lines = path.read_text().splitlines()
    hit = [i for i, line in enumerate(lines) if address in line.split()[0].split(",")]
    assert hit, lines
    for i in hit:
        lines[i] = f"{lines[i].split()[0]} {HOST_KEY}"
    path.write_text("\n".join(lines) + "\n")


def refused_status(home: Path, box, name: str, *args: str) -> None:
    before = logins(box)
    result = run_cloudy("status", *args, home=home)
    assert result.returncode == 1, result.stderr[-3000:]
    said = " ".join(result.stderr.split())
    assert f"the host key of {name} changed" in said, said
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in said
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

    # A changed key in the project's known_hosts: refused and named, no login.
    swap_key(home / ".cloudy" / "known_hosts", lab_box.address)
    refused_status(home, box, name)

    # The lab source keeps its own file: checked against it, and refused the same way when it differs.
    ok = run_cloudy("status", "--source", f"lab:{lab}", home=home)
    assert ok.returncode == 0, ok.stderr[-3000:]
    swap_key(Path(lab_state.ssh_known_hosts), lab_box.address)
    refused_status(home, box, name, "--source", f"lab:{lab}")
