# Part of the collection clommunity.cloudy. GPL-3.0-or-later.
"""Debian packages installed with dpkg-query and apt-get alone.

ansible.builtin.apt opens python-apt's whole cache on every call (about twice apt-get's CPU on a
small box): a step that only needs packages present asks dpkg-query, and runs apt-get for the
missing ones. The lists are refreshed first when older than cache_valid_time, and once more, with a
second try, when the install fails from the lists the box has (a package they do not know, a
version the mirror dropped)."""

from __future__ import annotations

import os
import time
from typing import Any

LISTS = "/var/lib/apt/lists"
# apt's record of the last successful update (apt-daily), when the box has one.
STAMP = "/var/lib/apt/periodic/update-success-stamp"
ENV = {"DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C.UTF-8"}


def installed(module: Any, names: list[str]) -> set[str]:
    """The NAMES dpkg holds as installed ('ii'); unknown names are simply not installed."""
    fmt = "${Package}\\t${db:Status-Abbrev}\\n"
    _rc, out, _err = module.run_command(["dpkg-query", "-W", "-f", fmt, "--", *names], environ_update=ENV)
    return {n for n, _, s in (line.partition("\t") for line in out.splitlines()) if s.startswith("ii")}


def lists_age() -> float:
    """Seconds since the package lists were last refreshed, read as ansible.builtin.apt reads it."""
    path = STAMP if os.path.exists(STAMP) else LISTS
    try:
        return time.time() - os.stat(path).st_mtime
    except OSError:
        return float("inf")


def _tail(text: str, lines: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def ensure_packages(
    module: Any, names: list[str], cache_valid_time: int, lock_timeout: int = 60
) -> tuple[list[str], bool]:
    """Install those of NAMES that are missing (in check mode, only tell them). Returns the missing
    names and whether the lists were refreshed; fails the module with apt-get's last lines."""
    if not names:
        return [], False
    present = installed(module, names)
    missing = [n for n in names if n not in present]
    if not missing or module.check_mode:
        return missing, False
    lock = f"DPkg::Lock::Timeout={lock_timeout}"

    def update() -> None:
        rc, out, err = module.run_command(["apt-get", "-q", "-o", lock, "update"], environ_update=ENV)
        if rc != 0:
            module.fail_json(msg=f"apt-get update failed: {_tail(err or out)}", missing=missing)

    updated = cache_valid_time > 0 and lists_age() > cache_valid_time
    if updated:
        update()
    argv = [
        "apt-get", "install", "-y", "-q", "-o", lock,
        "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold", "--", *missing,
    ]  # fmt: skip
    rc, out, err = module.run_command(argv, environ_update=ENV)
    if rc != 0 and not updated:
        update()
        updated = True
        rc, out, err = module.run_command(argv, environ_update=ENV)
    if rc != 0:
        module.fail_json(
            msg=f"apt-get install {' '.join(missing)} failed: {_tail(err or out)}", missing=missing
        )
    present = installed(module, missing)
    still = [n for n in missing if n not in present]
    if still:
        module.fail_json(msg=f"apt-get install left {', '.join(still)} not installed", missing=missing)
    return missing, updated
