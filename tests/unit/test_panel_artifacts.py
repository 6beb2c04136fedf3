"""The panel installs supplied software only from the cloud's catalog (role repository's
/etc/cloudy/artifacts.json): its entry becomes the role's `<key>_artifact`, and a cloud without it
is refused before any run."""

from __future__ import annotations

import dataclasses
import json

import pytest

from cloudy_panel.helper import services as helper_services
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
PROXY3 = {
    "form": "settings",
    "node_id": "4242",
    "federation": "https://guifi.net/ca/node/4242/view/federation",
    "cache_size": "2048",
    "cache_mem": "256",
    "language": "Catalan",
    "ldap_uri": "ldaps://ldap.guifi.net",
    "ldap_base": "o=proxyusers,dc=guifi,dc=net",
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


@pytest.fixture
def needs_software(monkeypatch):
    """proxy3's descriptor, as if its role took supplied software (the catalog key peerstreamer)."""
    entry = dataclasses.replace(helper_services.SERVICES["proxy3"], artifacts=("peerstreamer",))
    monkeypatch.setitem(helper_services.SERVICES, "proxy3", entry)


def test_the_role_gets_the_catalogs_entry(ctx, tmp_path, needs_software):
    fake_playbook(ctx, tmp_path)
    ctx.artifacts_file = tmp_path / "artifacts.json"
    ctx.artifacts_file.write_text(json.dumps({"peerstreamer": ENTRY}))
    job = call(ctx, "service.action", service="proxy3", action="configure", values=PROXY3)["job"]
    wait_job(ctx, job)
    host = json.loads((ctx.state_dir / "ansible" / "proxy3-inventory.json").read_text())["all"]["hosts"][
        "box1"
    ]
    assert host["peerstreamer_artifact"] == ENTRY


def test_without_the_software_nothing_runs(ctx, tmp_path, needs_software):
    fake_playbook(ctx, tmp_path)
    ctx.artifacts_file = tmp_path / "artifacts.json"  # absent: the admin gave none
    with pytest.raises(HelperError) as err:
        call(ctx, "service.action", service="proxy3", action="configure", values=PROXY3)
    assert "this cloud offers no Proxy3 software yet" in str(err.value)
    assert "services.peerstreamer.artifact" in str(err.value)
    assert not (ctx.state_dir / "ansible" / "proxy3-inventory.json").exists()
    assert not ctx.facts_file.exists()
