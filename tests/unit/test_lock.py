from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import pytest
import yaml

from cloudy_deploy import lock
from cloudy_deploy.errors import BadInput
from cloudy_deploy.lock import Allocation, Lock
from cloudy_deploy.spec import CloudSpec

SPEC = CloudSpec(cloud="gcodis")

GOOD = """\
version: 1
cloud: gcodis
subnet: 10.99.0.0/16
nodes:
  box1: {tinc_name: box1, hostname: box1, overlay_ip: 10.99.0.2, services: [avahi, webui, tahoe_introducer]}
  box2: {tinc_name: box2, hostname: box2, overlay_ip: 10.99.0.3, services: [avahi, webui]}
removed:
  old: {tinc_name: old, hostname: old, overlay_ip: 10.99.0.4}
"""


def make_lock() -> Lock:
    return Lock(
        cloud="gcodis",
        subnet=IPv4Network("10.99.0.0/16"),
        nodes={
            "lab-10": Allocation(tinc_name="lab_10", hostname="lab-10", overlay_ip="10.99.0.4"),
            "lab-2": Allocation(
                tinc_name="lab_2", hostname="lab-2", overlay_ip="10.99.0.3", services=("webui", "avahi")
            ),
            "Ràdio": Allocation(tinc_name="radio", hostname="radio", overlay_ip="10.99.0.2"),
        },
        removed={"gone": Allocation(tinc_name="gone", hostname="gone", overlay_ip="10.99.0.5")},
    )


def test_round_trip_keeps_everything(tmp_path):
    path = lock.save(make_lock(), tmp_path / lock.LOCK_FILE)
    loaded = lock.load(path, SPEC)
    assert loaded == make_lock()


def test_text_is_deterministic_one_line_per_box_in_natural_order():
    text = lock.dumps(make_lock())
    assert text == lock.dumps(make_lock())
    assert text.startswith("# cloudy.lock:")
    body = [line for line in text.splitlines() if not line.startswith("#")]
    assert body[:4] == ["version: 1", "cloud: gcodis", "subnet: 10.99.0.0/16", "nodes:"]
    assert body[4].startswith("  lab-2: {tinc_name: lab_2, hostname: lab-2, overlay_ip: 10.99.0.3,")
    assert body[4].endswith("services: [avahi, webui]}")  # contract order, whatever the input order
    assert body[5].startswith("  lab-10: ")
    assert body[6].startswith("  Ràdio: ")  # readable, not escaped
    assert body[7:] == ["removed:", "  gone: {tinc_name: gone, hostname: gone, overlay_ip: 10.99.0.5}"]


