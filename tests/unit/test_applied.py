"""Boxes unchanged since their last complete run are left out (module_utils/applied.py, the module
cloudy_applied, cloudy_deploy/applied.py): what counts as a change, the record, the decision."""

import importlib.util
import json
import os
from importlib.machinery import SourceFileLoader
from pathlib import Path

import pytest
import yaml

from ansible_collections.clommunity.cloudy.plugins.module_utils import applied as box
from cloudy_deploy import applied
from tests.conftest import COLLECTION

ansible_basic = pytest.importorskip("ansible.module_utils.basic")
MODULE = COLLECTION / "plugins" / "modules" / "cloudy_applied.py"


def lines(root: Path) -> list[str]:
    return box.files_lines([str(root)], [], box.EXCLUDE)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "etc"
    (root / "tinc" / "hosts").mkdir(parents=True)
    (root / "tinc" / "tinc.conf").write_text("Name = a\n")
    (root / "tinc" / "hosts" / "a").write_text("key\n")
    return root


def test_the_same_files_give_the_same_lines(tree):
    assert lines(tree) == lines(tree) and len(lines(tree)) == 2


@pytest.mark.parametrize(
    "change",
    [
        lambda r: (r / "tinc" / "tinc.conf").write_text("Name = b\n"),  # edited
        lambda r: (r / "tinc" / "hosts" / "b").write_text("key\n"),  # added
        lambda r: (r / "tinc" / "hosts" / "a").unlink(),  # removed
        lambda r: os.chmod(r / "tinc" / "tinc.conf", 0o600),  # mode
        lambda r: os.symlink("tinc.conf", r / "tinc" / "link"),  # a symlink
        lambda r: os.utime(r / "tinc" / "tinc.conf", ns=(1, 1)),  # written with the same bytes
    ],
)
def test_any_write_changes_the_lines(tree, change):
    before = lines(tree)
    change(tree)
    assert lines(tree) != before


def test_a_symlink_target_counts_and_excluded_paths_do_not(tree):
    os.symlink("a", tree / "tinc" / "hosts" / "current")
    before = lines(tree)
    (tree / "tinc" / "hosts" / "current").unlink()
    os.symlink("b", tree / "tinc" / "hosts" / "current")
    assert lines(tree) != before
    before = lines(tree)
    (tree / "ld.so.cache").write_bytes(b"x")
    (tree / "tinc" / "__pycache__").mkdir()
    (tree / "tinc" / "__pycache__" / "m.pyc").write_bytes(b"x")
    assert [x for x in lines(tree) if "ld.so.cache" not in x] == before  # /etc/ld.so.cache only
    assert not any("__pycache__" in x for x in lines(tree))


@pytest.mark.parametrize("path", ["/etc/resolv.conf", "/etc/fake-hwclock.data", "/etc/adjtime"])
def test_files_a_real_box_rewrites_by_itself_do_not_count(path):
    assert box._excluded(path, box.EXCLUDE)
    assert not box._excluded(path + ".d/cloudy.conf", box.EXCLUDE)


def test_files_named_by_a_pattern_count_and_a_missing_root_is_nothing(tmp_path):
    (tmp_path / "node").mkdir()
    (tmp_path / "node" / "tahoe.cfg").write_text("[node]\n")
    (tmp_path / "node" / "storage").write_text("shares change as the grid runs\n")
    found = box.files_lines([str(tmp_path / "absent")], [str(tmp_path / "*" / "tahoe.cfg")], ())
    assert [x.split("\t")[0] for x in found] == [str(tmp_path / "node" / "tahoe.cfg")]


def test_on_demand_services_and_the_sub_state_of_timers_and_sockets_do_not_count(monkeypatch):
    listed = [
        "tinc@cloudy.service loaded active running tinc",
        "systemd-hostnamed.service loaded active running Hostname Service",
        "user@0.service loaded active running User Manager for UID 0",
        "avahi-daemon.socket loaded active listening Avahi",
        "cloudy-panel-helper.socket loaded active listening helper socket",
        "cloudy-panel-helper.service loaded active running the helper, until idle",
        "cloudy-avahi-announce.timer loaded active running while its sync runs",
        "ssh.service loaded active running OpenBSD Secure Shell server",
    ]
    monkeypatch.setattr(box, "_output", lambda argv: sorted(listed))
    assert box._units() == [
        "avahi-daemon.socket",
        "cloudy-avahi-announce.timer",
        "cloudy-panel-helper.socket",
        "ssh.service running",
        "tinc@cloudy.service running",
    ]


def test_the_run_digest_depends_on_every_input_and_state_but_not_their_order():
    one = box.run_digest("in", {"a": "1", "b": "2"})
    assert one == box.run_digest("in", {"b": "2", "a": "1"})
    assert one != box.run_digest("in2", {"a": "1", "b": "2"})
    assert one != box.run_digest("in", {"a": "1", "b": "3"})
    assert one != box.run_digest("in", {"a": "1"})  # a box that did not answer


