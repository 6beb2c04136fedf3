"""Run records keep no secret: playbooks/browse.yml (what `cloudy services` runs) through the real
runner on this machine (local connection), with an avahi-browse that announces a Tahoe FURL. The
report masks it, and nothing under .cloudy/ holds it (job events, stdout, cloudy-run.json); runs
are private (folders 0700, records 0600)."""

import stat
import sys
from pathlib import Path

import pytest

from cloudy_deploy import progress, runner, runs

FURL = "pb://tubid@tcp:10.99.0.2:3458/introducer-swissnum"
INTRO = "Tahoe-LAFS\\032introducer\\032on\\032b1;_tahoe-introducer._tcp;local"
LINES = [
    f"+;tinc0;IPv4;{INTRO}",
    f'=;tinc0;IPv4;{INTRO};b1.local;10.99.0.2;3458;"furl={FURL}" "grid=g"',
]
INVENTORY = f"""all:
  hosts:
    b1: {{ansible_connection: local, ansible_python_interpreter: {sys.executable}}}
  children:
    avahi: {{hosts: {{b1: }}}}
"""

pytestmark = pytest.mark.skipif(
    not (Path(sys.executable).parent / "ansible-playbook").exists(),
    reason="needs ansible-core beside this Python",
)


@pytest.fixture
def browse(tmp_path, monkeypatch):
    """Runs browse.yml with a fake avahi-browse that prints LINES, or fails with CODE."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    inventory = tmp_path / "inventory"
    inventory.mkdir()
    (inventory / "hosts.yml").write_text(INVENTORY)
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path(sys.executable).parent}:/usr/bin:/bin")

    def run(home: Path, code: int = 0) -> runs.RunRecord:
        script = bin_dir / "avahi-browse"
        body = "".join(f"printf '%s\\n' '{line}'\n" for line in LINES)
        script.write_text(f"#!/bin/sh\n{body}echo 'avahi: {FURL} went wrong' >&2\nexit {code}\n")
        script.chmod(0o755)
        return runner.run_playbook(
            "browse.yml",
            inventory,
            progress.QuietDisplay(),
            command="services",
            home=home,
            limit="b1",
            forks=1,
        )

    return run


def no_furl_under(root: Path) -> None:
    files = [p for p in root.rglob("*") if p.is_file()]
    assert any(p.name == "cloudy-run.json" for p in files)
    for path in files:
        assert "pb://" not in path.read_text(errors="replace"), path


def test_browse_reports_the_announcement_with_the_furl_masked(home, browse):
    record = browse(home)
    assert record.success, record
    lines = record.reports["b1"]["browse"]
    assert lines[1].endswith('"furl=(secret)" "grid=g"') and lines[0] == LINES[0]
    no_furl_under(home / ".cloudy")

    root = runs.runs_dir(home)
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert stat.S_IMODE((root / record.id).stat().st_mode) == 0o700
    assert stat.S_IMODE((root / record.id / runs.RECORD).stat().st_mode) == 0o600


def test_a_failed_browse_says_why_without_the_furl(home, browse):
    runs.runs_dir(home).mkdir(parents=True, mode=0o755)  # made before runs were private
    record = browse(home, code=1)
    assert not record.success
    [failure] = record.hosts["b1"].failures
    assert "avahi-browse failed (exit code 1)" in failure and "(secret) went wrong" in failure
    no_furl_under(home / ".cloudy")
    assert stat.S_IMODE(runs.runs_dir(home).stat().st_mode) == 0o700
