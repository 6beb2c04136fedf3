"""Replay event streams recorded from real ansible-runner runs (tests/fixtures/events/record.py)."""

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from cloudy_deploy import progress as displays
from cloudy_deploy.events import RunProgress, failure_message
from cloudy_deploy.runs import RunRecord

STREAM = Path(__file__).resolve().parents[1] / "fixtures" / "events" / "events.jsonl"


@pytest.fixture
def replay():
    prog = RunProgress()
    lines = []
    for raw in STREAM.read_text().splitlines():
        line = prog.apply(json.loads(raw))
        if line is not None:
            lines.append(line)
    return prog, lines


def test_progress_counts_follow_the_stream(replay):
    prog, lines = replay
    assert prog.play == "Every kind of result"
    assert prog.tasks_done == 6
    assert [x["task"] for x in lines if x["type"] == "task"][:2] == [
        "Succeed without change",
        "Change something",
    ]
    by_host = {h: (s.ok, s.changed, s.failed, s.unreachable, s.skipped) for h, s in prog.hosts.items()}
    assert by_host == {
        "events-1": (5, 1, 0, 0, 1),  # ok includes the changed task, as Ansible counts
        "events-2": (3, 1, 1, 0, 1),  # stops after its failed loop item
        "gone": (0, 0, 0, 1, 0),
    }


def test_recap_matches_ansible_and_keeps_the_failures(replay):
    prog, lines = replay
    final = prog.final()
    assert list(final) == ["events-1", "events-2", "gone"]
    assert (final["events-2"].ok, final["events-2"].failed) == (3, 1)
    assert final["gone"].unreachable == 1
    assert final["events-1"].success and not final["events-2"].success
    assert lines[-1]["type"] == "recap"


def test_failures_are_in_words(replay):
    prog, _ = replay
    (failure,) = prog.hosts["events-2"].failures
    assert (
        failure == "Fail one item on the second box: item bad: non-zero return code: no space left on device"
    )
    (gone,) = prog.hosts["gone"].failures
    assert gone.startswith("Succeed without change: unreachable: Failed to connect to the host via ssh")
    assert "Traceback" not in gone and "{" not in gone


@pytest.mark.parametrize(
    ("res", "expected"),
    [
        ({"msg": "Could not find the requested service foo"}, "Could not find the requested service foo"),
        (
            {"msg": "non-zero return code", "stderr": "a\nE: Unable to locate package x", "rc": 100},
            "non-zero return code: E: Unable to locate package x",
        ),
        (
            {"module_stderr": "Traceback...\nKeyError: 'x'", "msg": "MODULE FAILURE"},
            "MODULE FAILURE: KeyError: 'x'",
        ),
        ({"rc": 4}, "failed (exit code 4)"),
        ({}, "failed without a message"),
        ({"msg": "x" * 1000}, "x" * 399 + "…"),
    ],
)
def test_failure_message(res, expected):
    assert failure_message(res) == expected


def record_of(prog: RunProgress) -> RunRecord:
    return RunRecord("r1", "deploy", "site.yml", 0.0, 7.0, "failed", prog.tasks_done, hosts=prog.final())


def test_json_display_prints_only_json_and_ends_with_the_recap(replay, capsys):
    prog, lines = replay
    display = displays.JsonDisplay()
    record = record_of(prog)
    display.start(record, None)
    for line in lines:
        display.update(line, prog)
    display.stop(record)
    out = capsys.readouterr().out.splitlines()
    parsed = [json.loads(x) for x in out]
    assert parsed[0]["type"] == "start" and parsed[-1]["type"] == "recap"
    assert sum(p["type"] == "recap" for p in parsed) == 1
    assert parsed[-1]["hosts"]["gone"]["unreachable"] == 1
    assert parsed[-1]["status"] == "failed"


