"""Clouder in the root helper: docker's JSON lines read (also empty, missing or silent docker), the
commands built as argument lists, every form value checked before anything runs, and the runs of
role clouder with the panel's apps (clouder_apps)."""

from __future__ import annotations

import json
import subprocess

import pytest

from cloudy_panel.helper import clouder, services
from tests.unit import test_panel_helper as real
from tests.unit.test_panel_helper import call, code_of, fake_playbook, wait_job

ctx = real.ctx

SHOW = "Id=docker.service\nLoadState=loaded\nActiveState=active\nUnitFileState=enabled\n"
PS = "\n".join(
    json.dumps(row)
    for row in (
        {"Names": "web", "Image": "nginx:1.25", "State": "running", "Status": "Up 2 hours",
         "Ports": "0.0.0.0:8080->80/tcp, :::8080->80/tcp", "Labels": "org.cloudy.clouder=app,x=y"},
        {"Names": "gcodis-box-4", "Image": "cloudy/node:1", "State": "running", "Status": "Up",
         "Ports": "", "Labels": "org.cloudy.clouder=box"},
        {"Names": "stranger", "Image": "redis:7", "State": "exited", "Status": "Exited (0)",
         "Ports": "6379/tcp", "Labels": ""},
    )
)  # fmt: skip
IMAGES = "\n".join(
    json.dumps(row)
    for row in (
        {"Repository": "redis", "Tag": "7", "Size": "117MB"},
        {"Repository": "nginx", "Tag": "1.25", "Size": "187MB"},
        {"Repository": "<none>", "Tag": "<none>", "Size": "5MB"},
    )
)
RUN = {"form": "run", "name": "blog", "image": "nginx:1.25", "port": "80", "publish": "yes"}


@pytest.fixture
def box(ctx):
    """A box whose Docker runs, with the containers and images above."""
    ctx.fake.answers.update(
        {
            ("systemctl", "show"): (0, SHOW),
            ("docker", "ps"): (0, PS + "\n"),
            ("docker", "images"): (0, IMAGES),
            ("docker", "version"): (0, "20.10.24+dfsg1\n"),
        }
    )
    return ctx


def argvs(ctx) -> list[list[str]]:
    return [argv for argv, _ in ctx.fake.calls]


def configure(ctx, **values):
    return call(ctx, "service.action", service="clouder", action="configure", values=values)


# --- reading docker --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n", "not json\n", "[1, 2]\n", '"text"\n'])
def test_json_lines_empty_or_garbage(text):
    assert clouder.parse_json_lines(text) == []


def test_rows_as_the_page_shows_them():
    rows = [clouder.container(r) for r in clouder.parse_json_lines(PS)]
    assert rows == [
        {"name": "web", "image": "nginx:1.25", "state": "running", "status": "Up 2 hours", "port": 8080,
         "kind": "app"},
        {"name": "gcodis-box-4", "image": "cloudy/node:1", "state": "running", "status": "Up", "port": None,
         "kind": "box"},
        {"name": "stranger", "image": "redis:7", "state": "exited", "status": "Exited (0)", "port": None,
         "kind": ""},
    ]  # fmt: skip
    assert clouder.container({"Labels": "org.cloudy.clouder=other"})["kind"] == ""  # not a unit we know
    found = [clouder.image(r) for r in clouder.parse_json_lines(IMAGES)]
    assert found == [{"name": "redis:7", "size": "117MB"}, {"name": "nginx:1.25", "size": "187MB"}, None]


def test_status_reads_docker_with_bounded_calls(box):
    status = call(box, "service.action", service="clouder", action="status", values={})
    detail = status["detail"]
    assert status["state"] == "running"
    assert detail["docker"] == {"active": True, "version": "20.10.24+dfsg1"}
    assert [c["name"] for c in detail["containers"]] == ["web", "gcodis-box-4", "stranger"]
    assert detail["images"] == [{"name": "nginx:1.25", "size": "187MB"}, {"name": "redis:7", "size": "117MB"}]
    assert detail["options"] == {"image": ["nginx:1.25", "redis:7"]}
    docker = [(argv, kw) for argv, kw in box.fake.calls if argv[0] == "docker"]
    assert [argv for argv, _ in docker] == [
        ["docker", "version", "--format", "{{.Server.Version}}"],
        ["docker", "ps", "-a", "--format", "{{json .}}"],
        ["docker", "images", "--format", "{{json .}}"],
    ]
    assert all(kw["timeout"] == clouder.DOCKER_TIMEOUT for _, kw in docker)


