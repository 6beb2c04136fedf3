"""`cloudy services` on a deployed 3-box lab: every box's _cloudy._tcp and _ssh._tcp as announced,
a service file written by hand with a name and TXT that need escaping, --type, and an announcement
that follows its unit (sshd stopped on a box, then started)."""

import json
import time

import pytest
import yaml

from cloudy_deploy import __version__, runs
from cloudy_deploy.lab import naming
from tests.conftest import run_cloudy

pytestmark = pytest.mark.lab

# An admin's own service file on a box: avahi announces it, the role never touches it.
BY_HAND = """<?xml version="1.0" standalone="no"?>
<!DOCTYPE service-group SYSTEM "avahi-service.dtd">
<service-group>
  <name>Café; R&amp;D v1.2 {{ not_a_template }}</name>
  <service>
    <type>_cloudytest-hand._tcp</type>
    <port>8443</port>
    <txt-record>note=semi;colon "quoted" back\\slash ü</txt-record>
    <txt-record>flag</txt-record>
  </service>
</service-group>
"""


def services(home, *args):
    result = run_cloudy("services", "--json", *args, home=home)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_services_lists_every_box(cloud, docker_client):
    """On the shared cloud (tests/lab/conftest.py): `cloudy up` deployed its cloudy.yml (a lab source)."""
    home, lab = cloud.home, cloud.lab
    boxes = [naming.box_name(lab, i) for i in (1, 2, 3)]
    lock = yaml.safe_load((home / "cloudy.lock").read_text())
    overlay = {box: lock["nodes"][box]["overlay_ip"] for box in boxes}
    hand = docker_client.containers.get(naming.container_name(lab, 2))
    wrote = hand.exec_run(
        ["sh", "-c", 'printf "%s" "$BY_HAND" > /etc/avahi/services/byhand.service'],
        environment={"BY_HAND": BY_HAND},
    )
    assert wrote.exit_code == 0, wrote.output

    # The announcement written by hand is seen within a few seconds.
    for _ in range(20):
        rows = services(home)
        if any(r["type"] == "_cloudytest-hand._tcp" for r in rows):
            break
        time.sleep(1)
    by_key = {(r["type"], r["node"]): r for r in rows}
    for box in boxes:
        assert by_key[("_cloudy._tcp", box)] == {
            "type": "_cloudy._tcp",
            "name": box,
            "node": box,
            "overlay_ip": overlay[box],
            "port": 22,
            "txt": {
                "cloud": cloud.cloud,
                "node": box,
                "overlay_ip": overlay[box],
                "services": "avahi",  # webui has no role yet: neither planned nor announced
                "version": __version__,
            },
        }
        assert by_key[("_ssh._tcp", box)] == {
            "type": "_ssh._tcp",
            "name": box,
            "node": box,
            "overlay_ip": overlay[box],
            "port": 22,
            "txt": {},
        }
    assert by_key[("_cloudytest-hand._tcp", boxes[1])] == {
        "type": "_cloudytest-hand._tcp",
        "name": "Café; R&D v1.2 {{ not_a_template }}",
        "node": boxes[1],
        "overlay_ip": overlay[boxes[1]],
        "port": 8443,
        "txt": {"flag": "", "note": 'semi;colon "quoted" back\\slash ü'},
    }
    assert len(rows) == 2 * len(boxes) + 1

    # One type; read-only (changed=0), recorded as a `services` run.
    ssh = services(home, "--type", "ssh")
    assert sorted(r["node"] for r in ssh) == boxes and {r["type"] for r in ssh} == {"_ssh._tcp"}
    record = runs.load_all(home)[-1]
    assert record.command == "services" and record.playbook == "browse.yml"
    assert all(s.changed == 0 and s.failed == 0 for s in record.hosts.values())

    # sshd stops on box 3: its _ssh._tcp goes (within 30 s), its _cloudy._tcp stays; it comes back.
    third = docker_client.containers.get(naming.container_name(lab, 3))
    third.exec_run(["systemctl", "stop", "ssh.service"])
    try:
        began = time.monotonic()
        while boxes[2] in [r["node"] for r in services(home, "--type", "_ssh._tcp")]:
            assert time.monotonic() - began < 30, (
                "box 3's _ssh._tcp is still announced 30 s after sshd stopped"
            )
            time.sleep(1)
        assert boxes[2] in [r["node"] for r in services(home, "--type", "_cloudy._tcp")]
    finally:
        third.exec_run(["systemctl", "start", "ssh.service"])
    began = time.monotonic()
    while boxes[2] not in [r["node"] for r in services(home, "--type", "_ssh._tcp")]:
        assert time.monotonic() - began < 30, "box 3's _ssh._tcp is not announced 30 s after sshd started"
        time.sleep(1)

    # The table: the same services, for people, on stderr.
    table = run_cloudy("services", home=home, env={"COLUMNS": "250"})
    assert table.returncode == 0 and table.stdout == ""
    assert "Café; R&D v1.2 {{ not_a_template }}" in table.stderr
    assert all(box in table.stderr for box in boxes)

    # Leave the shared cloud as it was.
    assert hand.exec_run(["rm", "/etc/avahi/services/byhand.service"]).exit_code == 0
