"""The panel installs supplied software only from the cloud's catalog (role repository's
/etc/cloudy-repository/artifacts.json): its entry becomes the role's `<key>_artifact`, and a cloud without it
is refused before any run."""

from __future__ import annotations

import json

import pytest

from cloudy_panel.helper.artifacts import catalog
from cloudy_panel.protocol import HelperError
from tests.unit import test_panel_helper as real
from tests.unit.test_panel_helper import call, fake_playbook, wait_job

ctx = real.ctx  # the real helper's context fixture
SHA = "ab" * 32
ENTRY = {
    "name": "standin-streamer",
    "sha256": SHA,
    "url": f"http://10.99.0.2:3481/artifacts/{SHA}/standin-streamer",
}


@pytest.mark.parametrize(
    "bad",
    [
        {**ENTRY, "url": "http://evil.example/x"},  # not the store
        {**ENTRY, "sha256": "AB" * 32},
        {**ENTRY, "name": "../x"},
        {**ENTRY, "extra": "x"},
        {"name": ENTRY["name"], "sha256": SHA},
        "text",
    ],
)
def test_the_catalog_keeps_only_exact_entries(tmp_path, bad):
    path = tmp_path / "artifacts.json"
    path.write_text(json.dumps({"peerstreamer": ENTRY, "gvod": bad}))
    assert catalog(path) == {"peerstreamer": ENTRY}


def test_a_missing_or_broken_catalog_offers_nothing(tmp_path):
    assert catalog(tmp_path / "none.json") == {}
    (tmp_path / "bad.json").write_text("[1, 2")
    assert catalog(tmp_path / "bad.json") == {}


def test_install_gets_the_server_and_api_entries_and_join_the_server_only(ctx, tmp_path):
    fake_playbook(ctx, tmp_path)
    ctx.artifacts_file = tmp_path / "artifacts.json"
    api = {**ENTRY, "name": "caracaldb-api.jar"}
    ctx.artifacts_file.write_text(
        json.dumps({"caracaldb": ENTRY, "caracaldb_api": api, "peerstreamer": ENTRY})
    )
    wait_job(ctx, call(ctx, "service.action", service="caracaldb", action="install")["job"])
    host = json.loads((ctx.state_dir / "ansible" / "caracaldb-inventory.json").read_text())["all"]["hosts"][
        "box1"
    ]
    assert host["caracaldb_artifact"] == ENTRY and host["caracaldb_api_artifact"] == api
    assert "peerstreamer_artifact" not in host
    join = {"form": "join", "bootstrap": "10.99.0.7:45678"}
    wait_job(ctx, call(ctx, "service.action", service="caracaldb", action="configure", values=join)["job"])
    host = json.loads((ctx.state_dir / "ansible" / "caracaldb-inventory.json").read_text())["all"]["hosts"][
        "box1"
    ]
    assert host["caracaldb_artifact"] == ENTRY and "caracaldb_api_artifact" not in host


def test_without_the_software_nothing_runs(ctx, tmp_path):
    fake_playbook(ctx, tmp_path)
    ctx.artifacts_file = tmp_path / "artifacts.json"
    ctx.artifacts_file.write_text(json.dumps({"caracaldb": ENTRY}))  # no REST API given by the admin
    with pytest.raises(HelperError) as err:
        call(ctx, "service.action", service="caracaldb", action="install")
    assert "this cloud offers no CaracalDB software yet" in str(err.value)
    assert "services.caracaldb.api" in str(err.value)
    assert not (ctx.state_dir / "ansible" / "caracaldb-inventory.json").exists()
    assert not ctx.facts_file.exists()
