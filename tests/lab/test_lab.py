"""The lab on real systemd containers: SSH with strict host key checking, idempotence, clean down."""

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cloudy_deploy import inventory
from cloudy_deploy.lab import limits, naming, state
from cloudy_deploy.lab.sshkeys import ensure_client_key
from cloudy_deploy.plan import make_plan
from cloudy_deploy.runs import load_all
from cloudy_deploy.spec import default_spec
from tests.conftest import REPO, run_cloudy
from tests.lab.overlay import overlay_ip, pings

pytestmark = pytest.mark.lab


def ansible_ping(inv: Path) -> subprocess.CompletedProcess:
    # A control socket of its own per inventory: a reused master connection skips host key checks.
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_SSH_CONTROL_PATH_DIR": str(inv.parent / "cp"),
    }
    ansible = Path(sys.executable).parent / "ansible"
    return subprocess.run(
        [str(ansible), "-i", str(inv), "cloudy", "-m", "ansible.builtin.ping", "-o"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def write_inventory(nodes, out: Path) -> Path:
    spec = default_spec()
    return inventory.write(make_plan(nodes, spec, None), spec, out)[0]


def lab_containers(client, name):
    return client.containers.list(all=True, filters={"label": f"{naming.LABEL}={name}"})


def test_lab_up_ping_reup_down(home, lab, docker_client, tmp_path):
    up = run_cloudy("lab", "up", "--nodes", "2", "--name", lab, home=home)
    assert up.returncode == 0, up.stderr
    lab_state = state.load(lab, home)
    assert [b.name for b in lab_state.nodes] == [f"{lab}-1", f"{lab}-2"]
    ids = sorted(c.id for c in lab_containers(docker_client, lab))
    assert len(ids) == 2

    # Ansible over SSH with the lab's key and known_hosts, strict checking on.
    inv = write_inventory(lab_state.as_nodes(), tmp_path / "inv")
    ping = ansible_ping(inv)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert ping.stdout.count("SUCCESS") == 2
    assert "StrictHostKeyChecking=no" not in inv.read_text()

    # The same, against a known_hosts holding a wrong key: refused, so checking is real.
    wrong = tmp_path / "wrong_known_hosts"
    other = ensure_client_key(tmp_path / "other_key", "x").split()
    wrong.write_text("".join(f"{b.address} {other[0]} {other[1]}\n" for b in lab_state.nodes))
    bad_nodes = [n.model_copy(update={"ssh_known_hosts": str(wrong)}) for n in lab_state.as_nodes()]
    refused = ansible_ping(write_inventory(bad_nodes, tmp_path / "bad"))
    assert refused.returncode != 0
    assert "Host key verification failed" in refused.stdout + refused.stderr

    # A second `lab up` keeps the same boxes.
    again = run_cloudy("lab", "up", "--name", lab, home=home)
    assert again.returncode == 0, again.stderr
    assert sorted(c.id for c in lab_containers(docker_client, lab)) == ids

    # `lab ssh` runs a command on a box through the lab's known_hosts.
    ssh = run_cloudy("lab", "ssh", f"{lab}-2", "hostname", home=home)
    assert ssh.returncode == 0, ssh.stderr
    assert ssh.stdout.strip() == f"{lab}-2"

    status = run_cloudy("lab", "status", "--name", lab, "--json", home=home)
    rows = yaml.safe_load(status.stdout)
    assert [(r["name"], r["running"], r["ssh"]) for r in rows] == [
        (f"{lab}-1", True, True),
        (f"{lab}-2", True, True),
    ]

    # Down removes containers, network and state, and keeps the images.
    down = run_cloudy("lab", "down", "--name", lab, home=home)
    assert down.returncode == 0, down.stderr
    assert lab_containers(docker_client, lab) == []
    assert docker_client.networks.list(names=[naming.network_name(lab)]) == []
    assert not (home / ".cloudy" / "lab").exists()
    docker_client.images.get(lab_state.image)


def test_more_nodes_adds_boxes_and_keeps_the_old(home, lab, docker_client):
    assert run_cloudy("lab", "up", "--nodes", "1", "--name", lab, home=home).returncode == 0
    first = {c.name: c.id for c in lab_containers(docker_client, lab)}
    grown = run_cloudy("lab", "up", "--nodes", "3", "--name", lab, home=home)
    assert grown.returncode == 0, grown.stderr
    after = {c.name: c.id for c in lab_containers(docker_client, lab)}
    assert len(after) == 3
    assert {k: after[k] for k in first} == first
    known = (home / ".cloudy" / "lab" / lab / "known_hosts").read_text().splitlines()
    assert len(known) == 3


def test_subnet_overlapping_a_docker_network_is_refused(home, lab, docker_client):
    from docker.errors import APIError
    from docker.types import IPAMConfig, IPAMPool

    # A /24 no other network holds: molecule scenarios running beside the lab tests take docker's
    # default pools (172.17-172.31.0.0/16), so look elsewhere too.
    for subnet in [f"172.31.{n}.0/24" for n in (250, 240)] + [f"10.251.{n}.0/24" for n in range(0, 250, 10)]:
        try:
            taken = docker_client.networks.create(
                f"cloudy-test-{lab}", ipam=IPAMConfig(pool_configs=[IPAMPool(subnet=subnet)])
            )
            break
        except APIError as exc:
            if "overlaps" not in str(exc):
                raise
    else:
        pytest.fail("no free /24 for the test network")
    try:
        half = subnet.replace(".0/24", ".128/25")
        result = run_cloudy("lab", "up", "--name", lab, "--subnet", half, home=home)
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and f"overlaps {subnet}" in lines[0] and taken.name in lines[0]
        assert list(home.iterdir()) == []
        assert lab_containers(docker_client, lab) == []
        assert docker_client.networks.list(names=[naming.network_name(lab)]) == []
    finally:
        taken.remove()


def test_more_boxes_than_the_hosts_inotify_limit_allows_are_refused(home, lab, docker_client):
    # limit // PER_BOX + 1 boxes exceed the limit even with no instance in use, so the refusal does
    # not hang on what the tests running beside this one hold.
    nodes = int(limits.LIMIT_FILE.read_text()) // limits.PER_BOX + 1
    if nodes > naming.MAX_NODES:
        pytest.skip(f"this host's inotify limit allows more than {naming.MAX_NODES} boxes")
    result = run_cloudy("lab", "up", "--name", lab, "--nodes", str(nodes), home=home)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "sysctl -w fs.inotify.max_user_instances=" in lines[0]
    assert list(home.iterdir()) == []
    assert lab_containers(docker_client, lab) == []
    assert docker_client.networks.list(names=[naming.network_name(lab)]) == []


def test_cloudy_up_runs_the_main_playbook_and_a_second_run_changes_nothing(cloud, docker_client):
    """The shared cloud's first `cloudy up` (tests/lab/conftest.py) made the lab and deployed it."""
    home, lab = cloud.home, cloud.lab
    assert f"cloudy lab ssh {lab}-1" in cloud.up.stderr
    made = next(r for r in load_all(home) if r.command == "up")
    assert (made.command, made.success, sorted(made.hosts)) == ("up", True, [f"{lab}-{i}" for i in (1, 2, 3)])
    assert sorted(c.name for c in lab_containers(docker_client, lab)) == [
        naming.container_name(lab, i) for i in (1, 2, 3)
    ]
    before = sorted((home / ".cloudy" / "runs").iterdir())
    # --full: every role runs again, and none changes anything.
    second = run_cloudy("up", "--full", home=home)
    assert second.returncode == 0, second.stderr[-3000:]
    runs = sorted((home / ".cloudy" / "runs").iterdir())
    assert len(runs) == len(before) + 1
    recap = (runs[-1] / "artifacts" / runs[-1].name / "stdout").read_text()
    assert recap.count("changed=0") == 3 and "failed=0" in recap
    assert (home / "cloudy.lock").exists()
    # The cloud works: every box reaches every other over the overlay (issue 16: through the
    # `cloudy` installed from the wheel, in a folder outside the checkout).
    boxes = lab_containers(docker_client, lab)
    for src, dst in itertools.permutations(boxes, 2):
        assert pings(src, overlay_ip(dst, cloud.cloud)), f"{src.name} does not reach {dst.name}"
    # Without --full, one check per box, and the boxes unchanged since that complete run are left out.
    names = [f"{lab}-{i}" for i in (1, 2, 3)]
    third = run_cloudy("up", home=home)
    assert third.returncode == 0, third.stderr[-3000:]
    skipped = load_all(home)[-1]
    # The check's three tasks ran (applied_check.yml), and no other.
    assert (skipped.command, skipped.unchanged, skipped.tasks, skipped.success) == ("up", names, 3, True)
    assert all(s.changed == 0 for s in skipped.hosts.values())
    assert f"unchanged since their last complete run, left out: {', '.join(names)}" in third.stderr
    # A file edited by hand on one box: every box runs again (--fast: with Mitogen for Ansible), the
    # edit is undone, and the others change nothing.
    conf = "/etc/avahi/avahi-daemon.conf"
    edited = docker_client.containers.get(naming.container_name(lab, 2))
    assert edited.exec_run(["sh", "-c", f"echo '# by hand' >> {conf}"]).exit_code == 0
    fast = run_cloudy("up", "--fast", home=home)
    assert fast.returncode == 0, fast.stderr[-3000:]
    why = f"ran on {names[1]}: its files changed since its last complete run"
    assert why in fast.stderr, fast.stderr[-3000:]
    record = load_all(home)[-1]
    assert record.unchanged == [] and record.success
    assert {h: s.changed > 0 for h, s in record.hosts.items()} == {h: h == names[1] for h in names}
    assert b"# by hand" not in edited.exec_run(["cat", conf]).output
