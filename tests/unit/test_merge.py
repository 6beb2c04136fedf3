"""Merging sources: the rule of merge.py, its notes, and collect() over real sources."""

from pathlib import Path

import pytest

from cloudy_deploy.errors import BadInput
from cloudy_deploy.lab import state
from cloudy_deploy.nodes import Node
from cloudy_deploy.sources import SourceRef, collect, from_spec, load
from cloudy_deploy.sources.merge import merge

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def node(name, address, source, **fields):
    return Node(name=name, address=address, source=source, **fields)


def test_rule_text_is_in_the_module_docstring():
    from cloudy_deploy.sources import merge as module  # the module, not the function

    doc = " ".join(module.__doc__.split())
    for fragment in [
        "Within one source, two records with the same name, or the same address, are an error",
        "Across sources, the address is the identity",
        "The record from the earlier source keeps its name and fields",
        "the same name at different addresses is an error",
        "by source order, then by order within the source",
    ]:
        assert fragment in doc


def test_same_address_is_one_box_earlier_source_wins():
    static = [
        node(
            "box1", "10.1.2.3", "static:nodes.yml", ssh_port=2222, tags=("a", "b"), vars={"rack": 1, "x": "s"}
        ),
        node("box2", "10.1.2.4", "static:nodes.yml"),
    ]
    cnml = [
        node("BCN-Srv9", "10.1.2.9", "cnml:zone.cnml"),
        node(
            "BCN-Cloudy-1",
            "10.1.2.3",
            "cnml:zone.cnml",
            ssh_port=22,
            addresses=("10.1.2.3", "10.9.9.9"),
            tags=("b", "guifi"),
            vars={"x": "c", "guifi_node_id": 7},
        ),
    ]
    result = merge([static, cnml])
    assert [n.name for n in result.nodes] == ["box1", "box2", "BCN-Srv9"]
    box1 = result.nodes[0]
    assert box1.source == "static:nodes.yml"
    assert box1.ssh_port == 2222  # the earlier record's fields
    assert box1.tags == ("a", "b", "guifi")  # union, order kept
    assert box1.vars == {"rack": 1, "x": "s", "guifi_node_id": 7}  # earlier wins per key
    assert box1.addresses == ("10.9.9.9",)  # the main address is not repeated
    assert result.notes == [
        "merged static:nodes.yml box1 with cnml:zone.cnml BCN-Cloudy-1 (same address 10.1.2.3)"
    ]


def test_three_sources_and_canonical_addresses():
    a = [node("b1", "fd00::1", "static:a.yml")]
    b = [node("b1", "10.0.0.2", "mdns")]  # same name... at another address: see the conflict test
    c = [node("x", "FD00:0:0::1", "tinc:/etc/tinc/n", tags=("tinc",))]
    result = merge([a, [], c])
    assert [(n.name, n.tags) for n in result.nodes] == [("b1", ("tinc",))]
    assert result.notes == ["merged static:a.yml b1 with tinc:/etc/tinc/n x (same address fd00::1)"]
    with pytest.raises(BadInput):
        merge([a, b])


def test_order_is_source_then_position_and_merge_is_deterministic():
    a = [node("a1", "10.0.0.1", "s:a"), node("a2", "10.0.0.2", "s:a")]
    b = [node("b1", "10.0.0.9", "s:b"), node("a2x", "10.0.0.2", "s:b"), node("b0", "10.0.0.0", "s:b")]
    first = merge([a, b])
    assert [n.name for n in first.nodes] == ["a1", "a2", "b1", "b0"]
    assert merge([a, b]) == first


# Rule 1 and rule 3: BadInput naming both records/sources, the addresses, and the fix.
@pytest.mark.parametrize(
    ("per_source", "fragments"),
    [
        (
            [[node("box1", "10.0.0.1", "mdns"), node("box1", "10.0.0.2", "mdns")]],
            [
                "mdns: two records named 'box1'",
                "box1 at 10.0.0.1 and box1 at 10.0.0.2",
                "remove or rename one",
            ],
        ),
        (
            [[node("box1", "10.0.0.1", "mdns"), node("box1-2", "10.0.0.1", "mdns")]],
            [
                "mdns: two records with the address 10.0.0.1",
                "box1 at 10.0.0.1 and box1-2",
                "correct its address",
            ],
        ),
        (
            [[node("box1", "10.0.0.1", "static:nodes.yml")], [node("box1", "10.0.0.7", "cnml:zone.cnml")]],
            [
                "conflicting nodes: static:nodes.yml has 'box1' at 10.0.0.1, "
                "cnml:zone.cnml has 'box1' at 10.0.0.7",
                "rename one of them, or drop one of the sources",
            ],
        ),
        (
            # box2 of the later source merges into box1 by address, but box2 is elsewhere already.
            [
                [node("box1", "10.0.0.1", "static:a"), node("box2", "10.0.0.2", "static:a")],
                [node("box2", "10.0.0.1", "tinc:n")],
            ],
            ["conflicting nodes: static:a has 'box2' at 10.0.0.2, tinc:n has 'box2' at 10.0.0.1"],
        ),
        (
            [[node("a", "10.0.0.1", "s:1")], [node("c", "10.0.0.3", "s:2")], [node("c", "10.0.0.4", "s:3")]],
            ["conflicting nodes: s:2 has 'c' at 10.0.0.3, s:3 has 'c' at 10.0.0.4"],
        ),
    ],
    ids=[
        "same-name-within-source",
        "same-address-within-source",
        "conflicting-nodes",
        "conflict-through-a-merge",
        "conflict-between-later-sources",
    ],
)
def test_bad_merge(per_source, fragments):
    with pytest.raises(BadInput) as caught:
        merge(per_source)
    for fragment in fragments:
        assert fragment in str(caught.value), str(caught.value)


