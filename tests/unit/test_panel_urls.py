"""`cloudy deploy` and `up` print each panel's URLs (the plan's webui boxes), `--json` carries them in
the recap, and `cloudy status` shows the URL and fingerprint a box reports (role webui's local fact).
Through `cloudy`'s entry point with the playbook run replaced: what is tested is the printing."""

import json
import sys
from pathlib import Path

import pytest

from cloudy_deploy import runs
from cloudy_deploy.cli import main
from cloudy_deploy.cli import run as cli_run
from cloudy_deploy.events import HostStats

NODES = "nodes:\n  - {name: box1, address: 192.0.2.11}\n  - {name: box2, address: 192.0.2.12}\n"
SHA = "ab" * 32
SPEC = (
    "cloud: gcodis\noverlay: {{subnet: 10.99.0.0/24}}\n"
    "sources:\n  - static: nodes.yml\nservices: {{webui: {webui}}}\n"
)


@pytest.fixture
def project(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (home / "cloudy.yml").write_text(SPEC.format(webui="all"))
    (home / "nodes.yml").write_text(NODES)
    monkeypatch.chdir(home)
    monkeypatch.delenv("CLOUDY_HOME", raising=False)
    monkeypatch.setattr(cli_run.hostkeys, "require_known", lambda *a, **k: None)
    return home


@pytest.fixture
def played(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Replace the playbook run by a successful one on box1 and box2; box1 reports its panel."""
    calls: list[dict] = []

    def run_playbook(playbook, inventory, display, *, command, **kwargs):
        record = runs.RunRecord(id="r1", command=command, playbook=playbook, started=0.0, status="successful")
        record.hosts = {"box1": HostStats(ok=1), "box2": HostStats(ok=1)}
        base = {"uptime": 60, "overlay_ip": "10.99.0.1", "peers": [], "peers_expected": 1, "services": []}
        record.reports = {
            "box1": {
                **base,
                "panel": {"url": "https://10.99.0.1:7443/", "sha256": SHA},
                "panel_choices": {"tahoe": {"form": "create", "grid": "g1", "nickname": "n1"}},
            },
            "box2": {**base, "overlay_ip": "10.99.0.2", "panel": {}},
        }
        display.start(record, None)
        display.stop(record)
        calls.append({"playbook": playbook, "command": command})
        return record

    monkeypatch.setattr(cli_run.runner, "run_playbook", run_playbook)
    return calls


def cloudy(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    sys.argv = ["cloudy", *args]
    with pytest.raises(SystemExit) as exit_:
        main()
    captured = capsys.readouterr()
    return int(exit_.value.code or 0), captured.out, captured.err


def test_deploy_prints_each_panel_on_the_overlay_and_the_public_address(capsys, project, played):
    code, out, err = cloudy(capsys, "deploy")
    assert code == 0, err
    # One run: site.yml's first play leaves out the unchanged boxes (applied_check.yml).
    assert played == [{"playbook": "site.yml", "command": "deploy"}]
    assert "panel of box1: https://10.99.0.2:7443/ (also https://192.0.2.11:7443/)" in err
    assert "panel of box2: https://10.99.0.3:7443/ (also https://192.0.2.12:7443/)" in err
    assert out == ""


def test_deploy_json_carries_the_panels_in_the_recap(capsys, project, played):
    code, out, err = cloudy(capsys, "deploy", "--json")
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[-1]["type"] == "recap"
    assert lines[-1]["panels"] == [
        {"node": "box1", "url": "https://10.99.0.2:7443/", "public_url": "https://192.0.2.11:7443/"},
        {"node": "box2", "url": "https://10.99.0.3:7443/", "public_url": "https://192.0.2.12:7443/"},
    ]


def test_no_panel_no_line(capsys, project, played):
    (project / "cloudy.yml").write_text(SPEC.format(webui="none"))
    code, out, err = cloudy(capsys, "deploy", "--json")
    assert code == 0, err
    assert json.loads(out.splitlines()[-1])["panels"] == []
    code, _out, err = cloudy(capsys, "deploy")
    assert code == 0 and "panel of" not in err


def test_status_shows_the_reported_url_and_fingerprint(capsys, project, played):
    code, out, err = cloudy(capsys, "status")
    assert code == 0, err
    assert f"box1: panel https://10.99.0.1:7443/ sha256 {SHA}; chosen on the panel: tahoe (create)" in err
    assert "box2: panel" not in err  # no panel reported there
    code, out, err = cloudy(capsys, "status", "--json")
    rows = {row["node"]: row for row in json.loads(out)}
    assert rows["box1"]["panel"] == {"url": "https://10.99.0.1:7443/", "sha256": SHA}


def test_up_prints_the_panels_after_the_commands_to_paste(capsys, project, played):
    code, _out, err = cloudy(capsys, "up")
    assert code == 0, err
    # One run: site.yml's first play leaves out the unchanged boxes (applied_check.yml).
    assert played == [{"playbook": "site.yml", "command": "up"}]
    assert "panel of box1: https://10.99.0.2:7443/ (also https://192.0.2.11:7443/)" in err
