"""Boxes unchanged since their last complete run are left out (module_utils/applied.py, the module
cloudy_applied, cloudy_deploy/applied.py): what counts as a change, the record, the decision."""

import importlib.util
import json
import os
from importlib.machinery import SourceFileLoader
from pathlib import Path
from unittest.mock import MagicMock, patch

import pytest
import yaml

from ansible_collections.clommunity.cloudy.plugins.module_utils import applied as box
from cloudy_deploy import applied
from tests.conftest import COLLECTION

ansible_basic = pytest.importorskip("ansible.module_utils.basic")
from ansible.parsing.dataloader import DataLoader  # noqa: E402

from ansible_collections.clommunity.cloudy.plugins.action.applied_group import ActionModule  # noqa: E402
from ansible_collections.clommunity.cloudy.plugins.lookup import applied_run  # noqa: E402
from ansible_collections.clommunity.cloudy.plugins.lookup.applied_run import LookupModule  # noqa: E402

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


def rec(run: str, state: str, states: dict, inputs: str = "in") -> dict:
    """A box's record of a complete run (module cloudy_applied, state=record)."""
    return {"run": run, "inputs": inputs, "states": states, "state": state, "parts": {}}


def test_a_complete_run_leaves_every_box_unchanged_until_any_input_or_box_changes():
    before = {"a": "a0", "b": "b0"}
    records = {"a": rec("r1", "a1", before), "b": rec("r1", "b1", before)}
    now = {"a": "a1", "b": "b1"}
    assert box.expected_states(records, "a") == now
    assert box.unchanged_hosts("in", now, records) == ["a", "b"]
    assert box.unchanged_hosts("in", dict(reversed(now.items())), records) == ["a", "b"]
    assert box.unchanged_hosts("in2", now, records) == []  # the inputs
    assert box.unchanged_hosts("in", {"a": "a1", "b": "b2"}, records) == []  # one box
    assert box.unchanged_hosts("in", {"a": "a1"}, records) == []  # a box that did not answer
    # A new box: no record, and not in the others' run.
    assert box.unchanged_hosts("in", {**now, "c": "c0"}, {**records, "c": None}) == []


def test_a_box_that_failed_the_last_run_runs_and_the_others_follow_its_state_before_it():
    # Run r2: a completed, b failed (its record is still r1's); r2's check found b at b1.
    records = {"a": rec("r2", "a2", {"a": "a1", "b": "b1"}), "b": rec("r1", "b1", {"a": "a0", "b": "b0"})}
    assert box.unchanged_hosts("in", {"a": "a2", "b": "b1"}, records) == ["a"]
    # b changed on its way to failing: a runs too.
    assert box.unchanged_hosts("in", {"a": "a2", "b": "b9"}, records) == []


@pytest.mark.parametrize(
    "record",
    [None, "x", {"digest": "d", "state": "a1", "parts": {}}, {**rec("r", "a1", {}), "states": "x"}],
)
def test_no_record_or_one_of_another_form_is_no_complete_run(record):
    assert box.expected_states({"a": record}, "a") is None
    assert box.unchanged_hosts("in", {"a": "a1"}, {"a": record}) == []
    assert box.why_run({"state": "a1", "parts": {}, "recorded": record}) == box.NO_RECORD


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
    states = {"a": "before", "b": "other"}
    done = run_module(
        monkeypatch,
        capsys,
        state="record",
        playbook="site.yml",
        folder=folder,
        run="r1",
        inputs="in",
        states=states,
    )
    assert not done.get("failed") and not done["changed"]  # a second run of site.yml stays changed=0
    assert done["state"] == state  # read in the same call
    again = run_module(monkeypatch, capsys, playbook="site.yml", folder=folder)
    recorded = again["recorded"]
    assert {k: recorded[k] for k in ("run", "inputs", "states", "state", "parts")} == {
        "run": "r1", "inputs": "in", "states": states, "state": state, "parts": parts,
    }  # fmt: skip
    assert box.unchanged_hosts("in", {"a": state, "b": "other"}, {"a": recorded}) == ["a"]
    assert run_module(monkeypatch, capsys, playbook="mesh.yml", folder=folder)["recorded"] is None


