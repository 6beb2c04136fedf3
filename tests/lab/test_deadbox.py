"""A dead box costs the others nothing: a first deploy with one box cut off the network forms
the mesh among the others, names the dead box, and `--retry-failed` adds it."""

import itertools

import pytest

from benchmarks.bench import cut_off, reconnect
from cloudy_deploy import runs
from cloudy_deploy.lab import naming
from tests.conftest import run_cloudy
from tests.lab.overlay import overlay_ip, pings

pytestmark = pytest.mark.lab

NET = "cloudy"  # the built-in spec's cloud: tinc network and interface


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
    for src, dst in itertools.permutations(boxes, 2):
        assert pings(src, overlay_ip(dst, NET)), f"{src.name} does not reach {dst.name} over the overlay"

    # No controller-side tinc state, under the project or anywhere the inventory points.
    left = [
        p for p in home.rglob("*") if p.name in ("hosts.tar.gz", "members.json") or p.parent.name == "tinc"
    ]
    assert left == []