def test_collect_static_cnml_tinc():
    refs = [
        SourceRef("static", "static/nodes.yml"),
        from_spec({"cnml": {"file": "cnml/zone.cnml", "types": ["server", "cloudy"]}}),
        SourceRef("tinc", "tinc/gcodis"),
    ]
    result = collect(refs, FIXTURES)
    assert [(n.name, n.source) for n in result.nodes] == [
        ("box1", "static:static/nodes.yml"),
        ("box2", "static:static/nodes.yml"),
        ("box6", "static:static/nodes.yml"),
        ("BCNSantsRiera-Cloudy1", "cnml:cnml/zone.cnml"),
        ("BCNVapor-Cloudy2", "cnml:cnml/zone.cnml"),
        ("BCNCastell-Srv", "cnml:cnml/zone.cnml"),
        ("gracia_nat", "tinc:tinc/gcodis"),
        ("sarria_dyn", "tinc:tinc/gcodis"),
    ]
    box1 = result.nodes[0]
    assert box1.tags == ("sants", "storage", "guifi", "tinc")
    assert box1.vars["guifi_node_id"] == 35821 and box1.vars["tinc_subnets"] == ["10.99.0.1/32"]
    s = "static:static/nodes.yml"
    assert result.notes == [
        "cnml:cnml/zone.cnml: 5 of 11 devices selected (type server or cloudy; status Working or Testing)",
        "tinc:tinc/gcodis: skipped poblesec_sw: no Address (behind NAT) and no single-address Subnet "
        "to reach it on; add it with a static source",
        f"merged {s} box1 with cnml:cnml/zone.cnml BCNSantsRiera-Srv1 (same address 10.139.40.66)",
        f"merged {s} box2 with cnml:cnml/zone.cnml BCNOlzinelles-Srv (same address 10.139.40.130)",
        f"merged {s} box2 with tinc:tinc/gcodis bcnolzinelles (same address 10.139.40.130)",
        f"merged {s} box1 with tinc:tinc/gcodis bcnsants_srv1 (same address 10.139.40.66)",
    ]


def test_collect_reports_a_conflict_between_real_sources(tmp_path):
    (tmp_path / "n.yml").write_text("nodes: [{name: bcnsants_srv1, address: 10.1.1.1}]\n")
    refs = [SourceRef("static", str(tmp_path / "n.yml")), SourceRef("tinc", "tinc/gcodis")]
    with pytest.raises(
        BadInput, match=r"conflicting nodes: static:.*n.yml has 'bcnsants_srv1' at 10.1.1.1, tinc"
    ):
        collect(refs, FIXTURES)


def test_lab_source_through_load(home):
    folder = state.make_lab_dir("lab2", home)
    state.save(
        state.LabState(
            lab="lab2",
            network="cloudy-lab2",
            subnet="172.29.5.0/24",
            image="cloudy-node:x",
            ssh_private_key=str(folder / "id_ed25519"),
            ssh_known_hosts=str(folder / "known_hosts"),
            nodes=[state.LabBox(name="lab2-1", container="cloudy-lab2-1", address="172.29.5.2")],
        ),
        home,
    )
    [box] = load(SourceRef("lab"), home, home)
    assert (box.name, box.address, box.source, box.ssh_known_hosts) == (
        "lab2-1",
        "172.29.5.2",
        "lab:lab2",
        str(folder / "known_hosts"),
    )
    assert load(SourceRef("lab", "lab2"), home, home) == [box]
    with pytest.raises(
        BadInput, match=r"no lab named 'nope' here; start it with `cloudy lab up --name nope`"
    ):
        load(SourceRef("lab", "nope"), home, home)