@pytest.mark.parametrize(
    "params",
    [
        {"state": "record", "inputs": "in", "states": {"a": "x"}},  # no run id
        {"state": "record", "run": "r1", "states": {"a": "x"}},  # no inputs
        {"playbook": "../etc/passwd"},
    ],
)
def test_a_record_that_does_not_add_up_is_refused_and_nothing_written(monkeypatch, capsys, tmp_path, params):
    folder = tmp_path / "applied"
    result = run_module(monkeypatch, capsys, **{"playbook": "site.yml", "folder": str(folder), **params})
    assert result["failed"]
    assert not folder.exists()


PARTS = {"files": "f", "packages": "p", "units": "u", "addresses": "a"}


def report(state: str | None, recorded: dict | None = None) -> dict:
    """What module cloudy_applied read on a box (STATE None: the box did not answer)."""
    now = {"parts": PARTS, "recorded": recorded}
    return now if state is None else {"state": state, **now}


def group(host: str, **args: object) -> dict:
    """What the action applied_group returns for HOST."""
    task = MagicMock(args=args, async_val=0, check_mode=False)
    action = ActionModule(task, MagicMock(), MagicMock(check_mode=False), None, None, None)
    return action.run(task_vars={"inventory_hostname": host})


def run_of(
    hostvars: dict, inventory: Path, playbook: str = "site.yml", own: dict | None = None, **extra: object
) -> dict:
    """What the lookup applied_run returns for the boxes of HOSTVARS (OWN: the variables of the box
    it runs for)."""
    lookup = LookupModule(loader=DataLoader())
    variables = {"hostvars": hostvars, "ansible_inventory_sources": [str(inventory)], **(own or {})}
    with patch.object(applied_run, "load_extra_vars", return_value=extra):
        return lookup.run([], variables, playbook=playbook, hosts=list(hostvars))[0]


def test_boxes_whose_last_run_left_the_cloud_as_it_is_are_left_out(tmp_path):
    (tmp_path / "hosts.yml").write_text("all: {}\n")
    states = {"a": "1", "b": "2", "c": "3"}
    first = run_of({h: {"applied_now": report(s)} for h, s in states.items()}, tmp_path / "hosts.yml")
    assert first["states"] == states and first["unchanged"] == []
    # The run completed on every box and changed nothing: each recorded it, in one call.
    records = {
        h: {**rec(first["run"], s, states, first["inputs"]), "parts": PARTS} for h, s in states.items()
    }
    # c's record is lost (a reinstalled box): a and b still know what the run left on c.
    reports = {"a": report("1", records["a"]), "b": report("2", records["b"]), "c": report("3")}
    run = run_of({h: {"applied_now": now} for h, now in reports.items()}, tmp_path / "hosts.yml")
    assert run["run"] != first["run"] and run["unchanged"] == ["a", "b"]
    results = {h: group(h, run=run, now=now, leave_out=True) for h, now in reports.items()}
    assert {h: r["add_group"] for h, r in results.items()} == {
        "a": "cloudy_unchanged",
        "b": "cloudy_unchanged",
        "c": "cloudy_run",
    }
    assert all(r["parent_groups"] == ["cloudy_checked"] and r["changed"] is False for r in results.values())
    found = {h: r["cloudy_report"] for h, r in results.items()}
    assert applied.left_out(found) == ["a", "b"]
    # In the order the boxes answered, b first: still sorted (the recap and --json are stable).
    assert applied.left_out(dict(reversed(found.items()))) == ["a", "b"]
    # Only boxes with no record yet ran: nothing to explain (a first run).
    assert applied.reasons(found) == {}
    found["b"]["applied"] |= {"left_out": False, "why": "its files changed since its last complete run"}
    assert applied.reasons(found) == {
        "its files changed since its last complete run": ["b"],
        "no complete run is recorded on it": ["c"],
    }
    # --full (leave_out false): found unchanged, run anyway; nothing to explain.
    full = {h: group(h, run=run, now=now, leave_out=False)["cloudy_report"] for h, now in reports.items()}
    assert applied.left_out(full) == [] and full["a"]["applied"]["unchanged"] is True
    assert applied.reasons(full) == {}


