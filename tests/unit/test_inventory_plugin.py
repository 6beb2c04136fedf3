import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cloudy_deploy import hostkeys, inventory, lock, sources, spec
from cloudy_deploy.plan import make_plan

REPO = Path(__file__).resolve().parents[2]
PLUGINS = REPO / "ansible_collections" / "clommunity" / "cloudy" / "plugins" / "inventory"

SPEC = """\
plugin: clommunity.cloudy.cloudy
cloud: gcodis
overlay: {subnet: 10.98.0.0/16, topology: spine, spines: 2}
sources:
  - static: nodes.yml
ssh: {user: admin, private_key: keys/id_ed25519}
services:
  tahoe: {introducers: 1, storage: 2, shares: {needed: 1, happy: 2, total: 2}}
  dns: {servers: 1}
"""
NODES = """\
nodes:
  - {name: box1, address: 10.1.2.3, tags: [roof], vars: {guifi_node_id: 77, note: "{{ not a template }}"}}
  - {name: box2, address: 10.1.2.4, ssh_user: root, ssh_port: 2222, ssh_known_hosts: /k/known_hosts}
  - {name: Box_3, address: 10.1.2.5, tags: [nat]}
  - {name: lab-10, address: 10.1.2.6}
"""

# Beside this Python first: a venv's pytest run without the venv on PATH still finds it.
ANSIBLE_INVENTORY = Path(sys.executable).parent / "ansible-inventory"
if not ANSIBLE_INVENTORY.exists():
    ANSIBLE_INVENTORY = Path(shutil.which("ansible-inventory") or ANSIBLE_INVENTORY)
pytestmark = pytest.mark.skipif(not ANSIBLE_INVENTORY.exists(), reason="needs ansible-core")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "cloudy.yml").write_text(SPEC)
    (tmp_path / "nodes.yml").write_text(NODES)
    return tmp_path


