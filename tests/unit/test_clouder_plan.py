"""services.clouder: Cloudy containers planned as boxes, reached through their host, and the
refusals of a bad spec (docs/inventory.md)."""

import shlex
from ipaddress import IPv4Address
from pathlib import Path

import pytest
import yaml

from cloudy_deploy import clouder, inventory, spec
from cloudy_deploy.errors import BadInput
from cloudy_deploy.nodes import Node
from cloudy_deploy.plan import make_plan
from tests.conftest import run_cloudy

CLOUDER = """\
  clouder:
    boxes: [big]
    containers: [{name: c1}, {name: c2}]
    apps: [{name: web, image: cloudy-box, port: 8080, command: [python3, -m, http.server, '8080']}]
"""


def write(folder: Path, services: str) -> Path:
    path = folder / "cloudy.yml"
    path.write_text(f"cloud: gcodis\nsources: [lab]\nservices:\n{services}")
    return path


def nodes() -> list[Node]:
    key = "/keys/id"
    return [
        Node(name="big", address="10.1.2.10", ssh_private_key=key, ssh_known_hosts="/kh", source="lab:x"),
        Node(name="small", address="10.1.2.11", ssh_private_key=key, ssh_known_hosts="/kh", source="lab:x"),
    ]


def hosts_of(folder: Path, services: str = CLOUDER) -> dict:
    s = spec.load(write(folder, services))
    text = inventory.render(make_plan(nodes(), s, None), s)["hosts.yml"]
    return yaml.safe_load(text)["all"]


def test_containers_are_boxes_of_the_plan_behind_their_host(tmp_path):
    s = spec.load(write(tmp_path, CLOUDER))
    plan = make_plan(nodes(), s, None)
    by_name = {h.name: h for h in plan.hosts}
    assert by_name["big"].services == ("avahi", "clouder")
    assert by_name["c1"].services == ("avahi", "clouder_guests")
    assert by_name["small"].services == ("avahi",)
    # Planned like any box: tinc name and overlay address, kept in the lock.
    assert {by_name["c1"].tinc_name, by_name["c2"].tinc_name} == {"c1", "c2"}
    assert set(plan.lock.nodes) == {"big", "small", "c1", "c2"}
    # `cloudy plan` shows the host it runs on.
    last_two = ".".join(str(by_name["c1"].overlay_ip).split(".")[2:])
    assert by_name["c1"].reached_at == f"100.64.{last_two} via big"
    assert by_name["big"].reached_at == "10.1.2.10"
    hosts = {h["name"]: h for h in plan.to_json()["hosts"]}
    assert hosts["c1"]["clouder_host"] == "big" and hosts["big"]["clouder_host"] is None


def test_a_container_is_reached_through_its_host_with_its_key_read_there(tmp_path):
    inv = hosts_of(tmp_path)
    c1, big = inv["hosts"]["c1"], inv["hosts"]["big"]
    last_two = ".".join(c1["cloudy_overlay_ip"].split(".")[2:])
    assert c1["ansible_host"] == f"100.64.{last_two}"
    assert c1["cloudy_clouder_host"] == "big" and c1["cloudy_public_address"] is None
    assert big["clouder_boxes"] == [
        {"name": "c1", "ip": c1["ansible_host"]},
        {"name": "c2", "ip": inv["hosts"]["c2"]["ansible_host"]},
    ]
    assert big["clouder_apps"] == [
        {
            "name": "web",
            "image": "cloudy-box",
            "port": 8080,
            "publish": True,
            "command": ["python3", "-m", "http.server", "8080"],
        }
    ]
    opts = dict(o.split("=", 1) for o in shlex.split(c1["ansible_ssh_common_args"]) if o != "-o")
    # No file of ours holds its key, and nothing is accepted unchecked.
    assert opts["UserKnownHostsFile"] == "/dev/null" and opts["StrictHostKeyChecking"] == "yes"
    host_checks = "-o UserKnownHostsFile=/kh -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes"
    for cmd in (opts["ProxyCommand"], opts["KnownHostsCommand"]):
        assert cmd.startswith("/") and host_checks in cmd and "-i /keys/id" in cmd and "root@10.1.2.10" in cmd
    assert opts["ProxyCommand"].split()[1:3] == ["-W", "%h:%p"]
    assert opts["KnownHostsCommand"].endswith(" cat /var/lib/cloudy-clouder/boxes/c1/known_host")
    assert "clouder_boxes" not in inv["hosts"]["small"]