def test_no_check_no_report_and_every_box_runs():
    # --tags, --limit, --check: the check did not run (no `run`), every box goes to cloudy_run.
    result = group("a", now={}, leave_out=True)
    assert result["add_group"] == "cloudy_run" and "cloudy_report" not in result


def test_a_box_that_does_not_answer_makes_every_box_run(tmp_path):
    (tmp_path / "hosts.yml").write_text("all: {}\n")
    states = {"a": "1", "b": "2"}
    inputs = run_of({"a": {"applied_now": report("1")}}, tmp_path / "hosts.yml")["inputs"]
    recorded = {**rec("r1", "1", states, inputs), "parts": PARTS}
    run = run_of({"a": {"applied_now": report("1", recorded)}, "b": {}}, tmp_path / "hosts.yml")
    assert run["states"] == {"a": "1"} and run["unchanged"] == []
    found = {
        "a": group("a", run=run, now=report("1", recorded), leave_out=True)["cloudy_report"],
        "b": group("b", run=run, now=report(None), leave_out=True)["cloudy_report"],
    }
    assert applied.left_out(found) == []
    assert found["b"]["applied"]["why"] == "it did not answer the check"
    assert found["a"]["applied"]["why"].startswith("the inventory, the collection or another box changed")


def test_the_reason_names_what_changed_on_the_box():
    old = {"files": "OLD", "packages": "p", "units": "OLD", "addresses": "a"}
    assert (
        box.why_run(report("1", {**rec("r1", "0", {}), "parts": old}))
        == "its files and its services changed since its last complete run"
    )


def test_the_inputs_digest_follows_the_inventory_the_playbook_and_the_extra_vars(tmp_path):
    hosts = tmp_path / "hosts.yml"
    hosts.write_text("all: {}\n")
    boxes = {"a": {"applied_now": report("1")}}
    one = run_of(boxes, hosts)["inputs"]
    assert one == run_of(boxes, hosts)["inputs"]
    assert one != run_of(boxes, hosts, "mesh.yml")["inputs"]
    assert one != run_of(boxes, hosts, x=1)["inputs"]
    # AWX's job variables and the switch itself are not inputs.
    assert one == run_of(boxes, hosts, awx_job_id=7, tower_job_id=7, cloudy_skip_unchanged=False)["inputs"]
    (tmp_path / "cloudy.yml").write_text("cloud: x\n")  # beside the inventory plugin's file
    two = run_of(boxes, hosts)["inputs"]
    assert two != one
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "group_vars" / "all.yml").write_text("x: 1\n")
    three = run_of(boxes, hosts)["inputs"]
    assert three != two
    # Beside a file source, only its own folder's files and its group_vars, host_vars count.
    (tmp_path / "projects").mkdir()
    (tmp_path / "projects" / "big.iso").write_text("x")
    assert run_of(boxes, hosts)["inputs"] == three
    # A file on the controller that a role copies to the boxes (`*_src`): its content counts.
    federation = tmp_path / "projects" / "federation.json"
    federation.write_text("[]")
    own = {"proxy3_federation_src": str(federation), "snpservices_cnml_src": "https://example.org/x"}
    before = run_of(boxes, hosts, own=own)["inputs"]
    assert before != three
    federation.write_text('[{"node": 1}]')
    assert run_of(boxes, hosts, own=own)["inputs"] != before
    # A folder source counts whole (the wrapper's .cloudy/inventory).
    assert run_of(boxes, tmp_path)["inputs"] != run_of(boxes, tmp_path / "projects")["inputs"]


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
