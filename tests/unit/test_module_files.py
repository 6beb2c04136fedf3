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
