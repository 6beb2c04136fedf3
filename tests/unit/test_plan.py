import builtins
import json
import os
import random
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import pytest
import yaml

from cloudy_deploy import inventory, lock
from cloudy_deploy.errors import BadInput
from cloudy_deploy.nodes import Node
from cloudy_deploy.plan import Plan, hostname_for, make_plan, tinc_name_for
from cloudy_deploy.spec import CloudSpec

# The placement of every service, those whose roles are still to come included (caracaldb...).
pytestmark = pytest.mark.usefixtures("roles_for_every_service")

ART = {
    "url": "https://example.org/x.bin",
    "sha256": "ab" * 32,
}  # supplied software: a service without it is off
SERVICES = {
    "tahoe": {"introducers": 1, "shares": {"needed": 1, "happy": 2, "total": 3}},
    "peerstreamer": {"artifact": ART},
}


def boxes(*names: str, net: str = "10.1.2") -> list[Node]:
    return [Node(name=n, address=f"{net}.{i + 10}", source="static:nodes.yml") for i, n in enumerate(names)]


def spec(**kw) -> CloudSpec:
    return CloudSpec(**{"cloud": "gcodis", **kw})


def ips(plan: Plan) -> dict[str, str]:
    return {h.name: str(h.overlay_ip) for h in plan.hosts}


def holders(plan: Plan, service: str) -> list[str]:
    return [h.name for h in plan.hosts if service in h.services]


def replan(plan: Plan, nodes: list[Node], s: CloudSpec, reclaim: bool = False) -> Plan:
    """Like the CLI: the lock goes through its file form between two plans."""
    text = lock.dumps(plan.lock)
    old = lock.Lock.model_validate(yaml.safe_load(text))
    return make_plan(nodes, s, old, reclaim=reclaim)


@pytest.mark.parametrize(
    ("name", "tinc", "host"),
    [
        ("box1", "box1", "box1"),
        ("lab-1", "lab_1", "lab-1"),
        ("Can Jordi-Ràdio", "can_jordi_radio", "can-jordi-radio"),
        ("__x..y__", "x_y", "x-y"),
        ("10.1.2.3", "10_1_2_3", "10-1-2-3"),
        ("a" * 70, "a" * 63, "a" * 63),  # a host file name, and a DNS label
        ("中文", "", ""),
    ],
)
def test_names_are_sanitised(name, tinc, host):
    assert tinc_name_for(name) == tinc
    assert hostname_for(name) == host


def test_fresh_plan_numbers_from_the_second_host_in_natural_order():
    p = make_plan(boxes("lab-10", "lab-2", "lab-1"), spec(), None)
    assert [h.name for h in p.hosts] == ["lab-1", "lab-2", "lab-10"]
    assert ips(p) == {"lab-1": "10.99.0.2", "lab-2": "10.99.0.3", "lab-10": "10.99.0.4"}
    assert [h.tinc_name for h in p.hosts] == ["lab_1", "lab_2", "lab_10"]
    assert all(h.services == ("avahi",) for h in p.hosts)
    assert p.hosts[0].groups == ("cloudy", "tinc", "avahi")
    assert p.lock_changed and [c.name for c in p.diff.added] == ["lab-1", "lab-2", "lab-10"]


def test_input_order_does_not_matter():
    names = [f"n{i}" for i in range(30)]
    first = make_plan(boxes(*names), spec(services=SERVICES), None)
    shuffled = boxes(*names)
    random.Random(4).shuffle(shuffled)
    assert make_plan(shuffled, spec(services=SERVICES), None).lock == first.lock


def test_replan_with_nothing_changed_changes_nothing():
    s = spec(services=SERVICES)
    p = make_plan(boxes("a", "b", "c"), s, None)
    again = replan(p, boxes("a", "b", "c"), s)
    assert not again.lock_changed and again.diff.empty and again.diff_lines() == []
    assert again.lock == p.lock


def test_adding_nodes_moves_nothing():
    s = spec(services={**SERVICES, "caracaldb": {"artifact": ART}})
    p = make_plan(boxes("m", "n", "o"), s, None)
    grown = replan(p, boxes("m", "n", "o", "a", "b"), s)
    assert {k: v for k, v in ips(grown).items() if k in "mno"} == ips(p)
    assert ips(grown)["a"] == "10.99.0.5" and ips(grown)["b"] == "10.99.0.6"
    assert holders(grown, "tahoe_introducer") == holders(p, "tahoe_introducer") == ["m"]
    assert holders(grown, "caracaldb") == ["m", "n", "o"]
    assert [c.name for c in grown.diff.added] == ["a", "b"] and not grown.diff.changed


