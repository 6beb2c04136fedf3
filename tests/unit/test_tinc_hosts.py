"""plugins/modules/tinc_hosts.py: hosts/ made to match the archive, hand-made files kept.

The module runs as Ansible runs it: arguments through AnsibleModule, the result as JSON on stdout.
"""

import importlib.util
import io
import json
import os
import tarfile
from importlib.machinery import SourceFileLoader
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import COLLECTION

ansible_basic = pytest.importorskip("ansible.module_utils.basic")

MODULE = COLLECTION / "plugins" / "modules" / "tinc_hosts.py"


def _load() -> ModuleType:
    loader = SourceFileLoader("tinc_hosts_module", str(MODULE))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


def archive(path: Path, files: dict[str, bytes], *, extra: tarfile.TarInfo | None = None) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if extra is not None:
            tar.addfile(extra, io.BytesIO(b""))
    return path


class Box:
    """/etc/tinc/NET on a box: hosts/, the role's manifest and the delivered archive."""

    def __init__(self, root: Path) -> None:
        self.hosts = root / "hosts"
        self.hosts.mkdir()
        self.manifest = root / "cloudy" / "managed-hosts.json"
        self.manifest.parent.mkdir()
        self.archive = root / "cloudy" / "hosts.tar.gz"

    def files(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(self.hosts.iterdir())}