def test_two_hosts_need_each_entry_to_name_its_host(tmp_path):
    services = "  clouder:\n    boxes: [big, small]\n    containers: [{name: c1, host: small}]\n"
    inv = hosts_of(tmp_path, services)
    assert inv["hosts"]["c1"]["cloudy_clouder_host"] == "small"
    assert inv["hosts"]["big"]["clouder_boxes"] == []


@pytest.mark.parametrize(
    ("services", "where", "fix"),
    [
        ("  clouder: {boxes: []}\n", ":4: services.clouder.boxes", "at least 1"),
        ("  clouder: {boxes: [a, a]}\n", ":4: services.clouder", "name each clouder host once"),
        ("  clouder: {boxes: [a, b], containers: [{name: c1}]}\n", ":4: services.clouder", "set its host"),
        (
            "  clouder: {boxes: [a], containers: [{name: c1, host: b}]}\n",
            ":4: services.clouder",
            "not in boxes",
        ),
        ("  clouder: {boxes: [a], containers: [{name: C_1}]}\n", "containers[0].name", "lower-case letters"),
        (
            "  clouder: {boxes: [a], containers: [{name: c1}, {name: c1}]}\n",
            ":4: services.clouder",
            "used twice",
        ),
        (
            "  clouder: {boxes: [a], apps: [{name: w, image: 'Bad Image', port: 80}]}\n",
            "apps[0].image",
            "NAME:TAG",
        ),
        (
            "  clouder: {boxes: [a], apps: [{name: w, image: x, port: 0}]}\n",
            "apps[0].port",
            "greater than or equal to 1",
        ),
        ("  clouder: {boxes: [a], apps: [{name: w, image: x}]}\n", "apps[0].port", "missing"),
        (
            "  avahi: none\n  clouder: {boxes: [a], apps: [{name: w, image: x, port: 80}]}\n",
            ":3: services",
            "set avahi: all, or publish: false",
        ),
    ],
)
def test_bad_clouder_spec_names_file_line_and_fix(tmp_path, services, where, fix):
    path = write(tmp_path, services)
    with pytest.raises(BadInput) as exc:
        spec.load(path)
    message = str(exc.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:") and where in message and fix in message, message


def test_a_clouder_box_that_is_no_node_is_refused_in_one_line_with_exit_2(home):
    (home / "cloudy.yml").write_text(
        "cloud: gcodis\nsources: [static:nodes.yml]\nservices:\n  clouder: {boxes: [nowhere]}\n"
    )
    (home / "nodes.yml").write_text("nodes:\n  - {name: only, address: 10.1.2.3}\n")
    result = run_cloudy("inventory", home=home)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "cloudy.yml:4: services.clouder.boxes: no node is named 'nowhere'" in lines[0]
    assert sorted(p.name for p in home.iterdir()) == ["cloudy.yml", "nodes.yml"]  # no lock, no inventory


def test_containers_of_one_host_that_would_share_an_address_are_refused():
    # Overlays wider than /16 can map two containers to one address on their host's network.
    clouder.refuse_clashes({"c1": ("big", IPv4Address("10.1.0.5")), "c2": ("small", IPv4Address("10.2.0.5"))})
    with pytest.raises(
        BadInput, match=r"containers c1 and c2 on big would share 100\.64\.0\.5: use an overlay"
    ):
        clouder.refuse_clashes(
            {"c1": ("big", IPv4Address("10.1.0.5")), "c2": ("big", IPv4Address("10.2.0.5"))}
        )
    with pytest.raises(
        BadInput, match=r"container c1: .* maps to 100\.64\.0\.1, which its host's network keeps"
    ):
        clouder.refuse_clashes({"c1": ("big", IPv4Address("10.1.0.1"))})
