"""`lab up` checks the host's inotify limit before making boxes (cloudy_deploy/lab/limits.py)."""

import os
from pathlib import Path

import pytest

from cloudy_deploy.errors import BadInput
from cloudy_deploy.lab import limits


def limit_file(tmp_path: Path, value: str) -> Path:
    path = tmp_path / "max_user_instances"
    path.write_text(value)
    return path


def test_boxes_past_the_limit_are_refused_in_one_line_with_the_fix(tmp_path):
    with pytest.raises(BadInput) as refused:
        limits.check_inotify(50, limit_file(tmp_path, "128\n"), in_use=10)
    message = str(refused.value)
    assert "\n" not in message
    assert "50 new boxes need about 300 inotify instances" in message and "this host allows 128" in message
    assert "sysctl -w fs.inotify.max_user_instances=1024" in message


@pytest.mark.parametrize(("new", "limit", "used"), [(20, "128", 8), (0, "1", 500), (50, "1024", 300)])
def test_boxes_within_the_limit_pass(tmp_path, new, limit, used):
    limits.check_inotify(new, limit_file(tmp_path, limit), in_use=used)


def test_an_unreadable_limit_leaves_it_to_docker(tmp_path):
    limits.check_inotify(500, tmp_path / "missing", in_use=0)
    limits.check_inotify(500, limit_file(tmp_path, "many"), in_use=0)


def test_instances_in_use_are_counted_per_user(tmp_path):
    mine, other = tmp_path / "12", tmp_path / "34"
    for pid in (mine, other):
        (pid / "fd").mkdir(parents=True)
        os.symlink("anon_inode:inotify", pid / "fd" / "3")
        os.symlink("/dev/null", pid / "fd" / "4")
    (tmp_path / "self").mkdir()  # not a process number
    uid = os.getuid()
    assert limits.inotify_in_use(tmp_path, uid) == 2
    assert limits.inotify_in_use(tmp_path, uid + 1) == 0
