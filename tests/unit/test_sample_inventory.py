"""inventories/sample/ is a hand-written inventory of the contract (docs/inventory.md): every group,
the planned host variables and the group_vars files that `cloudy inventory` writes."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cloudy_deploy import inventory
from cloudy_deploy.nodes import Node
from cloudy_deploy.plan import GROUPS, make_plan
from cloudy_deploy.spec import CloudSpec

SAMPLE = Path(__file__).resolve().parents[2] / "inventories" / "sample"
ANSIBLE_INVENTORY = Path(sys.executable).parent / "ansible-inventory"


def written():
    """What `cloudy inventory` writes for two boxes: the shape the sample must have."""
    spec = CloudSpec(cloud="gcodis", sources=["lab"])
    nodes = [Node(name="box1", address="10.1.2.3"), Node(name="box2", address="10.1.2.4")]
    return {
        path: yaml.safe_load(text)
        for path, text in inventory.render(make_plan(nodes, spec, None), spec).items()
    }


def test_the_sample_has_every_group_of_the_contract_in_its_order():
    hosts = yaml.safe_load((SAMPLE / "hosts.yml").read_text())["all"]
    assert list(hosts["children"]) == [*GROUPS, *inventory.RUN_GROUPS]
    for group in ("cloudy", "tinc", "avahi"):
        assert set(hosts["children"][group]["hosts"]) == set(hosts["hosts"]), group


def test_the_sample_hosts_have_the_planned_variables():
    hosts = yaml.safe_load((SAMPLE / "hosts.yml").read_text())["all"]["hosts"]
    planned = set(written()["hosts.yml"]["all"]["hosts"]["box1"])
    assert {"cloudy_tinc_name", "cloudy_overlay_ip", "cloudy_public_address"} <= planned
    for name, variables in hosts.items():
        assert planned <= set(variables), name
        assert variables["common_hostname"] == name


def test_the_sample_has_the_group_vars_files_of_the_contract():
    files = {path: data for path, data in written().items() if path != "hosts.yml"}
    assert sorted(files) == ["group_vars/all/cloudy.yml", "group_vars/all/tinc.yml"]
    for path, data in files.items():
        assert set(yaml.safe_load((SAMPLE / path).read_text())) == set(data), path


@pytest.mark.skipif(not ANSIBLE_INVENTORY.exists(), reason="needs ansible-core beside this Python")
def test_ansible_reads_the_sample():
    result = subprocess.run(
        [str(ANSIBLE_INVENTORY), "-i", str(SAMPLE), "--list"], capture_output=True, text=True, check=True
    )
    listed = json.loads(result.stdout)
    assert set(GROUPS) <= set(listed["all"]["children"])
    assert set(listed["tinc"]["hosts"]) == {"box1", "box2"}
    box2 = listed["_meta"]["hostvars"]["box2"]
    assert box2["cloudy_cloud"] == "gcodis" and box2["tinc_topology"] == "auto"  # from group_vars/all
    assert box2["cloudy_public_address"] is None  # behind NAT
    assert "[WARNING]" not in result.stderr