def test_docker_not_installed_or_silent(box):
    def missing(argv, **kw):
        if argv[0] == "docker":
            raise FileNotFoundError(2, "No such file or directory", "docker")
        return real.FakeRun.__call__(box.fake, argv, **kw)

    box.run = missing
    detail = call(box, "service.action", service="clouder", action="status")["detail"]
    assert (detail["docker"]["version"], detail["containers"], detail["images"]) == ("", [], [])

    def hung(argv, **kw):
        if argv[0] == "docker":
            raise subprocess.TimeoutExpired(argv, kw["timeout"])
        return real.FakeRun.__call__(box.fake, argv, **kw)

    box.run = hung
    assert call(box, "service.action", service="clouder", action="status")["detail"]["containers"] == []


def test_docker_daemon_down(box):
    for key in (("docker", "ps"), ("docker", "images"), ("docker", "version")):
        box.fake.answers[key] = (1, "")  # "Cannot connect to the Docker daemon"
    detail = call(box, "service.action", service="clouder", action="status")["detail"]
    assert (detail["docker"]["version"], detail["containers"], detail["images"]) == ("", [], [])


def test_no_docker_call_while_docker_is_not_running(box):
    box.fake.answers[("systemctl", "show")] = (0, SHOW.replace("=active", "=inactive"))
    detail = call(box, "service.action", service="clouder", action="status")["detail"]
    assert detail["docker"] == {"active": False, "version": ""} and detail["options"] == {}
    assert not [a for a in argvs(box) if a[0] == "docker"]


# --- the forms' values -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"name": "-rf"},
        {"name": "Web"},
        {"name": "a b"},
        {"name": "web;id"},
        {"name": "x" * 64},
        {"name": ""},
        {"image": "Nginx"},
        {"image": "nginx:lat est"},
        {"image": "nginx:$(id)"},
        {"image": "/etc/passwd"},
        {"image": "{{ lookup('pipe','id') }}"},
        {"port": "0"},
        {"port": "65536"},
        {"port": "80a"},
        {"port": "-1"},
        {"publish": "maybe"},
        {"publish": ""},
        {"extra": "1"},
        {"form": "shell"},
    ],
)
def test_bad_run_values_change_nothing(box, tmp_path, change):
    fake_playbook(box, tmp_path)
    assert (
        code_of(box, "service.action", service="clouder", action="configure", values=RUN | change)
        == "bad-args"
    )
    assert argvs(box) == [] and not box.facts_file.exists()


@pytest.mark.parametrize(
    "values",
    [
        {"form": "start", "name": "../web"},
        {"form": "stop", "name": "web", "port": "80"},
        {"form": "remove"},
        {"form": "publish", "name": "web", "port": "99999"},
        {"form": "publish", "name": "web"},
    ],
)
def test_bad_button_values_change_nothing(box, values):
    assert code_of(box, "service.action", service="clouder", action="configure", values=values) == "bad-args"
    assert argvs(box) == []


# --- run and publish: role clouder with the panel's apps ------------------------------------------


def inventory_host(ctx) -> dict:
    data = json.loads((ctx.state_dir / "ansible" / "clouder-inventory.json").read_text())
    assert list(g for g, v in data["all"]["children"].items() if v) == ["clouder"]
    assert data["all"]["hosts"]["box1"]["clouder_from"] == "panel"  # the role prunes the panel's only
    return data["all"]["hosts"]["box1"]


def test_run_applies_the_role_with_every_app_of_the_panel(box, tmp_path):
    fake_playbook(box, tmp_path)
    assert wait_job(box, configure(box, **RUN)["job"])["state"] == "done"
    blog = {"name": "blog", "image": "nginx:1.25", "port": 80, "publish": True}
    assert inventory_host(box)["clouder_apps"] == [blog]
    cache = RUN | {"name": "cache", "image": "redis", "port": "6379", "publish": "no"}
    box.fake.answers[("docker", "images")] = (0, IMAGES.replace('"7"', '"latest"'))
    assert wait_job(box, configure(box, **cache)["job"])["state"] == "done"
    cache_app = {"name": "cache", "image": "redis", "port": 6379, "publish": False}
    assert inventory_host(box)["clouder_apps"] == [blog, cache_app]
    facts = json.loads(box.facts_file.read_text())
    assert facts["services"]["clouder"]["apps"] == [blog, cache_app]
    assert facts["groups"]["clouder"] == ["clouder"]
    # The same name again replaces its app.
    assert wait_job(box, configure(box, **RUN | {"port": "8000"})["job"])["state"] == "done"
    assert inventory_host(box)["clouder_apps"] == [blog | {"port": 8000}, cache_app]


