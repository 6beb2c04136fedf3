"""cloudy-deploy as the ecosystems ship it: the wrapper's ansible.cfg, the wheel that carries the
collection, the collection tarball, the AWX execution environment's build context."""

import ast
import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import COLLECTION, REPO
from tests.installed import run

CHECKOUT_PATHS = {"collections_path", "roles_path", "inventory_plugins", "fact_caching_connection"}


def _settings(path: Path) -> dict[tuple[str, str], str]:
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(path)
    return {(s, k): v for s in cfg.sections() for k, v in cfg[s].items()}


def test_the_wrappers_ansible_cfg_is_the_checkouts_without_its_paths():
    wrapper = _settings(REPO / "cloudy_deploy" / "ansible.cfg")
    checkout = _settings(REPO / "ansible.cfg")
    assert {k: checkout[k] for k in wrapper if k in checkout} == wrapper
    assert {k for _, k in set(checkout) - set(wrapper)} == CHECKOUT_PATHS
    assert not {k for _, k in wrapper} & CHECKOUT_PATHS


def test_galaxy_yml_and_runtime_match_what_the_code_needs():
    galaxy = yaml.safe_load((COLLECTION / "galaxy.yml").read_text())
    assert (galaxy["namespace"], galaxy["name"]) == ("clommunity", "cloudy")
    runtime = yaml.safe_load((COLLECTION / "meta" / "runtime.yml").read_text())
    assert runtime["requires_ansible"] == ">=2.19.0"
    for meta in COLLECTION.glob("roles/*/meta/main.yml"):
        assert yaml.safe_load(meta.read_text())["galaxy_info"]["min_ansible_version"] == "2.19", meta
    # Modules live in plugins/, not in the roles (a role in a collection cannot carry plugins).
    assert not list(COLLECTION.glob("roles/*/library")) and not list(COLLECTION.glob("roles/*/*_plugins"))


def test_the_wheel_carries_the_collection_and_works_outside_the_checkout(installed, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    done = run([installed.bin("cloudy"), "init"], project)
    assert done.returncode == 0, done.stderr
    assert "\nplugin: clommunity.cloudy.cloudy\n" in (project / "cloudy.yml").read_text()

    # The collection comes from the venv's site-packages, not from the checkout.
    done = run(
        [installed.bin("ansible-playbook"), "-i", "localhost,", "clommunity.cloudy.site", "--syntax-check"],
        project,
    )
    assert done.returncode == 0, done.stderr
    assert f"{installed.venv}/lib/" in done.stdout and str(REPO) not in done.stdout

    # The inventory plugin by its full name, with the wheel's cloudy_deploy.
    (project / "nodes.yml").write_text(
        "nodes:\n  - {name: roof, address: 192.0.2.10}\n  - {name: attic, address: 192.0.2.11}\n"
    )
    done = run([installed.bin("ansible-inventory"), "-i", "cloudy.yml", "--graph"], project)
    assert done.returncode == 0, done.stderr
    assert "@tinc:" in done.stdout and "roof" in done.stdout and "attic" in done.stdout


def test_the_collection_tarball_installs_offline_and_stands_alone(installed, tmp_path):
    target = tmp_path / "collections"
    # Only the tarball's copy: the venv's own (from the wheel) is not looked at.
    alone = {"ANSIBLE_COLLECTIONS_PATH": str(target), "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "False"}
    argv = [installed.bin("ansible-galaxy"), "collection", "install", "--offline", "-p", str(target)]
    done = run([*argv, str(installed.tarball)], tmp_path, **alone)
    assert done.returncode == 0, done.stderr
    root = target / "ansible_collections" / "clommunity" / "cloudy"
    assert (root / "MANIFEST.json").is_file() and (root / "plugins" / "modules" / "tinc_key.py").is_file()
    assert not list(root.rglob("__pycache__"))
    done = run(
        [installed.bin("ansible-doc"), "-t", "module", "clommunity.cloudy.avahi_announce"], tmp_path, **alone
    )
    assert done.returncode == 0, done.stderr
    assert str(root) in done.stdout
    done = run(
        [installed.bin("ansible-playbook"), "-i", "localhost,", "clommunity.cloudy.site", "--syntax-check"],
        tmp_path,
        **alone,
    )
    assert done.returncode == 0, done.stderr
    assert str(root) in done.stdout


@pytest.mark.skipif(
    not shutil.which("ansible-builder", path=str(Path(sys.executable).parent)), reason="needs ansible-builder"
)
def test_the_execution_environment_context_installs_the_wheel(installed, tmp_path):
    shutil.copy(REPO / "awx" / "execution-environment.yml", tmp_path)
    (tmp_path / "dist").mkdir()
    shutil.copy(installed.wheel, tmp_path / "dist")
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-builder"),
            "create",
            "-f",
            "execution-environment.yml",
            "-c",
            "ctx",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    context = tmp_path / "ctx"
    assert (context / "_build" / "wheels" / installed.wheel.name).is_file()
    recipe = next(p for p in (context / "Containerfile", context / "Dockerfile") if p.exists()).read_text()
    assert "pip install --no-cache-dir /tmp/cloudy-wheels/*.whl" in recipe
    built = recipe + "".join(p.read_text() for p in (context / "_build").glob("requirements*"))
    assert "ansible-core>=2.19,<2.20" in built


@pytest.mark.parametrize(
    "path",
    sorted([*COLLECTION.glob("plugins/modules/*.py"), *COLLECTION.glob("plugins/inventory/*.py")]),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_every_plugin_documents_itself_in_valid_yaml(path):
    """ansible-doc and Galaxy read DOCUMENTATION as YAML; a stray `: ` or a `,` inside a flow
    mapping (a key given twice) breaks it silently. ruamel refuses duplicate keys."""
    from ruamel.yaml import YAML

    tree = ast.parse(path.read_text())
    docs = {
        t.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for t in node.targets
        if isinstance(t, ast.Name) and t.id in ("DOCUMENTATION", "EXAMPLES", "RETURN")
    }
    assert "DOCUMENTATION" in docs
    for name, text in docs.items():
        if name != "EXAMPLES":
            assert isinstance(YAML(typ="safe", pure=True).load(text), dict), name
