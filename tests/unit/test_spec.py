import re
from ipaddress import IPv4Network
from pathlib import Path

import pytest

from cloudy_deploy import spec
from cloudy_deploy.errors import BadInput
from cloudy_deploy.sources import SourceRef

FULL = """\
cloud: gcodis                  # tinc network name
overlay: {subnet: 10.98.0.0/16, port: 656, topology: spine, spines: 2}
sources:
  - static: nodes.yml
  - lab
ssh: {user: admin, private_key: keys/id_ed25519}
services:
  avahi: all
  webui: none
  tahoe: {introducers: 2, storage: 3, shares: {needed: 2, happy: 3, total: 4}}
  caracaldb: {nodes: 4}
  peerstreamer: {sources: 2}
"""


def write(tmp_path: Path, text: str, name: str = "cloudy.yml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_full_spec_loads(tmp_path):
    s = spec.load(write(tmp_path, FULL))
    assert s.cloud == "gcodis"
    assert s.overlay.subnet == IPv4Network("10.98.0.0/16")
    assert (s.overlay.port, s.overlay.topology, s.overlay.spines) == (656, "spine", 2)
    assert s.sources == [SourceRef("static", "nodes.yml"), SourceRef("lab")]
    assert s.ssh.user == "admin"
    assert s.ssh.private_key == str(tmp_path / "keys/id_ed25519")  # relative to cloudy.yml
    assert s.services.webui == "none"
    assert s.services.tahoe and s.services.tahoe.storage == 3 and s.services.tahoe.shares.total == 4
    assert s.services.caracaldb and s.services.caracaldb.nodes == 4
    assert s.services.peerstreamer and s.services.peerstreamer.sources == 2


def test_minimal_spec_takes_the_defaults(tmp_path):
    s = spec.load(write(tmp_path, "cloud: c1\n"))
    assert s.overlay.subnet == IPv4Network("10.99.0.0/16")
    assert (s.overlay.port, s.overlay.topology, s.overlay.spines) == (655, "auto", 3)
    assert s.sources == []
    assert (s.ssh.user, s.ssh.private_key) == ("root", None)
    assert (s.services.avahi, s.services.webui) == ("all", "none")
    assert s.services.tahoe is s.services.caracaldb is s.services.peerstreamer is None


def test_home_relative_key_is_kept_for_ssh_to_expand(tmp_path):
    s = spec.load(write(tmp_path, "cloud: c1\nssh: {private_key: ~/.ssh/id_ed25519}\n"))
    assert s.ssh.private_key == "~/.ssh/id_ed25519"


def test_default_spec_is_the_lab_with_avahi_the_panel_a_grid_and_a_repository():
    s = spec.default_spec()
    assert s.cloud == "cloudy"
    assert s.sources == [SourceRef("lab")]
    assert (s.services.avahi, s.services.webui) == ("all", "all")
    assert s.services.repository is not None and s.services.repository.boxes == 1
    assert sorted(s.services.placed()) == ["avahi", "repository", "tahoe", "webui"]
    assert s.services.tahoe is not None and s.services.tahoe.introducers == 1
    assert s.services.tahoe.storage == "all" and s.services.tahoe.shares.happy == 1


@pytest.mark.parametrize("boxes", [1, 3])
def test_default_spec_plans_on_a_lab_of_any_size(boxes):
    from cloudy_deploy.nodes import Node
    from cloudy_deploy.plan import make_plan

    nodes = [Node(name=f"lab-{i}", address=f"10.0.0.{i}") for i in range(1, boxes + 1)]
    plan = make_plan(nodes, spec.default_spec(), None)
    assert len(plan.hosts) == boxes
    for host in plan.hosts:
        assert {"avahi", "webui", "tahoe", "tahoe_storage"} <= set(host.services)
    assert sum("tahoe_introducer" in host.services for host in plan.hosts) == 1
    assert sum("repository" in host.services for host in plan.hosts) == 1


def test_tahoe_defaults_are_a_valid_grid():
    shares = spec.Tahoe().shares
    assert shares.needed <= shares.happy <= shares.total


@pytest.mark.parametrize(
    ("given", "kept"), [("500M", "500M"), (" 2.5GiB ", "2.5GiB"), (0, "0"), ("10kB", "10kB")]
)
def test_tahoe_reserved_space_takes_tahoe_sizes(given, kept):
    assert spec.Tahoe(reserved_space=given).reserved_space == kept


def test_where_names_file_and_line_or_just_the_key(tmp_path):
    s = spec.load(write(tmp_path, "cloud: c1\n\noverlay:\n  subnet: 10.99.0.0/16\n"))
    assert s.where("overlay", "subnet") == f"{tmp_path / 'cloudy.yml'}:4: overlay.subnet"
    assert spec.default_spec().where("overlay", "subnet") == "cloudy.yml: overlay.subnet"


# Each: the file, the line and key the message must name, and words of the fix.
BAD = [
    ("broken-yaml", "cloud: a\noverlay: {subnet: 10.0.0.0/8\nfoo: [\n", ":3:", "not valid YAML"),
    ("not-a-mapping", "- cloud: a\n", ":1:", "cloudy init"),
    ("empty-file", "", ":1:", "mapping"),
    ("unknown-top-key", "cloud: a\nclod: b\n", ":2: clod: unknown key", "did you mean cloud"),
    ("unknown-nested-key", "cloud: a\noverlay:\n  sbnet: 10.0.0.0/8\n", ":3: overlay.sbnet", "subnet"),
    (
        "unknown-service",
        "cloud: a\nservices:\n  tahoe: {}\n  hadoop: {}\n",
        ":4: services.hadoop",
        "keys here",
    ),
    (
        "unknown-deep-key",
        "cloud: a\nservices:\n  tahoe:\n    shares: {k: 1}\n",
        ":4: services.tahoe.shares.k",
        "needed",
    ),
    ("missing-cloud", "overlay: {port: 655}\n", ":1: cloud: missing", "cloud: gcodis"),
    ("bad-cloud-name", "cloud: my-cloud\n", ":1: cloud:", "letters, digits or _"),
    ("cloud-name-too-long", "cloud: a_very_long_cloud_name\n", ":1: cloud:", "1 to 15"),
    ("subnet-not-cidr", "cloud: a\noverlay:\n  subnet: 10.99.0/16\n", ":3: overlay.subnet", "CIDR"),
    ("subnet-host-bits", "cloud: a\noverlay: {subnet: 10.99.0.1/16}\n", ":2: overlay.subnet", "10.99.0.0/16"),
    ("subnet-ipv6", "cloud: a\noverlay: {subnet: 'fd00::/64'}\n", ":2: overlay.subnet", "IPv4"),
    ("subnet-public", "cloud: a\noverlay: {subnet: 8.8.0.0/16}\n", ":2: overlay.subnet", "private range"),
    ("port-out-of-range", "cloud: a\noverlay:\n  port: 70000\n", ":3: overlay.port", "65535"),
    ("bad-topology", "cloud: a\noverlay: {topology: ring}\n", ":2: overlay.topology", "'spine'"),
    ("overlay-not-mapping", "cloud: a\noverlay: 5\n", ":2: overlay", "mapping"),
    ("bad-source", "cloud: a\nsources:\n  - lab\n  - ftp: x\n", ":4: sources[1]", "static"),
    ("bad-ssh-user", "cloud: a\nssh: {user: 'ro ot'}\n", ":2: ssh.user", "e.g. user: root"),
    (
        "shares-needed-over-happy",
        "cloud: a\nservices:\n  tahoe:\n    shares:\n      needed: 4\n      happy: 3\n      total: 3\n",
        ":4: services.tahoe.shares: needed (4) > happy (3)",
        "make needed <= happy <= total",
    ),
    (
        "shares-happy-over-total",
        "cloud: a\nservices:\n  tahoe: {shares: {needed: 1, happy: 5, total: 3}}\n",
        ":3: services.tahoe.shares: happy (5) > total (3)",
        "make needed <= happy <= total",
    ),
    (
        "storage-not-all-or-count",
        "cloud: a\nservices:\n  tahoe:\n    storage: some\n",
        ":4:",
        "`all` or a number",
    ),
    (
        "reserved-space-not-a-size",
        "cloud: a\nservices:\n  tahoe:\n    reserved_space: lots\n",
        ":4: services.tahoe.reserved_space",
        "500M, 1G",
    ),
    (
        "caracaldb-under-1",
        "cloud: a\nservices:\n  caracaldb: {nodes: 0}\n",
        ":3: services.caracaldb.nodes",
        "1 or more",
    ),
    ("avahi-bad-value", "cloud: a\nservices: {avahi: some}\n", ":2: services.avahi", "'all' or 'none'"),
    ("duplicate-key", "cloud: a\noverlay: {}\ncloud: b\n", ":3: cloud: the key appears twice", "keep one"),
]


@pytest.mark.parametrize(("text", "where", "fix"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_spec_names_file_line_and_fix(tmp_path, text, where, fix):
    path = write(tmp_path, text)
    before = sorted(tmp_path.iterdir())
    with pytest.raises(BadInput) as exc:
        spec.load(path)
    message = str(exc.value)
    assert "\n" not in message
    assert message.startswith(str(path) + ":")
    assert where in message, message
    assert fix in message, message
    assert sorted(tmp_path.iterdir()) == before


def test_missing_spec_says_how_to_make_one(tmp_path):
    with pytest.raises(BadInput, match=r"no such file; write one with `cloudy init`"):
        spec.load(tmp_path / "cloudy.yml")


def test_the_first_error_by_line_is_reported_with_a_count(tmp_path):
    path = write(tmp_path, "cloud: a\nservices: {avahi: x}\noverlay: {port: 0}\n")
    with pytest.raises(BadInput) as exc:
        spec.load(path)
    assert re.search(r"cloudy\.yml:2: services\.avahi: .* \(and 1 more\)$", str(exc.value))
