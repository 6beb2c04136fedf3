"""Parsing `avahi-browse -rpk` output into the records the mdns source uses (mdns_records)."""

import pytest

from cloudy_deploy.sources.mdns_records import (
    CLOUDY,
    SSH,
    BrowseLineError,
    MdnsRecord,
    instance_name,
    nodes_from_records,
    parse_avahi_browse,
    parse_txt_strings,
    split_escaped_name,
    txt_from_strings,
    unescape_label,
)

# `avahi-browse -arpkt` on a box of the molecule scenario (interface molecule_mdns): two boxes'
# _cloudy._tcp and _ssh._tcp, a test service whose name and TXT need escapes.
DUMP = r"""+;molecule_mdns;IPv4;avahi-b;_cloudy._tcp;local
+;molecule_mdns;IPv4;avahi-a;_cloudy._tcp;local
+;molecule_mdns;IPv4;avahi-b;_ssh._tcp;local
+;molecule_mdns;IPv4;avahi-a;_ssh._tcp;local
+;molecule_mdns;IPv4;Test\032web\032on\032avahi-a;_cloudytest._tcp;local
=;molecule_mdns;IPv4;avahi-b;_cloudy._tcp;local;avahi-b.local;10.97.0.3;22;"services=avahi" "version=0.1.0-molecule" "overlay_ip=10.97.0.3" "node=avahi-b" "cloud=molecule_mdns"
=;molecule_mdns;IPv4;avahi-a;_cloudy._tcp;local;avahi-a.local;10.97.0.2;22;"services=avahi,tahoe_introducer" "version=0.1.0-molecule" "overlay_ip=10.97.0.2" "node=avahi-a" "cloud=molecule_mdns"
=;molecule_mdns;IPv4;avahi-b;_ssh._tcp;local;avahi-b.local;10.97.0.3;22;
=;molecule_mdns;IPv4;avahi-a;_ssh._tcp;local;avahi-a.local;10.97.0.2;22;
=;molecule_mdns;IPv4;Test\032web\032on\032avahi-a;_cloudytest._tcp;local;avahi-a.local;10.97.0.2;8080;"flag" "note=hello; \"world\" \195\188" "path=/"
"""  # noqa: E501 (avahi-browse's lines as they are)


def test_a_real_dump():
    result = parse_avahi_browse(DUMP.splitlines())
    assert result.notes == []
    by_name = {(r.type, instance_name(r)): r for r in result.records}
    assert sorted(by_name) == [
        ("_cloudy._tcp.local.", "avahi-a"),
        ("_cloudy._tcp.local.", "avahi-b"),
        ("_cloudytest._tcp.local.", "Test web on avahi-a"),
        ("_ssh._tcp.local.", "avahi-a"),
        ("_ssh._tcp.local.", "avahi-b"),
    ]
    assert by_name[("_cloudytest._tcp.local.", "Test web on avahi-a")] == MdnsRecord(
        type="_cloudytest._tcp.local.",
        name="Test web on avahi-a._cloudytest._tcp.local.",
        server="avahi-a.local.",
        addresses=("10.97.0.2",),
        port=8080,
        txt={"flag": "", "note": 'hello; "world" ü', "path": "/"},
    )
    assert by_name[(CLOUDY, "avahi-a")].txt == {
        "cloud": "molecule_mdns",
        "node": "avahi-a",
        "overlay_ip": "10.97.0.2",
        "services": "avahi,tahoe_introducer",
        "version": "0.1.0-molecule",
    }
    assert by_name[(SSH, "avahi-b")].txt == {}


def test_the_mdns_source_reads_the_same_records():
    """The records of avahi-browse make the same nodes zeroconf's answers make (mdns source)."""
    found = nodes_from_records(parse_avahi_browse(DUMP.splitlines()).records)
    assert [(n.name, n.address, n.ssh_port) for n in found.nodes] == [
        ("avahi-a", "10.97.0.2", 22),
        ("avahi-b", "10.97.0.3", 22),
    ]
    assert found.nodes[0].vars == {
        "mdns_cloud": "molecule_mdns",
        "mdns_node": "avahi-a",
        "mdns_overlay_ip": "10.97.0.2",
        "mdns_version": "0.1.0-molecule",
        "mdns_services": ["avahi", "tahoe_introducer"],
    }


