"""Bad input: one line on stderr, exit 2, nothing written."""

import pytest

from tests.conftest import run_cloudy


def assert_refused(result, home, fragment):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and fragment in lines[0]
    assert result.stdout == ""
    assert list(home.iterdir()) == []  # nothing created


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["lab", "up", "--nodes", "0"], "--nodes 0 is out of range"),
        (["lab", "up", "--nodes", "-3"], "out of range"),
        (["lab", "up", "--name", "my lab"], "'my lab' is not allowed"),
        (["lab", "up", "--name", "a/b"], "'a/b' is not allowed"),
        (["lab", "down", "--name", "../x"], "is not allowed"),
        (["lab", "up", "--nodes", "many"], "--nodes"),
        (["lab", "up", "--frobnicate"], "No such option"),
        (["discover", "--source", "cnml:missing.cnml"], "missing.cnml"),
        (["discover", "--source", "nonsense:x"], "nonsense"),
        (["services", "--type", "bad!"], "bad!"),
        (["services", "--interface", "127.0.0.1"], "--local"),
        (["deploy", "--retry-failed", "--limit", "box1"], "exclude each other"),
        (["deploy", "--retry-failed"], "no earlier deploy"),
        (["deploy", "--forks", "0"], "--forks"),
        (["runs", "show", "nope"], "no run 'nope'"),
    ],
)
def test_bad_input(home, args, fragment):
    assert_refused(run_cloudy(*args, home=home), home, fragment)


def test_unreachable_docker_daemon(home, tmp_path):
    env = {"DOCKER_HOST": f"unix://{tmp_path}/no-such.sock"}
    result = run_cloudy("lab", "up", "--nodes", "2", home=home, env=env)
    assert_refused(result, home, "cannot reach the Docker daemon")
    assert "dockerd" in result.stderr


def test_help_lists_the_commands_of_the_design(home):
    result = run_cloudy("--help", home=home, env={"COLUMNS": "200"})
    assert result.returncode == 0
    for command in [
        "init",
        "lab",
        "discover",
        "plan",
        "inventory",
        "deploy",
        "status",
        "services",
        "up",
    ]:
        assert f" {command} " in result.stdout, command
