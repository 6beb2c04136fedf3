"""`cloudy deploy`, `status` and `runs` on a 3-box lab: failures, retry, check mode, JSON."""

import json
import signal
import subprocess
import time

import pytest

from cloudy_deploy import runs
from cloudy_deploy.lab import naming
from tests.conftest import CLI_PYTHON, run_cloudy

pytestmark = pytest.mark.lab


@pytest.fixture(autouse=True)
def spec_of_the_mesh(home, lab):
    """These tests are about runs, not services: the built-in spec would also build Tahoe and the panel."""
    (home / "cloudy.yml").write_text(f"cloud: cloudy\nsources:\n  - lab: {lab}\n")


def deploy(home, lab, *args):
    return run_cloudy("deploy", "--source", f"lab:{lab}", *args, home=home)


def last_run(home):
    return runs.load_all(home)[-1]


def test_deploy_unreachable_retry_check_json_status(cloud, docker_client):
    """On the shared cloud (tests/lab/conftest.py), which `cloudy up` deployed; --source given."""
    home, lab = cloud.home, cloud.lab
    boxes = [naming.box_name(lab, i) for i in (1, 2, 3)]
    earlier = len(runs.load_all(home))  # runs of the tests before this one on the shared cloud

    first = deploy(home, lab)
    assert first.returncode == 0, first.stderr[-3000:]
    assert sorted(last_run(home).hosts) == boxes
    # The shared spec names PeerStreamer without its software: one line from `up` and from the
    # deploy, and nothing of it on any box.
    for said in (cloud.up.stderr, first.stderr):
        off = [line for line in said.splitlines() if " is off: " in line]
        assert (
            len(off) == 1
            and "services.peerstreamer: peerstreamer is off: its software is not given" in off[0]
        )
        assert "set services.peerstreamer.artifact: {src: FILE or url: URL, sha256: HEX}" in off[0]
    for box in range(1, 4):
        found = docker_client.containers.get(naming.container_name(lab, box)).exec_run(
            [
                "sh",
                "-c",
                "ls -d /opt/peerstreamer /etc/peerstreamer /etc/systemd/system/peerstreamer* 2>/dev/null",
            ]
        )
        assert found.output == b"", found.output

    # A box whose sshd is gone (daemon and live sessions): unreachable, the others go on.
    sick = docker_client.containers.get(naming.container_name(lab, 2))
    sick.exec_run(["sh", "-c", "systemctl stop ssh.service; pkill -x sshd; true"])
    broken = deploy(home, lab)
    assert broken.returncode == 1
    record = last_run(home)
    assert record.failed_hosts == [boxes[1]]
    assert record.hosts[boxes[1]].unreachable == 1
    assert all(record.hosts[b].success for b in (boxes[0], boxes[2]))
    assert f"{boxes[1]}:" in broken.stderr and "unreachable" in broken.stderr
    assert "Traceback" not in broken.stderr

    # Retry only what failed.
    sick.exec_run(["systemctl", "start", "ssh.service"])
    retry = deploy(home, lab, "--retry-failed")
    assert retry.returncode == 0, retry.stderr[-3000:]
    record = last_run(home)
    assert list(record.hosts) == [boxes[1]] and record.success
    nothing = deploy(home, lab, "--retry-failed")
    assert nothing.returncode == 0 and "nothing to retry" in nothing.stderr

    # Check mode on a converged lab: nothing would change, on the boxes or here.
    # The lock of a project with a cloudy.yml lies beside it.
    kept = [home / "cloudy.lock", *sorted((home / ".cloudy" / "inventory").rglob("*"))]
    before = {p: p.stat().st_mtime_ns for p in kept}
    assert len(before) > 3
    check = deploy(home, lab, "--check", "--diff")
    assert check.returncode == 0, check.stderr[-3000:]
    assert {h: s.changed for h, s in last_run(home).hosts.items()} == dict.fromkeys(boxes, 0)
    assert {p: p.stat().st_mtime_ns for p in kept} == before
    assert not list((home / ".cloudy" / "tmp").iterdir())

    # --json: only JSON on stdout, the recap last.
    as_json = deploy(home, lab, "--json")
    assert as_json.returncode == 0
    lines = [json.loads(x) for x in as_json.stdout.splitlines()]
    assert lines[0]["type"] == "start" and lines[-1]["type"] == "recap"
    assert any(x["type"] == "task" for x in lines)
    assert sorted(lines[-1]["hosts"]) == boxes and lines[-1]["status"] == "successful"

    # status: every box reachable, with an uptime; changes nothing.
    status = run_cloudy("status", "--json", "--source", f"lab:{lab}", home=home)
    assert status.returncode == 0, status.stderr[-3000:]
    rows = {r["node"]: r for r in json.loads(status.stdout)}
    assert sorted(rows) == boxes
    assert all(r["reachable"] and r["uptime"] >= 0 for r in rows.values())
    assert last_run(home).command == "status" and all(s.changed == 0 for s in last_run(home).hosts.values())
    overlay = {node: r["overlay_ip"] for node, r in rows.items()}
    for node, r in rows.items():
        assert r["peers_expected"] == 2 and sorted(r["peers"]) == sorted(
            set(overlay.values()) - {overlay[node]}
        )

    # Each box holds a permanent neighbour entry (the peer's real MAC) for every other box.
    (unit,) = [u for u in rows[boxes[2]]["services"] if u.startswith("tinc@")]
    net = unit.removeprefix("tinc@").removesuffix(".service")
    macs = {}
    for i, node in enumerate(boxes, 1):
        box = docker_client.containers.get(naming.container_name(lab, i))
        macs[overlay[node]] = box.exec_run(["cat", f"/sys/class/net/{net}/address"]).output.decode().strip()
    for i, node in enumerate(boxes, 1):
        box = docker_client.containers.get(naming.container_name(lab, i))
        shown = box.exec_run(["ip", "-j", "neigh", "show", "dev", net, "nud", "permanent"])
        entries = {n["dst"]: n["lladdr"] for n in json.loads(shown.output)}
        assert entries == {ip: mac for ip, mac in macs.items() if ip != overlay[node]}, (node, entries)

    # A box off the mesh: the others probe it in rounds until the time is up, then leave it out.
    off = docker_client.containers.get(naming.container_name(lab, 3))
    assert off.exec_run(["systemctl", "stop", unit]).exit_code == 0
    try:
        status = run_cloudy("status", "--json", "--source", f"lab:{lab}", home=home)
    finally:
        assert off.exec_run(["systemctl", "start", unit]).exit_code == 0
    assert status.returncode == 0, status.stderr[-3000:]
    rows = {r["node"]: r for r in json.loads(status.stdout)}
    assert rows[boxes[2]]["peers"] == [] and unit not in rows[boxes[2]]["services"]
    for node in boxes[:2]:
        assert sorted(rows[node]["peers"]) == sorted({overlay[b] for b in boxes[:2]} - {overlay[node]})

    # History: listed (this test's runs after those of the tests before it), and a recap shown again.
    listing = run_cloudy("runs", "--json", home=home)
    commands = [r["command"] for r in json.loads(listing.stdout)]
    # One run per deploy: site.yml's first play checks which boxes are unchanged.
    assert commands[earlier:] == ["deploy"] * 3 + ["check", "deploy", "status", "status"]
    shown = run_cloudy("runs", "show", runs.load_all(home)[earlier + 1].id, home=home)
    assert shown.returncode == 0 and "unreachable" in shown.stderr and boxes[1] in shown.stderr


def test_ctrl_c_cancels_the_run_cleanly(home, lab, docker_client):
    assert run_cloudy("lab", "up", "--nodes", "1", "--name", lab, home=home).returncode == 0
    cmd = [CLI_PYTHON, "-m", "cloudy_deploy", "deploy", "--json", "--source", f"lab:{lab}"]
    proc = subprocess.Popen(cmd, cwd=home, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for raw in proc.stdout:
        line = json.loads(raw)
        if line["type"] == "task" and line["number"] >= 3:
            proc.send_signal(signal.SIGINT)
            break
    rest = proc.stdout.read()
    assert proc.wait(timeout=120) == 130
    recap = json.loads(rest.splitlines()[-1])
    assert recap["type"] == "recap" and recap["status"] == "canceled"
    assert last_run(home).status == "canceled"
    assert "canceled" in proc.stderr.read()
    # No ansible-playbook of this run is left behind (its workers may take a moment to exit).
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        left = subprocess.run(["pgrep", "-af", f"ansible-playbook .*{home}"], capture_output=True, text=True)
        if not left.stdout:
            break
        time.sleep(0.5)
    assert left.stdout == ""
