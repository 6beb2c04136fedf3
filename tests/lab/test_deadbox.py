"""A dead box costs the others nothing: a first deploy with one box cut off the network forms
the mesh among the others, names the dead box, and `--retry-failed` adds it. On the same lab
(issue 13), with the repository box cut off, a deploy completes on the others: their apt goes
DIRECT through the proxy hook, and they say so."""

import itertools
import json

import pytest

from benchmarks.bench import cut_off, reconnect
from cloudy_deploy import runs
from cloudy_deploy.lab import naming
from tests.conftest import run_cloudy
from tests.lab.overlay import overlay_ip, pings

pytestmark = pytest.mark.lab

NET = "cloudy"  # the built-in spec's cloud: tinc network and interface
# Role repository's: apt-cacher-ng's settings (repository box only), the proxy hook and its apt
# setting (every box), the cache's port (its default).
ACNG_CONF = "/etc/apt-cacher-ng/zzz_cloudy.conf"
HOOK = "/usr/local/lib/cloudy/apt-proxy-detect"
HOOK_CONF = "/etc/apt/apt.conf.d/70cloudy-proxy"
CACHE_PORT = 3142
# Among common's base packages, not in the lab's node image: common installs it with the
# repository box cut off, so that install's downloads go through the hook.
FRESH_PACKAGE = "rsync"


def test_a_first_deploy_with_a_box_cut_off_forms_the_mesh_and_the_retry_adds_it(home, lab, docker_client):
    assert run_cloudy("lab", "up", "--nodes", "3", "--name", lab, home=home).returncode == 0
    names = [naming.box_name(lab, i) for i in (1, 2, 3)]
    boxes = [docker_client.containers.get(naming.container_name(lab, i)) for i in (1, 2, 3)]
    dead = boxes[2]
    cut_off(dead)

    first = run_cloudy("deploy", "--source", f"lab:{lab}", "--tags", "tinc", home=home)
    assert first.returncode == 1, first.stderr[-3000:]
    record = runs.load_all(home)[-1]
    assert record.failed_hosts == [names[2]] and record.hosts[names[2]].unreachable
    assert f"{names[2]}: unreachable, it did not answer over SSH" in first.stderr
    assert "Traceback" not in first.stderr
    # The bundle left the dead box out and said so in the recap.
    assert f"no public key yet for {names[2]}" in first.stderr and "left out of the mesh" in first.stderr
    assert pings(boxes[0], overlay_ip(boxes[1], NET)) and pings(boxes[1], overlay_ip(boxes[0], NET))
    code, connect = boxes[0].exec_run(["cat", f"/etc/tinc/{NET}/conf.d/cloudy-connect.conf"])
    assert code == 0 and connect.decode().count("ConnectTo = ") == 1  # the other live box only

    reconnect(dead)
    retry = run_cloudy("deploy", "--source", f"lab:{lab}", "--tags", "tinc", "--retry-failed", home=home)
    assert retry.returncode == 0, retry.stderr[-3000:]
    record = runs.load_all(home)[-1]
    assert list(record.hosts) == [names[2]] and record.success  # only the dead box ran
    # The boxes outside the retry learned the new member's fixed MAC too (no ARP over the mesh).
    for box in boxes[:2]:
        code, neigh = box.exec_run(["ip", "neigh", "show", "dev", NET, overlay_ip(dead, NET)])
        assert code == 0 and "PERMANENT" in neigh.decode(), (box.name, neigh.decode())
    for src, dst in itertools.permutations(boxes, 2):
        assert pings(src, overlay_ip(dst, NET)), f"{src.name} does not reach {dst.name} over the overlay"

    # No controller-side tinc state, under the project or anywhere the inventory points.
    left = [
        p for p in home.rglob("*") if p.name in ("hosts.tar.gz", "members.json") or p.parent.name == "tinc"
    ]
    assert left == []

    repository_box_cut_off_the_others_fall_back(home, lab, dict(zip(names, boxes, strict=True)))


def installed(box, package: str) -> bool:
    code, out = box.exec_run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", package])
    return code == 0 and out.decode().startswith("ii")


def hook(box):
    """What apt's proxy hook on BOX says for the Debian mirror: (stdout, stderr)."""
    run = box.exec_run([HOOK, "http://deb.debian.org/debian"], demux=True)
    assert run.exit_code == 0, run.output
    return (run.output[0] or b"").decode(), (run.output[1] or b"").decode()


def repository_box_cut_off_the_others_fall_back(home, lab, boxes) -> None:
    """Issue 13: the repository the built-in spec places, installed; then its box cut off: a deploy
    of common (its apt install, through the hook; it turns the dead suite's source off first)
    completes on the others, exits 1 naming only it, each other box warns once; `--retry-failed`
    completes it. Only `common` then: the repository role's own part is molecule's."""
    plan = run_cloudy("plan", "--json", "--dry-run", "--source", f"lab:{lab}", home=home)
    assert plan.returncode == 0, plan.stderr[-3000:]
    hosts = json.loads(plan.stdout)["hosts"]
    (repo,) = [h["name"] for h in hosts if "repository" in h["services"]]
    repo_ip = next(h["overlay_ip"] for h in hosts if h["name"] == repo)
    others = [n for n in boxes if n != repo]

    # The install is this part's set-up, not its subject: Mitogen (--fast) shortens it.
    up = run_cloudy("deploy", "--source", f"lab:{lab}", "--tags", "repository", "--fast", home=home)
    assert up.returncode == 0, up.stderr[-3000:]
    assert "Traceback" not in up.stderr
    for name, box in boxes.items():
        assert (box.exec_run(["test", "-f", ACNG_CONF]).exit_code == 0) == (name == repo), name
        code, conf = box.exec_run(["cat", HOOK_CONF])
        assert code == 0 and f'Proxy-Auto-Detect "{HOOK}"' in conf.decode(), name
    # While the repository box answers, another box's apt goes through its cache.
    assert hook(boxes[others[0]]) == (f"http://{repo_ip}:{CACHE_PORT}\n", "")
    assert not any(installed(boxes[n], FRESH_PACKAGE) for n in others)  # common's install is due

    cut_off(boxes[repo])
    try:
        broken = run_cloudy("deploy", "--source", f"lab:{lab}", "--tags", "common", home=home)
        assert broken.returncode == 1, broken.stderr[-3000:]
        assert "Traceback" not in broken.stderr
        record = runs.load_all(home)[-1]
        assert record.failed_hosts == [repo] and record.hosts[repo].unreachable
        assert all(record.hosts[n].success for n in others), broken.stderr[-3000:]
        for name in others:
            said = [x for x in broken.stderr.splitlines() if f"{name}: the repository {repo} " in x]
            assert len(said) == 1 and "does not answer: apt downloads directly" in said[0], broken.stderr
            # common's apt install ran while no cache answered: DIRECT.
            assert installed(boxes[name], FRESH_PACKAGE), name
        other = boxes[others[0]]
        out, err = hook(other)
        assert out == "DIRECT\n" and "cloudy: no apt cache answers" in err, (out, err)
        update = other.exec_run(["apt-get", "update", "-qq"])
        assert update.exit_code == 0, update.output.decode(errors="replace")[-2000:]
    finally:
        reconnect(boxes[repo])

    retry = run_cloudy("deploy", "--source", f"lab:{lab}", "--tags", "common", "--retry-failed", home=home)
    assert retry.returncode == 0, retry.stderr[-3000:]
    record = runs.load_all(home)[-1]
    assert list(record.hosts) == [repo] and record.success  # only the repository box ran
    assert installed(boxes[repo], FRESH_PACKAGE)
