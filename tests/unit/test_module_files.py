"""module_utils/files.py, the modules' one atomic write and its read: MODE holds for a new file
whatever the umask (AnsibleModule.atomic_move alone gives a new file the umask's mode)."""

import os

import pytest

from ansible_collections.clommunity.cloudy.plugins.module_utils.files import read_text, write_atomic

pytest.importorskip("ansible")


@pytest.fixture
def module():
    from ansible.module_utils.basic import AnsibleModule
    from ansible.module_utils.testing import patch_module_args

    with patch_module_args({}):
        return AnsibleModule(argument_spec={})


def test_a_new_and_a_replaced_file_get_the_mode_whatever_the_umask(tmp_path, module):
    path = str(tmp_path / "zone")
    old = os.umask(0o077)
    try:
        write_atomic(module, path, b"one\n", 0o644)
        assert os.stat(path).st_mode & 0o777 == 0o644
        os.chmod(path, 0o600)
        write_atomic(module, path, b"two\n", 0o640)
        assert os.stat(path).st_mode & 0o777 == 0o640
    finally:
        os.umask(old)
    assert read_text(path) == "two\n"
    assert [p.name for p in tmp_path.iterdir()] == ["zone"]  # no temporary file left


def test_read_text_of_no_file_is_none(tmp_path):
    assert read_text(str(tmp_path / "absent")) is None


def _check_module(check: bool):
    from ansible.module_utils.basic import AnsibleModule
    from ansible.module_utils.testing import patch_module_args

    with patch_module_args({"_ansible_check_mode": check}):
        return AnsibleModule(argument_spec={}, supports_check_mode=True)


def _files(tmp_path):
    from ansible_collections.clommunity.cloudy.plugins.module_utils.files import apply_files

    folder = tmp_path / "etc" / "net"
    files = [
        {"path": str(folder / "net.conf"), "content": "Name = a\n", "mode": "0644"},
        {"path": str(folder / "up"), "content": "#!/bin/sh\n", "mode": "0755"},
        {"path": str(folder / "gone.conf"), "content": "", "state": "absent"},
    ]
    lines = [{"path": str(tmp_path / "nets.boot"), "line": "net"}]
    return apply_files, [str(folder)], files, lines


def test_apply_files_writes_once_then_changes_nothing(tmp_path):
    apply_files, dirs, files, lines = _files(tmp_path)
    (tmp_path / "nets.boot").write_text("other")  # no final newline: the line goes on its own
    changed, diffs = apply_files(_check_module(False), dirs, files, lines)
    assert changed == [dirs[0], files[0]["path"], files[1]["path"], str(tmp_path / "nets.boot")]
    assert (tmp_path / "nets.boot").read_text() == "other\nnet\n"
    assert os.stat(files[1]["path"]).st_mode & 0o777 == 0o755
    assert diffs[1]["after"] == "Name = a\n" and diffs[1]["before"] == ""
    assert apply_files(_check_module(False), dirs, files, lines) == ([], [])


def test_apply_files_repairs_a_mode_and_removes_an_absent_file(tmp_path):
    apply_files, dirs, files, lines = _files(tmp_path)
    apply_files(_check_module(False), dirs, files, lines)
    os.chmod(files[0]["path"], 0o600)
    (tmp_path / "etc" / "net" / "gone.conf").write_text("old\n")
    changed, _ = apply_files(_check_module(False), dirs, files, lines)
    assert changed == [files[0]["path"], files[2]["path"]]
    assert os.stat(files[0]["path"]).st_mode & 0o777 == 0o644
    assert not (tmp_path / "etc" / "net" / "gone.conf").exists()


def test_apply_files_in_check_mode_reports_and_writes_nothing(tmp_path):
    apply_files, dirs, files, lines = _files(tmp_path)
    changed, _ = apply_files(_check_module(True), dirs, files, lines)
    assert len(changed) == 4
    assert list(tmp_path.iterdir()) == []


def test_apply_files_with_a_bad_mode_fails_and_writes_nothing(tmp_path):
    apply_files, dirs, files, lines = _files(tmp_path)
    module = _check_module(False)
    failed = {}

    def fail_json(**kw):
        failed.update(kw)
        raise SystemExit(1)

    module.fail_json = fail_json
    files[1]["mode"] = "rwx"
    with pytest.raises(SystemExit):
        apply_files(module, dirs, files, lines)
    assert "mode 'rwx' is not an octal mode" in failed["msg"] and files[1]["path"] in failed["msg"]
    assert list(tmp_path.iterdir()) == []
