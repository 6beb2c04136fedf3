import stat

import pytest

from cloudy_deploy.errors import BadInput
from cloudy_deploy.lab import state
from cloudy_deploy.sources import lab as lab_source


def make_state(home, name="lab", count=2):
    folder = state.make_lab_dir(name, home)
    return state.LabState(
        lab=name,
        network=f"cloudy-{name}",
        subnet="172.29.0.0/24",
        image="cloudy-node:x",
        ssh_private_key=str(folder / "id_ed25519"),
        ssh_known_hosts=str(folder / "known_hosts"),
        nodes=[
            state.LabBox(name=f"{name}-{i}", container=f"cloudy-{name}-{i}", address=f"172.29.0.{i + 1}")
            for i in range(1, count + 1)
        ],
    )


def test_state_round_trips_and_is_private(home):
    s = make_state(home)
    path = state.save(s, home)
    assert path == home / ".cloudy" / "lab" / "lab" / "lab.yml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert state.load("lab", home) == s
    assert not list(path.parent.glob("*.tmp"))


def test_missing_state_is_none_and_damaged_state_is_bad_input(home):
    assert state.load("lab", home) is None
    folder = state.make_lab_dir("lab", home)
    (folder / "lab.yml").write_text("lab: [unclosed\n")
    with pytest.raises(BadInput, match=r"damaged.*lab down"):
        state.load("lab", home)


def test_lab_source_reads_every_lab_or_one(home):
    state.save(make_state(home, "lab", 2), home)
    state.save(make_state(home, "other", 1), home)
    nodes = lab_source.nodes(None, home)
    assert [n.name for n in nodes] == ["lab-1", "lab-2", "other-1"]
    one = lab_source.nodes("other", home)
    assert [(n.name, n.address, n.source) for n in one] == [("other-1", "172.29.0.2", "lab:other")]
    assert one[0].ssh_known_hosts.endswith("other/known_hosts")
    with pytest.raises(BadInput, match="no lab named 'nope'"):
        lab_source.nodes("nope", home)


def test_remove_leaves_nothing(home):
    state.save(make_state(home), home)
    state.remove("lab", home)
    assert not (home / ".cloudy" / "lab").exists()
