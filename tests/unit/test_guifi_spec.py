"""services.proxy3, snpservices and dnsservices (guifi.net's services): the spec, its files, the
plan's groups and the variables the inventory hands to the roles (docs/inventory.md)."""

from pathlib import Path

import pytest
import yaml

from cloudy_deploy import inventory, lock, spec
from cloudy_deploy.errors import BadInput
from cloudy_deploy.nodes import Node
from cloudy_deploy.plan import GROUPS, make_plan
from tests.conftest import run_cloudy

GUIFI = """\
  proxy3:
    node_id: 1001
    federation: fed/federation.txt
    ldap: {uris: [ldap://10.0.0.5], bind_dn: 'cn=proxy3,dc=guifi,dc=net'}
    language: Catalan
    manager: proxy@example.net
  snpservices: {cnml: zone.cnml, graph_server: 51172}
  dnsservices: {data: 'https://guifi.example/guifi/cnml/2627/domains', cnml: zone.cnml}
"""


def write(folder: Path, services: str) -> Path:
    (folder / "fed").mkdir(exist_ok=True)
    (folder / "fed" / "federation.txt").write_text("1001-inout\n")
    (folder / "zone.cnml").write_text("<cnml/>\n")
    path = folder / "cloudy.yml"
    path.write_text(f"cloud: gcodis\nsources: [lab]\nservices:\n{services}")
    return path


def boxes(*names: str) -> list[Node]:
    return [Node(name=n, address=f"10.1.2.{i + 10}", source="static:nodes.yml") for i, n in enumerate(names)]


def test_files_are_taken_from_the_specs_folder_and_urls_left_to_the_boxes(tmp_path):
    s = spec.load(write(tmp_path, GUIFI)).services
    assert s.proxy3 and s.snpservices and s.dnsservices
    assert s.proxy3.federation == str(tmp_path / "fed" / "federation.txt")
    assert s.snpservices.cnml == str(tmp_path / "zone.cnml")
    assert s.dnsservices.data == "https://guifi.example/guifi/cnml/2627/domains"
    assert s.dnsservices.cnml == str(tmp_path / "zone.cnml")


def test_proxy3_defaults_are_the_originals(tmp_path):
    p = spec.load(write(tmp_path, "  proxy3: {node_id: 7, federation: fed/federation.txt}\n")).services.proxy3
    assert p is not None
    assert (p.servers, p.cache_size, p.cache_mem, p.language, p.manager) == (1, 1024, 128, "English", "")
    assert p.ldap.uris == ["ldaps://ldap.guifi.net", "ldaps://ldap2.guifi.net"]
    assert (p.ldap.base, p.ldap.bind_dn) == ("o=proxyusers,dc=guifi,dc=net", "")


