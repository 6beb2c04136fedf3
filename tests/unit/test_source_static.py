"""The static source: YAML and CSV files of nodes, and every way they can be wrong."""

import shutil
from pathlib import Path

import pytest

from cloudy_deploy.errors import BadInput
from cloudy_deploy.sources import SourceRef, load

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "static"


@pytest.fixture
def here(tmp_path, monkeypatch):
    """A folder that is also the current one, so messages name files as `nodes.yml`."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def static(folder: Path, name: str, text: str | bytes):
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return load(SourceRef("static", name), folder)


def test_yaml_fixture():
    nodes = load(SourceRef("static", "nodes.yml"), FIXTURES)
    assert [(n.name, n.address) for n in nodes] == [
        ("box1", "10.139.40.66"),
        ("box2", "10.139.40.130"),
        ("box6", "fd00::6"),  # written fd00:0::6: canonical, so the merge compares it right
    ]
    box1, box2, _ = nodes
    assert (box1.ssh_user, box1.ssh_port, box1.tags) == ("root", 22, ("sants", "storage"))
    assert box2.addresses == ("10.139.40.131",)
    assert box2.ssh_private_key == str(FIXTURES / "keys" / "box2")  # relative to the nodes file
    assert box2.vars == {"rack": 3, "guifi_zone": "Sants"}
    assert (box2.ssh_user, box2.ssh_port) == (None, 2222)  # None: the spec's ssh.user applies
    assert {n.source for n in nodes} == {"static:nodes.yml"}


def test_csv_fixture():
    nodes = load(SourceRef("static", "nodes.csv"), FIXTURES)
    assert [(n.name, n.address, n.ssh_user, n.ssh_port, n.tags) for n in nodes] == [
        ("box1", "10.139.40.66", "root", 22, ("sants", "storage")),
        ("box2", "10.139.40.130", None, 2222, ("sants", "video")),
        ("box3", "10.139.41.34", "admin", None, ()),
    ]
    assert nodes[0].source == "static:nodes.csv"


def test_relative_to_base_dir_and_absolute(tmp_path):
    shutil.copy(FIXTURES / "nodes.yml", tmp_path / "n.yml")
    (tmp_path / "sub").mkdir()
    assert len(load(SourceRef("static", "../n.yml"), tmp_path / "sub")) == 3
    assert len(load(SourceRef("static", str(tmp_path / "n.yml")), Path("/nonexistent"))) == 3


def test_empty_and_minimal(here):
    assert static(here, "a.yml", "nodes:\n") == []
    assert static(here, "b.yml", "nodes: []\n") == []
    [node] = static(here, "c.csv", "\ufeffname,address\r\nb1,10.0.0.1\r\n")  # Excel: BOM and CRLF
    assert (node.name, node.address, node.tags) == ("b1", "10.0.0.1", ())
    [node] = static(here, "d.yml", "nodes:\n  - {name: b1, address: 10.0.0.1, tags: [a, a, b], vars: {}}\n")
    assert node.tags == ("a", "b")


N = "nodes:\n  - name: box1\n    address: 10.0.0.1\n"  # a good first node; line 4 is the second node


# Each bad file: BadInput with the file and line (where), what is wrong, and the fix.
@pytest.mark.parametrize(
    ("name", "text", "fragments"),
    [
        (
            "nodes.yml",
            "nodes:\n  - {name: box1, address: 10.0.0.1\n",
            ["nodes.yml:3:", "not valid YAML", "indentation"],
        ),
        (
            "nodes.yml",
            "nodes:\n- name: a\n  address: 10.0.0.1\n\tssh_port: 22\n",
            ["nodes.yml:4:", "not valid YAML"],
        ),
        (
            "nodes.yml",
            "- {name: box1, address: 10.0.0.1}\n",
            ["nodes.yml:1:", "a mapping with a `nodes` list"],
        ),
        ("nodes.yml", "boxes:\n  - {name: a}\n", ["nodes.yml:1:", "unknown key 'boxes'", "only `nodes:`"]),
        ("nodes.yml", "nodes: {name: box1}\n", ["nodes.yml:1:", "`nodes` must be a list"]),
        ("nodes.yml", N + "  - box2\n", ["nodes.yml:4:", "a node is a mapping", "'box2'"]),
        (
            "nodes.yml",
            N + "  - name: box2\n    address: 10.0.0.2\n    sshport: 22\n",
            ["nodes.yml:6:", "unknown key 'sshport'", "did you mean ssh_port?"],
        ),
        ("nodes.yml", N + "  - name: box2\n", ["nodes.yml:4:", "no address", "needs a name and an address"]),
        ("nodes.yml", N + "  - {address: 10.0.0.2}\n", ["nodes.yml:4:", "no name"]),
        (
            "nodes.yml",
            N + "  - name: box2\n    address: 10.0.0.300\n",
            ["nodes.yml:5:", "'10.0.0.300' is not an IPv4 or IPv6 address", "give the box's IP address"],
        ),
        (
            "nodes.yml",
            N + "  - {name: box2, address: box2.example.org}\n",
            ["nodes.yml:4:", "'box2.example.org' is not an IPv4", "DNS names are not taken"],
        ),
        (
            "nodes.yml",
            N + "  - {name: box2, address: 0.0.0.0}\n",
            ["nodes.yml:4:", "cannot be a box's address (unspecified)"],
        ),
        ("nodes.yml", N + "  - {name: box2, address: 10.1}\n", ["nodes.yml:4:", "10.1 is not an IPv4"]),
        (
            "nodes.yml",
            N + "  - name: box2\n    address: 10.0.0.2\n    ssh_port: 70000\n",
            ["nodes.yml:6:", "ssh_port 70000 is not a TCP port", "1 to 65535"],
        ),
        (
            "nodes.yml",
            N + "  - {name: b, address: 10.0.0.2, ssh_port: ssh}\n",
            ["ssh_port 'ssh' is not a TCP port"],
        ),
        (
            "nodes.yml",
            N + "  - {name: b, address: 10.0.0.2, ssh_port: true}\n",
            ["ssh_port True is not a TCP port"],
        ),
        (
            "nodes.yml",
            N + "  - {name: b, address: 10.0.0.2, ssh_user: 'ro ot'}\n",
            ["'ro ot' is not a login name"],
        ),
        ("nodes.yml", N + "  - {name: my box, address: 10.0.0.2}\n", ["name 'my box' is not a node name"]),
        ("nodes.yml", N + "  - {name: 42, address: 10.0.0.2}\n", ["name 42 is not a node name", "in quotes"]),
        ("nodes.yml", N + "  - {name: b, address: 10.0.0.2, tags: a b}\n", ["tags must be a list"]),
        ("nodes.yml", N + "  - {name: b, address: 10.0.0.2, tags: ['a b']}\n", ["tag 'a b' is not a tag"]),
        (
            "nodes.yml",
            N + "  - {name: b, address: 10.0.0.2, vars: {2fast: 1}}\n",
            ["nodes.yml:4:", "vars: '2fast' is not a variable name", "letters, digits and _"],
        ),
        (
            "nodes.yml",
            N
            + "  - {name: b, address: 10.0.0.2,\n"
            + "     vars: {ansible_ssh_common_args: '-o StrictHostKeyChecking=no'}}\n",
            ["nodes.yml:5:", "vars: ansible_ssh_common_args would change how Ansible connects", "remove it"],
        ),
        (
            "nodes.yml",
            N + "  - {name: b, address: 10.0.0.2, vars: {ansible_host_key_checking: false}}\n",
            ["vars: ansible_host_key_checking would change how Ansible connects"],
        ),
        (
            "nodes.yml",
            N + "  - {name: b, address: 10.0.0.2, vars: {ansible_connection: local}}\n",
            ["vars: ansible_connection would change how Ansible connects"],
        ),
        (
            "nodes.yml",
            N + "  - {name: b, address: 10.0.0.2, addresses: [10.0.0.x]}\n",
            ["addresses: '10.0.0.x'"],
        ),
        (
            "nodes.yml",
            N + "  - name: box2\n    address: 10.0.0.2\n    name: box3\n",
            ["nodes.yml:6:", "name: the key appears twice (first on line 4)", "keep one"],
        ),
        (
            "nodes.yml",
            N + "  - {name: box1, address: 10.0.0.2}\n",
            [
                "static:nodes.yml: two records named 'box1'",
                "(nodes.yml:2)",
                "(nodes.yml:4)",
                "remove or rename one",
            ],
        ),
        (
            "nodes.yml",
            N + "  - {name: box2, address: 10.0.0.1}\n",
            ["two records with the address 10.0.0.1", "box1 at 10.0.0.1 (nodes.yml:2)", "box2 at 10.0.0.1"],
        ),
        (
            "nodes.yml",
            b"nodes:\n  - {name: b\xe9, address: 10.0.0.1}\n",
            ["nodes.yml:2: not UTF-8 text (byte 0xe9)", "save the file as UTF-8"],
        ),
        ("nodes.csv", "", ["nodes.csv:1:", "the file is empty", "name,address[,ssh_user,ssh_port,tags]"]),
        (
            "nodes.csv",
            "host,ip\nb1,10.0.0.1\n",
            ["nodes.csv:1:", "unknown column 'host'", "the header is name,addr"],
        ),
        ("nodes.csv", "address,name\n10.0.0.1,b1\n", ["nodes.csv:1:", "must start with name,address"]),
        ("nodes.csv", "name,address,tags,tags\n", ["nodes.csv:1:", "the column 'tags' appears twice"]),
        (
            "nodes.csv",
            "name,address,ssh_port\nb1,10.0.0.1,22\nb2,10.0.0.2,22,x\n",
            ["nodes.csv:3:", "4 fields, the header has 3", "quote a value"],
        ),
        ("nodes.csv", "name,address\nb1,10.0.0.256\n", ["nodes.csv:2:", "'10.0.0.256' is not an IPv4"]),
        (
            "nodes.csv",
            "name,address,ssh_port\nb1,10.0.0.1,0\n",
            ["nodes.csv:2:", "ssh_port '0' is not a TCP port"],
        ),
        ("nodes.csv", "name,address\nb1,\n", ["nodes.csv:2:", "no address"]),
        ("nodes.csv", 'name,address\n"b1,10.0.0.1\n', ["nodes.csv:", "not valid CSV", "quotes"]),
        (
            "nodes.csv",
            "name,address\nb1,10.0.0.1\nb1,10.0.0.2\n",
            ["two records named 'b1'", "(nodes.csv:2)", "(nodes.csv:3)"],
        ),
    ],
    ids=[
        "yaml-unclosed-flow",
        "yaml-tab",
        "yaml-top-list",
        "yaml-unknown-top-key",
        "yaml-nodes-not-list",
        "yaml-node-not-mapping",
        "yaml-unknown-key",
        "yaml-no-address",
        "yaml-no-name",
        "yaml-invalid-ip",
        "yaml-dns-name",
        "yaml-unspecified-ip",
        "yaml-ip-as-float",
        "yaml-port-too-big",
        "yaml-port-not-number",
        "yaml-port-bool",
        "yaml-bad-user",
        "yaml-name-with-space",
        "yaml-name-number",
        "yaml-tags-not-list",
        "yaml-tag-with-space",
        "yaml-bad-var-name",
        "yaml-var-ssh-args",
        "yaml-var-host-key-checking",
        "yaml-var-connection",
        "yaml-bad-extra-address",
        "yaml-duplicate-key",
        "yaml-duplicate-name",
        "yaml-duplicate-address",
        "yaml-not-utf8",
        "csv-empty",
        "csv-wrong-header",
        "csv-header-order",
        "csv-duplicate-column",
        "csv-row-field-count",
        "csv-invalid-ip",
        "csv-bad-port",
        "csv-empty-address",
        "csv-unclosed-quote",
        "csv-duplicate-name",
    ],
)
def test_bad_static_file(here, name, text, fragments):
    with pytest.raises(BadInput) as caught:
        static(here, name, text)
    message = str(caught.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


def test_missing_file(here):
    with pytest.raises(BadInput, match=r"^static:gone\.yml: gone\.yml does not exist; give the path"):
        load(SourceRef("static", "gone.yml"), here)


def test_directory_instead_of_file(here):
    (here / "d").mkdir()
    with pytest.raises(BadInput, match=r"d is not a file"):
        load(SourceRef("static", "d"), here)
