"""The tinc source: adopting a tinc 1.0 network from its host files."""

import builtins
import io
import shutil
from pathlib import Path

import pytest

from cloudy_deploy.errors import BadInput
from cloudy_deploy.sources import SourceRef, collect, load
from cloudy_deploy.sources.tinc import parse_host_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "tinc"


def test_net_dir_fixture():
    nodes = load(SourceRef("tinc", "gcodis"), FIXTURES)
    by_name = {n.name: n for n in nodes}
    assert list(by_name) == ["bcnolzinelles", "bcnsants_srv1", "gracia_nat", "sarria_dyn"]  # file order
    olz = by_name["bcnolzinelles"]
    assert (olz.address, olz.addresses, olz.tags) == ("10.139.40.130", ("10.139.40.131",), ("tinc",))
    assert olz.vars == {
        "tinc_net": "gcodis",
        "tinc_addresses": ["10.139.40.130 655", "10.139.40.131 655"],
        "tinc_subnets": ["10.99.0.2/32"],  # the #10 weight is tinc's, not part of the subnet
        "tinc_port": 655,
        "cloudy_public_address": "10.139.40.130",
        "common_manage_hostname": False,
    }
    # Behind NAT: no Address; reached through the mesh on its Subnet's address, dialled by nobody.
    nat = by_name["gracia_nat"]
    assert (nat.address, nat.tags, nat.vars["tinc_behind_nat"]) == ("10.99.0.3", ("tinc", "tinc_nat"), True)
    assert "cloudy_public_address" in nat.vars and nat.vars["cloudy_public_address"] is None
    # A DNS name only: not behind NAT, dialled on its name; only the mesh address is an IP.
    dyn = by_name["sarria_dyn"]
    assert (dyn.address, dyn.vars["tinc_addresses"]) == ("10.99.0.4", ["sarria.dyndns.example.org 655"])
    assert dyn.vars["cloudy_public_address"] == "sarria.dyndns.example.org"
    assert "tinc_behind_nat" not in dyn.vars
    assert {n.source for n in nodes} == {"tinc:gcodis"}


def test_hosts_dir_gives_the_same_nodes_and_notes_the_unreachable_host():
    by_net = load(SourceRef("tinc", "gcodis"), FIXTURES)
    by_hosts = load(SourceRef("tinc", "gcodis/hosts"), FIXTURES)
    assert [n.model_dump(exclude={"source"}) for n in by_net] == [
        n.model_dump(exclude={"source"}) for n in by_hosts
    ]
    notes = collect([SourceRef("tinc", "gcodis")], FIXTURES).notes
    assert notes == [
        "tinc:gcodis: skipped poblesec_sw: no Address (behind NAT) and no single-address Subnet "
        "to reach it on; add it with a static source"
    ]


def test_private_key_and_tinc_conf_are_never_opened(monkeypatch):
    opened: list[str] = []
    real_open = io.open

    def spy(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy)
    monkeypatch.setattr(io, "open", spy)
    load(SourceRef("tinc", "gcodis"), FIXTURES)
    assert opened and all("/hosts/" in path for path in opened), opened
    assert not any(path.endswith(("rsa_key.priv", "tinc.conf", "-up")) for path in opened)


def test_host_file_syntax():
    host = parse_host_file(
        "# comment\nADDRESS=10.0.0.1\naddress   10.0.0.2   656\nSubnet = fd00::1/128\n"
        "Subnet = 02:00:0A:63:00:05\nSubnet = 10.1.0.0/24#5\nEd25519PublicKey = abc\nPort=700\n"
        "-----BEGIN RSA PUBLIC KEY-----\nAddress = 6.6.6.6\n-----END RSA PUBLIC KEY-----\n",
        "h",
    )
    assert host.addresses == [("10.0.0.1", None), ("10.0.0.2", 656)]  # nothing read inside the key
    assert host.subnets == ["fd00::1/128", "02:00:0a:63:00:05", "10.1.0.0/24"]
    assert host.port == 700