@pytest.mark.parametrize(
    ("services", "where", "fix"),
    [
        ("  proxy3: {federation: fed/federation.txt}\n", ":4: services.proxy3.node_id", "missing: add it"),
        ("  proxy3: {node_id: 7}\n", ":4: services.proxy3.federation", "missing: add it"),
        ("  proxy3:\n    node_id: 0\n    federation: f\n", ":5: services.proxy3.node_id", "service id"),
        ("  proxy3:\n    node_id: '7'\n    federation: f\n", ":5: services.proxy3.node_id", "service id"),
        (
            "  proxy3:\n    node_id: 7\n    federation: nope.txt\n",
            ":6: services.proxy3.federation",
            "no such file",
        ),
        ("  proxy3:\n    node_id: 7\n    federation: fed\n", ":6: services.proxy3.federation", "is a folder"),
        (
            "  proxy3:\n    node_id: 7\n    federation: ftp://x/f\n",
            ":6: services.proxy3.federation",
            "http(s) URL",
        ),
        ("  proxy3:\n    node_id: 7\n    federation: ''\n", ":6: services.proxy3.federation", "http(s) URL"),
        (
            "  proxy3:\n    node_id: 7\n    federation: fed/federation.txt\n    servers: 2\n",
            ":7: services.proxy3.servers",
            "write servers: 1",
        ),
        (
            "  proxy3:\n    node_id: 7\n    federation: fed/federation.txt\n    language: ../etc\n",
            ":7: services.proxy3.language",
            "e.g. Catalan",
        ),
        (
            "  proxy3:\n    node_id: 7\n    federation: fed/federation.txt\n    manager: nobody\n",
            ":7: services.proxy3.manager",
            "not an e-mail",
        ),
        (
            "  proxy3:\n    node_id: 7\n    federation: fed/federation.txt\n    cache_mem: 0\n",
            ":7: services.proxy3.cache_mem",
            "greater than or equal to 1",
        ),
        (
            "  proxy3:\n    node_id: 7\n    federation: fed/federation.txt\n    ldap: {uris: [http://x]}\n",
            ":7: services.proxy3.ldap.uris",
            "uris: [ldaps://",
        ),
        (
            "  proxy3:\n    node_id: 7\n    federation: fed/federation.txt\n    ldap: {bind_dn: 'a\"b'}\n",
            ":7: services.proxy3.ldap.bind_dn",
            "no quote",
        ),
        ("  snpservices: {cnml: zone.cnml}\n", ":4: services.snpservices.graph_server", "missing: add it"),
        (
            "  snpservices:\n    cnml: zone.cnml\n    graph_server: x\n",
            ":6: services.snpservices.graph_server",
            "e.g. graph_server: 51172",
        ),
        (
            "  snpservices:\n    cnml: gone.cnml\n    graph_server: 5\n",
            ":5: services.snpservices.cnml",
            "no such file",
        ),
        ("  dnsservices: {cnml: zone.cnml}\n", ":4: services.dnsservices.data", "missing: add it"),
        (
            "  dnsservices:\n    data: zone.cnml\n    cnml: no.cnml\n",
            ":6: services.dnsservices.cnml",
            "no such file",
        ),
        (
            "  dnsservices:\n    data: zone.cnml\n    servers: 3\n",
            ":6: services.dnsservices.servers",
            "servers: 1",
        ),
        (
            "  avahi: none\n  snpservices: {cnml: zone.cnml, graph_server: 5}\n",
            ":3: services:",
            "set avahi: all",
        ),
    ],
)
def test_bad_guifi_spec_names_file_line_and_fix(tmp_path, services, where, fix):
    path = write(tmp_path, services)
    with pytest.raises(BadInput) as exc:
        spec.load(path)
    message = str(exc.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:") and where in message and fix in message, message


def test_cli_refuses_a_missing_federation_file_with_one_line_and_exit_2(home):
    (home / "cloudy.yml").write_text(
        "cloud: gcodis\nsources: [lab]\nservices:\n  proxy3: {node_id: 7, federation: federation.txt}\n"
    )
    result = run_cloudy("plan", home=home)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "cloudy.yml:4: services.proxy3.federation" in lines[0] and "no such file" in lines[0]
    assert sorted(p.name for p in home.iterdir()) == ["cloudy.yml"]  # no lock, no inventory


def test_each_service_gets_one_box_and_keeps_it(tmp_path):
    s = spec.load(write(tmp_path, GUIFI))
    first = make_plan(boxes("m", "n"), s, None)
    for group in ("proxy3", "snpservices", "dnsservices"):
        assert [h.name for h in first.hosts if group in h.services] == ["m"], group
    second = make_plan(
        boxes("a", "m", "n"), s, lock.Lock.model_validate(yaml.safe_load(lock.dumps(first.lock)))
    )
    assert [h.name for h in second.hosts if "proxy3" in h.services] == ["m"]
    assert GROUPS[-5:-2] == ("proxy3", "snpservices", "dnsservices")


def test_inventory_hands_the_roles_their_variables(tmp_path):
    s = spec.load(write(tmp_path, GUIFI))
    files = inventory.render(make_plan(boxes("a", "b"), s, None), s)
    children = yaml.safe_load(files["hosts.yml"])["all"]["children"]
    assert [list(children[g]["hosts"]) for g in ("proxy3", "snpservices", "dnsservices")] == [["a"]] * 3
    assert yaml.safe_load(files["group_vars/all/proxy3.yml"]) == {
        "proxy3_node_id": 1001,
        "proxy3_federation_src": str(tmp_path / "fed" / "federation.txt"),
        "proxy3_ldap_uris": ["ldap://10.0.0.5"],
        "proxy3_ldap_base": "o=proxyusers,dc=guifi,dc=net",
        "proxy3_ldap_bind_dn": "cn=proxy3,dc=guifi,dc=net",
        "proxy3_cache_size": 1024,
        "proxy3_cache_mem": 128,
        "proxy3_language": "Catalan",
        "proxy3_manager": "proxy@example.net",
    }
    assert yaml.safe_load(files["group_vars/all/snpservices.yml"]) == {
        "snpservices_cnml_src": str(tmp_path / "zone.cnml"),
        "snpservices_graph_server_id": 51172,
    }
    assert yaml.safe_load(files["group_vars/all/dnsservices.yml"]) == {
        "dnsservices_data_src": "https://guifi.example/guifi/cnml/2627/domains",
        "dnsservices_cnml_src": str(tmp_path / "zone.cnml"),
    }
    # No bind password anywhere the wrapper writes: it goes on the box.
    assert not any("password" in text for text in files.values())


def test_inventory_without_them_writes_none_of_their_files(tmp_path):
    s = spec.load(write(tmp_path, "  dnsservices: {data: zone.cnml}\n"))
    files = inventory.render(make_plan(boxes("a"), s, None), s)
    assert yaml.safe_load(files["group_vars/all/dnsservices.yml"])["dnsservices_cnml_src"] is None
    assert "group_vars/all/proxy3.yml" not in files and "group_vars/all/snpservices.yml" not in files


def test_dnsservices_never_shares_a_box_with_the_dns_server(tmp_path):
    s = spec.load(write(tmp_path, "  dns: {}\n  dnsservices: {data: zone.cnml}\n"))
    first = make_plan(boxes("m", "n"), s, None)
    assert [(h.name, h.services) for h in first.hosts] == [
        ("m", ("avahi", "dns", "avahi_dns")),
        ("n", ("avahi", "avahi_dns", "dnsservices")),
    ]
    # A box joins: nothing moves. The dns box leaves: dns goes to the new box, dnsservices stays.
    second = make_plan(
        boxes("a", "m", "n"), s, lock.Lock.model_validate(yaml.safe_load(lock.dumps(first.lock)))
    )
    assert [h.services for h in second.hosts] == [
        ("avahi", "avahi_dns"),
        ("avahi", "dns", "avahi_dns"),
        ("avahi", "avahi_dns", "dnsservices"),
    ]
    third = make_plan(boxes("a", "n"), s, lock.Lock.model_validate(yaml.safe_load(lock.dumps(second.lock))))
    assert [(h.name, h.services) for h in third.hosts] == [
        ("a", ("avahi", "dns", "avahi_dns")),
        ("n", ("avahi", "avahi_dns", "dnsservices")),
    ]


def test_dns_and_dnsservices_on_a_single_box_are_refused(home):
    (home / "zone.cnml").write_text("<cnml/>\n")
    (home / "cloudy.yml").write_text(
        "cloud: gcodis\nsources: [lab]\nservices:\n  dns: {}\n  dnsservices: {data: zone.cnml}\n"
    )
    (home / "nodes.yml").write_text("nodes:\n  - {name: only, address: 10.1.2.3}\n")
    result = run_cloudy("plan", "--source", "static:nodes.yml", home=home)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert (
        "cloudy.yml:5: services.dnsservices: services.dnsservices and services.dns would both answer"
        in lines[0]
    )
    assert "on port 53 of one box (the plan has 1): add a box, or remove one of them" in lines[0]
    assert sorted(p.name for p in home.iterdir()) == ["cloudy.yml", "nodes.yml", "zone.cnml"]