def ansible_inventory(source: Path, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    full_env |= {
        "ANSIBLE_INVENTORY_PLUGINS": str(PLUGINS),  # the short name `cloudy`
        "ANSIBLE_COLLECTIONS_PATH": str(REPO),  # the full name
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true",
        **env,
    }
    return subprocess.run(
        [str(ANSIBLE_INVENTORY), "-i", str(source), "--list"],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def normal(data):
    """Ansible marks every string of a plugin as unsafe; hosts.yml only those holding templates."""
    if isinstance(data, dict):
        if set(data) == {"__ansible_unsafe"}:
            return data["__ansible_unsafe"]
        return {k: sorted(normal(v)) if k == "children" else normal(v) for k, v in data.items()}
    if isinstance(data, list):
        return [normal(v) for v in data]
    return data


def plan_and_write(project: Path) -> Path:
    """What `cloudy plan` and `cloudy inventory` do."""
    the_spec = spec.load(project / "cloudy.yml")
    found = sources.collect(the_spec.sources, project, project)
    the_plan = make_plan(found.nodes, the_spec, lock.load(project / lock.LOCK_FILE, the_spec))
    lock.save(the_plan.lock, project / lock.LOCK_FILE)
    inventory.write(the_plan, the_spec, project / "inv", hostkeys.project_known_hosts(project))
    return project / "inv"


def test_plugin_gives_the_same_inventory_as_the_files(project):
    files_dir = plan_and_write(project)
    from_files = ansible_inventory(files_dir, project)
    from_plugin = ansible_inventory(project / "cloudy.yml", project)
    assert from_files.returncode == 0, from_files.stderr
    assert from_plugin.returncode == 0, from_plugin.stderr
    assert "WARNING" not in from_plugin.stderr, from_plugin.stderr  # the lock is current
    files, plugin = normal(json.loads(from_files.stdout)), normal(json.loads(from_plugin.stdout))
    assert plugin == files
    hostvars = plugin["_meta"]["hostvars"]
    assert sorted(hostvars) == ["box-3", "box1", "box2", "lab-10"]
    assert hostvars["box1"]["ansible_ssh_private_key_file"] == str(project / "keys/id_ed25519")
    assert hostvars["box1"]["note"] == "{{ not a template }}"
    assert hostvars["box2"]["ansible_port"] == 2222
    # Strict against the project's known_hosts, also when ANSIBLE_HOST_KEY_CHECKING is False (AWX).
    assert "StrictHostKeyChecking=yes" in hostvars["box2"]["ansible_ssh_common_args"]
    assert "UserKnownHostsFile=/k/known_hosts" in hostvars["box2"]["ansible_ssh_common_args"]  # its own
    known = project / ".cloudy" / "known_hosts"
    assert f"UserKnownHostsFile={known}" in hostvars["box1"]["ansible_ssh_common_args"]
    assert hostvars["box1"]["ansible_host_key_checking"] is True
    assert hostvars["lab-10"]["tinc_topology"] == "spine"
    assert plugin["tahoe_introducer"]["hosts"] == ["box1"]
    assert len(plugin["tahoe_storage"]["hosts"]) == 2


def test_a_file_named_cloudy_yml_needs_no_plugin_key_when_enabled(project):
    (project / "cloudy.yml").write_text(SPEC.replace("plugin: clommunity.cloudy.cloudy\n", ""))
    result = ansible_inventory(project / "cloudy.yml", project, ANSIBLE_INVENTORY_ENABLED="cloudy,yaml")
    assert result.returncode == 0, result.stderr
    assert sorted(json.loads(result.stdout)["_meta"]["hostvars"]) == ["box-3", "box1", "box2", "lab-10"]


def test_plugin_never_writes_the_lock_and_warns_when_it_is_missing(project):
    before = sorted(p.name for p in project.iterdir())
    result = ansible_inventory(project / "cloudy.yml", project)
    assert result.returncode == 0, result.stderr
    assert "cloudy.lock is missing or out of date (4 added" in result.stderr
    assert sorted(p.name for p in project.iterdir()) == before


def test_plugin_reports_bad_input_with_file_and_line(project):
    (project / "cloudy.yml").write_text(SPEC.replace("  dns: {servers: 1}", "  dns: {servers: 1, x: 1}"))
    result = ansible_inventory(project / "cloudy.yml", project)
    assert result.returncode != 0
    assert "cloudy.yml:9: services.dns.x: unknown key" in result.stderr


def load_plugin():
    module_spec = importlib.util.spec_from_file_location("cloudy_inventory_plugin", PLUGINS / "cloudy.py")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.InventoryModule()


@pytest.mark.parametrize(
    ("name", "text", "accepted"),
    [
        ("cloudy.yml", "cloud: a\n", True),
        ("cloudy.yaml", "cloud: a\n", True),
        ("site.cloudy.yml", "cloud: a\n", True),
        ("any.yml", "# a cloud\nplugin: cloudy  # the cloudy plugin\ncloud: a\n", True),
        ("any.yaml", "plugin: 'cloudy'\n", True),
        ("any.yml", "plugin: clommunity.cloudy.cloudy\n", True),
        ("any.yml", "plugin: other.cloudy.cloudy\n", False),
        ("hosts.yml", "all:\n  hosts: {}\n", False),
        ("other.yml", "plugin: constructed\n", False),
        ("cloudy.ini", "[all]\n", False),
    ],
)
def test_verify_file(tmp_path, name, text, accepted):
    (tmp_path / name).write_text(text)
    assert load_plugin().verify_file(str(tmp_path / name)) is accepted


def test_plugin_documentation_is_valid_yaml():
    import yaml

    module_spec = importlib.util.spec_from_file_location("cloudy_inventory_doc", PLUGINS / "cloudy.py")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    doc = yaml.safe_load(module.DOCUMENTATION)
    assert doc["name"] == "cloudy"
    assert doc["options"]["plugin"]["choices"] == ["clommunity.cloudy.cloudy", "cloudy"]


def test_plugin_leaves_a_supplied_service_off_without_its_software(project):
    (project / "cloudy.yml").write_text(SPEC + "  caracaldb: {nodes: 1}\n")
    result = ansible_inventory(project / "cloudy.yml", project)
    assert result.returncode == 0, result.stderr
    assert "cloudy.yml:10: services.caracaldb: caracaldb is off: its software is not given" in result.stderr
    assert not json.loads(result.stdout).get("caracaldb", {}).get("hosts")


def test_keys_from_the_credential_leave_out_key_files_but_keep_host_key_checking(project):
    plan_and_write(project)  # the lock is current
    result = ansible_inventory(project / "cloudy.yml", project, CLOUDY_SSH_KEYS="credential")
    assert result.returncode == 0, result.stderr
    hostvars = normal(json.loads(result.stdout))["_meta"]["hostvars"]
    for name, hv in hostvars.items():
        assert "ansible_ssh_private_key_file" not in hv, name
        assert "IdentitiesOnly" not in hv["ansible_ssh_common_args"], name  # ssh may offer the agent's key
        assert "StrictHostKeyChecking=yes" in hv["ansible_ssh_common_args"], name
    known = project / ".cloudy" / "known_hosts"
    assert f"UserKnownHostsFile={known}" in hostvars["box1"]["ansible_ssh_common_args"]


def test_an_unknown_ssh_keys_mode_is_refused(project):
    result = ansible_inventory(project / "cloudy.yml", project, CLOUDY_SSH_KEYS="agent")
    assert result.returncode != 0
    assert "CLOUDY_SSH_KEYS='agent': give file" in result.stderr