def hosts(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "net" / "hosts"
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def test_scripts_backups_and_dotfiles_are_not_hosts(tmp_path):
    hosts(
        tmp_path, {"a": "Address = 10.0.0.1\n", "a-up": "#!/bin/sh\n", "a-down": "", "a~": "", ".a.swp": ""}
    )
    assert [n.name for n in load(SourceRef("tinc", "net"), tmp_path)] == ["a"]


def test_ipv6_address_and_subnet(tmp_path):
    hosts(tmp_path, {"v6": "Address = 2001:db8:0::1 655\n", "v6nat": "Subnet = fd00:99::5/128\n"})
    nodes = load(SourceRef("tinc", "net"), tmp_path)
    assert [(n.name, n.address) for n in nodes] == [("v6", "2001:db8::1"), ("v6nat", "fd00:99::5")]


# Each bad network: BadInput naming the dir/file (and line), what is wrong, and the fix.
@pytest.mark.parametrize(
    ("files", "arg", "fragments"),
    [
        (None, "nowhere", ["tinc:nowhere: nowhere is not a directory", "/etc/tinc/NET"]),
        (
            {"box-1": "Address = 10.0.0.1\n"},
            "net",
            ["net/hosts/box-1: 'box-1' is not a tinc node name", "rename"],
        ),
        ({"box.old": "Address = 10.0.0.1\n"}, "net", ["'box.old' is not a tinc node name"]),
        (
            {"b": "Subnet = 10.0.0.1/32\nAddress = 10.0.0.1 port\n"},
            "net",
            ["net/hosts/b:2: 'port' is not a port"],
        ),
        (
            {"b": "Address = 10.0.0.1 99999\n"},
            "net",
            ["net/hosts/b:1: '99999' is not a port number (1-65535)"],
        ),
        (
            {"b": "Address = 10.0.0.1 655 tcp\n"},
            "net",
            ["net/hosts/b:1: Address '10.0.0.1 655 tcp' is not `HOST"],
        ),
        ({"b": "Address =\n"}, "net", ["net/hosts/b:1: Address without a value", "complete or remove"]),
        (
            {"b": "Subnet = 10.0.0.300/32\n"},
            "net",
            ["net/hosts/b:1: Subnet '10.0.0.300/32' is not an address"],
        ),
        ({"b": "Subnet = 10.0.0.1/24\n"}, "net", ["Subnet '10.0.0.1/24'", "has host bits set"]),
        ({"b": "Port = ssh\n"}, "net", ["net/hosts/b:1: 'ssh' is not a port number"]),
        (
            {"a": "Address = 10.0.0.1\n", "b": "Address = 10.0.0.1\n"},
            "net",
            [
                "tinc:net: two records with the address 10.0.0.1",
                "a at 10.0.0.1 (net/hosts/a)",
                "(net/hosts/b)",
            ],
        ),
    ],
    ids=[
        "dir-missing",
        "bad-host-file-name",
        "host-file-name-with-dot",
        "address-port-not-number",
        "address-port-out-of-range",
        "address-three-words",
        "address-empty",
        "subnet-invalid",
        "subnet-host-bits",
        "port-not-number",
        "same-address-twice",
    ],
)
def test_bad_tinc(tmp_path, monkeypatch, files, arg, fragments):
    monkeypatch.chdir(tmp_path)
    if files is not None:
        hosts(tmp_path, files)
    with pytest.raises(BadInput) as caught:
        load(SourceRef("tinc", arg), tmp_path)
    message = str(caught.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


def test_net_dir_without_hosts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(FIXTURES / "gcodis", tmp_path / "gcodis", ignore=shutil.ignore_patterns("hosts"))
    with pytest.raises(BadInput, match=r"^tinc:gcodis: gcodis has a tinc.conf but no hosts/ directory; copy"):
        load(SourceRef("tinc", "gcodis"), tmp_path)


def test_an_unusable_address_is_reached_like_a_dns_name_and_dialled_by_nobody(tmp_path):
    hosts(tmp_path, {"z": "Address = 0.0.0.0\nSubnet = 10.99.0.9/32\n"})
    [node] = load(SourceRef("tinc", "net"), tmp_path)
    assert (node.address, node.vars["tinc_addresses"]) == ("10.99.0.9", ["0.0.0.0"])
    assert node.vars["cloudy_public_address"] is None


@pytest.mark.parametrize(
    ("addresses", "public"),
    [
        (["Box.Example.NET 700", "10.0.0.1"], "box.example.net"),  # the first as written; port dropped
        (["10.0.0.1 700", "box.example.net"], "10.0.0.1"),
        (["0.0.0.0", "224.0.0.1", "10.0.0.300", "bad_name", "ok-name"], "ok-name"),
        (["fd00:0::1"], "fd00::1"),
        (["-bad.example", "0.0.0.0"], None),
    ],
)
def test_public_address_is_the_first_dialable_address(tmp_path, addresses, public):
    body = "".join(f"Address = {a}\n" for a in addresses) + "Subnet = 10.99.0.9/32\n"
    hosts(tmp_path, {"z": body})
    [node] = load(SourceRef("tinc", "net"), tmp_path)
    assert node.vars["cloudy_public_address"] == public
