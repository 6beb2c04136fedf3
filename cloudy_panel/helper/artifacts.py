"""The cloud's supplied software as the admin's deploy left it on this box (role repository writes
/etc/cloudy-repository/artifacts.json on every box): name, sha256 and its URL in the repository's store. A
service the panel installs takes its artifact from there; a cloud that offers none cannot."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

# Inventory groups whose role runs supplied software: the catalog's key is the group's name.
SUPPLIED = ("peerstreamer", "caracaldb", "caracaldb_api", "gvod")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,127}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_URL = re.compile(r"http://[0-9.]{7,15}:[0-9]{1,5}/artifacts/[0-9a-f]{64}/[A-Za-z0-9._+-]{1,128}")


def spec_key(key: str) -> str:
    """Where the admin gives it in cloudy.yml."""
    return "services.caracaldb.api" if key == "caracaldb_api" else f"services.{key}.artifact"


def catalog(path: Path) -> dict[str, dict[str, str]]:
    """Key (e.g. peerstreamer) -> {name, sha256, url}; entries that are not exactly that are left out."""
    try:
        data: Any = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    out = {}
    for key, entry in data.items():
        if (
            isinstance(entry, dict)
            and set(entry) == {"name", "sha256", "url"}
            and all(isinstance(v, str) for v in entry.values())
            and _NAME.fullmatch(entry["name"])
            and _SHA256.fullmatch(entry["sha256"])
            and _URL.fullmatch(entry["url"])
        ):
            out[str(key)] = dict(entry)
    return out