def test_removed_node_keeps_its_address_reserved_until_reclaim():
    p = make_plan(boxes("a", "b", "c"), spec(), None)
    shrunk = replan(p, boxes("a", "c"), spec())
    assert [c.name for c in shrunk.diff.removed] == ["b"]
    assert "- b 10.99.0.3 kept reserved (--reclaim frees it)" in shrunk.diff_lines()
    assert str(shrunk.lock.removed["b"].overlay_ip) == "10.99.0.3"
    assert shrunk.lock.removed["b"].services == ()
    newcomer = replan(shrunk, boxes("a", "c", "d"), spec())
    assert ips(newcomer)["d"] == "10.99.0.5"  # not b's address
    reclaimed = replan(shrunk, boxes("a", "c", "d"), spec(), reclaim=True)
    assert ips(reclaimed)["d"] == "10.99.0.3"
    assert [c.name for c in reclaimed.diff.reclaimed] == ["b"] and not reclaimed.lock.removed


def test_a_node_that_comes_back_gets_its_old_allocation():
    p = make_plan(boxes("a", "b", "c"), spec(), None)
    shrunk = replan(p, boxes("a", "c"), spec())
    back = replan(shrunk, boxes("a", "b", "c"), spec())
    assert ips(back) == ips(p)
    assert back.diff.restored == ("b",) and "back" in back.diff_lines()[0]
    assert not back.lock.removed


def test_counted_service_moves_only_when_its_box_leaves():
    s = spec(services=SERVICES)
    p = make_plan(boxes("a", "b", "c"), s, None)
    assert holders(p, "tahoe_introducer") == ["a"] and holders(p, "peerstreamer_source") == ["a"]
    moved = replan(p, boxes("b", "c"), s)
    assert holders(moved, "tahoe_introducer") == ["b"]
    change = next(c for c in moved.diff.changed if c.name == "b")
    assert change.gained == ("tahoe_introducer", "peerstreamer_source")
    assert "~ b 10.99.0.3 +tahoe_introducer +peerstreamer_source" in moved.diff_lines()
    # a comes back: b keeps the introducer
    assert holders(replan(moved, boxes("a", "b", "c"), s), "tahoe_introducer") == ["b"]


def test_counts_up_and_down_keep_the_oldest_holders():
    s3 = spec(services={"tahoe": {"introducers": 3, "shares": {"needed": 1, "happy": 1, "total": 1}}})
    s1 = spec(services={"tahoe": {"introducers": 1, "shares": {"needed": 1, "happy": 1, "total": 1}}})
    nodes = boxes("a", "b", "c", "d")
    one = make_plan(nodes, s1, None)
    three = replan(one, nodes, s3)
    assert holders(three, "tahoe_introducer") == ["a", "b", "c"]
    assert holders(replan(three, nodes, s1), "tahoe_introducer") == ["a"]


def test_storage_count_and_all():
    s = spec(services={"tahoe": {"storage": 2, "shares": {"needed": 1, "happy": 2, "total": 2}}})
    p = make_plan(boxes("a", "b", "c"), s, None)
    assert holders(p, "tahoe_storage") == ["a", "b"]
    assert holders(make_plan(boxes("a", "b", "c"), spec(services=SERVICES), None), "tahoe_storage") == [
        "a",
        "b",
        "c",
    ]


def test_services_can_be_left_out():
    p = make_plan(boxes("a"), spec(services={"avahi": "none", "webui": "none"}), None)
    assert p.hosts[0].services == () and p.hosts[0].groups == ("cloudy", "tinc")


def test_hand_renamed_tinc_name_in_the_lock_is_kept():
    p = make_plan(boxes("a", "b"), spec(), None)
    edited = p.lock.model_copy(
        update={"nodes": {**p.lock.nodes, "a": p.lock.nodes["a"].model_copy(update={"tinc_name": "alpha"})}}
    )
    assert make_plan(boxes("a", "b"), spec(), edited).hosts[0].tinc_name == "alpha"


def test_subnet_may_grow_around_the_lock():
    small = spec(overlay={"subnet": "10.99.0.0/29"})
    p = make_plan(boxes("a", "b"), small, None)
    grown = replan(p, boxes("a", "b"), spec(overlay={"subnet": "10.99.0.0/16"}))
    assert ips(grown) == ips(p)
    assert grown.diff.subnet == (IPv4Network("10.99.0.0/29"), IPv4Network("10.99.0.0/16"))
    assert grown.lock.subnet == IPv4Network("10.99.0.0/16")


