# Part of the collection clommunity.cloudy. GPL-3.0-or-later.
"""Files the modules write: the one atomic write of the collection's modules, the read that tells
whether a write is needed, and the set of folders, files and lines a role's step writes in one call."""

from __future__ import annotations

import os
import stat
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


def apply_files(module: Any, directories: list, files: list, lines: list) -> tuple[list[str], list[dict]]:
    """Folders (mode 0755), then files (each path, content, mode as an octal string, state present or
    absent; rewritten only when their text or mode differs), then lines (appended when missing),
    all root's when the module runs as root. Returns the paths changed and their diffs; in check
    mode changes nothing."""
    write = not module.check_mode
    changed: list[str] = []
    diffs: list[dict] = []
    # Every mode is checked before anything is written: a bad one changes nothing.
    modes = [_mode(module, item.get("mode") or "0644", item["path"]) for item in files]
    for folder in directories:
        if not os.path.isdir(folder):
            if write:
                os.makedirs(folder, mode=0o755, exist_ok=True)
                os.chmod(folder, 0o755)
                _own(folder)
            changed.append(folder)
            diffs.append(
                {
                    "before": {"path": folder, "state": "absent"},
                    "after": {"path": folder, "state": "directory"},
                }
            )
    for item, mode in zip(files, modes, strict=True):
        path = item["path"]
        before = read_text(path) if os.path.isfile(path) else None
        if item.get("state", "present") == "absent":
            if before is not None:
                if write:
                    os.unlink(path)
                changed.append(path)
                diffs.append({"before_header": path, "before": before, "after_header": path, "after": ""})
            continue
        if before != item["content"]:
            if write:
                write_atomic(module, path, item["content"].encode(), mode)
                _own(path)
            changed.append(path)
            diffs.append(
                {
                    "before_header": path,
                    "before": before or "",
                    "after_header": path,
                    "after": item["content"],
                }
            )
        elif stat.S_IMODE(os.stat(path).st_mode) != mode:
            if write:
                os.chmod(path, mode)
            changed.append(path)
    for item in lines:
        path, line = item["path"], item["line"]
        before = read_text(path) or ""
        if line in before.splitlines():
            continue
        after = before + ("" if not before or before.endswith("\n") else "\n") + line + "\n"
        if write:
            mode = stat.S_IMODE(os.stat(path).st_mode) if os.path.exists(path) else 0o644
            write_atomic(module, path, after.encode(), mode)
            _own(path)
        changed.append(path)
        diffs.append({"before_header": path, "before": before, "after_header": path, "after": after})
    return changed, diffs


# The options of a module that takes apply_files' arguments.
FILES_OPTIONS = {
    "directories": {"type": "list", "elements": "path", "default": []},
    "files": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {
            "path": {"type": "path", "required": True},
            "content": {"type": "str", "default": ""},
            "mode": {"type": "str", "default": "0644"},
            "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        },
    },
    "lines": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {"path": {"type": "path", "required": True}, "line": {"type": "str", "required": True}},
    },
}


def _own(path: str) -> None:
    """Root's, as the file and template modules make them with owner and group root."""
    if os.geteuid() == 0:
        info = os.stat(path)
        if (info.st_uid, info.st_gid) != (0, 0):
            os.chown(path, 0, 0)


def _mode(module: Any, text: str, path: str) -> int:
    try:
        mode = int(text, 8)
    except ValueError:
        mode = -1
    if not 0 <= mode <= 0o7777:
        module.fail_json(msg=f"{path}: mode {text!r} is not an octal mode such as '0644'")
    return mode
