import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from cloudy_deploy import inventory
from cloudy_deploy.errors import BadInput
from cloudy_deploy.nodes import Node
from cloudy_deploy.plan import make_plan
from cloudy_deploy.spec import CloudSpec

# The placement of every service, those whose roles are still to come included (caracaldb...).
pytestmark = pytest.mark.usefixtures("roles_for_every_service")

REPO = Path(__file__).resolve().parents[2]
SPEC = CloudSpec(
    cloud="gcodis",
    ssh={"user": "admin", "private_key": "/keys/id"},
    services={
        "tahoe": {"shares": {"needed": 1, "happy": 2, "total": 3}},
        "peerstreamer": {"sources": 1, "artifact": {"url": "https://example.org/s", "sha256": "ab" * 32}},
    },
)
NODES = [
    Node(name="lab-1", address="172.29.0.2", ssh_private_key="/k/id", ssh_known_hosts="/k/known hosts"),
    Node(name="box", address="10.1.2.3", ssh_user="root", ssh_port=2222, vars={"guifi_zone": 2525}),
    Node(name="Can Ràdio", address="10.1.2.4", tags=("nat",), vars={"ansible_host": "evil", "x": "{{ no }}"}),
]


class Loader(yaml.SafeLoader):
    """Reads Ansible's `!unsafe` tag as plain text."""


Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def load(text: str):
    return yaml.load(text, Loader=Loader)


def render(nodes=NODES, spec=SPEC) -> dict[str, str]:
    return inventory.render(make_plan(nodes, spec, None), spec)


def hosts(files: dict[str, str]) -> dict:
    return load(files["hosts.yml"])["all"]["hosts"]


def test_host_vars_check_host_keys_strictly():
    hv = inventory.host_vars(NODES[0])
    assert hv["ansible_host"] == "172.29.0.2"
    assert hv["ansible_ssh_common_args"] == (
        "-o 'UserKnownHostsFile=/k/known hosts' -o GlobalKnownHostsFile=/dev/null"
        " -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes"
    )
    assert inventory.host_vars(NODES[1], known_hosts=Path("/p/.cloudy/known_hosts")) == {
        "ansible_host": "10.1.2.3",
        "ansible_user": "root",
        "ansible_port": 2222,
        "ansible_host_key_checking": True,
        "ansible_ssh_common_args": "-o UserKnownHostsFile=/p/.cloudy/known_hosts"
        " -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes",
    }


def test_files_are_hosts_and_one_group_vars_file_per_component():
    assert sorted(render()) == [
        "group_vars/all/artifacts.yml",
        "group_vars/all/cloudy.yml",
        "group_vars/all/tahoe.yml",
        "group_vars/all/tinc.yml",
        "hosts.yml",
    ]
    no_services = render(spec=CloudSpec(cloud="c"))
    assert sorted(no_services) == ["group_vars/all/cloudy.yml", "group_vars/all/tinc.yml", "hosts.yml"]


def test_host_vars_follow_the_contract():
    h = hosts(render())
    assert list(h) == ["box", "can-radio", "lab-1"]  # inventory names are the planned host names
    assert h["lab-1"] == {
        "ansible_host": "172.29.0.2",
        "ansible_host_key_checking": True,
        "ansible_ssh_common_args": "-o 'UserKnownHostsFile=/k/known hosts' -o GlobalKnownHostsFile=/dev/null"
        " -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes",
        "ansible_ssh_private_key_file": "/k/id",  # the node's own key wins over the spec's
        "ansible_user": "admin",  # the spec's default
        "cloudy_node_name": "lab-1",
        "cloudy_overlay_ip": "10.99.0.4",
        "cloudy_public_address": "172.29.0.2",
        "cloudy_tinc_name": "lab_1",
        "common_hostname": "lab-1",
    }
    assert h["box"]["ansible_port"] == 2222 and h["box"]["ansible_user"] == "root"
    assert h["box"]["ansible_ssh_private_key_file"] == "/keys/id"
    assert h["box"]["guifi_zone"] == 2525  # source variables pass through


def test_source_vars_never_override_planned_ones_and_nat_has_a_null_public_address():
    radio = hosts(render())["can-radio"]
    assert radio["ansible_host"] == "10.1.2.4"
    assert "cloudy_public_address" in radio and radio["cloudy_public_address"] is None
    assert "      cloudy_public_address:\n" in render()["hosts.yml"]
    assert radio["cloudy_node_name"] == "Can Ràdio"


def test_template_text_from_sources_is_marked_unsafe():
    text = render()["hosts.yml"]
    assert "x: !unsafe '{{ no }}'" in text
    assert "{{" not in text.replace("!unsafe '{{ no }}'", "")


