"""`cloudy up` ends with commands to paste: they must name the cloudy that ran, not whichever is on PATH."""

import os
import shutil
import sys
from types import SimpleNamespace

import pytest
import typer
from typer.testing import CliRunner

from cloudy_deploy.cli import options, run
from cloudy_deploy.lab import manager, state


@pytest.fixture
def venv(tmp_path):
    """A project folder with its own .venv/bin/cloudy (what ./scripts/up.sh makes)."""
    bin_dir = tmp_path / "repo" / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("cloudy", "python"):
        (bin_dir / name).write_text("#!/bin/sh\n")
        (bin_dir / name).chmod(0o755)
    return bin_dir


def running(monkeypatch, script, on_path):
    monkeypatch.setattr(sys, "argv", [str(script), "up"])
    monkeypatch.setattr(shutil, "which", lambda name: str(on_path) if on_path and name == "cloudy" else None)


def test_not_on_path_gives_the_path_relative_to_the_folder(monkeypatch, venv):
    running(monkeypatch, venv / "cloudy", None)
    assert options.this_cloudy(venv.parent.parent) == ".venv/bin/cloudy"


def test_the_one_on_path_is_plain_cloudy(monkeypatch, venv, tmp_path):
    running(monkeypatch, venv / "cloudy", venv / "cloudy")
    assert options.this_cloudy(tmp_path) == "cloudy"
    link = tmp_path / "cloudy"  # e.g. ~/.local/bin/cloudy -> the venv's
    link.symlink_to(venv / "cloudy")
    running(monkeypatch, venv / "cloudy", link)
    assert options.this_cloudy(tmp_path) == "cloudy"


def test_another_cloudy_on_path_is_not_taken(monkeypatch, venv, tmp_path):
    other = tmp_path / "other" / "cloudy"
    other.parent.mkdir()
    other.write_text("#!/bin/sh\n")
    running(monkeypatch, venv / "cloudy", other)
    assert options.this_cloudy(venv.parent.parent) == ".venv/bin/cloudy"


def test_absolute_when_shorter_dot_slash_in_its_own_folder_quoted_when_needed(monkeypatch, venv, tmp_path):
    running(monkeypatch, venv / "cloudy", None)
    deep = tmp_path.joinpath(*"abcdefghijklmnopqrstuvwxyz0123456789")  # 36 times `../` is the longer
    deep.mkdir(parents=True)
    assert options.this_cloudy(deep) == str(venv / "cloudy")
    assert options.this_cloudy(venv) == "./cloudy"
    spaced = tmp_path / "my repo" / "bin"
    spaced.mkdir(parents=True)
    (spaced / "cloudy").write_text("")
    running(monkeypatch, spaced / "cloudy", None)
    assert options.this_cloudy(tmp_path) == "'my repo/bin/cloudy'"


def test_python_dash_m_gives_the_entry_point_beside_that_python(monkeypatch, venv):
    monkeypatch.setattr(sys, "executable", str(venv / "python"))
    running(monkeypatch, "/src/cloudy_deploy/__main__.py", None)
    assert options.this_cloudy(venv.parent.parent) == ".venv/bin/cloudy"
    (venv / "cloudy").unlink()
    assert options.this_cloudy(venv.parent.parent) == ".venv/bin/python -m cloudy_deploy"


app = typer.Typer()
app.command()(run.up)
app.command("other")(lambda: None)


@pytest.fixture
def fake_up(monkeypatch):
    """`cloudy up` without docker or ansible: the lab and the deploy succeed at once."""
    monkeypatch.setattr(state, "load", lambda name, home: None)
    monkeypatch.setattr(manager, "up", lambda req, say, tick: None)
    plan = SimpleNamespace(hosts=[SimpleNamespace(services=("avahi",))] * 3)  # 3 boxes, no panel
    monkeypatch.setattr(run, "_refresh", lambda home, source: (run.proj.open_project(home), plan))
    monkeypatch.setattr(run, "_run_site", lambda *args, **kwargs: None)


def test_up_prints_the_cloudy_that_ran(monkeypatch, venv, fake_up):
    repo = venv.parent.parent
    running(monkeypatch, venv / "cloudy", None)
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(app, ["up"])
    assert result.exit_code == 0, result.output
    assert "a shell on a box:   .venv/bin/cloudy lab ssh lab-1\n" in result.stderr
    assert "what each box runs: .venv/bin/cloudy status\n" in result.stderr


def test_up_names_the_project_folder_it_was_given(monkeypatch, venv, fake_up, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    running(monkeypatch, venv / "cloudy", venv / "cloudy")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["up", "--home", str(project)])
    assert result.exit_code == 0, result.output
    # --home before the box: `lab ssh` takes everything after the box as the command to run.
    assert f"cloudy lab ssh --home .{os.sep}project lab-1\n" in result.stderr
    assert f"cloudy status --home .{os.sep}project\n" in result.stderr
