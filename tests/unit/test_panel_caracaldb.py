"""CaracalDB and GVoD in the panel: their descriptors' forms, the discovery that prefills them from
`_caracaldb._tcp`, and how the real helper turns them into a local run of the roles (no artifact: the
lead's catalog adds it)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cloudy_panel.web.services import load_services, validate
from tests.unit import test_panel_helper as real
from tests.unit import test_panel_web as web
from tests.unit.test_panel_helper import call, code_of, fake_playbook, wait_job
from tests.unit.test_panel_web import run_job

admin, helper, panel, ctx = web.admin, web.helper, web.panel, real.ctx

SERVICES = load_services()
GVOD = {"library": "/srv/videos", "caracal": "10.99.0.3:45678"}
BROWSE = [
    "=;tap0;IPv4;CaracalDB\\032on\\032box-2;_caracaldb._tcp;local;box-2.local;10.99.0.3;45678;"
    '"bootstrap=10.99.0.3:45678" "role=bootstrap"',
]


@pytest.fixture
def browse_file(tmp_path: Path) -> Path:
    path = tmp_path / "browse.txt"
    path.write_text("\n".join(BROWSE) + "\n")
    return path


def test_descriptors():
    cdb, gvod = SERVICES["caracaldb"], SERVICES["gvod"]
    assert cdb.units == ("caracaldb.service", "caracaldb-api.service") and cdb.role == "caracaldb"
    assert set(cdb.avahi_types) == {"_caracaldb._tcp", "_caracaldb-api._tcp"} and not cdb.settings_first
    assert gvod.settings_first and gvod.units == ("gvod.service",) and gvod.avahi_types == ("_gvod._tcp",)
    assert gvod.form("settings").fields[0].default == "/var/lib/gvod/library"


@pytest.mark.parametrize(
    ("service", "values", "bad"),
    [
        ("caracaldb", {"form": "join", "bootstrap": "10.99.0.3:45678"}, set()),
        ("caracaldb", {"form": "join", "bootstrap": "10.99.0.3"}, {"bootstrap"}),
        ("caracaldb", {"form": "join", "bootstrap": "box-2.local:45678"}, {"bootstrap"}),
        ("caracaldb", {"form": "join", "bootstrap": "256.1.1.1:45678"}, {"bootstrap"}),
        ("caracaldb", {"form": "join", "bootstrap": "10.0.0.1:45678\nx"}, {"bootstrap"}),
        ("gvod", {"form": "settings", **GVOD}, set()),
        ("gvod", {"form": "settings", **GVOD, "library": "videos"}, {"library"}),
        ("gvod", {"form": "settings", **GVOD, "library": "/srv/../etc"}, {"library"}),
        ("gvod", {"form": "settings", **GVOD, "library": "/srv/my videos"}, {"library"}),
        ("gvod", {"form": "settings", **GVOD, "library": "/{{ lookup('pipe','id') }}"}, {"library"}),
        ("gvod", {"form": "settings", "library": "/srv/videos"}, {"caracal"}),
    ],
)
def test_validate(service, values, bad):
    assert set(validate(SERVICES[service], values)[1]) == bad


def inventory(ctx, service):
    return json.loads((ctx.state_dir / "ansible" / f"{service}-inventory.json").read_text())


def role_vars(ctx, service):
    """The form's variables (the artifacts, from the catalog, are test_panel_artifacts.py's)."""
    host = inventory(ctx, service)["all"]["hosts"]["box1"]
    return {k: v for k, v in host.items() if k.startswith(service + "_") and not k.endswith("_artifact")}


def test_install_caracaldb_runs_a_cloud_of_its_own_with_the_api(ctx, tmp_path):
    fake_playbook(ctx, tmp_path)
    wait_job(ctx, call(ctx, "service.action", service="caracaldb", action="install")["job"])
    assert sorted(g for g, v in inventory(ctx, "caracaldb")["all"]["children"].items() if v) == [
        "caracaldb",
        "caracaldb_api",
    ]
    assert role_vars(ctx, "caracaldb") == {}


def test_join_caracaldb_names_the_bootstrap_server(ctx, tmp_path):
    fake_playbook(ctx, tmp_path)
    values = {"form": "join", "bootstrap": "10.99.0.3:45678"}
    wait_job(ctx, call(ctx, "service.action", service="caracaldb", action="configure", values=values)["job"])
    assert list(g for g, v in inventory(ctx, "caracaldb")["all"]["children"].items() if v) == ["caracaldb"]
    assert role_vars(ctx, "caracaldb") == {"caracaldb_bootstrap": "10.99.0.3:45678"}


def test_gvod_runs_its_role_with_the_forms_values(ctx, tmp_path):
    fake_playbook(ctx, tmp_path)
    values = {"form": "settings", **GVOD}
    wait_job(ctx, call(ctx, "service.action", service="gvod", action="configure", values=values)["job"])
    assert list(g for g, v in inventory(ctx, "gvod")["all"]["children"].items() if v) == ["gvod"]
    assert role_vars(ctx, "gvod") == {
        "gvod_library": "/srv/videos",
        "gvod_caracal_address": "10.99.0.3:45678",
    }


@pytest.mark.parametrize(
    ("service", "action", "values"),
    [
        ("gvod", "install", None),
        ("gvod", "configure", {"form": "settings", **GVOD, "caracal": "10.99.0.3"}),
        ("caracaldb", "configure", {"form": "join", "bootstrap": "x"}),
        ("caracaldb", "install", {"bootstrap": "10.99.0.3:45678"}),
    ],
)
def test_helper_refuses_bad_values(ctx, tmp_path, service, action, values):
    fake_playbook(ctx, tmp_path)
    kwargs = {} if values is None else {"values": values}
    assert code_of(ctx, "service.action", service=service, action=action, **kwargs) == "bad-args"
    assert not (ctx.state_dir / "ansible" / f"{service}-inventory.json").exists()


@pytest.mark.parametrize(
    ("service", "link", "field"),
    [("caracaldb", "Join CaracalDB", "join-bootstrap"), ("gvod", "Use for GVoD", "settings-caracal")],
)
def test_discovery_prefills_the_bootstrap_address(admin, service, link, field):
    page = admin.get("/avahi").get_data(as_text=True)
    assert 'data-type="_caracaldb._tcp"' in page
    found = re.search(rf'href="(/clommunity/{service}\?[^"]+)">{link}', page)
    assert found
    admin.helper.states[service] = "installed" if service == "caracaldb" else "not-installed"
    form = admin.get(found.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert re.search(rf'<input[^>]*id="{field}"[^>]*value="10\.99\.0\.3:45678"', form)


def test_gvod_settings_install_it(admin):
    path = "/clommunity/gvod"
    page = admin.get(path).get_data(as_text=True)
    assert 'data-state="not-installed"' in page and "form-settings" in page
    run_job(admin, admin.post(f"{path}/configure/settings", GVOD, token_from=path))
    assert admin.helper.config["gvod"] == {"form": "settings", **GVOD}


def test_both_are_in_the_clommunity_menu(admin):
    page = admin.get("/clommunity/").get_data(as_text=True)
    assert "CaracalDB" in page and "GVoD" in page
