"""roles/tinc's tinc_bundle (action plugin and its documentation module): what the controller's
Ansible process does once per run. Missing members, strict mode, records read back from the boxes,
and nothing kept on the controller."""

import base64
import importlib.util
import os
from pathlib import Path
from unittest import mock

import pytest
import yaml

PLUGINS = Path(__file__).resolve().parents[2] / "ansible_collections/clommunity/cloudy/plugins"
ROLE = PLUGINS.parent / "roles" / "tinc"


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tb = _load(PLUGINS / "action" / "tinc_bundle.py", "tinc_bundle_action")
doc = _load(PLUGINS / "modules" / "tinc_bundle.py", "tinc_bundle_module")

KEY = "-----BEGIN RSA PUBLIC KEY-----\nMIIBCgKCAQEA{n}\n-----END RSA PUBLIC KEY-----\n"


def rec(i: int, address: str | None = None) -> dict:
    return {
        "host": f"box-{i}",
        "name": f"box_{i}",
        "address": f"172.29.9.{i}" if address is None else address,
        "port": 655,
        "overlay_ip": f"10.99.0.{i}",
        "mac": f"02:ca:0a:63:00:{i:02x}",
        "key": KEY.format(n=i),
    }


def held_archive(*records: dict) -> str:
    """What slurp returns for a box's delivered archive: base64 of it."""
    return base64.b64encode(tb.bundle(list(records), {})[1]).decode()


def test_a_host_file_carries_its_record_and_reads_back():
    for record in (rec(1), rec(2, address="")):
        data = tb.host_file(record)
        assert b"PRIVATE" not in data and data.count(b"Address") == (1 if record["address"] else 0)
        assert tb.parse_host_file(record["name"], data) == record


def test_neighbours_are_every_member_with_a_known_mac_in_ip_order():
    old = {**rec(3), "mac": ""}  # read back from a host file written before MACs were recorded
    bad_ip = {**rec(4), "overlay_ip": ""}
    records = [rec(12), old, bad_ip, {**rec(2), "mac": "02:CA:0A:63:00:02"}]
    assert tb.neighbours(records) == [
        {"host": "box-2", "ip": "10.99.0.2", "mac": "02:ca:0a:63:00:02"},
        {"host": "box-12", "ip": "10.99.0.12", "mac": "02:ca:0a:63:00:0c"},
    ]
    old_file = tb.host_file(old)
    assert b'"mac"' not in old_file and tb.parse_host_file("box_3", old_file)["mac"] == ""


def test_files_that_are_no_record_of_ours_are_ignored():
    good = tb.host_file(rec(1))
    assert tb.parse_host_file("hand", b"Address = 1.2.3.4\nPort = 655\n" + KEY.format(n=1).encode()) is None
    assert tb.parse_host_file("box_1", b"\xff\xfe") is None
    assert tb.parse_host_file("box_1", good.replace(b'{"host"', b"{broken")) is None
    assert tb.parse_host_file("box_1", good.replace(b"Port = 655", b"Port = x")) is None
    assert tb.parse_host_file("box_1", good.replace(b'"host": "box-1"', b'"host": 7')) is None
    # A record that names another node than its file (a box forging a peer's entry) is not taken.
    assert tb.parse_host_file("box_2", good) is None


def test_a_member_nobody_knows_is_left_out_with_a_warning():
    records, removed, warnings = tb.resolve_members(
        ["box-1", "box-2", "box-3"], [rec(1), rec(2)], {}, [], allow_missing=True
    )
    assert [r["host"] for r in records] == ["box-1", "box-2"] and removed == []
    (warning,) = warnings
    assert "box-3" in warning and "left out of the mesh" in warning and "--retry-failed" in warning
    _kind, _spines, nodes = tb.topology(records, "auto", 3, 16, [])
    assert set(nodes) == {"box-1", "box-2"}
    assert nodes["box-1"]["connect_to"] == ["box_2"] and nodes["box-2"]["connect_to"] == ["box_1"]
    files, _archive = tb.bundle(records, {})
    assert sorted(files) == ["box_1", "box_2"]


def test_strict_mode_fails_and_names_the_member_and_the_variable():
    with pytest.raises(ValueError, match=r"box-3 .*tinc_require_all_members is true"):
        tb.resolve_members(["box-1", "box-3"], [rec(1)], {}, [], allow_missing=False)


def test_a_record_without_a_key_counts_as_missing():
    no_key = {**rec(2), "key": None}  # tinc_key in check mode on a box with no key yet
    records, _removed, warnings = tb.resolve_members(["box-1", "box-2"], [rec(1), no_key], {}, [], True)
    assert [r["host"] for r in records] == ["box-1"] and "box-2" in warnings[0]


def test_members_outside_the_run_come_from_the_archives_the_boxes_hold():
    # box-3 is down in this run: box-1 and box-2 hold its host file from the last run.
    pairs = tb.slurped(
        [
            ["box-1", {"content": held_archive(rec(1), rec(2), rec(3)), "encoding": "base64"}],
            ["box-2", {"content": held_archive(rec(1), rec(2), rec(3))}],
            ["box-4", {"failed": True, "msg": "file not found"}],  # a new box
            ["box-5", {"unreachable": True, "msg": "timed out"}],
            ["box-6", {"skipped": True}],
        ]
    )
    assert [box for box, _ in pairs] == ["box-1", "box-2"]
    known, archives = tb.held_records(pairs)
    assert known["box-3"] == rec(3) and set(archives) == {"box-1", "box-2"}
    records, _removed, warnings = tb.resolve_members(
        ["box-1", "box-2", "box-3"], [rec(1), rec(2)], known, [], True
    )
    assert [r["host"] for r in records] == ["box-1", "box-2", "box-3"] and warnings == []


