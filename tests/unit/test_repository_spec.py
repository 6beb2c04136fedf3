"""services.repository (role repository): the spec, the plan's repository group, repository.yml."""

from pathlib import Path

import pytest
import yaml

from cloudy_deploy import inventory, lock, spec
from cloudy_deploy.errors import BadInput
from cloudy_deploy.nodes import Node
from cloudy_deploy.plan import GROUPS, make_plan
from cloudy_deploy.spec import CloudSpec
from tests.conftest import run_cloudy


def load(tmp_path: Path, services: str) -> CloudSpec:
    path = tmp_path / "cloudy.yml"
    path.write_text(f"cloud: gcodis\nservices:\n{services}")
    return spec.load(path)


def boxes(*names: str) -> list[Node]:
    return [Node(name=n, address=f"10.1.2.{i + 10}", source="static:nodes.yml") for i, n in enumerate(names)]


def test_repository_defaults_to_one_box_and_debians_mirror(tmp_path):
    s = load(tmp_path, "  repository: {}\n")
    assert s.services.repository is not None
    assert (s.services.repository.boxes, s.services.repository.mirror) == (1, None)
    assert "repository" in spec.WITH_ROLES and "repository" in GROUPS


def test_the_default_spec_places_one_repository_box_that_plans_on_any_lab():
    # `cloudy up` without cloudy.yml: the newcomer's lab gets the apt cache too (issue 13).
    s = spec.default_spec()
    assert s.services.repository is not None
    assert (s.services.repository.boxes, s.services.repository.mirror) == (1, None)
    for names in (["lab-1"], ["lab-1", "lab-2", "lab-3"]):
        plan = make_plan(boxes(*names), s, None)
        assert [h.name for h in plan.hosts if "repository" in h.services] == ["lab-1"]


@pytest.mark.parametrize(
    ("services", "where", "fix"),
    [
        ("  repository:\n    boxes: 0\n", ":4: services.repository.boxes", "1 or more"),
        ("  repository:\n    boxes: '1'\n", ":4: services.repository.boxes", "1 or more"),
        ("  repository:\n    mirror: ftp.debian.org\n", ":4: services.repository.mirror", "ending in /"),
        ("  repository:\n    mirror: http://x/debian\n", ":4: services.repository.mirror", "ending in /"),
        ("  repository:\n    mirror: 'http://x y/'\n", ":4: services.repository.mirror", "not a mirror URL"),
        ("  repository:\n    box: 1\n", ":4: services.repository.box", "did you mean boxes"),
        ("  repository: 1\n", ":3: services.repository", "mapping"),
    ],
)
def test_bad_repository_spec_names_file_line_and_fix(tmp_path, services, where, fix):
    path = tmp_path / "cloudy.yml"
    path.write_text(f"cloud: gcodis\nservices:\n{services}")
    with pytest.raises(BadInput) as exc:
        spec.load(path)
    message = str(exc.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:") and where in message and fix in message, message


def test_cli_refuses_a_bad_mirror_with_one_line_and_exit_2(home):
    (home / "cloudy.yml").write_text("cloud: gcodis\nservices:\n  repository: {mirror: 'mirror.example'}\n")
    result = run_cloudy("plan", home=home)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "cloudy.yml:3: services.repository.mirror" in lines[0] and "not a mirror URL" in lines[0]
    assert sorted(p.name for p in home.iterdir()) == ["cloudy.yml"]  # no lock, no inventory


def test_plan_places_the_counted_boxes_and_keeps_them(tmp_path):
    s = load(tmp_path, "  repository: {boxes: 1}\n")
    nodes = boxes("b", "a", "c")
    plan = make_plan(nodes, s, None)
    held = [h.name for h in plan.hosts if "repository" in h.services]
    assert held == ["a"]  # new boxes take addresses in name order; the lowest IP gets it
    # A new box never moves it, through the lock's file form.
    saved = lock.Lock.model_validate(yaml.safe_load(lock.dumps(plan.lock)))
    again = make_plan([*nodes, *boxes("0first")], s, saved)
    assert [h.name for h in again.hosts if "repository" in h.services] == held


def test_more_boxes_than_nodes_is_refused(tmp_path):
    s = load(tmp_path, "  repository: {boxes: 3}\n")
    with pytest.raises(BadInput) as exc:
        make_plan(boxes("a", "b"), s, None)
    assert "services.repository.boxes" in str(exc.value) and "lower it to 2" in str(exc.value)


def test_inventory_has_the_group_and_the_mirror(tmp_path):
    s = load(tmp_path, "  repository: {mirror: 'http://mirror.example/debian/'}\n")
    inv = inventory.build(make_plan(boxes("a", "b"), s, None), s)
    assert len(inv.groups["repository"]) == 1
    assert inv.group_vars["repository"] == {"repository_mirror": "http://mirror.example/debian/"}
    files = inventory.render(make_plan(boxes("a", "b"), s, None), s)
    assert "group_vars/all/repository.yml" in files
    no_mirror = load(tmp_path, "  repository: {}\n")
    assert "repository" not in inventory.build(make_plan(boxes("a"), no_mirror, None), no_mirror).group_vars
