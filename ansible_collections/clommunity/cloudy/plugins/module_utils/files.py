# Part of the collection clommunity.cloudy. GPL-3.0-or-later.
"""Files the modules write: the one atomic write of the collection's modules, and the read
that tells whether a write is needed."""

from __future__ import annotations

import os
import tempfile
from typing import Any


def write_atomic(module: Any, path: str, data: bytes, mode: int = 0o644) -> None:
    """Replace PATH with DATA in one rename, never a half-written file: a temporary file beside it,
    moved by AnsibleModule.atomic_move (which keeps the SELinux context). The file gets MODE (also a
    new one, which atomic_move would give the umask's mode)."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".cloudy-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        module.atomic_move(tmp, path, keep_dest_attrs=False)
        os.chmod(path, mode)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def read_text(path: str) -> str | None:
    """The text of PATH (UTF-8), or None when there is no such file: what a module compares
    with the text it would write."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
