"""Honest state through `cloudy` as a user runs it: which spec and which folder a command uses, and
services that no role deploys."""

import hashlib
import json
from pathlib import Path

import pytest
import yaml

from cloudy_deploy.scaffold import template
from tests.conftest import run_cloudy

NODES = "nodes:\n  - {name: box1, address: 10.1.2.3}\n  - {name: box2, address: 10.1.2.4}\n"


def refused(result, fragment: str) -> str:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and fragment in lines[0], lines[0]
    assert result.stdout == ""
    return lines[0]


@pytest.fixture
def project(home: Path) -> Path:
    (home / "cloudy.yml").write_text("cloud: gcodis\nsources:\n  - static: nodes.yml\n")
    (home / "nodes.yml").write_text(NODES)
    return home


def test_without_cloudy_yml_a_command_says_it_uses_the_built_in_spec(home):
    (home / "nodes.yml").write_text(NODES)
    result = run_cloudy("plan", "--dry-run", "--source", "static:nodes.yml", home=home)
    assert result.returncode == 0, result.stderr
    assert f"no cloudy.yml in {home}: using the built-in lab spec" in result.stderr
    assert result.stderr.count("built-in") == 1


def test_with_cloudy_yml_nothing_is_said_about_specs(project):
    result = run_cloudy("plan", "--dry-run", home=project)
    assert result.returncode == 0, result.stderr
    assert "built-in" not in result.stderr


@pytest.mark.parametrize("where", ["after", "before", "env"])
def test_a_home_that_does_not_exist_is_an_error_not_a_new_folder(tmp_path, home, where):
    missing = tmp_path / "typo"
    args, env = ["plan", "--dry-run"], {}
    if where == "after":
        args += ["--home", str(missing)]
    elif where == "before":
        args = ["--home", str(missing), *args]
    else:
        env = {"CLOUDY_HOME": str(missing)}
    line = refused(run_cloudy(*args, home=home, env=env), f"{missing}: does not exist")
    assert "mkdir" in line
    assert not missing.exists()
    assert list(home.iterdir()) == []


def test_a_home_that_is_a_file_is_an_error(tmp_path, home):
    file = tmp_path / "file"
    file.write_text("x")
    refused(run_cloudy("status", "--home", str(file), home=home), "is not a folder")


