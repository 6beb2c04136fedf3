"""PeerStreamer in the panel: "Publish a video stream" and "Join video" (prefilled from another box's
_peerstreamer._tcp announcement), through the Flask test client and the fake helper; and how the real
helper turns each form into a local run of the peerstreamer role (its channel checked by the role's
own module)."""

from __future__ import annotations

import json
import re

import pytest

from tests.unit import test_panel_helper as real
from tests.unit import test_panel_web as web
from tests.unit.test_panel_helper import call, code_of, fake_playbook, wait_job
from tests.unit.test_panel_web import run_job
from tests.unit.test_peerstreamer_channels import mod as channels_module

admin, helper, panel, ctx = web.admin, web.helper, web.panel, real.ctx

PUBLISH = {"description": "Festa major", "source": "rtmp://cam.example/live/festa", "port": "6100"}
CONNECT = {"peer_ip": "10.99.0.3", "peer_port": "6100", "output": "udp", "local_port": "6200", "source": ""}
ANNOUNCED = (
    "=;tap0;IPv4;Festa\\032major;_peerstreamer._tcp;local;box-3.local;10.99.0.3;6100;"
    '"port=6100" "ip=10.99.0.3" "source=10.99.0.7"'
)
PAGE = "/clommunity/peerstreamer"


@pytest.fixture
def browse_file(tmp_path):
    path = tmp_path / "browse.txt"
    path.write_text("\n".join([*web.BROWSE_LINES, ANNOUNCED]) + "\n")
    return path


def value_of(page: str, field: str) -> str:
    found = re.search(rf'<input[^>]*id="connect-{field}"[^>]*value="([^"]*)"', page)
    return found.group(1) if found else ""


def test_publish_installs_with_the_forms_values(admin):
    page = admin.get(PAGE).get_data(as_text=True)
    assert 'data-state="not-installed"' in page and "form-publish" in page and "form-connect" in page
    assert "Publish a video stream" in page and "Join video" in page
    run_job(admin, admin.post(f"{PAGE}/configure/publish", PUBLISH, token_from=PAGE))
    assert admin.helper.config["peerstreamer"] == {"form": "publish", **PUBLISH, "port": 6100}


def test_join_prefilled_from_the_announcement(admin):
    search = admin.get("/avahi").get_data(as_text=True)
    join = re.search(r'href="(/clommunity/peerstreamer\?[^"]+)">Join video', search)
    assert join
    page = admin.get(join.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert (value_of(page, "peer_ip"), value_of(page, "peer_port"), value_of(page, "source")) == (
        "10.99.0.3",
        "6100",
        "10.99.0.7",
    )
    values = CONNECT | {"source": "10.99.0.7"}
    run_job(admin, admin.post(f"{PAGE}/configure/connect", values, token_from=PAGE))
    assert admin.helper.config["peerstreamer"] == {
        "form": "connect",
        **values,
        "peer_port": 6100,
        "local_port": 6200,
    }


@pytest.mark.parametrize(
    ("form", "change", "field"),
    [
        ("publish", {"source": "/etc/shadow"}, "source"),
        ("publish", {"source": "http://x/a b"}, "source"),
        ("publish", {"source": "http://x/$(id)"}, "source"),
        ("publish", {"source": "file:///etc/shadow"}, "source"),
        ("publish", {"port": "80"}, "port"),
        ("publish", {"description": "a%h"}, "description"),
        ("publish", {"description": "x" * 64}, "description"),
        ("connect", {"peer_ip": "box-3"}, "peer_ip"),
        ("connect", {"output": "http"}, "output"),
        ("connect", {"local_port": "65535"}, "local_port"),
        ("connect", {"peer_port": "70000"}, "peer_port"),
    ],
)
def test_bad_values_change_nothing(admin, form, change, field):
    values = (PUBLISH if form == "publish" else CONNECT) | change
    answer = admin.post(f"{PAGE}/configure/{form}", values, token_from=PAGE)
    assert answer.status_code == 400 and f'data-field="{field}"' in answer.get_data(as_text=True)
    assert "peerstreamer" not in admin.helper.config


def test_forms_in_catalan(admin):
    admin.post("/languages", {"lang": "ca"}, token_from="/languages")
    page = admin.get(PAGE).get_data(as_text=True)
    assert "Publica un flux de vídeo" in page and "Uneix-te al vídeo" in page


# The real helper --------------------------------------------------------------------------------
def run(ctx, tmp_path, values: dict) -> dict:
    fake_playbook(ctx, tmp_path)
    wait_job(
        ctx, call(ctx, "service.action", service="peerstreamer", action="configure", values=values)["job"]
    )
    return json.loads((ctx.state_dir / "ansible" / "peerstreamer-inventory.json").read_text())


def role_check(channels: list, may_publish: bool) -> list:
    """What the role's first task does with them (peerstreamer_channels)."""
    return channels_module.channels(channels, "cloudy", "10.99.0.2", may_publish)


def test_publish_plan(ctx, tmp_path):
    data = run(ctx, tmp_path, {"form": "publish", **PUBLISH})
    assert list(g for g, v in data["all"]["children"].items() if v) == ["peerstreamer", "peerstreamer_source"]
    channels = data["all"]["hosts"]["box1"]["peerstreamer_channels"]
    assert channels == [
        {
            "name": "ch6100",
            "kind": "publish",
            "port": 6100,
            "description": "Festa major",
            "source": "rtmp://cam.example/live/festa",
        }
    ]
    # The streamer is the cloud's (the box's catalog), never the form's.
    assert data["all"]["hosts"]["box1"]["peerstreamer_artifact"]["url"].startswith(
        "http://10.99.0.2:3481/artifacts/"
    )
    [checked] = role_check(channels, may_publish=True)
    assert " -i rtmp://cam.example/live/festa " in checked["feed"]


@pytest.mark.parametrize(("output", "source"), [("udp", ""), ("rtsp", "10.99.0.7")])
def test_connect_plan(ctx, tmp_path, output, source):
    data = run(ctx, tmp_path, {"form": "connect", **CONNECT, "output": output, "source": source})
    assert list(g for g, v in data["all"]["children"].items() if v) == ["peerstreamer"]
    [channel] = data["all"]["hosts"]["box1"]["peerstreamer_channels"]
    assert channel | {"description": ""} == {
        "name": "ch6201",
        "kind": "connect",
        "port": 6201,
        "description": "",
        "peer_ip": "10.99.0.3",
        "peer_port": 6100,
        "output": output,
        "output_port": 6200,
    } | ({"source_ip": source} if source else {})
    [checked] = role_check([channel], may_publish=False)
    assert checked["announce"]["txt"]["source"] == (source or "10.99.0.3")
    assert checked["args"].startswith("-i 10.99.0.3 -p 6100 -P 6201 ")


def test_helper_refuses_bad_values(ctx, tmp_path):
    fake_playbook(ctx, tmp_path)
    values = {"form": "publish", **PUBLISH, "source": "/etc/shadow"}
    assert (
        code_of(ctx, "service.action", service="peerstreamer", action="configure", values=values)
        == "bad-args"
    )
    assert not (ctx.state_dir / "ansible" / "peerstreamer-inventory.json").exists()
