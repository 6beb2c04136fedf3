"""`--fast` (fast.py): Mitogen for Ansible as the strategy, or one line of bad input without it."""

import importlib.util
from pathlib import Path

import pytest

from cloudy_deploy import fast, runner
from tests.unit.test_cli_bad_input import cloudy, project, refused  # noqa: F401 (a fixture)


def test_fast_names_mitogens_strategy_and_its_plugins():
    env = runner.environment(None, fast=True)
    assert env["ANSIBLE_STRATEGY"] == "mitogen_linear"
    assert (Path(env["ANSIBLE_STRATEGY_PLUGINS"]) / "mitogen_linear.py").is_file()
    assert "ANSIBLE_STRATEGY" not in runner.environment(None)  # plain Ansible by default


@pytest.mark.parametrize("command", [["deploy", "--fast"], ["up", "--fast"]])
def test_fast_without_mitogen_is_bad_input_and_writes_nothing(capsys, project, monkeypatch, command):  # noqa: F811
    real = importlib.util.find_spec
    monkeypatch.setattr(
        fast.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "ansible_mitogen" else real(name, *a),
    )
    line = refused(capsys, project, command, "--fast needs Mitogen for Ansible")
    assert "pip install 'cloudy-deploy[fast]'" in line
