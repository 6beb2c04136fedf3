"""The tahoe role's announced introducers (tasks/introducers.yml), run on this machine against a fake
avahi-browse: which announcements it takes (this grid's, with a pb:// FURL), the names it gives
them, its retry and failure when none is announced, check mode, and no FURL in the output."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ANSIBLE_PLAYBOOK, REPO
from tests.unit.test_avahi_services import FURL, fake_browse

pytestmark = pytest.mark.skipif(not ANSIBLE_PLAYBOOK.exists(), reason="needs ansible-core beside this Python")

ROLE = "clommunity.cloudy.tahoe"
T = "_tahoe-introducer._tcp;local"
ANNOUNCED = [
    f'=;tinc0;IPv4;Tahoe\\032introducer\\032on\\032a;{T};box-a.local;10.95.0.2;3457;"grid=g1" "furl={FURL}"',
    f'=;tinc0;IPv4;evil\\059x;{T};ev\\.il\\032box\\034.local;10.95.0.9;3457;"grid=g1" "furl=pb://evil"',
    f'=;tinc0;IPv4;quoted;{T};box-q.local;10.95.0.3;3457;"grid=g1" "furl=pb://q\\"uote"',
    f'=;tinc0;IPv4;hostile;{T};box-h.local;10.95.0.8;3457;"grid=g1" "furl=pb://h/\\010x"',
    f'=;tinc0;IPv4;other-grid;{T};box-c.local;10.95.0.4;3457;"grid=g2" "furl=pb://other"',
    f'=;tinc0;IPv4;grid-prefix;{T};box-p.local;10.95.0.6;3457;"grid=g10" "furl=pb://prefix"',
    f'=;tinc0;IPv4;not-a-furl;{T};box-n.local;10.95.0.5;3457;"grid=g1" "furl=http://x"',
    f'=;tinc0;IPv4;no-furl;{T};box-o.local;10.95.0.7;3457;"grid=g1"',
]
PLAY = """\
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: clommunity.cloudy.tahoe
        tasks_from: introducers
      vars:
        tahoe_introducer_source: announced
        tahoe_grid: g1
        tahoe_browse_timeout: 3  # one retry, 3 s later
    - ansible.builtin.debug:
        msg: "{{ tahoe__introducers }}"
"""


def play(tmp_path: Path, lines: list[str], *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    fake_browse(tmp_path / "bin", lines)
    (tmp_path / "play.yml").write_text(PLAY)
    env = {
        **os.environ,
        "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "ANSIBLE_COLLECTIONS_PATH": str(REPO),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
    }
    argv = [str(ANSIBLE_PLAYBOOK), "-i", "localhost,", "-c", "local", str(tmp_path / "play.yml"), *args]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, check=False)
    tasks = json.loads(done.stdout)["plays"][0]["tasks"]
    return done, {t["task"]["name"]: t["hosts"]["localhost"] for t in tasks}


@pytest.mark.parametrize("check", [False, True], ids=["run", "check-mode"])
def test_the_grids_announced_furls_are_taken_and_no_other(tmp_path, check):
    done, tasks = play(tmp_path, ANNOUNCED, *(["--check"] if check else []))
    assert done.returncode == 0, done.stdout[-3000:]
    assert tasks[f"{ROLE} : Browse the grid's announced introducers"]["attempts"] == 1
    # Names unescaped (the introducers.yaml template quotes them); a FURL with a quote is refused.
    assert tasks["ansible.builtin.debug"]["msg"] == {
        "box-a": FURL,
        'ev.il box"': "pb://evil",
        "box-h": "pb://h/\nx",
    }
    shown = json.dumps({name: result for name, result in tasks.items() if name != "ansible.builtin.debug"})
    assert "pb://" not in shown + done.stderr  # the role's own results are no_log


def test_without_an_announcement_of_the_grid_it_asks_again_then_fails(tmp_path):
    done, tasks = play(tmp_path, [ANNOUNCED[2], *ANNOUNCED[4:]])  # none taken
    browse = tasks[f"{ROLE} : Browse the grid's announced introducers"]
    assert done.returncode != 0 and browse["failed"]
    assert (tmp_path / "bin/argv").read_text().count("_tahoe-introducer._tcp") == 2  # browsed again once
    assert "pb://" not in done.stdout + done.stderr
