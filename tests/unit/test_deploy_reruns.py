"""`cloudy deploy` and the check in site.yml's first play (applied_check.yml): the wrapper runs one
playbook, asks for every box under --full, and says after the run why the boxes found changed ran
(from the action applied_group's reports). The playbook run is replaced: what is tested is the
wrapper's side."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cloudy_deploy import runner, runs
from cloudy_deploy.cli import app
from cloudy_deploy.cli import run as cli_run
from cloudy_deploy.events import HostStats

SPEC = "cloud: gcodis\nsources:\n  - static: nodes.yml\n"
NODES = "nodes:\n  - {name: b1, address: 192.0.2.11}\n  - {name: b2, address: 192.0.2.12}\n"
WHY = "its files changed since its last complete run"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "cloudy.yml").write_text(SPEC)
    (tmp_path / "nodes.yml").write_text(NODES)
    monkeypatch.setattr(cli_run.hostkeys, "require_known", lambda *a, **k: None)
    return tmp_path


@pytest.fixture
def runs_seen(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Each run's playbook, limit and extra vars; b1 is reported left out, b2 ran for WHY."""
    seen: list[dict] = []

    def run_playbook(playbook, inventory, display, **kwargs):
        seen.append(
            {"playbook": playbook, "limit": kwargs.get("limit"), "extravars": kwargs.get("extravars")}
        )
        record = runs.RunRecord("r", kwargs["command"], playbook, 0.0, status="successful")
        record.hosts = {"b1": HostStats(ok=3), "b2": HostStats(ok=40)}
        record.reports = {
            "b1": {"applied": {"left_out": True, "unchanged": True, "why": ""}},
            "b2": {"applied": {"left_out": False, "unchanged": False, "why": WHY}},
        }
        return record

    monkeypatch.setattr(runner, "run_playbook", run_playbook)
    return seen


def test_one_run_whose_check_leaves_boxes_out_and_says_why_the_others_ran(project, runs_seen):
    result = CliRunner().invoke(app, ["deploy", "--home", str(project)])
    assert result.exit_code == 0, result.output
    assert runs_seen == [{"playbook": "site.yml", "limit": None, "extravars": {}}]
    assert f"ran on b2: {WHY}" in result.output


def test_full_asks_the_playbook_for_every_box(project, runs_seen):
    result = CliRunner().invoke(app, ["deploy", "--full", "--home", str(project)])
    assert result.exit_code == 0, result.output
    assert runs_seen == [
        {"playbook": "site.yml", "limit": None, "extravars": {"cloudy_skip_unchanged": False}}
    ]


def test_json_prints_json_only(project, runs_seen):
    result = CliRunner().invoke(app, ["deploy", "--json", "--home", str(project)])
    assert result.exit_code == 0 and "ran on" not in result.output
