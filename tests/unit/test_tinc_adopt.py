"""Adopting a tinc network, source -> plan -> inventory -> the tinc role's topology.

The tinc role dials `cloudy_public_address` (tinc_address); a box behind NAT must get none, a
dynamic-DNS box its name, and neither may be mistaken for the address SSH uses.
"""

import importlib.util
from importlib.machinery import SourceFileLoader
from pathlib import Path

import yaml

from cloudy_deploy import inventory
from cloudy_deploy.nodes import Node
from cloudy_deploy.plan import make_plan
from cloudy_deploy.sources import SourceRef, collect
from cloudy_deploy.spec import CloudSpec

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "tinc"
# The old mesh used 10.99.0.0/16: the new overlay must not overlap it (the plan refuses that).
SPEC = CloudSpec(cloud="gcodis", overlay={"subnet": "10.199.0.0/16"})


def _bundle():
    path = REPO / "ansible_collections/clommunity/cloudy/plugins/action/tinc_bundle.py"
    loader = SourceFileLoader("tinc_bundle_action", str(path))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


def _inventory(refs: list[SourceRef], extra: list[Node] | None = None) -> dict[str, dict]:
    nodes = collect(refs, FIXTURES).nodes + (extra or [])
    files = inventory.render(make_plan(nodes, SPEC, None), SPEC)
    return yaml.safe_load(files["hosts.yml"])["all"]["hosts"]


def test_nat_and_dns_addresses_reach_the_inventory():
    hosts = _inventory([SourceRef("tinc", "gcodis")])
    nat, dyn, olz = hosts["gracia-nat"], hosts["sarria-dyn"], hosts["bcnolzinelles"]
    # Behind NAT: written as null (a missing value would make the role dial ansible_host).
    assert "cloudy_public_address" in nat and nat["cloudy_public_address"] is None
    assert nat["ansible_host"] == "10.99.0.3"  # reached through the old mesh
    # A dynamic-DNS box: dialled on its name; SSH goes to its mesh address, not to the name.
    assert (dyn["cloudy_public_address"], dyn["ansible_host"]) == ("sarria.dyndns.example.org", "10.99.0.4")
    assert (olz["cloudy_public_address"], olz["ansible_host"]) == ("10.139.40.130", "10.139.40.130")
    # Adopted boxes keep their host names; the planned one is still the inventory name.
    assert all(h["common_manage_hostname"] is False for h in hosts.values())
    assert nat["common_hostname"] == "gracia-nat"


def test_other_sources_keep_managing_the_host_name():
    fresh = Node(name="newbox", address="10.1.2.3", source="static:nodes.yml")
    hosts = _inventory([SourceRef("tinc", "gcodis")], [fresh])
    assert "common_manage_hostname" not in hosts["newbox"]  # the role's default: managed
    assert hosts["newbox"]["cloudy_public_address"] == "10.1.2.3"


def test_an_earlier_source_with_the_same_box_keeps_the_tinc_view_of_its_address(tmp_path):
    # A static record for the NAT box, reached on its mesh address: the tinc source still says
    # nobody dials it.
    (tmp_path / "nodes.yml").write_text("nodes:\n  - {name: gracia, address: 10.99.0.3}\n")
    (tmp_path / "gcodis").symlink_to(FIXTURES / "gcodis")
    nodes = collect([SourceRef("static", "nodes.yml"), SourceRef("tinc", "gcodis")], tmp_path).nodes
    files = inventory.render(make_plan(nodes, SPEC, None), SPEC)
    gracia = yaml.safe_load(files["hosts.yml"])["all"]["hosts"]["gracia"]
    assert gracia["cloudy_public_address"] is None and gracia["common_manage_hostname"] is False


def test_nobody_dials_the_nat_box_and_its_host_file_has_no_address():
    hosts = _inventory([SourceRef("tinc", "gcodis")])
    bundle = _bundle()
    # What tinc_key reports per box: tinc_address is cloudy_public_address, '' when null.
    records = [
        {
            "host": name,
            "name": hv["cloudy_tinc_name"],
            "address": hv["cloudy_public_address"] or "",
            "port": 655,
            "overlay_ip": hv["cloudy_overlay_ip"],
            "key": "-----BEGIN RSA PUBLIC KEY-----\nx\n-----END RSA PUBLIC KEY-----\n",
        }
        for name, hv in hosts.items()
    ]
    for kind in ("full", "spine"):
        _, _, nodes = bundle.topology(records, kind, 2, 16, [])
        dialled = {peer for node in nodes.values() for peer in node["connect_to"]}
        assert "gracia_nat" not in dialled, kind
        assert nodes["gracia-nat"]["connect_to"], kind  # it dials out
    by_name = {r["name"]: bundle.host_file(r).decode() for r in records}
    assert "Address" not in by_name["gracia_nat"]
    assert "Address = sarria.dyndns.example.org\n" in by_name["sarria_dyn"]
