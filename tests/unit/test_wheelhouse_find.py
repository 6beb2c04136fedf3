"""Module wheelhouse_find: `avahi-browse -rtp` output through the collection's one parser
(module_utils/avahi_browse.py: escapes, TXT), IPv6 and malformed lines left out, one entry per
address and port, in a stable order; and which announcements it may take."""

import importlib.util
import io
import json
import subprocess
from pathlib import Path

import pytest

from ansible_collections.clommunity.cloudy.plugins.module_utils import avahi_browse
from tests.conftest import REPO

pytest.importorskip("ansible")

PATH = Path(REPO) / "ansible_collections/clommunity/cloudy/plugins/modules/wheelhouse_find.py"
spec = importlib.util.spec_from_file_location("wheelhouse_find", PATH)
assert spec and spec.loader
wheelhouse_find = importlib.util.module_from_spec(spec)
spec.loader.exec_module(wheelhouse_find)

BROWSE = """\
+;tinc0;IPv4;Wheels\\032on\\032box-b;_cloudy-wheels._tcp;local
=;tinc0;IPv4;Wheels\\032on\\032box-b;_cloudy-wheels._tcp;local;box-b.local;10.95.0.3;3480;"path=/" "platform=cp311-x86_64-glibc2.36"
=;tinc0;IPv6;Wheels\\032on\\032box-b;_cloudy-wheels._tcp;local;box-b.local;fe80::1;3480;"platform=cp311-x86_64-glibc2.36"
=;tinc0;IPv4;Wheels\\032on\\032box-a;_cloudy-wheels._tcp;local;box-a.local;10.95.0.2;3480;"note=a\\"quote\\" \\059 semi" "platform=cp311-aarch64-glibc2.36"
=;tinc0;IPv4;broken;_cloudy-wheels._tcp;local;box-c.local
=;eth9;IPv4;Wheels\\032on\\032box-b;_cloudy-wheels._tcp;local;box-b.local;10.95.0.3;3480;"path=/" "platform=cp311-x86_64-glibc2.36"
"""  # noqa: E501 (avahi-browse's lines as they are)


def test_browse_reads_resolved_ipv4_lines_once_per_address_in_order(monkeypatch):
    def fake_run(argv, **_kwargs):
        assert argv[0] == "avahi-browse" and argv[-1] == "_cloudy-wheels._tcp"
        return subprocess.CompletedProcess(argv, 0, BROWSE.encode(), b"")

    monkeypatch.setattr(avahi_browse.subprocess, "run", fake_run)
    found = wheelhouse_find.browse("_cloudy-wheels._tcp")
    assert [(e["address"], e["port"], e["name"], e["host"]) for e in found] == [
        ("10.95.0.2", 3480, "Wheels on box-a", "box-a.local"),
        ("10.95.0.3", 3480, "Wheels on box-b", "box-b.local"),
    ]
    assert found[0]["txt"] == {"note": 'a"quote" ; semi', "platform": "cp311-aarch64-glibc2.36"}
    assert found[1]["txt"] == {"path": "/", "platform": "cp311-x86_64-glibc2.36"}


ALLOW = ["10.95.0.2", "10.95.0.3", "10.95.0.4"]
PLATFORM = "cp311-x86_64-glibc2.36"


def entry(address: str, platform: str = PLATFORM) -> dict:
    return {"address": address, "port": 3480, "host": "x.local", "name": "w", "txt": {"platform": platform}}


@pytest.mark.parametrize(
    ("address", "platform", "why"),
    [
        ("10.95.0.3", PLATFORM, ""),
        ("10.95.0.4", PLATFORM, "this box"),
        ("10.95.0.10", PLATFORM, "not an inventory host's overlay address"),
        ("10.95.0.10", "cp39-aarch64-glibc2.31", "not an inventory host's overlay address"),
        ("10.95.0.3", "cp39-aarch64-glibc2.31", "platform cp39-aarch64-glibc2.31"),
    ],
)
def test_screen_takes_only_inventory_addresses_of_the_platform(address, platform, why):
    assert wheelhouse_find.screen(entry(address, platform), ["10.95.0.4"], ALLOW, PLATFORM) == why


def warnings(result: dict) -> list[str]:
    """The warnings the module gave (recorded by run_module: once a test has imported Ansible's
    controller side, AnsibleModule.warn goes to the display instead of the result)."""
    return result["_warned"]


def run_module(monkeypatch, capsys, announced: list[dict], allow: list[str]) -> tuple[dict, list[str]]:
    """main() against fake announcements, where every address serves the set: (result, URLs asked)."""
    from ansible.module_utils.testing import patch_module_args

    asked: list[str] = []

    class Answer(io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def fake_urlopen(url, timeout):
        asked.append(url)
        return Answer(json.dumps({"hash": "h"}).encode())

    monkeypatch.setattr(wheelhouse_find, "browse", lambda _type: [dict(e) for e in announced])
    monkeypatch.setattr(wheelhouse_find.urllib.request, "urlopen", fake_urlopen)
    monkeypatch.setattr(wheelhouse_find.AnsibleModule, "get_bin_path", lambda self, name: "/usr/bin/" + name)
    warned: list[str] = []
    monkeypatch.setattr(wheelhouse_find.AnsibleModule, "warn", lambda self, text: warned.append(text))
    args = {
        "set": "s",
        "platform": PLATFORM,
        "hash": "h",
        "allow": allow,
        "exclude": ["10.95.0.4"],
        "attempts": 1,
    }
    with patch_module_args(args), pytest.raises(SystemExit):
        wheelhouse_find.main()
    return {**json.loads(capsys.readouterr().out), "_warned": warned}, asked


def test_a_rogue_announcement_is_never_asked_and_warned_about(monkeypatch, capsys):
    # The rogue sorts first (as avahi-browse's order would put it): without the allow list it would win.
    result, asked = run_module(monkeypatch, capsys, [entry("10.95.0.10"), entry("10.95.0.3")], ALLOW)
    assert result["found"] and result["address"] == "10.95.0.3"
    assert asked == [f"http://10.95.0.3:3480/s/{PLATFORM}/wheelhouse.json"]
    assert [c["why"] for c in result["candidates"]] == ["not an inventory host's overlay address", ""]
    assert any("x.local at 10.95.0.10:3480 ignored" in w for w in warnings(result))


def test_only_rogues_announced_finds_nothing(monkeypatch, capsys):
    result, asked = run_module(monkeypatch, capsys, [entry("10.95.0.10"), entry("192.0.2.1")], ALLOW)
    assert not result["found"] and asked == []
    assert len(warnings(result)) == 2


def test_allow_is_required(monkeypatch, capsys):
    from ansible.module_utils.testing import patch_module_args

    with patch_module_args({"set": "s", "platform": PLATFORM, "hash": "h"}), pytest.raises(SystemExit):
        wheelhouse_find.main()
    out = json.loads(capsys.readouterr().out)
    assert out["failed"] and "allow" in out["msg"]