@pytest.mark.parametrize(
    ("change", "why"),
    [({"image": "postgres:16"}, "not on this box"), ({"name": "stranger"}, "did not run")],
)
def test_run_refuses_what_the_box_does_not_have(box, tmp_path, change, why, caplog):
    fake_playbook(box, tmp_path)
    assert (
        code_of(box, "service.action", service="clouder", action="configure", values=RUN | change)
        == "bad-args"
    )
    assert why in caplog.text and not box.facts_file.exists()


def recorded_web(ctx) -> None:
    """The container "web" as the panel ran it before."""
    app = {"name": "web", "image": "nginx:1.25", "port": 80, "publish": False}
    values = {"form": "run", "name": "web", "image": "nginx:1.25", "port": 80, "publish": "no", "apps": [app]}
    services.record_choice(ctx, services.SERVICES["clouder"], values, ["clouder"])


def test_run_of_an_app_recorded_replaces_it(box, tmp_path):
    fake_playbook(box, tmp_path)
    recorded_web(box)
    wait_job(box, configure(box, **RUN | {"name": "web", "image": "redis:7"})["job"])
    assert inventory_host(box)["clouder_apps"] == [
        {"name": "web", "image": "redis:7", "port": 80, "publish": True}
    ]


def test_publish_sets_the_apps_entry_and_keeps_the_others(box, tmp_path):
    fake_playbook(box, tmp_path)
    recorded_web(box)
    wait_job(box, configure(box, **RUN)["job"])
    assert wait_job(box, configure(box, form="publish", name="web", port="8080")["job"])["state"] == "done"
    apps = inventory_host(box)["clouder_apps"]
    assert apps[0] == {"name": "web", "image": "nginx:1.25", "port": 80, "publish": True, "host_port": 8080}
    assert apps[1]["name"] == "blog"
    assert json.loads(box.facts_file.read_text())["services"]["clouder"]["name"] == "blog"  # the last run


def test_publish_of_an_app_the_panel_did_not_run(box):
    assert code_of(box, "service.action", service="clouder", action="configure",
                   values={"form": "publish", "name": "web", "port": "8080"}) == "failed"  # fmt: skip


# --- start, stop, remove ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "name", "argv"),
    [
        ("start", "web", ["systemctl", "start", "--", "clouder-app@web.service"]),
        ("stop", "web", ["systemctl", "stop", "--", "clouder-app@web.service"]),
        ("stop", "gcodis-box-4", ["systemctl", "stop", "--", "clouder-box@gcodis-box-4.service"]),
        ("start", "gcodis-box-4", ["systemctl", "start", "--", "clouder-box@gcodis-box-4.service"]),
    ],
)
def test_start_and_stop_act_on_the_containers_unit(box, form, name, argv):
    assert configure(box, form=form, name=name)["state"] == "running"
    assert argv in argvs(box)


def test_remove_an_app(box, tmp_path, monkeypatch):
    announce = tmp_path / "avahi-announce"
    announce.touch()
    monkeypatch.setattr(clouder, "AVAHI_ANNOUNCE", announce)
    recorded_web(box)
    configure(box, form="remove", name="web")
    calls = argvs(box)
    unit = "clouder-app@web.service"
    disable = calls.index(["systemctl", "disable", "--now", "--", unit])
    assert calls[disable + 1] == ["docker", "rm", "-f", "web"]
    assert calls[disable + 2] == [str(announce), "down", unit]
    assert json.loads(box.facts_file.read_text())["services"]["clouder"]["apps"] == []


@pytest.mark.parametrize(("name", "form"), [("gcodis-box-4", "remove"), ("stranger", "remove"),
                                            ("stranger", "stop"), ("nothere", "start")])  # fmt: skip
def test_no_remove_of_boxes_nor_action_on_others(box, name, form):
    assert code_of(box, "service.action", service="clouder", action="configure",
                   values={"form": form, "name": name}) == "bad-args"  # fmt: skip
    assert not [
        a for a in argvs(box) if (a[0] == "systemctl" and a[1] != "show") or a[:2] == ["docker", "rm"]
    ]


def test_a_failing_unit_is_reported(box):
    box.fake.answers[("systemctl", "start")] = (1, "")
    assert code_of(box, "service.action", service="clouder", action="configure",
                   values={"form": "start", "name": "web"}) == "failed"  # fmt: skip