def test_json_form():
    p = make_plan(boxes("a"), spec(), None)
    data = json.loads(json.dumps(p.to_json()))
    assert data["hosts"][0] == {
        "name": "a",
        "tinc_name": "a",
        "hostname": "a",
        "overlay_ip": "10.99.0.2",
        "services": ["avahi"],
        "address": "10.1.2.10",
        "source": "static:nodes.yml",
        "clouder_host": None,
    }
    assert data["diff"]["added"] == ["a"] and data["lock_changed"] is True


def test_plan_does_no_io(monkeypatch):
    def refuse(*_a, **_k):
        raise AssertionError("the plan must not touch files")

    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(os, "open", refuse)
    p = make_plan(boxes("a", "b", "c"), spec(services=SERVICES), None)
    assert replan(p, boxes("a", "c", "d"), spec(services=SERVICES)).hosts


def test_exactly_full_subnet_fits():
    p = make_plan(boxes("a", "b", "c", "d", "e"), spec(overlay={"subnet": "10.99.0.0/29"}), None)
    assert sorted(ips(p).values())[-1] == "10.99.0.6"  # .7 is the broadcast address


# --- bad input --------------------------------------------------------------------------------------------

HELD = make_plan(boxes("box-1", "b"), spec(), None).lock
REMOVED = make_plan(boxes("b"), spec(), HELD).lock  # box-1 removed, its names kept


def tiny(n: int) -> CloudSpec:
    return spec(overlay={"subnet": f"10.99.0.0/{n}"})


# (nodes, spec, lock, words naming where, words of the fix)
BAD = {
    "same-name-twice": (boxes("a", "a"), spec(), None, "two nodes are named 'a'", "rename one"),
    "equal-after-sanitising": (
        boxes("box-1", "box_1"),
        spec(),
        None,
        "nodes 'box-1' (static:nodes.yml) and 'box_1' (static:nodes.yml) both make the tinc name box_1",
        "rename one in its source",
    ),
    "equal-to-a-locked-name": (
        boxes("box-1", "b", "Box 1"),
        spec(),
        HELD,
        "'box-1' (static:nodes.yml) and 'Box 1'",
        "rename one",
    ),
    "name-held-by-removed-node": (
        boxes("b", "box_1"),
        spec(),
        REMOVED,
        "keeps for the removed node 'box-1'",
        "--reclaim",
    ),
    "no-letters-in-name": (boxes("a", "***"), spec(), None, "node '***'", "rename it"),
    "hostname-is-a-group": (boxes("TINC"), spec(), None, "node 'TINC'", "Ansible group"),
    "overlay-overlaps-node-address": (
        boxes("a", "b", net="10.99.3"),
        spec(),
        None,
        "cloudy.yml: overlay.subnet: 10.99.0.0/16 overlaps 10.99.3.10, the address of node a",
        "e.g. 10.199.0.0/16",
    ),
    "overlay-overlaps-other-address": (
        [Node(name="a", address="192.168.1.2", addresses=("10.0.0.0/8",))],
        spec(),
        None,
        "overlaps 10.0.0.0/8",
        "choose a subnet no box uses",
    ),
    "subnet-too-small": (
        boxes(*"abcdef"),
        tiny(29),
        None,
        "overlay.subnet: 10.99.0.0/29 has room for 5",
        "/28",
    ),
    "subnet-leaves-no-room": (boxes("a", "b"), tiny(30), None, "has room for 1", "/29"),
    "subnet-full-of-removed": (
        boxes("b", "c", "d", "e", "f"),
        tiny(29),
        make_plan(boxes(*"abcde"), tiny(29), None).lock,
        "the plan needs 6 (1 kept for removed nodes",
        "--reclaim",
    ),
    "caracaldb-over-nodes": (
        boxes("a", "b"),
        spec(services={"caracaldb": {"nodes": 3, "artifact": ART}}),
        None,
        "services.caracaldb.nodes: caracaldb needs at least 3 nodes, the plan has 2",
        "add nodes",
    ),
    "introducers-over-nodes": (
        boxes("a", "b"),
        spec(services={"tahoe": {"introducers": 3, "shares": {"needed": 1, "happy": 1, "total": 1}}}),
        None,
        "services.tahoe.introducers: 3 tahoe_introducer boxes wanted, the plan has 2",
        "lower it",
    ),
    "storage-over-nodes": (
        boxes("a"),
        spec(services={"tahoe": {"storage": 2, "shares": {"needed": 1, "happy": 1, "total": 1}}}),
        None,
        "services.tahoe.storage: 2 tahoe_storage boxes wanted",
        "add nodes",
    ),
    "happy-over-storage": (
        boxes("a", "b"),
        spec(services={"tahoe": {"shares": {"needed": 2, "happy": 3, "total": 3}}}),
        None,
        "services.tahoe.shares: happy is 3, the plan has 2 Tahoe storage boxes",
        "lower shares.happy",
    ),
    "peerstreamer-sources-over-nodes": (
        boxes("a"),
        spec(services={"peerstreamer": {"sources": 2, "artifact": ART}}),
        None,
        "services.peerstreamer.sources: 2 peerstreamer_source boxes",
        "lower it",
    ),
    "lock-of-another-cloud": (
        boxes("b"),
        spec(cloud="other"),
        HELD,
        "cloudy.lock: cloud: gcodis",
        "put it back",
    ),
    "lock-of-another-subnet": (
        boxes("b"),
        spec(overlay={"subnet": "10.98.0.0/16"}),
        HELD,
        "cloudy.lock: subnet: 10.99.0.0/16",
        "delete cloudy.lock to renumber",
    ),
}


