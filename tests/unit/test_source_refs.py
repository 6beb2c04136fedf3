"""Naming sources: --source KIND[:ARG] and the entries of cloudy.yml's `sources:`."""

import pytest

from cloudy_deploy.errors import BadInput
from cloudy_deploy.sources import SourceRef, from_spec, parse_ref


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("static:nodes.yml", SourceRef("static", "nodes.yml")),
        ("lab", SourceRef("lab")),
        ("lab:lab2", SourceRef("lab", "lab2")),
        ("cnml:zone.cnml", SourceRef("cnml", "zone.cnml")),
        ("mdns", SourceRef("mdns")),
        ("mdns:5", SourceRef("mdns", "5")),
        ("mdns:2.5", SourceRef("mdns", "2.5")),
        ("tinc:/etc/tinc/gcodis", SourceRef("tinc", "/etc/tinc/gcodis")),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_parse_ref(text, ref):
    assert parse_ref(text) == ref
    assert str(parse_ref(text)) == text


@pytest.mark.parametrize(
    ("entry", "ref"),
    [
        ("lab", SourceRef("lab")),
        ("mdns", SourceRef("mdns")),
        ("static:nodes.yml", SourceRef("static", "nodes.yml")),
        ({"static": "nodes.yml"}, SourceRef("static", "nodes.yml")),
        ({"lab": "lab2"}, SourceRef("lab", "lab2")),
        ({"lab": None}, SourceRef("lab")),
        ({"cnml": "zone.cnml"}, SourceRef("cnml", "zone.cnml")),
        (
            {"cnml": {"file": "z.cnml", "types": ["server", "Cloudy"], "status": ["working", "Testing"]}},
            SourceRef("cnml", "z.cnml", {"types": ("server", "cloudy"), "status": ("Working", "Testing")}),
        ),
        (
            {"cnml": {"file": "z.cnml", "status": "Planned"}},
            SourceRef("cnml", "z.cnml", {"status": ("Planned",)}),
        ),
        ({"mdns": {"timeout": 3}}, SourceRef("mdns", "3")),
        ({"mdns": 3}, SourceRef("mdns", "3")),
        ({"mdns": None}, SourceRef("mdns")),
        ({"tinc": "/etc/tinc/gcodis"}, SourceRef("tinc", "/etc/tinc/gcodis")),
    ],
    ids=[
        "lab",
        "mdns",
        "text-form",
        "static",
        "lab-name",
        "lab-null",
        "cnml",
        "cnml-options",
        "cnml-one-status",
        "mdns-timeout",
        "mdns-number",
        "mdns-null",
        "tinc",
    ],
)
def test_from_spec(entry, ref):
    assert from_spec(entry) == ref


# Bad --source values: BadInput naming the value, what is wrong and how to write it.
@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (
            "statik:nodes.yml",
            ["--source statik:nodes.yml", "unknown source kind 'statik'", "static:nodes.yml"],
        ),
        ("ldap", ["unknown source kind 'ldap'", "the kinds are static, lab, cnml, mdns, tinc"]),
        ("static", ["--source static:", "needs a file", "--source static:nodes.yml"]),
        ("cnml:", ["needs a file", "--source cnml:zone.cnml"]),
        ("tinc", ["needs a directory", "tinc:/etc/tinc/NET"]),
        ("lab:", ["nothing after ':'", "--source lab:NAME"]),
        ("lab:My Lab", ["'My Lab' is not allowed", "lower-case"]),
        ("mdns:abc", ["'abc' is not a number of seconds", "e.g. 3"]),
        ("mdns:0", ["'0' is not a number of seconds from 0 to 60"]),
        ("mdns:600", ["'600' is not a number of seconds"]),
        ("mdns:nan", ["'nan' is not a number"]),
    ],
    ids=[
        "unknown-kind-typo",
        "unknown-kind",
        "static-no-file",
        "cnml-empty-file",
        "tinc-no-dir",
        "lab-empty-name",
        "lab-bad-name",
        "mdns-not-a-number",
        "mdns-zero",
        "mdns-too-long",
        "mdns-nan",
    ],
)
def test_bad_source_text(text, fragments):
    with pytest.raises(BadInput) as caught:
        parse_ref(text)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"--source {text}: ")
    for fragment in fragments:
        assert fragment in message


# Bad `sources:` entries: ValueError (the spec loader adds file:line) saying what and how.
@pytest.mark.parametrize(
    ("entry", "fragments"),
    [
        (["static", "nodes.yml"], ["a source is one KIND or one {KIND: ARG}", "`- static: nodes.yml`"]),
        ({"static": "a.yml", "lab": None}, ["a source is one KIND"]),
        ({"static": None}, ["the static source needs a file", "`- static: nodes.yml`"]),
        ({"statics": "a.yml"}, ["unknown source kind 'statics'", "did you mean `- static: nodes.yml`"]),
        (
            {"cnml": {"file": "z.cnml", "type": ["server"]}},
            ["unknown key 'type' in the cnml source", "types"],
        ),
        ({"cnml": {"types": ["server"]}}, ["the cnml source needs a file"]),
        (
            {"cnml": {"file": "z.cnml", "status": ["Workin"]}},
            ["'Workin' is not a guifi.net status", "Working"],
        ),
        ({"cnml": {"file": "z.cnml", "types": []}}, ["cnml types must be a non-empty list"]),
        ({"cnml": {"file": "z.cnml", "types": [3]}}, ["cnml types: 3 is not a name"]),
        ({"mdns": {"seconds": 3}}, ["unknown key 'seconds' in the mdns source", "timeout"]),
        ({"mdns": True}, ["True is not a number of seconds"]),
        ({"lab": 7}, ["lab name 7 is not text"]),
        ("lab:x y", ["'x y' is not allowed"]),
    ],
    ids=[
        "list-entry",
        "two-kinds",
        "static-null",
        "unknown-kind",
        "cnml-unknown-key",
        "cnml-no-file",
        "cnml-bad-status",
        "cnml-empty-types",
        "cnml-type-not-text",
        "mdns-unknown-key",
        "mdns-bool",
        "lab-number",
        "lab-bad-name",
    ],
)
def test_bad_spec_entry(entry, fragments):
    with pytest.raises(ValueError) as caught:
        from_spec(entry)
    assert not isinstance(caught.value, BadInput)
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_refs_are_hashable_and_compare_by_value():
    a = from_spec({"cnml": {"file": "z.cnml", "types": ["server"]}})
    b = from_spec({"cnml": {"file": "z.cnml", "types": "server"}})
    assert a == b and hash(a) == hash(b)
    assert len({a, b, parse_ref("lab"), parse_ref("lab")}) == 2


@pytest.mark.parametrize(
    ("ref", "fragment"),
    [
        (SourceRef("static"), "source static needs an argument"),
        (SourceRef("ldap", "x"), "unknown source kind 'ldap'"),
    ],
    ids=["no-arg", "unknown-kind"],
)
def test_load_refuses_refs_built_by_hand(tmp_path, ref, fragment):
    from cloudy_deploy.sources import load

    with pytest.raises(BadInput, match=fragment):
        load(ref, tmp_path)
