"""Clouder's page through the Flask test client over the fake helper with a Clouder box
(tests/browser/fake_clouder.py): Docker, containers and images shown; the buttons a container
offers; every bad value sent back with its error and nothing asked of the box."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cloudy_panel.web import create_app
from tests.browser.fake_clouder import ClouderHelper
from tests.unit import test_panel_web as web
from tests.unit.test_panel_web import run_job

PAGE = "/clommunity/clouder"
RUN = {"name": "blog", "image": "redis:7", "port": "6379", "publish": "yes"}


@pytest.fixture
def admin(tmp_path: Path, browse_file: Path):
    key = tmp_path / "secret"
    key.write_text("k" * 48)
    with ClouderHelper(tmp_path / "helper.sock") as fake:
        app = create_app(
            {
                "helper_socket": fake.path,
                "secret_key_file": str(key),
                "avahi_browse": ["cat", str(browse_file)],
            }
        )
        panel = web.Panel(app, fake)
        assert panel.login().status_code == 302
        yield panel


browse_file = web.browse_file


def configures(panel) -> list[dict]:
    return [
        a["values"] for v, a in panel.helper.calls if v == "service.action" and a["action"] == "configure"
    ]


def buttons(page: str, name: str) -> list[str]:
    row = re.search(rf'<tr data-container="{re.escape(name)}".*?</tr>', page, re.S)
    assert row, name
    return re.findall(r'<button type="submit" id="([a-z]+)-', row.group(0))


def test_page_shows_docker_containers_and_images(admin):
    page = admin.get(PAGE).get_data(as_text=True)
    assert 'data-active="yes"' in page and "version 20.10.24+dfsg1" in page
    assert buttons(page, "web") == ["stop", "remove", "publish"]
    assert buttons(page, "gcodis-box-4") == ["stop"]  # a box of the cloud: never removed here
    assert buttons(page, "stranger") == []  # not Cloudy's: no unit to act on
    assert 'data-image="nginx:1.25"' in page and "117MB" in page
    options = re.search(r'<select name="image" id="run-image">(.*?)</select>', page, re.S)
    assert options and re.findall(r'value="([^"]+)"', options.group(1)) == ["nginx:1.25", "redis:7"]


def test_no_section_nor_form_while_docker_is_not_running(admin):
    admin.helper.states["clouder"] = "not-installed"
    page = admin.get(PAGE).get_data(as_text=True)
    assert 'id="clouder"' not in page and "form-run" not in page and 'id="do-install"' in page


def test_run_an_image(admin):
    run_job(admin, admin.post(f"{PAGE}/configure/run", RUN, token_from=PAGE))
    assert configures(admin) == [{"form": "run", **RUN, "port": 6379}]
    assert buttons(admin.get(PAGE).get_data(as_text=True), "blog") == ["stop", "remove", "publish"]


@pytest.mark.parametrize(
    ("form", "values", "field"),
    [
        ("run", RUN | {"name": "Blog"}, "name"),
        ("run", RUN | {"name": "-x"}, "name"),
        ("run", RUN | {"name": "a;id"}, "name"),
        ("run", RUN | {"name": "x" * 64}, "name"),
        ("run", RUN | {"image": "redis:7 --privileged"}, "image"),
        ("run", RUN | {"image": "{{ x }}"}, "image"),
        ("run", RUN | {"port": "0"}, "port"),
        ("run", RUN | {"port": "70000"}, "port"),
        ("run", RUN | {"port": "http"}, "port"),
        ("run", RUN | {"publish": "sure"}, "publish"),
        ("start", {"name": "../etc"}, "name"),
        ("remove", {"name": ""}, "name"),
        ("publish", {"name": "web", "port": "65536"}, "port"),
        ("publish", {"name": "web", "port": ""}, "port"),
    ],
)
def test_bad_values_come_back_with_their_error(admin, form, values, field):
    answer = admin.post(f"{PAGE}/configure/{form}", values, token_from=PAGE)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert f'data-field="{field}"' in page
    assert configures(admin) == []


def test_an_image_not_on_the_box_is_refused_by_the_helper(admin):
    answer = admin.post(f"{PAGE}/configure/run", RUN | {"image": "postgres:16"}, token_from=PAGE)
    assert answer.status_code == 400 and "The box refused these values." in answer.get_data(as_text=True)
    assert all(c["name"] != "blog" for c in admin.helper.containers)


@pytest.mark.parametrize(("form", "name"), [("stop", "web"), ("stop", "gcodis-box-4"), ("remove", "web")])
def test_container_buttons(admin, form, name):
    answer = admin.post(f"{PAGE}/configure/{form}", {"name": name}, token_from=PAGE)
    assert answer.status_code == 302 and answer.location.endswith(PAGE)
    page = admin.get(PAGE).get_data(as_text=True)
    assert "Done." in page
    if form == "remove":
        assert 'data-container="web"' not in page
    else:
        assert buttons(page, name)[0] == "start"


def test_a_box_is_not_removed(admin):
    answer = admin.post(f"{PAGE}/configure/remove", {"name": "gcodis-box-4"}, token_from=PAGE)
    assert answer.status_code == 400 and 'data-container="gcodis-box-4"' in answer.get_data(as_text=True)


def test_publish_a_port(admin):
    run_job(admin, admin.post(f"{PAGE}/configure/publish", {"name": "web", "port": "8081"}, token_from=PAGE))
    assert configures(admin) == [{"form": "publish", "name": "web", "port": 8081}]
    assert "8081 · announced" in admin.get(PAGE).get_data(as_text=True)


def test_buttons_need_the_csrf_token(admin):
    answer = admin.post(f"{PAGE}/configure/remove", {"name": "web"}, token=None)
    assert answer.status_code == 400 and configures(admin) == []