@pytest.mark.parametrize(("nodes", "the_spec", "old", "where", "fix"), BAD.values(), ids=BAD.keys())
def test_bad_plan_input(tmp_path: Path, nodes, the_spec, old, where, fix):
    with pytest.raises(BadInput) as exc:
        # What the CLI does: plan first, write only when the plan stands.
        the_plan = make_plan(nodes, the_spec, old)
        lock.save(the_plan.lock, tmp_path / lock.LOCK_FILE)
        inventory.write(the_plan, the_spec, tmp_path / "inventory")
    message = str(exc.value)
    assert "\n" not in message
    assert where in message, message
    assert fix in message, message
    assert list(tmp_path.iterdir()) == []


def test_plan_errors_name_the_line_of_a_loaded_spec(tmp_path):
    from cloudy_deploy.spec import load

    path = tmp_path / "cloudy.yml"
    path.write_text(
        "cloud: gcodis\nservices:\n  caracaldb:\n    nodes: 3\n"
        f"    artifact: {{url: 'https://x.org/c', sha256: {'ab' * 32}}}\n"
    )
    with pytest.raises(BadInput, match=r"cloudy\.yml:4: services\.caracaldb\.nodes: caracaldb needs"):
        make_plan(boxes("a", "b"), load(path), None)


def test_overlay_ip_is_an_address_object():
    assert isinstance(make_plan(boxes("a"), spec(), None).hosts[0].overlay_ip, IPv4Address)


def test_a_lock_made_in_code_is_checked_too():
    bad = HELD.model_copy(update={"nodes": {**HELD.nodes, "b": HELD.nodes["box-1"]}})
    with pytest.raises(BadInput, match=r"cloudy\.lock: nodes\.box-1\.overlay_ip: 10\.99\.0\.3 is also b's"):
        make_plan(boxes("b"), spec(), bad)


def test_caracaldb_api_sits_on_a_caracaldb_node_and_gvod_is_counted():
    s = spec(services={"caracaldb": {"nodes": 2, "artifact": ART, "api": ART}, "gvod": {"artifact": ART}})
    p = make_plan(boxes("a", "b", "c"), s, None)
    assert holders(p, "caracaldb") == ["a", "b"] and holders(p, "caracaldb_api") == ["a"]
    assert holders(p, "gvod") == ["a"] and p.off == ()
    # The lock keeps the API where it was when its box stays a caracaldb node.
    text = lock.dumps(p.lock).replace(
        "services: [avahi, caracaldb, caracaldb_api, gvod]", "services: [avahi, caracaldb, gvod]"
    )
    text = text.replace("services: [avahi, caracaldb]", "services: [avahi, caracaldb, caracaldb_api]", 1)
    again = make_plan(boxes("a", "b", "c"), s, lock.Lock.model_validate(yaml.safe_load(text)))
    assert holders(again, "caracaldb_api") == ["b"]


def test_supplied_services_without_their_software_are_off_and_placed_nowhere():
    s = spec(services={"caracaldb": {"nodes": 1, "api": ART}, "gvod": {"artifact": ART}, "peerstreamer": {}})
    p = make_plan(boxes("a", "b"), s, None)
    assert dict(p.off) == {
        "caracaldb": "services.caracaldb.artifact",
        "gvod": "services.caracaldb.artifact",  # off with the CaracalDB it needs
        "peerstreamer": "services.peerstreamer.artifact",
    }
    assert all(h.services == ("avahi",) for h in p.hosts)
    assert s.services.artifacts() == {}
    lines = s.off_lines()
    assert len(lines) == 3 and "gvod is off: it needs CaracalDB, which is off" in lines[2]


def test_gvod_without_caracaldb_is_refused():
    with pytest.raises(ValueError, match="gvod keeps its overlay in CaracalDB: add caracaldb"):
        spec(services={"gvod": {"artifact": ART}})