@pytest.mark.parametrize(
    ("escaped", "text"),
    [
        ("plain-name_1", "plain-name_1"),
        (r"My\032box", "My box"),
        (r"R\038D", "R&D"),
        (r"dot\046decimal", "dot.decimal"),
        (r"a\059b", "a;b"),
        (r"v1\.2", "v1.2"),
        (r"back\\slash", "back\\slash"),
        (r"\040paren\041", "(paren)"),
        (r"caf\195\169", "café"),
        (r"\226\152\131", "☃"),
        (r"bad\255utf8", "bad\ufffdutf8"),
        ("", ""),
    ],
)
def test_unescape_label(escaped, text):
    assert unescape_label(escaped) == text


@pytest.mark.parametrize("escaped", ["ends\\", r"big\256"])
def test_bad_escapes(escaped):
    with pytest.raises(BrowseLineError):
        unescape_label(escaped)


def test_split_escaped_name():
    assert split_escaped_name("box1.local") == ["box1", "local"]
    assert split_escaped_name(r"a\.b.local.") == ["a.b", "local"]
    assert split_escaped_name(r"my\032box.local") == ["my box", "local"]
    assert split_escaped_name(r"x\\.local") == ["x\\", "local"]


@pytest.mark.parametrize(
    ("text", "strings"),
    [
        ("", []),
        ('"a=1"', [b"a=1"]),
        ('"a=1" "flag" "empty="', [b"a=1", b"flag", b"empty="]),
        (r'"q=say \"hi\"" "b=back\\slash"', [b'q=say "hi"', b"b=back\\slash"]),
        (r'"semi=a;b; c" "sp=a b"', [b"semi=a;b; c", b"sp=a b"]),
        (r'"u=\195\188" "ctl=\009tab"', ["u=ü".encode(), b"ctl=\ttab"]),
        (r'"tmpl={{ x }}"', [b"tmpl={{ x }}"]),
    ],
)
def test_parse_txt_strings(text, strings):
    assert parse_txt_strings(text) == strings


@pytest.mark.parametrize("text", ['"open', 'bare "a"', '"a"x', '"ends\\'])
def test_malformed_txt(text):
    with pytest.raises(BrowseLineError):
        parse_txt_strings(text)


def test_txt_keys_are_case_insensitive_and_the_first_wins():
    assert txt_from_strings([b"Path=/a", b"path=/b", b"=nokey", b"flag", b"e="]) == {
        "path": "/a",
        "flag": "",
        "e": "",
    }


def test_ipv6_and_ipv4_answers_are_one_record():
    lines = [
        "+;tinc0;IPv6;box1;_ssh._tcp;local",
        "+;tinc0;IPv4;box1;_ssh._tcp;local",
        "=;tinc0;IPv6;box1;_ssh._tcp;local;box1.local;fd00:99::2;22;",
        "=;tinc0;IPv6;box1;_ssh._tcp;local;box1.local;fe80::2ca:aff:fe63:2;22;",
        "=;tinc0;IPv4;box1;_ssh._tcp;local;box1.local;10.99.0.2;22;",
        "=;eth1;IPv4;box1;_ssh._tcp;local;box1.local;10.99.0.2;22;",
    ]
    [record] = parse_avahi_browse(lines).records
    # The last answer per interface and protocol: fd00 was replaced by the link-local one.
    assert record.addresses == ("fe80::2ca:aff:fe63:2", "10.99.0.2")
    [node] = nodes_from_records([record]).nodes
    assert (node.address, node.addresses) == ("10.99.0.2", ())


def test_a_stream_with_withdrawals():
    lines = [
        "+;tinc0;IPv4;web;_http._tcp;local",
        "=;tinc0;IPv4;web;_http._tcp;local;box1.local;10.99.0.2;80;",
        "+;tinc0;IPv4;gone;_http._tcp;local",
        "=;tinc0;IPv4;gone;_http._tcp;local;box2.local;10.99.0.3;80;",
        "-;tinc0;IPv4;gone;_http._tcp;local",
        "-;tinc0;IPv4;never-seen;_http._tcp;local",
    ]
    result = parse_avahi_browse(lines)
    assert [instance_name(r) for r in result.records] == ["web"]
    assert result.notes == []


def test_withdrawn_then_back():
    lines = [
        "=;tinc0;IPv4;web;_http._tcp;local;box1.local;10.99.0.2;80;",
        "-;tinc0;IPv4;web;_http._tcp;local",
        "+;tinc0;IPv4;web;_http._tcp;local",
        '=;tinc0;IPv4;web;_http._tcp;local;box1.local;10.99.0.2;8080;"v=2"',
    ]
    [record] = parse_avahi_browse(lines).records
    assert (record.port, record.txt) == (8080, {"v": "2"})


