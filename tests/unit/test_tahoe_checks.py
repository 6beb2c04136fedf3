"""The tahoe role refuses bad values in its first task, before any box is touched.

Runs playbooks/tahoe.yml on boxes that cannot be reached (SSH to a closed local port): the checks
run on the controller, so a refused value fails there, and accepted values get as far as the
first task that needs the box (unreachable). Nothing can change on this machine."""

from pathlib import Path

import pytest
import yaml

from tests.conftest import ANSIBLE_PLAYBOOK, run_playbook

pytestmark = pytest.mark.skipif(not ANSIBLE_PLAYBOOK.exists(), reason="needs ansible-core beside this Python")

GOOD = {
    "cloudy_cloud": "grid1",
    "tahoe_shares_needed": 2,
    "tahoe_shares_happy": 3,
    "tahoe_shares_total": 3,
    "tahoe_reserved_space": "1G",
}


def play(tmp_path: Path, storage: int = 3, **values) -> str:
    hosts = {f"box{i}": {"cloudy_overlay_ip": f"10.99.0.{i + 1}", **values} for i in range(1, 4)}
    inventory = {
        "all": {
            "vars": {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 9, **GOOD},
            "hosts": hosts,
            "children": {
                "tahoe": {"hosts": dict.fromkeys(hosts)},
                "tahoe_introducer": {"hosts": {"box1": None}},
                "tahoe_storage": {"hosts": dict.fromkeys(list(hosts)[:storage])},
            },
        }
    }
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory))
    done = run_playbook(tmp_path / "hosts.yml", "tahoe.yml", "--limit", "box2", facts=tmp_path / "facts")
    assert done.returncode != 0  # refused, or unreachable: never a run that changed something
    return done.stdout + done.stderr


def test_good_values_pass_the_checks(tmp_path):
    out = play(tmp_path)
    assert "Create the tahoe group" in out and "UNREACHABLE" in out
    assert "tahoe on box2:" not in out


BAD = {
    "needed-over-happy": ({"tahoe_shares_needed": 4}, 3, "shares needed (4) must be 1 to happy (3): lower"),
    "happy-over-total": (
        {"tahoe_shares_happy": 4, "tahoe_shares_total": 3},
        3,
        "happy (4) <= total (3) <= 256",
    ),
    "happy-over-storage": ({}, 2, "happy (3) is more than the 2 boxes of tahoe_storage"),
    "reserved-space": ({"tahoe_reserved_space": "lots"}, 3, "tahoe_reserved_space ('lots') is not a size"),
    "no-overlay-ip": ({"cloudy_overlay_ip": ""}, 3, "tahoe_overlay_ip ('') is not an IPv4 address"),
    "bad-grid": ({"cloudy_cloud": "a b"}, 3, "tahoe_grid ('a b') takes"),
}


@pytest.mark.parametrize(("values", "storage", "words"), list(BAD.values()), ids=list(BAD))
def test_bad_values_are_refused_before_any_task(tmp_path, values, storage, words):
    out = play(tmp_path, storage, **values)
    assert "tahoe on box2:" in out
    assert " ".join(words.split()) in " ".join(out.split()), out[-3000:]
    assert "Create the tahoe group" not in out and "UNREACHABLE" not in out
