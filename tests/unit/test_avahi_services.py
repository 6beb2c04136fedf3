"""Module avahi_services (read-only browse) and module_utils/avahi_browse.run_avahi_browse: a fake
avahi-browse on PATH prints what the real one prints, hostile and escaped names included; the module
runs through Ansible as a task does (also in check mode)."""

import json
import os
import stat
from pathlib import Path

import pytest

from ansible_collections.clommunity.cloudy.plugins.module_utils.avahi_browse import run_avahi_browse
from tests.unit.guifi_fixtures import ANSIBLE, run_module

FURL = "pb://tubid@tcp:10.95.0.2:3457/introducer"
# Two grids' introducers, one with an escaped instance and host name and TXT that needs escapes
# (quotes, `;`, a UTF-8 byte), one resolved on IPv4 and IPv6, a line that is not avahi-browse's,
# and an instance that never resolved.
LINES = [
    "+;tinc0;IPv4;Tahoe\\032introducer\\032on\\032a;_tahoe-introducer._tcp;local",
    f'=;tinc0;IPv4;Tahoe\\032introducer\\032on\\032a;_tahoe-introducer._tcp;local;box-a.local;10.95.0.2;3457;"grid=g1" "furl={FURL}"',  # noqa: E501
    f'=;tinc0;IPv6;Tahoe\\032introducer\\032on\\032a;_tahoe-introducer._tcp;local;box-a.local;fe80::1%tinc0;3457;"grid=g1" "furl={FURL}"',  # noqa: E501
    '=;tinc0;IPv4;evil\\059\\034name\\010;_tahoe-introducer._tcp;local;ev\\.il\\032box.local;10.95.0.9;3457;"GRID=g1" "note=a\\"b\\" \\059 c \\195\\188" "furl=pb://x"',  # noqa: E501
    '=;tinc0;IPv4;other;_tahoe-introducer._tcp;local;box-c.local;10.95.0.4;3457;"grid=g2" "furl=pb://y"',
    "=;tinc0;IPv4;cut;_tahoe-introducer._tcp;local;box-d.local",
    "+;tinc0;IPv4;lost;_tahoe-introducer._tcp;local",
]


def fake_browse(folder: Path, lines: list[str], tail: str = "", code: int = 0) -> Path:
    """An avahi-browse in FOLDER that records its arguments, prints LINES (then TAIL without a newline
    and sleeps, when TAIL is given: a browse that hangs), and exits with CODE."""
    folder.mkdir(exist_ok=True)
    (folder / "out.txt").write_text("".join(line + "\n" for line in lines) + tail)
    script = folder / "avahi-browse"
    failing = f"echo 'Failed to create client object: Daemon not running' >&2; exit {code}"
    hang = "exec sleep 60" if tail else failing
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" >> "{folder}/argv"\ncat "{folder}/out.txt"\n{hang}\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_run_reads_the_dump_through_the_one_parser(tmp_path):
    script = fake_browse(tmp_path / "bin", LINES)
    run = run_avahi_browse("_tahoe-introducer._tcp", 10, str(script))
    assert (tmp_path / "bin/argv").read_text().split() == [
        "--resolve",
        "--terminate",
        "--parsable",
        "--no-db-lookup",
        "_tahoe-introducer._tcp",
    ]
    assert not run.timed_out and run.returncode == 0
    by_name = {r.name: r for r in run.records}
    a = by_name["Tahoe introducer on a._tahoe-introducer._tcp.local."]
    assert a.addresses == ("10.95.0.2", "fe80::1") and a.server == "box-a.local." and a.txt["furl"] == FURL
    evil = by_name['evil;"name\n._tahoe-introducer._tcp.local.']
    assert evil.server == "ev.il box.local." and evil.txt == {
        "grid": "g1",
        "note": 'a"b" ; c ü',
        "furl": "pb://x",
    }
    assert len(run.records) == 3
    assert any("line 6 left out" in n for n in run.notes) and any("lost" in n for n in run.notes)


def test_a_hanging_browse_is_stopped_and_its_complete_lines_stand(tmp_path):
    tail = '=;tinc0;IPv4;late;_tahoe-introducer._tcp;local;box-e.local;10.95.0.5;3457;"grid=g1" "furl=pb://z'
    script = fake_browse(tmp_path / "bin", LINES[:2], tail=tail)
    run = run_avahi_browse("_tahoe-introducer._tcp", 1, str(script))
    assert run.timed_out and run.returncode is None
    assert [r.server for r in run.records] == ["box-a.local."]  # the cut last line is not read
    assert run.notes == []


def test_a_failing_browse_gives_its_code_and_message(tmp_path):
    run = run_avahi_browse("_x._tcp", 10, str(fake_browse(tmp_path / "bin", [], code=1)))
    assert run.returncode == 1 and "Daemon not running" in run.stderr and run.records == []


needs_ansible = pytest.mark.skipif(not ANSIBLE.exists(), reason="needs ansible-core beside this Python")


@pytest.fixture
def on_path(tmp_path, monkeypatch):
    def put(lines: list[str], code: int = 0) -> None:
        fake_browse(tmp_path / "bin", lines, code=code)
        monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")

    return put


@needs_ansible
@pytest.mark.parametrize("check", [False, True], ids=["run", "check-mode"])
def test_the_module_returns_the_services_with_the_txt_asked(on_path, check):
    on_path(LINES)
    args = {"type": "_tahoe-introducer._tcp", "txt": {"grid": "g1"}}
    result = run_module("avahi_services", args, check=check)
    assert not result.get("failed") and result["changed"] is False and result["timed_out"] is False
    assert [(s["name"], s["host"], s["addresses"], s["port"]) for s in result["services"]] == [
        ("Tahoe introducer on a", "box-a.local", ["10.95.0.2", "fe80::1"], 3457),
        ('evil;"name\n', "ev.il box.local", ["10.95.0.9"], 3457),
    ]
    assert result["services"][0] == {**result["services"][0], "type": "_tahoe-introducer._tcp.local."}
    assert len(result["notes"]) == 2


@needs_ansible
def test_the_module_without_a_filter_and_with_a_failing_browse(on_path):
    on_path(LINES)
    every = run_module("avahi_services", {"type": "_tahoe-introducer._tcp"})
    assert [s["host"] for s in every["services"]] == ["box-a.local", "box-c.local", "ev.il box.local"]
    on_path([], code=1)
    failed = run_module("avahi_services", {"type": "_tahoe-introducer._tcp"})
    assert failed["failed"] and failed["msg"] == (
        "avahi-browse failed (exit code 1): Failed to create client object: Daemon not running"
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ({"type": "--all"}, "type '--all' is not a DNS-SD type like _ssh._tcp"),
        ({"type": "_x._tcp; rm -rf /"}, "is not a DNS-SD type"),
        ({"type": "_x._tcp", "timeout": 0}, "timeout 0 is not a number of seconds"),
    ],
)
def test_bad_arguments_are_refused_before_browsing(on_path, tmp_path, capsys, args, words):
    pytest.importorskip("ansible")
    from ansible.module_utils.testing import patch_module_args

    from ansible_collections.clommunity.cloudy.plugins.modules import avahi_services

    on_path(LINES)
    with patch_module_args(args), pytest.raises(SystemExit):
        avahi_services.main()
    failed = json.loads(capsys.readouterr().out)
    assert failed["failed"] and words in failed["msg"]
    assert not (tmp_path / "bin/argv").exists()
