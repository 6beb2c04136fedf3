"""`cloudy deploy`, `status` and `runs` on a 3-box lab: failures (a dead repository box), retry, check mode,
JSON."""

import json
import signal
import subprocess
import time

import pytest

from benchmarks.bench import cut_off, reconnect
from cloudy_deploy import runs
from cloudy_deploy.lab import naming
from tests.conftest import CLI_PYTHON, run_cloudy
from tests.lab.overlay import overlay_ip, pings

pytestmark = pytest.mark.lab

ACNG_CONF = "/etc/apt-cacher-ng/zzz_cloudy.conf"  # role repository's: the repository box has it


@pytest.fixture(autouse=True)
def spec_of_the_mesh(home, lab):
    """These tests are about runs, not services: the built-in spec would also build Tahoe and the panel."""
    (home / "cloudy.yml").write_text(f"cloud: cloudy\nsources:\n  - lab: {lab}\n")


def deploy(home, lab, *args):
    return run_cloudy("deploy", "--source", f"lab:{lab}", *args, home=home)


def last_run(home):
    return runs.load_all(home)[-1]


def repository_box(docker_client, lab) -> int:
    """The lab box (1-3) that `cloudy plan` made the repository box (it runs apt-cacher-ng)."""
    (found,) = [
        i for i in (1, 2, 3) if box(docker_client, lab, i).exec_run(["test", "-f", ACNG_CONF])[0] == 0
    ]
    return found


def box(docker_client, lab, i: int):
    return docker_client.containers.get(naming.container_name(lab, i))


# What role repository puts on every box, and on the repository box.
CLIENT_PARTS = (
    "/etc/apt/apt.conf.d/70cloudy-proxy /usr/local/lib/cloudy/apt-proxy-detect"
    " /etc/apt/sources.list.d/cloudy-*-repository.sources /usr/share/keyrings/cloudy-*-repository.asc"
)
SERVER_PARTS = (
    "systemctl disable --now apt-cacher-ng.service nginx.service"
    "; rm -f /etc/avahi/cloudy-services/repository*.service /etc/avahi/services/repository*.service"
    "; DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq apt-cacher-ng reprepro nginx-light nginx-common"
    "; rm -rf /srv/cloudy-repository /etc/apt-cacher-ng /etc/nginx"
    " /etc/systemd/system/apt-cacher-ng.service.d /etc/systemd/system/nginx.service.d"
    "; systemctl daemon-reload"
)


def remove_the_repository(docker_client, lab) -> None:
    """What the repository role put on the shared cloud, taken off again: the tests after this one
    expect the cloud without it (test_services counts every box's announcements)."""
    for i in (1, 2, 3):
        script = f"rm -f {CLIENT_PARTS}; if [ -f {ACNG_CONF} ]; then {SERVER_PARTS}; fi"
        code, out = box(docker_client, lab, i).exec_run(["sh", "-c", script])
        assert code == 0, out.decode(errors="replace")[-2000:]


def test_deploy_unreachable_retry_check_json_status(cloud, docker_client):
    """On the shared cloud (tests/lab/conftest.py), which `cloudy up` deployed; --source given. For this
    test its spec also places a repository (issue 13): the box cut off is the repository box, and the
    others complete their deploy through apt's fallback (DIRECT), saying so."""
    home, lab = cloud.home, cloud.lab
    boxes = [naming.box_name(lab, i) for i in (1, 2, 3)]
    earlier = len(runs.load_all(home))  # runs of the tests before this one on the shared cloud
    spec = home / "cloudy.yml"
    shared_spec = spec.read_text()
    spec.write_text(shared_spec + "services:\n  repository: {boxes: 1}\n")

    try:
        first = deploy(home, lab)
        assert first.returncode == 0, first.stderr[-3000:]
        assert sorted(last_run(home).hosts) == boxes
        primary = repository_box(docker_client, lab)
        sick_name = boxes[primary - 1]
        others = [b for b in boxes if b != sick_name]

        # The repository box cut off the network (a dead radio link: nothing answers, SSH included):
        # unreachable, the others go on, their apt through the fallback, and say so.
        sick = box(docker_client, lab, primary)
        cut_off(sick)
        try:
            broken = deploy(home, lab)
            assert broken.returncode == 1, broken.stderr[-3000:]
            record = last_run(home)
            assert record.failed_hosts == [sick_name]
            assert record.hosts[sick_name].unreachable == 1
            assert all(record.hosts[b].success for b in others)
            assert f"{sick_name}:" in broken.stderr and "unreachable" in broken.stderr
            assert "Traceback" not in broken.stderr
            for b in others:
                said = [x for x in broken.stderr.splitlines() if f"{b}: the repository {sick_name}" in x]
                assert len(said) == 1 and "does not answer: apt downloads directly" in said[0], broken.stderr
            # apt on another box: its proxy hook says DIRECT (and why, on stderr), and an update works.
            other = box(docker_client, lab, 3 if primary != 3 else 1)
            hook = other.exec_run(
                ["/usr/local/lib/cloudy/apt-proxy-detect", "http://deb.debian.org/debian"], demux=True
            )
            assert hook.exit_code == 0 and hook.output[0] == b"DIRECT\n", hook.output
            assert b"no apt cache answers" in hook.output[1], hook.output
            update = other.exec_run(["apt-get", "update", "-qq"])
            assert update.exit_code == 0, update.output.decode(errors="replace")[-2000:]
        finally:
            reconnect(sick)

        # Retry only what failed.
        retry = deploy(home, lab, "--retry-failed")
        assert retry.returncode == 0, retry.stderr[-3000:]
        record = last_run(home)
        assert list(record.hosts) == [sick_name] and record.success
        # The mesh heals (tinc redials): the later tests on the shared cloud need it.
        assert pings(
            box(docker_client, lab, 3 if primary != 3 else 1), overlay_ip(sick, cloud.cloud), tries=120
        )
        nothing = deploy(home, lab, "--retry-failed")
        assert nothing.returncode == 0 and "nothing to retry" in nothing.stderr
    finally:
        spec.write_text(shared_spec)
        remove_the_repository(docker_client, lab)

    # --json (the shared spec again: the repository's place in the plan goes): only JSON on stdout,
    # the recap last.
    as_json = deploy(home, lab, "--json")
    assert as_json.returncode == 0
    lines = [json.loads(x) for x in as_json.stdout.splitlines()]
    assert lines[0]["type"] == "start" and lines[-1]["type"] == "recap"
    assert any(x["type"] == "task" for x in lines)
    assert sorted(lines[-1]["hosts"]) == boxes and lines[-1]["status"] == "successful"

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

    # status: every box reachable, with an uptime; changes nothing.
    status = run_cloudy("status", "--json", "--source", f"lab:{lab}", home=home)
    assert status.returncode == 0, status.stderr[-3000:]
    rows = {r["node"]: r for r in json.loads(status.stdout)}
    assert sorted(rows) == boxes
    assert all(r["reachable"] and r["uptime"] >= 0 for r in rows.values())
    assert last_run(home).command == "status" and all(s.changed == 0 for s in last_run(home).hosts.values())

    # History: listed (this test's runs after those of the tests before it), and a recap shown again.
    listing = run_cloudy("runs", "--json", home=home)
    commands = [r["command"] for r in json.loads(listing.stdout)]
    assert commands[earlier:] == ["deploy"] * 4 + ["check", "status"]
    shown = run_cloudy("runs", "show", runs.load_all(home)[earlier + 1].id, home=home)
    assert shown.returncode == 0 and "unreachable" in shown.stderr and sick_name in shown.stderr


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