def run(monkeypatch, capsys, box: Box, check: bool = False, **args) -> dict:
    params = {
        "archive": str(box.archive),
        "hosts_dir": str(box.hosts),
        "manifest": str(box.manifest),
        "_ansible_check_mode": check,
        **args,
    }
    monkeypatch.setattr(ansible_basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": params}).encode())
    monkeypatch.setattr(ansible_basic, "_ANSIBLE_PROFILE", "legacy", raising=False)
    with pytest.raises(SystemExit):
        _load().main()
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def box(tmp_path) -> Box:
    return Box(tmp_path)


def test_first_run_writes_every_file_and_the_manifest(box, monkeypatch, capsys):
    archive(box.archive, {"a": b"A1\n", "b": b"B1\n"})
    (box.hosts / "byhand").write_bytes(b"hand\n")
    out = run(monkeypatch, capsys, box)
    assert out["changed"] and out["written"] == ["a", "b"] and out["deleted"] == []
    assert box.files() == {"a": b"A1\n", "b": b"B1\n", "byhand": b"hand\n"}
    assert all((box.hosts / n).stat().st_mode & 0o777 == 0o644 for n in ("a", "b"))
    assert json.loads(box.manifest.read_text())["managed"] == ["a", "b"]


def test_second_run_changes_nothing(box, monkeypatch, capsys):
    archive(box.archive, {"a": b"A1\n"})
    run(monkeypatch, capsys, box)
    before = os.stat(box.hosts / "a").st_mtime_ns
    out = run(monkeypatch, capsys, box)
    assert not out["changed"] and out["written"] == [] and out["deleted"] == []
    assert os.stat(box.hosts / "a").st_mtime_ns == before  # not rewritten: tincd keeps the connection


def test_only_changed_files_are_written_and_dropped_managed_ones_deleted(box, monkeypatch, capsys):
    archive(box.archive, {"a": b"A1\n", "b": b"B1\n", "c": b"C1\n"})
    run(monkeypatch, capsys, box)
    (box.hosts / "byhand").write_bytes(b"hand\n")
    archive(box.archive, {"a": b"A1\n", "b": b"B2\n"})  # b changed, c left the mesh
    out = run(monkeypatch, capsys, box)
    assert (out["written"], out["deleted"], out["managed"]) == (["b"], ["c"], ["a", "b"])
    assert box.files() == {"a": b"A1\n", "b": b"B2\n", "byhand": b"hand\n"}  # the hand-made file stays


def test_a_mode_change_is_repaired(box, monkeypatch, capsys):
    archive(box.archive, {"a": b"A1\n"})
    run(monkeypatch, capsys, box)
    os.chmod(box.hosts / "a", 0o600)
    out = run(monkeypatch, capsys, box)
    assert out["changed"] and out["written"] == ["a"]
    assert (box.hosts / "a").stat().st_mode & 0o777 == 0o644


def test_remove_deletes_a_hand_made_file_and_purge_all_unmanaged(box, monkeypatch, capsys):
    archive(box.archive, {"a": b"A1\n"})
    for name in ("gone", "other"):
        (box.hosts / name).write_bytes(b"x\n")
    (box.hosts / ".hidden").write_bytes(b"x\n")
    (box.hosts / "a-up").write_bytes(b"#!/bin/sh\n")
    out = run(monkeypatch, capsys, box, remove=["gone"])
    assert out["deleted"] == ["gone"] and "other" in box.files()
    out = run(monkeypatch, capsys, box, purge_unmanaged=True)
    assert out["deleted"] == ["other"]
    # Not host file names: tinc scripts and dotfiles are never touched.
    assert sorted(box.files()) == [".hidden", "a", "a-up"]


def test_check_mode_reports_and_writes_nothing(box, monkeypatch, capsys):
    archive(box.archive, {"a": b"A1\n"})
    (box.hosts / "old").write_bytes(b"x\n")
    out = run(monkeypatch, capsys, box, check=True, remove=["old"])
    assert out["changed"] and out["written"] == ["a"] and out["deleted"] == ["old"]
    assert box.files() == {"old": b"x\n"} and not box.manifest.exists()


def test_check_mode_before_the_archive_was_ever_delivered(box, monkeypatch, capsys):
    out = run(monkeypatch, capsys, box, check=True)
    assert out["changed"] and "not on the box yet" in out["msg"]


@pytest.mark.parametrize(
    "member",
    [
        tarfile.TarInfo("../etc/passwd"),
        tarfile.TarInfo("sub/a"),
        tarfile.TarInfo("a-up"),
    ],
    ids=["path-escape", "subfolder", "not-a-node-name"],
)
def test_an_archive_with_an_unexpected_member_fails_and_writes_nothing(box, monkeypatch, capsys, member):
    archive(box.archive, {"a": b"A1\n"}, extra=member)
    out = run(monkeypatch, capsys, box)
    assert out["failed"] and "unexpected member" in out["msg"]
    assert box.files() == {} and not box.manifest.exists()


def test_a_symlink_member_is_refused(box, monkeypatch, capsys):
    link = tarfile.TarInfo("a")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/shadow"
    archive(box.archive, {}, extra=link)
    out = run(monkeypatch, capsys, box)
    assert out["failed"] and "unexpected member 'a'" in out["msg"]


def test_an_unreadable_manifest_counts_as_empty(box, monkeypatch, capsys):
    archive(box.archive, {"a": b"A1\n"})
    (box.hosts / "b").write_bytes(b"x\n")
    box.manifest.write_text('{"managed": ["b", "../x"]')  # cut short
    out = run(monkeypatch, capsys, box)
    assert out["deleted"] == [] and "b" in box.files()  # never delete on a manifest it cannot read
    assert json.loads(box.manifest.read_text())["managed"] == ["a"]


def _content(tmp_path: Path, files: dict[str, bytes], **kw) -> str:
    import base64

    return base64.b64encode(archive(tmp_path / "sent.tar.gz", files, **kw).read_bytes()).decode()


def test_the_archive_sent_in_the_call_is_kept_and_installed_with_the_files(
    box, tmp_path, monkeypatch, capsys
):
    connect = str(tmp_path / "conf.d" / "cloudy-connect.conf")
    files = [{"path": connect, "content": "ConnectTo = a\n"}]
    content = _content(tmp_path, {"a": b"A1\n"})
    out = run(monkeypatch, capsys, box, content=content, directories=[str(tmp_path / "conf.d")], files=files)
    assert (
        out["changed"]
        and out["written"] == ["a"]
        and out["changed_paths"] == [str(tmp_path / "conf.d"), connect]
    )
    assert (
        box.archive.read_bytes() == (tmp_path / "sent.tar.gz").read_bytes()
    )  # the box's record of its host files
    assert Path(connect).read_text() == "ConnectTo = a\n"
    again = run(monkeypatch, capsys, box, content=content, files=files)
    assert not again["changed"] and again["changed_paths"] == []


def test_a_bad_archive_in_the_call_fails_and_writes_nothing(box, tmp_path, monkeypatch, capsys):
    connect = tmp_path / "cloudy-connect.conf"
    files = [{"path": str(connect), "content": "ConnectTo = a\n"}]
    for content in ("not base64!", _content(tmp_path, {"a": b"A1\n"}, extra=tarfile.TarInfo("../x"))):
        out = run(monkeypatch, capsys, box, content=content, files=files)
        assert out["failed"] and "cannot read the host file archive" in out["msg"]
        assert box.files() == {} and not box.archive.exists() and not connect.exists()


def test_the_action_plugin_sends_the_archive_and_shows_only_its_size(tmp_path, monkeypatch):
    import base64
    from types import SimpleNamespace

    from ansible_collections.clommunity.cloudy.plugins.action import tinc_hosts as action

    sent = archive(tmp_path / "hosts.tar.gz", {"a": b"A1\n"})
    seen = {}

    def execute_module(self, module_name, module_args, task_vars):
        seen.update(module_args, module=module_name)
        return {"changed": True, "invocation": {"module_args": dict(module_args)}}

    monkeypatch.setattr(action.ActionBase, "run", lambda self, tmp=None, task_vars=None: {})
    monkeypatch.setattr(action.ActionModule, "_execute_module", execute_module)
    plugin = action.ActionModule.__new__(action.ActionModule)
    plugin._task = SimpleNamespace(args={"src": str(sent), "archive": "/etc/tinc/n/cloudy/hosts.tar.gz"})
    result = plugin.run(task_vars={})
    assert seen["module"] == "clommunity.cloudy.tinc_hosts" and "src" not in seen
    assert base64.b64decode(seen["content"]) == sent.read_bytes()
    assert result["invocation"]["module_args"]["content"] == f"({sent.stat().st_size} bytes from {sent})"


def test_the_action_plugin_names_an_archive_it_cannot_read(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from ansible.errors import AnsibleActionFail

    from ansible_collections.clommunity.cloudy.plugins.action import tinc_hosts as action

    monkeypatch.setattr(action.ActionBase, "run", lambda self, tmp=None, task_vars=None: {})
    plugin = action.ActionModule.__new__(action.ActionModule)
    plugin._task = SimpleNamespace(args={"src": str(tmp_path / "absent.tar.gz")})
    with pytest.raises(AnsibleActionFail, match=r"cannot read the host file archive .*absent\.tar\.gz"):
        plugin.run(task_vars={})


class FakeSystemd:
    """A module whose systemctl holds a unit ACTIVE and ENABLED or not, and records the calls."""

    def __init__(self, active=True, enabled=True, check=False, fail=(), **params):
        self.params = {"unit": "tinc@n.service", "start": True, "restart": False, "reload": False}
        self.params |= {"daemon_reload": False, **params}
        self.state = {"is-active": active, "is-enabled": enabled}
        self.check_mode, self.fail, self.calls = check, fail, []

    def get_bin_path(self, name, required=False):
        return "systemctl"

    def run_command(self, argv):
        verb = argv[1]
        if verb in self.state:
            return (0 if self.state[verb] else 3), "", ""
        self.calls.append(" ".join(argv[1:]))
        return (1, "", "Job failed") if verb in self.fail else (0, "", "")

    def fail_json(self, **kw):
        raise RuntimeError(kw["msg"])


@pytest.mark.parametrize(
    ("box", "changed", "applied", "calls"),
    [
        (FakeSystemd(active=False, enabled=False, restart=True, daemon_reload=True), True, "restarted",
         ["daemon-reload", "restart tinc@n.service", "enable --no-reload tinc@n.service"]),
        (FakeSystemd(reload=True), False, "reloaded", ["reload-or-restart tinc@n.service"]),
        (FakeSystemd(), True, "reloaded", ["reload-or-restart tinc@n.service"]),
        (FakeSystemd(active=False), False, "started", ["start tinc@n.service"]),
        (FakeSystemd(enabled=False), False, "enabled", ["enable --no-reload tinc@n.service"]),
        (FakeSystemd(), False, "none", []),
        # A member outside the play: reloaded when its files changed, a stopped tinc left stopped.
        (FakeSystemd(active=False, enabled=False, start=False), False, "none", []),
        (FakeSystemd(active=False, start=False), True, "reloaded", ["reload-or-restart tinc@n.service"]),
        (FakeSystemd(active=False, check=True, restart=True), False, "restarted", []),
    ],
)  # fmt: skip
def test_the_unit_is_applied_as_the_changes_ask(box, changed, applied, calls):
    assert _load().apply_unit(box, changed) == applied
    assert box.calls == calls


def test_a_failed_restart_fails_with_systemds_words():
    with pytest.raises(RuntimeError, match=r"systemctl restart tinc@n\.service failed: Job failed"):
        _load().apply_unit(FakeSystemd(restart=True, fail=("restart",)), False)
