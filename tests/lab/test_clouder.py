"""Clouder through the wrapper (services.clouder in cloudy.yml): a lab box becomes a Docker host
whose Cloudy container is a box of the cloud. From the other box: the container is pinged over the
overlay, its _cloudy._tcp announcement and the published app are seen, and the app answers; the
container's private host key never reaches the controller; a container dropped from the spec
leaves the mesh and the next deploy does not bring it back. (Idempotence: molecule `clouder`, and
the lab tests' `--full` runs for the roles every box gets.)"""

from pathlib import Path

import pytest
import yaml

from cloudy_deploy.lab import naming
from tests.conftest import run_cloudy
from tests.lab.boxes import exec_ok, services
from tests.lab.overlay import pings

pytestmark = pytest.mark.lab

SPEC = """cloud: cltest
sources:
  - lab: {lab}
services:
  clouder:
    boxes: [{host}]
    containers: {containers}
    apps:
      - {{name: web, image: cloudy-box, port: 8080, command: [python3, -m, http.server, "8080"]}}
"""
FETCH = "import urllib.request, sys; print(urllib.request.urlopen(sys.argv[1], timeout=20).status)"
HOST_KEY = "/var/lib/cloudy-clouder/boxes/c1/ssh/ssh_host_ed25519_key"


def write_spec(home: Path, lab: str, containers: str) -> None:
    (home / "cloudy.yml").write_text(
        SPEC.format(lab=lab, host=naming.box_name(lab, 1), containers=containers)
    )


def test_a_cloudy_container_joins_the_cloud_and_leaves_it(home, lab, docker_client):
    host, other = naming.box_name(lab, 1), naming.box_name(lab, 2)
    write_spec(home, lab, "[{name: c1}]")
    up = run_cloudy("up", "--nodes", "2", home=home)
    assert up.returncode == 0, up.stderr[-3000:]
    inv = yaml.safe_load((home / ".cloudy" / "inventory" / "hosts.yml").read_text())["all"]
    assert inv["hosts"]["c1"]["cloudy_clouder_host"] == host
    c1_ip, host_ip = (inv["hosts"][h]["cloudy_overlay_ip"] for h in ("c1", host))
    box1 = docker_client.containers.get(naming.container_name(lab, 1))
    box2 = docker_client.containers.get(naming.container_name(lab, 2))

    # From the other box: the container over the overlay, its announcements, the app.
    assert pings(box2, c1_ip), f"{other} does not reach c1 ({c1_ip}) over the overlay"
    boxes = {r["node"]: r["overlay_ip"] for r in services(home, "_cloudy._tcp")}
    assert boxes.get("c1") == c1_ip, boxes
    apps = services(home, "_cloudy-app._tcp")
    assert [(a["node"], a["port"], a["txt"]) for a in apps] == [
        (host, 8080, {"container": "web", "image": "cloudy-box"})
    ]
    assert exec_ok(box2, ["python3", "-c", FETCH, f"http://{host_ip}:8080/"]).strip() == "200"

    # The container's private host key stays on its host.
    # (Its first base64 line is the same in every unencrypted ed25519 key: the later ones are its own.)
    lines = exec_ok(box1, ["cat", HOST_KEY]).strip().splitlines()[2:-1]
    assert lines
    files = [p.read_bytes() for p in home.rglob("*") if p.is_file()]
    assert not [line for line in lines for data in files if line.encode() in data]

    # Dropped from the spec: the container and its host key go, and the mesh forgets it.
    write_spec(home, lab, "[]")
    gone = run_cloudy("deploy", home=home)
    assert gone.returncode == 0, gone.stderr[-3000:]
    names = exec_ok(box1, ["docker", "ps", "--all", "--format", "{{.Names}}"]).split()
    assert names == ["web"]
    assert box1.exec_run(["test", "-e", HOST_KEY])[0] != 0
    tinc_hosts = exec_ok(box2, ["ls", "/etc/tinc/cltest/hosts"]).split()
    assert "c1" not in tinc_hosts and len(tinc_hosts) == 2
    assert not pings(box2, c1_ip, tries=4)
    # The next deploy does not bring it back.
    later = run_cloudy("deploy", home=home)
    assert later.returncode == 0, later.stderr[-3000:]
    assert exec_ok(box1, ["docker", "ps", "--all", "--format", "{{.Names}}"]).split() == ["web"]
