"""Tahoe-LAFS and the panel through the wrapper: services.tahoe and webui in cloudy.yml -> plan ->
inventory groups -> site.yml on a 3-box lab. `deploy --check` first changes nothing; then the grid
works between boxes, the introducer announces its FURL, `cloudy services` shows it masked and the storage
servers, a second deploy changes nothing, and no node's private key nor any FURL ever reaches the
controller's folder (run artifacts with --diff, records, inventory, fact cache), whose runs are
private. Every box's panel answers over the overlay with the certificate it announces (role common
and webui together, as site.yml runs them)."""

import stat

import pytest

from cloudy_deploy import runs
from cloudy_deploy.lab import naming
from tests.conftest import run_cloudy
from tests.lab.boxes import exec_ok, services

pytestmark = pytest.mark.lab

TAHOE = ["/opt/tahoe-lafs/1.20.0/bin/tahoe", "-d", "/var/lib/tahoe-lafs/node"]
NODE_PEM = "/var/lib/tahoe-lafs/node/private/node.pem"
PANEL_KEY = "/etc/cloudy-panel/tls/panel.key"
# Run on a box (no curl there): the login page's HTTP status and the certificate's SHA-256.
FETCH = """
import hashlib, ssl, sys, urllib.parse, urllib.request
url = urllib.parse.urlsplit(sys.argv[1])
page = urllib.request.urlopen(sys.argv[1] + "login", context=ssl._create_unverified_context(), timeout=30)
pem = ssl.get_server_certificate((url.hostname, url.port))
print(page.status, hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest())
"""
SPEC = """cloud: tahoetest
sources:
  - lab: {lab}
services:
  tahoe: {{introducers: 1, storage: all, shares: {{needed: 2, happy: 3, total: 3}}}}
  webui: all
"""


def test_tahoe_grid_from_the_spec(home, lab, docker_client):
    (home / "cloudy.yml").write_text(SPEC.format(lab=lab))
    up = run_cloudy("lab", "up", "--nodes", "3", "--name", lab, home=home)
    assert up.returncode == 0, up.stderr[-3000:]
    boxes = [docker_client.containers.get(naming.container_name(lab, i)) for i in (1, 2, 3)]

    # --check on boxes without anything yet: it succeeds and changes nothing.
    checked = run_cloudy("deploy", "--check", "--diff", home=home)
    assert checked.returncode == 0, checked.stderr[-3000:]
    for box in boxes:
        assert box.exec_run(["test", "-e", "/var/lib/tahoe-lafs"]).exit_code != 0
        assert box.exec_run(["test", "-e", "/opt/tahoe-lafs"]).exit_code != 0

    # The first deploy builds the wheels of Tahoe-LAFS and ansible-core (the panel's) on one box.
    deployed = run_cloudy("deploy", "--diff", home=home, timeout=1800)  # --diff: the announcement's file
    assert deployed.returncode == 0, deployed.stderr[-3000:]
    names = [naming.box_name(lab, i) for i in (1, 2, 3)]

    # Every box's panel, as the newcomer reaches it: the URL `deploy` printed, from another box over
    # the overlay, with the certificate whose SHA-256 the box announces (_cloudy-web._tcp).
    panels = {r["node"]: r for r in services(home, "_cloudy-web._tcp")}
    assert sorted(panels) == names
    for name, panel in panels.items():
        url = f"https://{panel['overlay_ip']}:{panel['port']}/"
        assert f"panel of {name}: {url}" in deployed.stdout + deployed.stderr
        other = boxes[0] if name != names[0] else boxes[1]
        got = exec_ok(other, ["python3", "-c", FETCH, url]).split()
        assert got == ["200", panel["txt"]["sha256"]], (name, got)

    # Put on box 3, get on box 1: the same bytes.
    exec_ok(boxes[2], ["sh", "-c", "head -c 3M /dev/urandom > /root/f.bin"])
    cap = exec_ok(boxes[2], [*TAHOE, "put", "/root/f.bin"]).strip().splitlines()[-1]
    assert cap.startswith("URI:CHK:"), cap
    exec_ok(boxes[0], [*TAHOE, "get", cap, "/root/f.bin"])
    sums = {exec_ok(b, ["sha256sum", "/root/f.bin"]).split()[0] for b in (boxes[0], boxes[2])}
    assert len(sums) == 1

    # The introducer (the box planned first) announces its FURL, seen on the overlay from box 3;
    # `cloudy services` shows it masked (its records stay on disk). Every box announces storage.
    furl = exec_ok(boxes[0], ["cat", "/var/lib/tahoe-lafs/introducer/private/introducer.furl"]).strip()
    assert furl.startswith("pb://")
    seen = exec_ok(boxes[2], ["avahi-browse", "-rpkt", "_tahoe-introducer._tcp"])
    assert f'"furl={furl}"' in seen
    introducers = services(home, "_tahoe-introducer._tcp")
    assert [(r["node"], r["txt"]["furl"], r["txt"]["grid"]) for r in introducers] == [
        (names[0], "(secret)", "tahoetest")
    ]
    storage = services(home, "_tahoe-storage._tcp")
    assert sorted(r["node"] for r in storage) == names

    # A second deploy changes nothing: every role runs again (--full), none changes anything.
    again = run_cloudy("deploy", "--diff", "--full", home=home)
    assert again.returncode == 0, again.stderr[-3000:]
    record = [r for r in runs.load_all(home) if r.command == "deploy"][-1]
    assert {name: s.changed for name, s in record.hosts.items()} == dict.fromkeys(names, 0)
    assert record.unchanged == [] and record.tasks > 100
    # Without --full, the boxes unchanged since that complete run are left out: one check per box.
    third = run_cloudy("deploy", home=home)
    assert third.returncode == 0, third.stderr[-3000:]
    record = [r for r in runs.load_all(home) if r.command == "deploy"][-1]
    why = [line for line in third.stderr.splitlines() if "ran on " in line]
    assert record.unchanged == names and record.success and record.tasks == 3, why
    assert f"unchanged since their last complete run, left out: {', '.join(names)}" in third.stderr

    # Private keys stay on their boxes: no key material of a node.pem or of a panel's TLS key
    # anywhere under .cloudy/.
    for box, pem_file in [(b, f) for b in boxes for f in (NODE_PEM, PANEL_KEY)]:
        pem = exec_ok(box, ["cat", pem_file])
        key = pem.split("PRIVATE KEY-----", 2)[1]  # the body of the private key block
        key_lines = [line for line in key.splitlines() if line and not line.startswith("-----")]
        assert len(key_lines) >= 3  # RSA (Tahoe) has many lines, P-256 (the panel) three
        for path in (home / ".cloudy").rglob("*"):
            if path.is_file():
                text = path.read_text(errors="replace")
                assert not any(line in text for line in key_lines[1:4]), (
                    f"{path} holds {box.name}'s {pem_file}"
                )

    # No FURL anywhere under .cloudy/ (job events, stdout, records, after --diff and `services`).
    for path in (home / ".cloudy").rglob("*"):
        if path.is_file():
            assert "pb://" not in path.read_text(errors="replace"), f"{path} holds a FURL"
    # Runs are private: the folders 0700, the records 0600.
    root = runs.runs_dir(home)
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    for folder in root.iterdir():
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
        assert stat.S_IMODE((folder / runs.RECORD).stat().st_mode) == 0o600, folder