def test_found_but_not_resolved_is_noted():
    lines = ["+;tinc0;IPv4;slow\\032one;_http._tcp;local"]
    result = parse_avahi_browse(lines, source="avahi-browse on box1")
    assert result.records == []
    assert result.notes == ["avahi-browse on box1: slow one (_http._tcp) was found but did not resolve"]


def test_subtypes_udp_crlf_and_blank_lines():
    lines = [
        "\r\n",
        "=;tinc0;IPv4;p;_printer._sub._http._tcp;local;box1.local;10.99.0.2;631;\r\n",
        "=;tinc0;IPv4;q;_sip._udp;local;box1.local;10.99.0.2;5060;",
        "   ",
    ]
    result = parse_avahi_browse(lines)
    assert result.notes == []
    assert [r.type for r in result.records] == ["_printer._sub._http._tcp.local.", "_sip._udp.local."]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("garbage", "unknown event"),
        ("!;tinc0;IPv4;x;_http._tcp;local", "unknown event"),
        ("+;tinc0;IPv4;x;_http._tcp", "5 fields"),
        ("=;tinc0;IPv4;x;_http._tcp;local;box1.local;10.99.0.2;80", "9 fields"),
        ("+;tinc0;IPv4;x;_http._tcp;local;extra", "7 fields"),
        ("+;;IPv4;x;_http._tcp;local", "empty"),
        ("=;tinc0;IPv4;x;SSH Remote Terminal;local;box1.local;10.99.0.2;22;", "--no-db-lookup"),
        ("=;tinc0;IPv4;x;_http._tcp;local;box1.local;10.99.0.300;80;", "not an IP address"),
        ("=;tinc0;IPv4;x;_http._tcp;local;box1.local;;80;", "not an IP address"),
        ("=;tinc0;IPv4;x;_http._tcp;local;box1.local;10.99.0.2;http;", "port 'http'"),
        ("=;tinc0;IPv4;x;_http._tcp;local;box1.local;10.99.0.2;70000;", "port '70000'"),
        ("=;tinc0;IPv4;x;_http._tcp;local;box1.local;10.99.0.2;-1;", "port '-1'"),
        ('=;tinc0;IPv4;x;_http._tcp;local;box1.local;10.99.0.2;80;"open', "not closed"),
        ("=;tinc0;IPv4;x;_http._tcp;local;box1.local;10.99.0.2;80;unquoted", "quoted string"),
        ("=;tinc0;IPv4;x;_http._tcp;local;;10.99.0.2;80;", "no host name"),
        ("=;tinc0;IPv4;x\\;_http._tcp;local;box1.local;10.99.0.2;80;", "lone backslash"),
        ("=;tinc0;IPv4;x\\999;_http._tcp;local;box1.local;10.99.0.2;80;", "not a byte"),
    ],
)
def test_malformed_lines_are_left_out_with_a_note(line, reason):
    good = "=;tinc0;IPv4;ok;_http._tcp;local;box1.local;10.99.0.2;80;"
    result = parse_avahi_browse([good, line, good])
    assert [instance_name(r) for r in result.records] == ["ok"]
    [note] = result.notes
    assert note.startswith("avahi-browse: line 2 left out: ")
    assert reason in note


def test_a_long_malformed_line_is_cut_in_the_note():
    [note] = parse_avahi_browse(["?" + "x" * 500]).notes
    assert len(note) < 200 and note.endswith("…")


def test_the_first_answer_gives_host_port_and_txt():
    lines = [
        '=;tinc0;IPv4;s;_x._tcp;local;box1.local;10.99.0.2;1;"a=1"',
        '=;eth1;IPv4;s;_x._tcp;local;box1.local;10.1.2.3;1;"a=1"',
    ]
    [record] = parse_avahi_browse(lines).records
    assert (record.server, record.addresses, record.port, record.txt) == (
        "box1.local.",
        ("10.99.0.2", "10.1.2.3"),
        1,
        {"a": "1"},
    )


def test_instance_name():
    assert instance_name(MdnsRecord("_ssh._tcp.local.", "a.b._ssh._tcp.local.", "x.local.")) == "a.b"
    assert instance_name(MdnsRecord("_ssh._tcp.local.", "odd", "x.local.")) == "odd"