def test_the_majority_wins_and_a_box_knows_itself_best_on_a_tie():
    moved = {**rec(3), "address": "172.29.9.33"}
    many = [("box-1", held_archive(rec(3))), ("box-2", held_archive(rec(3))), ("box-3", held_archive(moved))]
    assert tb.held_records(many)[0]["box-3"] == rec(3)
    tie = [("box-1", held_archive(rec(3))), ("box-3", held_archive(moved))]
    assert tb.held_records(tie)[0]["box-3"] == moved


def test_an_unreadable_archive_is_ignored():
    known, archives = tb.held_records([("box-1", base64.b64encode(b"not a tar").decode()), ("box-2", "%%%")])
    assert known == {} and archives == {}


def test_fresh_records_win_over_what_the_boxes_hold():
    moved = {**rec(1), "address": "172.29.9.111"}
    known, _ = tb.held_records([("box-2", held_archive(rec(1), rec(2)))])
    records, _, _ = tb.resolve_members(["box-1", "box-2"], [moved], known, [], True)
    assert records[0] == moved


def test_only_outside_members_in_the_mesh_with_an_older_archive_get_the_new_one():
    new = tb.bundle([rec(1), rec(2), rec(3)], {})[1]
    old = tb.bundle([rec(1), rec(2)], {})[1]
    archives = {"box-1": old, "box-2": new, "box-4": old}
    outside = ["box-1", "box-2", "box-4", "box-5"]  # box-5 did not answer
    assert tb.outdated(outside, archives, new, left={"box-4"}) == ["box-1"]


class FakeTask:
    def __init__(self, args: dict) -> None:
        self.args = args
        self.async_val = 0
        self.check_mode = False
        self.action = "tinc_bundle"
        self.delegate_to = None


def run_action(args: dict) -> dict:
    action = tb.ActionModule(
        FakeTask(args),
        mock.MagicMock(),
        mock.MagicMock(),
        mock.MagicMock(),
        mock.MagicMock(),
        mock.MagicMock(),
    )
    return action.run(task_vars={})


def test_the_action_keeps_nothing_on_the_controller(tmp_path, monkeypatch):
    scratch, project = tmp_path / "ansible-local", tmp_path / "project"
    scratch.mkdir()
    project.mkdir()
    monkeypatch.chdir(project)
    monkeypatch.setattr(tb.C, "DEFAULT_LOCAL_TMP", str(scratch))
    result = run_action(
        {
            "records": [rec(1), rec(2)],
            "held": [["box-1", {"content": held_archive(rec(1), rec(3))}], ["box-2", {"failed": True}]],
            "outside": ["box-3"],
            "members": ["box-1", "box-2", "box-3", "box-4"],
            "topology": "full",
        }
    )
    assert result["host_files"] == ["box_1", "box_2", "box_3"]
    assert result["nodes"]["box-2"]["connect_to"] == ["box_1", "box_3"] and "box-4" not in result["nodes"]
    assert result["push"] == [] and result["changed"] is False
    (warning,) = result["cloudy_warnings"]
    assert "box-4" in warning
    assert Path(result["archive"]).parent == scratch and os.listdir(project) == []
    assert tb.unpack(Path(result["archive"]).read_bytes()).keys() == {"box_1", "box_2", "box_3"}


def test_the_action_fails_in_strict_mode(tmp_path, monkeypatch):
    monkeypatch.setattr(tb.C, "DEFAULT_LOCAL_TMP", str(tmp_path))
    with pytest.raises(tb.AnsibleActionFail, match="tinc_require_all_members"):
        run_action({"records": [rec(1)], "members": ["box-1", "box-2"], "allow_missing": False})
    assert os.listdir(tmp_path) == []


def test_a_box_outside_the_play_with_an_older_archive_is_pushed(tmp_path, monkeypatch):
    monkeypatch.setattr(tb.C, "DEFAULT_LOCAL_TMP", str(tmp_path))
    # --retry-failed on box-3, which was down at the first deploy: box-1 and box-2 lack its host file.
    older = held_archive(rec(1), rec(2))
    result = run_action(
        {
            "records": [rec(3)],
            "held": [["box-1", {"content": older}], ["box-2", {"content": older}]],
            "outside": ["box-1", "box-2"],
            "members": ["box-1", "box-2", "box-3"],
        }
    )
    assert result["push"] == ["box-1", "box-2"] and result["cloudy_warnings"] == []
    assert result["nodes"]["box-1"]["connect_to"] == ["box_2", "box_3"]


def test_the_documentation_lists_exactly_the_options_the_action_takes():
    options = yaml.safe_load(doc.DOCUMENTATION)["options"]
    assert set(options) == set(tb.ActionModule._VALID_ARGS)
    assert options["allow_missing"]["default"] is True


def test_the_strict_variable_is_a_documented_role_variable():
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    specs = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"][
        "options"
    ]
    assert defaults["tinc_require_all_members"] is False
    assert specs["tinc_require_all_members"]["type"] == "bool"
    assert "tinc_controller_dir" not in defaults and "tinc_controller_dir" not in specs