def test_plain_display_names_the_failing_host_task_and_reason(replay):
    prog, lines = replay
    buf = io.StringIO()
    display = displays.PlainDisplay(Console(file=buf, width=200))
    record = record_of(prog)
    display.start(record, None)
    for line in lines:
        display.update(line, prog)
    display.stop(record)
    text = buf.getvalue()
    assert "task 5: Fail one item on the second box" in text
    assert "FAILED events-2: item bad: non-zero return code: no space left on device" in text
    assert "events-2: Fail one item on the second box: item bad" in text  # under the recap
    assert "UNREACHABLE gone" in text


def test_live_display_shows_play_task_and_host_counts(replay):
    prog, _ = replay
    buf = io.StringIO()
    console = Console(file=buf, width=120, force_terminal=True, color_system=None)
    display = displays.LiveDisplay(console)
    record = record_of(prog)
    display.start(record, 6)
    live = RunProgress()
    for raw in STREAM.read_text().splitlines():
        line = live.apply(json.loads(raw))
        if line is not None:
            display.update(line, live)
    display.stop(record)
    text = buf.getvalue()
    assert "Every kind of result > After the failure" in text
    assert "6/6" in text
    assert "events-2" in text and "gone" in text


def test_a_roles_warning_reaches_the_recap_once_and_an_unreachable_box_is_named(replay):
    prog, _ = replay
    warning = "tinc: no public key yet for gone (not reached in this run, never in the mesh before): left out"
    bundle = {
        "event": "runner_on_ok",
        "event_data": {
            "host": "events-1",
            "task": "Assemble",
            "res": {"changed": False, "cloudy_warnings": [warning]},
        },
    }
    prog.apply(bundle)
    prog.apply(bundle)  # the same warning twice (e.g. two plays) is shown once
    record = record_of(prog)
    assert record.hosts["events-1"].warnings == [warning]
    assert RunRecord.from_json(json.loads(json.dumps(record.to_json()))).hosts["events-1"].warnings == [
        warning
    ]
    buf = io.StringIO()
    displays.print_recap(record, Console(file=buf, width=300))
    text = buf.getvalue()
    assert text.count(f"warning: {warning}") == 1
    assert (
        "gone: unreachable, it did not answer over SSH; `cloudy deploy --retry-failed` runs it again" in text
    )


def test_an_old_run_record_without_warnings_still_loads():
    data = {"id": "r0", "command": "deploy", "playbook": "site.yml", "started": 0.0}
    data["hosts"] = {
        "a": {"ok": 1, "changed": 0, "failed": 0, "unreachable": 0, "skipped": 0, "failures": []}
    }
    assert RunRecord.from_json(data).hosts["a"].warnings == []


def test_an_ignored_unreachable_delegation_is_a_warning_not_a_failure():
    prog = RunProgress()
    res = {
        "unreachable": True,
        "results": [{"item": "gone", "unreachable": True, "msg": "Connection refused"}],
    }
    prog.apply({"event": "runner_on_unreachable", "event_data": {"host": "here", "task": "Read", "res": res}})
    prog.apply({"event": "playbook_on_stats", "event_data": {"ok": {"here": 1}, "ignored": {"here": 1}}})
    final = prog.final()["here"]
    assert final.success and final.failures == []
    assert final.warnings == ["here: ignored: Read: unreachable: item gone: Connection refused"]


def test_a_report_comes_from_a_debug_msg_or_from_an_actions_own_result():
    prog = RunProgress()

    def ok(host: str, res: dict) -> None:
        prog.apply({"event": "runner_on_ok", "event_data": {"host": host, "task": "t", "res": res}})

    # action applied_group (applied_check.yml), then a debug task's report: both kept.
    ok("b1", {"changed": False, "cloudy_report": {"applied": {"left_out": True, "why": ""}}})
    ok("b1", {"msg": {"cloudy_report": {"uptime": 5}}})
    ok("b2", {"changed": False, "cloudy_report": {"applied": {"left_out": False, "why": "x"}}})
    assert prog.reports == {
        "b1": {"applied": {"left_out": True, "why": ""}, "uptime": 5},
        "b2": {"applied": {"left_out": False, "why": "x"}},
    }