def test_save_is_atomic_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / lock.LOCK_FILE
    path.write_text("old")
    lock.save(make_lock(), path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [lock.LOCK_FILE]
    assert yaml.safe_load(path.read_text())["cloud"] == "gcodis"


def test_save_makes_the_folder(tmp_path):
    # `cloudy inventory --source X` in a folder without cloudy.yml keeps the lock in .cloudy/.
    path = tmp_path / ".cloudy" / lock.LOCK_FILE
    lock.save(make_lock(), path)
    assert lock.load(path) == make_lock()


def test_no_lock_is_none(tmp_path):
    assert lock.load(tmp_path / lock.LOCK_FILE) is None


def test_hand_written_lock_loads(tmp_path):
    path = tmp_path / lock.LOCK_FILE
    path.write_text(GOOD)
    loaded = lock.load(path, SPEC)
    assert loaded is not None
    assert loaded.nodes["box1"].overlay_ip == IPv4Address("10.99.0.2")
    assert loaded.nodes["box1"].services == ("avahi", "webui", "tahoe_introducer")
    assert list(loaded.removed) == ["old"]


def test_a_wider_subnet_around_the_lock_is_accepted(tmp_path):
    path = tmp_path / lock.LOCK_FILE
    path.write_text(GOOD.replace("10.99.0.0/16", "10.99.0.0/24"))
    assert lock.load(path, CloudSpec(cloud="gcodis", overlay={"subnet": "10.99.0.0/16"})) is not None


def test_path_for_is_beside_the_spec():
    assert lock.path_for(Path("/p/cloudy.yml")) == Path("/p/cloudy.lock")


def test_usable_keeps_network_first_host_and_broadcast():
    assert lock.usable(IPv4Network("10.0.0.0/29")) == 5  # .2 to .6
    assert lock.usable(IPv4Network("10.0.0.0/30")) == 1
    assert lock.usable(IPv4Network("10.0.0.0/31")) == 0
    assert lock.usable(IPv4Network("10.0.0.0/32")) == 0


def edit(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


# A lock edited by hand into an inconsistent state: (text, line:key named, words of the fix).
BAD = [
    ("broken-yaml", edit("removed:", "removed: {"), ":9:", "not valid YAML"),
    ("not-a-mapping", "- box1\n", ":1:", "delete it"),
    (
        "unknown-key",
        edit("version: 1", "version: 1\nplacement: {}"),
        ":2: placement: unknown key",
        "keys here",
    ),
    (
        "unknown-node-key",
        edit("hostname: box2,", "hostname: box2, ip: 1,"),
        ":6: nodes.box2.ip",
        "unknown key",
    ),
    ("newer-version", edit("version: 1", "version: 2"), ":1: version:", "reads version 1"),
    ("missing-subnet", edit("subnet: 10.99.0.0/16\n", ""), ":1: subnet: missing", "cloudy.lock"),
    ("bad-subnet", edit("subnet: 10.99.0.0/16", "subnet: 10.99.0.0/33"), ":3: subnet", "CIDR"),
    ("bad-ip", edit("overlay_ip: 10.99.0.3", "overlay_ip: 10.99.0.300"), ":6: nodes.box2.overlay_ip", "IPv4"),
    ("ip-outside-subnet", edit("10.99.0.3", "10.98.0.3"), ":6: nodes.box2.overlay_ip", "pick a free one"),
    ("network-address", edit("10.99.0.3", "10.99.0.0"), ":6: nodes.box2.overlay_ip", "from 10.99.0.2"),
    ("reserved-first-host", edit("10.99.0.3", "10.99.0.1"), ":6: nodes.box2.overlay_ip", "from 10.99.0.2"),
    ("broadcast", edit("10.99.0.3", "10.99.255.255"), ":6: nodes.box2.overlay_ip", "10.99.255.254"),
    (
        "duplicate-ip",
        edit("10.99.0.3", "10.99.0.2"),
        ":6: nodes.box2.overlay_ip: 10.99.0.2 is also box1's",
        "give box2",
    ),
    ("duplicate-ip-removed", edit("10.99.0.4", "10.99.0.2"), ":8: removed.old.overlay_ip", "also box1's"),
    (
        "duplicate-tinc-name",
        edit("tinc_name: box2", "tinc_name: box1"),
        ":6: nodes.box2.tinc_name",
        "also box1's",
    ),
    (
        "duplicate-hostname",
        edit("hostname: box2", "hostname: box1"),
        ":6: nodes.box2.hostname",
        "also box1's",
    ),
    (
        "bad-tinc-name",
        edit("tinc_name: box2", "tinc_name: box-2"),
        ":6: nodes.box2.tinc_name",
        "letters, digits and _",
    ),
    ("bad-hostname", edit("hostname: box2", "hostname: Box_2"), ":6: nodes.box2.hostname", "lower-case"),
    (
        "hostname-is-a-group",
        edit("hostname: box2", "hostname: tinc"),
        ":6: nodes.box2.hostname",
        "Ansible group",
    ),
    (
        "unknown-service",
        edit("services: [avahi, webui]", "services: [avahi, hadoop]"),
        ":6: nodes.box2.services",
        "'avahi'",
    ),
    (
        "service-twice",
        edit("services: [avahi, webui]", "services: [avahi, avahi]"),
        ":6: nodes.box2.services",
        "keep each once",
    ),
    ("node-also-removed", edit("  old:", "  box2:"), ":8: removed.box2", "delete one"),
    ("node-twice", edit("  box2:", "  box1:"), ":6: box1: the key appears twice", "keep one"),
    (
        "other-cloud",
        edit("cloud: gcodis", "cloud: other"),
        ":2: cloud: other, but cloudy.yml says",
        "delete cloudy.lock",
    ),
    (
        "other-subnet",
        edit("subnet: 10.99.0.0/16", "subnet: 10.98.0.0/16"),
        ":3: subnet: 10.98.0.0/16",
        "put it back",
    ),
]


@pytest.mark.parametrize(("text", "where", "fix"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_inconsistent_lock_names_line_and_fix(tmp_path, text, where, fix):
    path = tmp_path / lock.LOCK_FILE
    path.write_text(text)
    with pytest.raises(BadInput) as exc:
        lock.load(path, SPEC)
    message = str(exc.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:")
    assert where in message, message
    assert fix in message, message
    assert path.read_text() == text
    assert [p.name for p in tmp_path.iterdir()] == [lock.LOCK_FILE]