def test_groups_list_every_contract_group():
    children = load(render()["hosts.yml"])["all"]["children"]
    assert list(children) == [
        "cloudy",
        "tinc",
        "avahi",
        "repository",
        "webui",
        "tahoe",
        "tahoe_introducer",
        "tahoe_storage",
        "caracaldb",
        "caracaldb_api",
        "gvod",
        "peerstreamer",
        "peerstreamer_source",
        "dns",
        "avahi_dns",
        "proxy3",
        "snpservices",
        "dnsservices",
        "clouder",
        "clouder_guests",
        "cloudy_checked",
        "cloudy_unchanged",
    ]
    assert list(children["tinc"]["hosts"]) == ["box", "can-radio", "lab-1"]
    assert list(children["tahoe_introducer"]["hosts"]) == ["box"]  # lowest overlay IP
    assert list(children["tahoe"]["hosts"]) == ["box", "can-radio", "lab-1"]  # a gateway on every box
    assert children["caracaldb"] == {}


def test_group_vars():
    files = render()
    assert yaml.safe_load(files["group_vars/all/cloudy.yml"]) == {
        "cloudy_cloud": "gcodis",
        "cloudy_overlay_port": 655,
        "cloudy_overlay_prefix": 16,
        "cloudy_overlay_subnet": "10.99.0.0/16",
        "cloudy_skip_unchanged": True,
        "cloudy_version": inventory.__version__,
    }
    assert yaml.safe_load(files["group_vars/all/tinc.yml"]) == {"tinc_spines": 3, "tinc_topology": "auto"}
    assert yaml.safe_load(files["group_vars/all/tahoe.yml"]) == {
        "tahoe_shares_happy": 2,
        "tahoe_shares_needed": 1,
        "tahoe_shares_total": 3,
        "tahoe_reserved_space": "1G",
    }
    assert all(text.startswith(inventory.HEADER) for text in files.values())


def test_host_names_yaml_would_misread_are_quoted():
    files = render([Node(name="yes", address="10.1.2.3"), Node(name="1e3", address="10.1.2.4")])
    children = yaml.safe_load(files["hosts.yml"])["all"]["children"]
    assert list(children["cloudy"]["hosts"]) == ["1e3", "yes"]


def test_empty_plan_is_a_valid_inventory():
    data = yaml.safe_load(render([], CloudSpec(cloud="c"))["hosts.yml"])
    assert data["all"]["hosts"] == {} and data["all"]["children"]["cloudy"] == {}


def test_write_is_byte_identical_and_untouched_on_rerun(tmp_path):
    the_plan = make_plan(NODES, SPEC, None)
    out = tmp_path / "inv"
    paths = inventory.write(the_plan, SPEC, out)
    assert paths[0] == out / "hosts.yml"
    first = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in paths}
    again = inventory.write(make_plan(NODES, SPEC, the_plan.lock), SPEC, out)
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in again} == first
    assert sorted(p.name for p in out.rglob("*") if p.is_file()) == sorted(p.name for p in paths)


def test_write_removes_component_files_the_spec_dropped(tmp_path):
    out = tmp_path / "inv"
    inventory.write(make_plan(NODES, SPEC, None), SPEC, out)
    (out / "group_vars/all/mine.yml").write_text("x: 1\n")
    plain = CloudSpec(cloud="gcodis")
    inventory.write(make_plan(NODES, plain, None), plain, out)
    assert sorted(p.name for p in (out / "group_vars/all").iterdir()) == [
        "cloudy.yml",
        "mine.yml",
        "tinc.yml",
    ]


def test_write_over_a_file_is_bad_input_and_writes_nothing(tmp_path):
    out = tmp_path / "inv"
    out.write_text("not a folder")
    with pytest.raises(BadInput, match=r"inv: is a file, the inventory needs a folder there: move it"):
        inventory.write(make_plan(NODES, SPEC, None), SPEC, out)
    assert [p.name for p in tmp_path.iterdir()] == ["inv"] and out.read_text() == "not a folder"


@pytest.mark.skipif(not shutil.which("ansible-inventory"), reason="needs ansible-core")
def test_ansible_inventory_accepts_it(tmp_path):
    out = tmp_path / "inv"
    inventory.write(make_plan(NODES, SPEC, None), SPEC, out)
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")}
    result = subprocess.run(
        ["ansible-inventory", "-i", str(out), "--list"], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    data = json.loads(result.stdout)
    assert data["tahoe_introducer"]["hosts"] == ["box"]
    lab1 = data["_meta"]["hostvars"]["lab-1"]
    assert lab1["cloudy_overlay_ip"] == "10.99.0.4" and lab1["tinc_topology"] == "auto"
    assert data["_meta"]["hostvars"]["can-radio"]["x"] == {"__ansible_unsafe": "{{ no }}"}
