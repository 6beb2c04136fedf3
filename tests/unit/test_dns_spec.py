"""services.dns (wide-area DNS-SD, AvahiDNS): the spec, the plan's dns and avahi_dns groups, dns.yml."""

from pathlib import Path

import pytest
import yaml

from cloudy_deploy import inventory, lock, spec
from cloudy_deploy.errors import BadInput
from cloudy_deploy.nodes import Node
from cloudy_deploy.plan import GROUPS, make_plan
from cloudy_deploy.spec import CloudSpec
from tests.conftest import run_cloudy


def load(tmp_path: Path, services: str) -> CloudSpec:
    path = tmp_path / "cloudy.yml"
    path.write_text(f"cloud: Gco_dis\nservices:\n{services}")
    return spec.load(path)


def boxes(*names: str) -> list[Node]:
    return [Node(name=n, address=f"10.1.2.{i + 10}", source="static:nodes.yml") for i, n in enumerate(names)]


def replan(plan, nodes, s):
    """Like the CLI: the lock goes through its file form between two plans."""
    return make_plan(nodes, s, lock.Lock.model_validate(yaml.safe_load(lock.dumps(plan.lock))))


def test_dns_defaults_to_one_server_and_the_clouds_zone(tmp_path):
    s = load(tmp_path, "  dns: {}\n")
    assert s.services.dns is not None
    assert (s.services.dns.servers, s.services.dns.zone) == (1, None)
    assert spec.default_zone(s.cloud) == "gco-dis.cloudy"


@pytest.mark.parametrize(
    ("given", "kept"),
    [("DNSSD.Example.net.", "dnssd.example.net"), ("cloudy", "cloudy"), ("a_b.x-1.org", "a_b.x-1.org")],
)
def test_zone_is_kept_lower_case_without_the_final_dot(tmp_path, given, kept):
    assert load(tmp_path, f"  dns: {{zone: '{given}'}}\n").services.dns.zone == kept


@pytest.mark.parametrize(
    ("services", "where", "fix"),
    [
        ("  dns:\n    zone: 'bad zone!'\n", ":4: services.dns.zone", "e.g. zone: gcodis.cloudy"),
        ("  dns:\n    zone: a..b\n", ":4: services.dns.zone", "separated by dots"),
        ("  dns:\n    zone: -a.b\n", ":4: services.dns.zone", "letters, digits and -"),
        ("  dns:\n    zone: " + "a" * 64 + ".net\n", ":4: services.dns.zone", "1 to 63"),
        ("  dns:\n    zone: cloud.local\n", ":4: services.dns.zone", ".local is mDNS"),
        ("  dns:\n    zone: 5\n", ":4: services.dns.zone", "not a DNS zone name"),
        ("  dns:\n    servers: 2\n", ":4: services.dns.servers", "servers: 1"),
        ("  dns:\n    zones: x\n", ":4: services.dns.zones", "did you mean zone"),
        ("  avahi: none\n  dns: {}\n", ":2: services:", "set avahi: all"),
    ],
)
def test_bad_dns_spec_names_file_line_and_fix(tmp_path, services, where, fix):
    path = tmp_path / "cloudy.yml"
    path.write_text(f"cloud: gcodis\nservices:\n{services}")
    with pytest.raises(BadInput) as exc:
        spec.load(path)
    message = str(exc.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:") and where in message and fix in message, message


def test_cli_refuses_a_bad_zone_with_one_line_and_exit_2(home):
    (home / "cloudy.yml").write_text("cloud: gcodis\nservices:\n  dns: {zone: 'my zone'}\n")
    result = run_cloudy("plan", home=home)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "cloudy.yml:3: services.dns.zone" in lines[0] and "not a DNS zone name" in lines[0]
    assert sorted(p.name for p in home.iterdir()) == ["cloudy.yml"]  # no lock, no inventory


def test_plan_puts_one_dns_server_and_every_avahi_box_in_avahi_dns():
    s = CloudSpec(cloud="gcodis", services={"dns": {}})
    plan = make_plan(boxes("b", "a", "c"), s, None)
    assert [h.name for h in plan.hosts if "dns" in h.services] == ["a"]  # lowest overlay IP
    assert [h.name for h in plan.hosts if "avahi_dns" in h.services] == ["a", "b", "c"]
    assert GROUPS[GROUPS.index("dns") :][:2] == ("dns", "avahi_dns")


def test_plan_without_dns_has_no_dns_groups():
    plan = make_plan(boxes("a", "b"), CloudSpec(cloud="gcodis"), None)
    assert not any({"dns", "avahi_dns"} & set(h.services) for h in plan.hosts)


def test_the_dns_server_stays_where_the_lock_put_it():
    s = CloudSpec(cloud="gcodis", services={"dns": {}})
    first = make_plan(boxes("m", "n"), s, None)
    assert [h.name for h in first.hosts if "dns" in h.services] == ["m"]
    # A box whose name sorts first joins: the server does not move.
    second = replan(first, boxes("a", "m", "n"), s)
    assert [h.name for h in second.hosts if "dns" in h.services] == ["m"]
    assert second.lock.nodes["m"].services == ("avahi", "dns", "avahi_dns")
    # The server leaves: the longest-planned box left takes it.
    third = replan(second, boxes("a", "n"), s)
    assert [h.name for h in third.hosts if "dns" in h.services] == ["n"]
    assert "~ n 10.99.0.3 +dns" in third.diff_lines()


def test_inventory_has_the_groups_and_dns_yml_with_the_zone():
    s = CloudSpec(cloud="Gco_dis", services={"dns": {}})
    files = inventory.render(make_plan(boxes("a", "b"), s, None), s)
    children = yaml.safe_load(files["hosts.yml"])["all"]["children"]
    assert list(children["dns"]["hosts"]) == ["a"]
    assert list(children["avahi_dns"]["hosts"]) == ["a", "b"]
    assert yaml.safe_load(files["group_vars/all/dns.yml"]) == {"dns_zone": "gco-dis.cloudy"}
    assert files["group_vars/all/dns.yml"].startswith(inventory.HEADER)

    s = CloudSpec(cloud="gcodis", services={"dns": {"zone": "DNSSD.example.net."}})
    files = inventory.render(make_plan(boxes("a"), s, None), s)
    assert yaml.safe_load(files["group_vars/all/dns.yml"]) == {"dns_zone": "dnssd.example.net"}


def test_inventory_without_dns_writes_no_dns_yml_and_removes_a_stale_one(tmp_path):
    with_dns = CloudSpec(cloud="gcodis", services={"dns": {}})
    inventory.write(make_plan(boxes("a"), with_dns, None), with_dns, tmp_path)
    assert (tmp_path / "group_vars/all/dns.yml").is_file()
    without = CloudSpec(cloud="gcodis")
    inventory.write(make_plan(boxes("a"), without, None), without, tmp_path)
    assert not (tmp_path / "group_vars/all/dns.yml").exists()
    children = yaml.safe_load((tmp_path / "hosts.yml").read_text())["all"]["children"]
    assert children["dns"] == {} and children["avahi_dns"] == {}
