"""add_node.yml and remove_node.yml work on the tinc role's group (tinc_group), not on `tinc`.

Runs ansible-playbook on boxes that cannot be reached (SSH to a closed local port) and with an
inventory the tinc role refuses: nothing can change on this machine. Which hosts each play took is
read from the output."""

import re

import pytest

from tests.conftest import ANSIBLE_PLAYBOOK, run_playbook

pytestmark = pytest.mark.skipif(not ANSIBLE_PLAYBOOK.exists(), reason="needs ansible-core beside this Python")

HOSTS = """\
all:
  vars: {ansible_connection: ssh, ansible_host: 127.0.0.1, ansible_port: 9}
  hosts: {old1: , old2: , box1: , box2: }
  children:
    tinc: {hosts: {old1: , old2: }}
    mesh: {hosts: {box1: , box2: }}
"""


@pytest.fixture
def inventory(tmp_path):
    folder = tmp_path / "inventory"
    (folder / "group_vars" / "all").mkdir(parents=True)
    (folder / "hosts.yml").write_text(HOSTS)
    (folder / "group_vars" / "all" / "tinc.yml").write_text("tinc_group: mesh\n")
    return folder


def play(name, inventory, *args):
    result = run_playbook(inventory, name, *args, facts=inventory.parent / "facts")
    return result.stdout + result.stderr


def hosts_of(output, play_name):
    """The hosts that ran a task in the play named PLAY_NAME."""
    part = output.split(f"PLAY [{play_name}]", 1)[1].split("PLAY [", 1)[0]
    return set(re.findall(r"^(?:ok|changed|fatal|skipping|failed): \[([\w-]+)\]", part, re.M))


def test_add_node_checks_and_runs_on_the_inventorys_tinc_group(inventory):
    out = play("add_node.yml", inventory, "-e", "node=box2")
    assert "add_node.yml needs" not in out
    assert hosts_of(out, "Add the nodes to the tinc mesh") == {"box1", "box2"}


def test_add_node_refuses_a_box_outside_the_group(inventory):
    out = play("add_node.yml", inventory, "-e", "node=old1")
    assert "naming inventory hosts of the group mesh" in out and "group mesh: box1, box2" in out
    assert "PLAY [Add the nodes to the tinc mesh]" not in out


def test_extra_vars_name_the_group_too(inventory):
    (inventory / "group_vars" / "all" / "tinc.yml").unlink()
    out = play("add_node.yml", inventory, "-e", "node=box2", "-e", "tinc_group=mesh", "--list-hosts")
    listed = out.split("pattern: ['mesh']", 1)[1].split("hosts (2):", 1)[1].split()
    assert sorted(listed) == ["box1", "box2"], out
    out = play("add_node.yml", inventory, "-e", "node=old1")  # the role's default: tinc
    assert "add_node.yml needs" not in out
    assert hosts_of(out, "Add the nodes to the tinc mesh") == {"old1", "old2"}


def test_remove_node_stops_and_cuts_off_within_the_group(inventory):
    out = play("remove_node.yml", inventory, "-e", "node=box1")
    assert hosts_of(out, "Stop the mesh daemon on the removed node") == {"box1"}
    assert hosts_of(out, "Delete the removed node's host file from every remaining box") == {"box2"}
