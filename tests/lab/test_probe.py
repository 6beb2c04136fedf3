"""`probe` on real lab boxes: strict host keys, first use, a changed key, an unreachable address."""

import ipaddress
import json
import re

import pytest

from cloudy_deploy.lab import state
from cloudy_deploy.lab.sshkeys import ensure_client_key
from cloudy_deploy.nodes import Node
from cloudy_deploy.probe import probe
from tests.conftest import run_cloudy

pytestmark = pytest.mark.lab

MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


def test_probe_lab_boxes(cloud, docker_client, tmp_path):
    """Two boxes of the shared cloud (tests/lab/conftest.py); the project's known_hosts a file of its own."""
    lab_state = state.load(cloud.lab, cloud.home)
    boxes = lab_state.as_nodes()[:2]
    project_kh = tmp_path / "project" / ".cloudy" / "known_hosts"

    # 1. Strict, against the lab's own known_hosts: the project's file is not touched.
    strict = probe(boxes, project_kh, timeout=10)
    for box, result in zip(boxes, strict, strict=True):
        assert result.ok, result.error
        assert (result.name, result.address) == (box.name, box.address)
        assert result.hostname == box.name
        assert result.arch in ("x86_64", "aarch64")
        assert re.match(r"^12\.\d+$", result.debian), result.debian
        assert MAC.match(result.mac), result.mac
        assert result.fingerprint.startswith("SHA256:") and not result.first_use
    assert not project_kh.exists()

    # 2. The same boxes as plain nodes: first use records each key, with its fingerprint.
    plain = [b.model_copy(update={"ssh_known_hosts": None}) for b in boxes]
    first = probe(plain, project_kh, key_file=lab_state.ssh_private_key, timeout=10)
    assert [(r.ok, r.first_use) for r in first] == [(True, True), (True, True)], [r.error for r in first]
    assert [r.fingerprint for r in first] == [r.fingerprint for r in strict]  # the same keys
    recorded = project_kh.read_text()
    assert sorted(line.split()[0] for line in recorded.splitlines()) == sorted(b.address for b in boxes)
    assert project_kh.stat().st_mode & 0o777 == 0o600

    # 3. Again: known now, nothing recorded.
    again = probe(plain, project_kh, key_file=lab_state.ssh_private_key, timeout=10)
    assert [(r.ok, r.first_use) for r in again] == [(True, False), (True, False)]
    assert project_kh.read_text() == recorded

    # 4. A tampered record for the first box: that box fails, the file stays as it is, the other goes on.
    other = ensure_client_key(tmp_path / "other", "x").split()
    lines = recorded.splitlines()
    lines = [
        f"{boxes[0].address} {other[0]} {other[1]}" if line.startswith(f"{boxes[0].address} ") else line
        for line in lines
    ]
    project_kh.write_text("\n".join(lines) + "\n")
    tampered = project_kh.read_bytes()
    changed = probe(plain, project_kh, key_file=lab_state.ssh_private_key, timeout=10)
    assert not changed[0].ok and "differs from the one recorded" in changed[0].error, changed[0].error
    assert "not replaced" in changed[0].error
    assert changed[0].fingerprint == strict[0].fingerprint
    assert changed[1].ok
    assert project_kh.read_bytes() == tampered

    # 5. An unused address of the lab's own network: reported, the boxes still answer.
    unused = str(ipaddress.ip_network(lab_state.subnet).network_address + 250)
    ghost = Node(name="ghost", address=unused, source="test")
    mixed = probe([plain[1], ghost, boxes[0]], project_kh, key_file=lab_state.ssh_private_key, timeout=3)
    assert [r.name for r in mixed] == [boxes[1].name, "ghost", boxes[0].name]
    assert mixed[0].ok and mixed[2].ok
    assert not mixed[1].ok
    assert mixed[1].error.startswith(f"cannot reach {unused}:22") or mixed[1].error.startswith(
        f"no answer from {unused}:22"
    ), mixed[1].error


def test_discover_probe_on_the_command_line(cloud, docker_client):
    home, lab = cloud.home, cloud.lab
    done = run_cloudy("discover", "--source", f"lab:{lab}", "--probe", "--json", home=home)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [r["name"] for r in rows] == [f"{lab}-{i}" for i in (1, 2, 3)]
    assert all(r["probe"]["ok"] and r["probe"]["hostname"] == r["name"] for r in rows)
    table = run_cloudy("discover", "--source", f"lab:{lab}", "--probe", home=home)
    assert table.returncode == 0 and "SHA256:" in table.stderr and table.stdout == ""
