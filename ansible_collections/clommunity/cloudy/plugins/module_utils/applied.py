# Part of the collection clommunity.cloudy. GPL-3.0-or-later.
"""What a box is, in a few digests, and the digest of a run: the one definition of both, used by
the module cloudy_applied on the boxes and, on the controller, by the lookup applied_run and the
action applied_group, which leave out of a run the boxes nothing changed for since their last
complete run (playbooks/applied_check.yml)."""

from __future__ import annotations

import fnmatch
import glob
import hashlib
import os
import subprocess
from collections.abc import Iterable, Mapping

# Where the roles write what they configure, and what they install beside Debian's packages.
ROOTS = (
    "/etc",
    "/opt",
    "/usr/local",
    "/usr/lib/cloudy-panel",
    "/usr/share/cloudy-panel",
    "/srv/cloudy-repository",
)
# Settings the roles keep beside the data of a service (the data itself changes as it runs).
FILES = (
    "/var/lib/tahoe-lafs/*/tahoe.cfg",
    "/var/lib/tahoe-lafs/*/private/introducers.yaml",
    "/var/lib/*/application.conf",
    "/var/lib/*/*.json",
    "/root/.ssh/authorized_keys",  # role clouder gives it to the Cloudy containers
)
# What changes under ROOTS without anyone configuring anything.
EXCLUDE = (
    "/etc/ld.so.cache",
    "/etc/mtab",
    "/etc/adjtime",
    "/etc/.pwd.lock",
    "/etc/ansible/facts.d/cloudy_panel.fact",
    "/etc/resolv.conf",  # rewritten by a DHCP client at every lease renewal; no role manages it
    "/etc/fake-hwclock.data",  # rewritten every hour on boards without a clock (fake-hwclock)
    "*/__pycache__/*",
    "*.pyc",
)
# What a box's state is made of, for people ("run on X: its files changed ...").
PARTS = {
    "files": "its files",
    "packages": "its packages",
    "units": "its services",
    "addresses": "its addresses",
}
NO_RECORD = "no complete run is recorded on it"
LISTING = ("--no-legend", "--plain", "--full")
# Started by an SSH login, or by a D-Bus call (Ansible's hostname module, timedatectl) until idle.
ON_DEMAND = (
    "user@*",
    "user-runtime-dir@*",
    "systemd-hostnamed.*",
    "systemd-timedated.*",
    "systemd-localed.*",
    "polkit.*",
    "packagekit.*",
)


def _line_of(path: str) -> str | None:
    """PATH's type, mode, size and modification time: any write changes it (a template that
    finds the same content writes nothing)."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    target = os.readlink(path) if os.path.islink(path) else ""
    return f"{path}\t{st.st_mode:o}\t{st.st_size}\t{st.st_mtime_ns}\t{target}"


def _excluded(path: str, exclude: Iterable[str]) -> bool:
    return any(fnmatch.fnmatch(path, pattern) for pattern in exclude)


def files_lines(roots: Iterable[str], files: Iterable[str], exclude: Iterable[str]) -> list[str]:
    """One line per file under ROOTS (walked, symlinks not followed) and per file FILES match."""
    exclude = tuple(exclude)
    lines = []
    for root in roots:
        for folder, dirs, names in os.walk(root):
            dirs.sort()
            for name in sorted(names) + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
                path = os.path.join(folder, name)
                if not _excluded(path, exclude) and (line := _line_of(path)) is not None:
                    lines.append(line)
    for pattern in files:
        for path in sorted(glob.glob(pattern)):
            if not _excluded(path, exclude) and (line := _line_of(path)) is not None:
                lines.append(line)
    return lines


def _output(argv: list[str]) -> list[str]:
    """ARGV's output lines; [] when the program is missing (a box without systemd or iproute2)."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return [f"{argv[0]}: not run"]
    return sorted(done.stdout.splitlines())


def _units() -> list[str]:
    """The services that run, with their state (running, exited), and the sockets, timers and
    paths that are active; not the ones a login or a D-Bus call starts for a while (ON_DEMAND)."""
    listed = _output(
        ["systemctl", "list-units", "--type=service,socket,timer,path", "--state=active", *LISTING]
    )
    fields = [line.split() for line in listed if len(line.split()) > 3]
    sockets = {f[0] for f in fields if f[0].endswith(".socket")}
    lines = []
    for name, *_, sub in (f[:4] for f in fields):
        if _excluded(name, ON_DEMAND) or f"{name.removesuffix('.service')}.socket" in sockets:
            continue  # a socket-activated service (the panel's helper) comes and goes: its socket counts
        # A timer runs while the service it starts does, a socket while its service does, a path
        # while it triggers: their sub-state says what happens this second, not how the box is set up.
        lines.append(f"{name} {sub}" if name.endswith(".service") else name)
    return lines


