"""The wheelhouse role's wheelhouse_find module: reading `avahi-browse -rtp` output (escapes, TXT,
IPv6 and malformed lines left out, one entry per address and port, in a stable order)."""

import importlib.util
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO

pytest.importorskip("ansible")

PATH = Path(REPO) / "roles" / "wheelhouse" / "library" / "wheelhouse_find.py"
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


def test_unescape_decimal_and_character_escapes():
    assert wheelhouse_find.unescape("Wheels\\032on\\032box\\.b\\\\") == "Wheels on box.b\\"


def test_parse_txt_keeps_quotes_and_semicolons_inside_values():
    assert wheelhouse_find.parse_txt('"note=a\\"quote\\" \\059 semi" "flag" "path=/"') == {
        "note": 'a"quote" ; semi',
        "flag": "",
        "path": "/",
    }


def test_browse_reads_resolved_ipv4_lines_once_per_address_in_order(monkeypatch):
    def fake_run(argv, **_kwargs):
        assert argv[0] == "avahi-browse" and argv[-1] == "_cloudy-wheels._tcp"
        return subprocess.CompletedProcess(argv, 0, BROWSE, "")

    monkeypatch.setattr(wheelhouse_find.subprocess, "run", fake_run)
    found = wheelhouse_find.browse("_cloudy-wheels._tcp")
    assert [(e["address"], e["port"], e["name"], e["host"]) for e in found] == [
        ("10.95.0.2", 3480, "Wheels on box-a", "box-a.local"),
        ("10.95.0.3", 3480, "Wheels on box-b", "box-b.local"),
    ]
    assert found[0]["txt"] == {"note": 'a"quote" ; semi', "platform": "cp311-aarch64-glibc2.36"}
    assert found[1]["txt"] == {"path": "/", "platform": "cp311-x86_64-glibc2.36"}