@pytest.mark.parametrize("how", ["before", "after", "env"])
def test_home_before_or_after_the_subcommand_or_in_the_environment(project, home, tmp_path, how):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    args = ["plan", "--json"]
    env = {}
    if how == "before":
        args = ["--home", str(project), *args]
    elif how == "after":
        args += ["--home", str(project)]
    else:
        env = {"CLOUDY_HOME": str(project)}
    result = run_cloudy(*args, home=elsewhere, env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["cloud"] == "gcodis"
    assert (project / "cloudy.lock").exists()
    assert list(elsewhere.iterdir()) == []


def test_the_subcommands_home_wins_over_the_global_one(project, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    result = run_cloudy(
        "--home", str(other), "plan", "--dry-run", "--json", "--home", str(project), home=other
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["cloud"] == "gcodis"


OFF = [
    (
        "  caracaldb: {nodes: 1}\n",
        "caracaldb",
        "services.caracaldb: caracaldb is off: its software is not given",
    ),
    ("  peerstreamer: {sources: 1}\n", "peerstreamer", "services.peerstreamer: peerstreamer is off"),
]


@pytest.mark.parametrize("command", [["plan", "--dry-run"], ["plan", "--json"], ["inventory"]])
@pytest.mark.parametrize(("service", "group", "fragment"), OFF)
def test_a_supplied_service_without_its_software_is_off_in_one_line(
    project, command, service, group, fragment
):
    (project / "cloudy.yml").write_text(
        f"cloud: gcodis\nsources:\n  - static: nodes.yml\nservices:\n  avahi: all\n{service}"
    )
    result = run_cloudy(*command, home=project)
    assert result.returncode == 0, result.stderr
    said = [line for line in result.stderr.splitlines() if " is off: " in line]
    assert len(said) == 1 and f"cloudy.yml:6: {fragment}" in said[0], result.stderr
    assert f"services.{group}.artifact: {{src: FILE or url: URL, sha256: HEX}}" in said[0]
    if command == ["plan", "--json"]:
        planned = json.loads(result.stdout)
        assert planned["off"] == {group: f"services.{group}.artifact"}
        assert all(group not in h["services"] for h in planned["hosts"])
    if command == ["inventory"]:
        hosts = yaml.safe_load((project / ".cloudy" / "inventory" / "hosts.yml").read_text())
        assert not hosts["all"]["children"][group].get("hosts")
        assert not (project / ".cloudy" / "inventory" / "group_vars" / "all" / "artifacts.yml").exists()


def test_a_supplied_service_with_its_software_is_placed(project):
    standin = project / "streamer"
    standin.write_bytes(b"stand-in\n")
    digest = hashlib.sha256(b"stand-in\n").hexdigest()
    (project / "cloudy.yml").write_text(
        "cloud: gcodis\nsources:\n  - static: nodes.yml\nservices:\n  avahi: all\n"
        f"  peerstreamer: {{artifact: {{src: streamer, sha256: {digest.upper()}}}}}\n"
    )
    result = run_cloudy("inventory", home=project)
    assert result.returncode == 0, result.stderr
    assert " is off: " not in result.stderr
    artifacts = yaml.safe_load(
        (project / ".cloudy" / "inventory" / "group_vars" / "all" / "artifacts.yml").read_text()
    )
    assert artifacts == {
        "cloudy_artifacts": {"peerstreamer": {"name": "streamer", "sha256": digest, "src": str(standin)}}
    }


@pytest.mark.parametrize(
    ("artifact", "fragment"),
    [
        ("{src: streamer, sha256: " + "ab" * 32 + "}", "streamer has sha256 "),
        ("{src: nothere, sha256: " + "ab" * 32 + "}", "nothere: no such file"),
        ("{src: streamer, sha256: abc}", "'abc' is not a sha256"),
        (
            "{src: streamer, url: 'https://x.org/s', sha256: " + "ab" * 32 + "}",
            "src: PATH or url: URL, one of them",
        ),
        ("{url: 'ftp:/x', sha256: " + "ab" * 32 + "}", "is not an http(s) URL"),
    ],
)
def test_a_bad_artifact_is_refused_in_one_line(project, artifact, fragment):
    (project / "streamer").write_bytes(b"stand-in\n")
    (project / "cloudy.yml").write_text(
        "cloud: gcodis\nsources:\n  - static: nodes.yml\nservices:\n  avahi: all\n"
        f"  peerstreamer:\n    artifact: {artifact}\n"
    )
    refused(run_cloudy("inventory", home=project), fragment)
    assert not (project / ".cloudy" / "inventory").exists()


def test_webui_and_services_with_roles_plan(project):
    (project / "cloudy.yml").write_text(
        "cloud: gcodis\nsources:\n  - static: nodes.yml\nservices:\n  webui: all\n  dns: {servers: 1}\n"
        "  tahoe: {shares: {needed: 1, happy: 2, total: 2}}\n"
    )
    result = run_cloudy("plan", "--json", home=project)
    assert result.returncode == 0, result.stderr
    services = {h["name"]: h["services"] for h in json.loads(result.stdout)["hosts"]}
    assert all("webui" in s for s in services.values())


def test_the_init_template_plans_and_offers_roleless_services_only_as_comments(home):
    run_cloudy("init", home=home)
    (home / "nodes.yml").write_text(NODES)
    result = run_cloudy("plan", "--json", home=home)
    assert result.returncode == 0, result.stderr
    assert {tuple(h["services"]) for h in json.loads(result.stdout)["hosts"]} == {("avahi", "webui")}
    text = template("cloudy.yml")
    for name in ("caracaldb", "peerstreamer", "gvod"):
        assert f"\n  {name}:" not in text  # never active: their software is the admin's
        assert f"  # {name}:" in text