def _digest(lines: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def state_parts(
    roots: Iterable[str] = ROOTS, files: Iterable[str] = FILES, exclude: Iterable[str] = EXCLUDE
) -> dict[str, str]:
    """The box in four digests: its files, its installed packages, its running units, its addresses."""
    return {
        "files": _digest(files_lines(roots, files, exclude)),
        "packages": _digest(_output(["dpkg-query", "-W", "-f", "${db:Status-Abbrev} ${Package}\n"])),
        "units": _digest(_units()),
        "addresses": _digest(
            " ".join(line.split()[1:4])
            for line in _output(["ip", "-o", "address", "show", "scope", "global"])
            if " temporary " not in line  # IPv6 privacy addresses come and go by themselves
        ),
    }


def state_digest(parts: Mapping[str, str]) -> str:
    return _digest(f"{key} {parts[key]}" for key in sorted(parts))


def record_of(record: object) -> Mapping | None:
    """RECORD if it is a record of a complete run (module cloudy_applied), else None."""
    if (
        isinstance(record, Mapping)
        and all(isinstance(record.get(k), str) for k in ("run", "inputs", "state"))
        and isinstance(record.get("states"), Mapping)
    ):
        return record
    return None


def expected_states(records: Mapping[str, object], host: str) -> dict[str, str] | None:
    """The cloud as HOST's last complete run left it (host -> state digest), from the records the
    check read (RECORDS: host -> record or None): every box as that run's check found it (the
    record's STATES), then the state of each box that recorded the same run after it. None: HOST
    has no record."""
    own = record_of(records.get(host))
    if own is None:
        return None
    expected = {str(k): str(v) for k, v in own["states"].items()}
    for other, found in records.items():
        record = record_of(found)
        if record is not None and record["run"] == own["run"]:
            expected[other] = record["state"]
    return expected


def unchanged_hosts(inputs: str, states: Mapping[str, str], records: Mapping[str, object]) -> list[str]:
    """The boxes whose last complete run had these INPUTS and left every box checked now (STATES:
    host -> state digest) as it is now, no box more or less: the coming run would change nothing."""
    unchanged, now, by_run = [], dict(states), {}  # by_run: one expected cloud per run, not per box
    for host in states:
        record = record_of(records.get(host))
        if record is None or record["inputs"] != inputs:
            continue
        if record["run"] not in by_run:
            by_run[record["run"]] = expected_states(records, host) == now
        if by_run[record["run"]]:
            unchanged.append(host)
    return sorted(unchanged)


def tree_lines(label: str, root: str, recursive: bool = True) -> Iterable[str]:
    """One line per file under ROOT (its path under LABEL, its content's digest), in order;
    not RECURSIVE: only the files in ROOT itself."""
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__") if recursive else []
        found.extend(os.path.join(folder, name) for name in names if not name.endswith(".pyc"))
    for path in sorted(found):
        with open(path, "rb") as handle:
            content = hashlib.sha256(handle.read()).hexdigest()
        yield f"{label}/{os.path.relpath(path, root)} {content}"


def inputs_digest(header: str, trees: Iterable[tuple[str, str, bool]]) -> str:
    """What the controller gives a run: HEADER (playbook, ansible-core, extra vars) and the files
    of TREES ((label, folder, recursive): the collection, the panel's source, the inventory)."""
    digest = hashlib.sha256(header.encode())
    for label, root, recursive in trees:
        for line in tree_lines(label, root, recursive):
            digest.update(line.encode() + b"\n")
    return digest.hexdigest()


def why_run(now: Mapping | None) -> str:
    """Why a box runs, for people, from what its check read (NOW: parts and recorded)."""
    if not now or "state" not in now:
        return "it did not answer the check"
    recorded = now.get("recorded")
    if record_of(recorded) is None:
        return NO_RECORD
    before, parts = recorded.get("parts") or {}, now.get("parts") or {}
    changed = [words for key, words in PARTS.items() if before.get(key) != parts.get(key)]
    if changed:
        return " and ".join(changed) + " changed since its last complete run"
    return "the inventory, the collection or another box changed since its last complete run"