def run_module(monkeypatch, capsys, **params) -> dict:
    monkeypatch.setattr(ansible_basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": params}).encode())
    monkeypatch.setattr(ansible_basic, "_ANSIBLE_PROFILE", "legacy", raising=False)
    loader = SourceFileLoader("cloudy_applied_module", str(MODULE))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    monkeypatch.setattr(module, "state_parts", lambda *a: {"files": "f", "units": "u"})
    with pytest.raises(SystemExit):
        module.main()
    return json.loads(capsys.readouterr().out)


def test_check_then_record_then_check_reads_the_record(monkeypatch, capsys, tmp_path):
    folder = str(tmp_path / "applied")
    first = run_module(monkeypatch, capsys, playbook="site.yml", folder=folder)
    assert first["recorded"] is None and not first["changed"] and not (tmp_path / "applied").exists()
    parts, state = first["parts"], first["state"]
    assert state == box.state_digest(parts)
    states = {"a": state, "b": "other"}
    done = run_module(
        monkeypatch, capsys, state="record", playbook="site.yml", folder=folder,
        inputs="in", host="a", states=states, parts=parts,
    )  # fmt: skip
    assert not done.get("failed") and not done["changed"]  # a second run of site.yml stays changed=0
    again = run_module(monkeypatch, capsys, playbook="site.yml", folder=folder)
    assert again["recorded"]["digest"] == box.run_digest("in", states)
    assert again["recorded"]["state"] == state and again["recorded"]["parts"] == parts
    assert run_module(monkeypatch, capsys, playbook="mesh.yml", folder=folder)["recorded"] is None


@pytest.mark.parametrize(
    "params",
    [
        {"state": "record", "inputs": "in", "host": "a", "states": {"b": "x"}, "parts": {"files": "f"}},
        {"state": "record", "inputs": "in", "host": "a", "states": {"a": "x"}, "parts": {"files": "f"}},
        {"playbook": "../etc/passwd"},
    ],
)
def test_a_record_that_does_not_add_up_is_refused_and_nothing_written(monkeypatch, capsys, tmp_path, params):
    folder = tmp_path / "applied"
    result = run_module(monkeypatch, capsys, **{"playbook": "site.yml", "folder": str(folder), **params})
    assert result["failed"]
    assert not folder.exists()


def report(state: str, digest: str | None, parts: dict | None = None) -> dict:
    parts = parts or {"files": "f", "packages": "p", "units": "u", "addresses": "a"}
    recorded = None if digest is None else {"digest": digest, "state": state, "parts": parts}
    return {
        "state": state,
        "parts": {"files": "f", "packages": "p", "units": "u", "addresses": "a"},
        "recorded": recorded,
    }


def test_boxes_whose_record_holds_the_coming_digest_are_left_out():
    states = {"a": "1", "b": "2", "c": "3"}
    now = box.run_digest("in", states)
    reports = {"a": report("1", now), "b": report("2", now), "c": report("3", None)}
    decision = applied.decide(["a", "b", "c"], reports, "in")
    assert decision.unchanged == ["a", "b"]
    assert decision.reasons == {"c": "no complete run is recorded on it"}
    assert decision.extravars("site.yml") == {
        "cloudy_applied": {"playbook": "site.yml", "inputs": "in", "states": states}
    }


def test_a_box_that_does_not_answer_makes_every_box_run():
    now = box.run_digest("in", {"a": "1", "b": "2"})
    decision = applied.decide(["a", "b"], {"a": report("1", now)}, "in")
    assert decision.unchanged == []
    assert decision.reasons["b"] == "it did not answer the check"
    assert decision.reasons["a"].startswith("the inventory, the collection or another box changed")


def test_the_reason_names_what_changed_on_the_box():
    old = {"files": "OLD", "packages": "p", "units": "OLD", "addresses": "a"}
    decision = applied.decide(["a"], {"a": report("1", "stale", old)}, "in")
    assert decision.reasons == {"a": "its files and its services changed since its last complete run"}


def test_the_inputs_digest_follows_the_inventory_and_the_playbook(tmp_path):
    (tmp_path / "hosts.yml").write_text("all: {}\n")
    one = applied.inputs_digest(tmp_path, "site.yml")
    assert one == applied.inputs_digest(tmp_path, "site.yml")
    assert one != applied.inputs_digest(tmp_path, "mesh.yml")
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "group_vars" / "all.yml").write_text("x: 1\n")
    assert one != applied.inputs_digest(tmp_path, "site.yml")


def _paths_in(value: object) -> list[str]:
    if isinstance(value, str) and value.startswith("/"):
        return [value]
    return []


# Role folders outside the state on purpose: what the service writes as it runs.
DATA = ("/var/lib/", "/var/cache/", "/run/", "/var/log/")


def test_every_role_default_folder_is_in_the_state_or_is_service_data():
    """A role that keeps its configuration somewhere new must add it to ROOTS or FILES: else an
    edit there would not make its box run again."""
    missing = []
    for defaults in sorted(COLLECTION.glob("roles/*/defaults/main.yml")):
        for key, value in (yaml.safe_load(defaults.read_text()) or {}).items():
            for path in _paths_in(value):
                literal = path.split("{{")[0]
                covered = any(
                    literal.startswith(root.rstrip("/") + "/") or literal == root for root in box.ROOTS
                )
                covered = covered or literal in box.FILES
                if not covered and not literal.startswith(DATA):
                    missing.append(f"{defaults.parent.parent.name}: {key}: {path}")
    assert missing == []
