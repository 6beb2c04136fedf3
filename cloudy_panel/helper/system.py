"""system.info, system.upgradable, system.upgrade and job.status."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import socket
import subprocess
from typing import Any

from cloudy_panel.helper.args import JOB_ID
from cloudy_panel.helper.context import Context
from cloudy_panel.helper.registry import verb
from cloudy_panel.protocol import BUSY, FAILED, HelperError

# Units of the services Cloudy roles install (the same patterns as `cloudy status`).
SERVICE_UNITS = ("tinc@*", "avahi-daemon*", "tahoe-*", "peerstreamer*", "caracaldb*", "gvod*", "cloudy-*")
APT_ENV = {"DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C.UTF-8"}
# `apt-get -s upgrade` prints "Inst NAME [OLD] (NEW ARCHIVE [ARCH])" per package.
INST_RE = re.compile(r"^Inst (\S+) (?:\[(\S+)\] )?\((\S+)")


def dpkg_busy(ctx: Context) -> bool:
    """Whether another apt or dpkg holds the lock (or a job of ours is running)."""
    if ctx.jobs.busy():
        return True
    try:
        fd = os.open(ctx.dpkg_lock, os.O_RDWR | os.O_CREAT, 0o640)
    except OSError:
        return False
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def meminfo() -> dict[str, int]:
    fields: dict[str, int] = {}
    with contextlib.suppress(OSError), open("/proc/meminfo") as lines:
        for line in lines:
            name, _, rest = line.partition(":")
            if name in ("MemTotal", "MemAvailable"):
                fields[name] = int(rest.split()[0]) * 1024
    return {"total": fields.get("MemTotal", 0), "available": fields.get("MemAvailable", 0)}


def tinc_peers(ctx: Context) -> dict[str, str]:
    """Overlay IP by tinc name of the other boxes of the cloud's tinc network."""
    net = ctx.tinc_dir / str(ctx.config.get("cloud", ""))
    try:
        conf = (net / "tinc.conf").read_text()
    except OSError:
        return {}
    me = re.search(r"^\s*Name\s*=\s*(\S+)", conf, re.M)
    peers: dict[str, str] = {}
    for host in sorted((net / "hosts").glob("*")):
        if me and host.name == me.group(1):
            continue
        subnet = re.search(r"^\s*Subnet\s*=\s*([0-9.]+)", host.read_text(errors="replace"), re.M)
        if subnet:
            peers[host.name] = subnet.group(1)
    return peers


def reachable(ips: dict[str, str]) -> list[str]:
    """The names whose IP answers one ping within a second (all pinged at once)."""
    ping = shutil.which("ping")
    if ping is None:  # iputils-ping comes with role common; without it nothing is known reachable
        return []
    procs = {
        name: subprocess.Popen(
            [ping, "-n", "-c1", "-W1", ip], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for name, ip in ips.items()
    }
    return sorted(name for name, proc in procs.items() if proc.wait() == 0)


@verb("system.info")
def info(ctx: Context) -> dict[str, Any]:
    disk = os.statvfs("/")
    peers = tinc_peers(ctx)
    listing = ["systemctl", "list-units", "--type=service", "--state=active", "--no-legend", "--plain"]
    units = ctx.run([*listing, *SERVICE_UNITS])
    return {
        "hostname": socket.gethostname(),
        "cpu": {"count": os.cpu_count() or 1, "load": ", ".join(f"{x:.2f}" for x in os.getloadavg())},
        "memory": meminfo(),
        "disk": {"total": disk.f_blocks * disk.f_frsize, "free": disk.f_bavail * disk.f_frsize},
        "overlay_ip": ctx.config.get("overlay_ip"),
        "peers": reachable(peers),
        "peers_expected": len(peers),
        "services": sorted(line.split()[0] for line in units.stdout.splitlines() if line.strip()),
    }


@verb("system.upgradable")
def upgradable(ctx: Context) -> dict[str, Any]:
    done = ctx.run(["apt-get", "-s", "-o", "Debug::NoLocking=1", "upgrade"], env={**os.environ, **APT_ENV})
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [""])[-1]
        raise HelperError(FAILED, f"apt-get -s upgrade failed: {last}")
    packages = []
    for line in done.stdout.splitlines():
        match = INST_RE.match(line)
        if match:
            packages.append({"name": match[1], "from": match[2] or "", "to": match[3]})
    return {"packages": packages}


@verb("system.upgrade")
def upgrade(ctx: Context) -> dict[str, Any]:
    if dpkg_busy(ctx):
        raise HelperError(BUSY, "apt or dpkg is running; try again when it is done")
    argv = ["apt-get", "-y", "-o", "Dpkg::Options::=--force-confold", "upgrade"]
    return {"job": ctx.jobs.start("system.upgrade", argv, env=APT_ENV)}


@verb("job.status", job=JOB_ID)
def job_status(ctx: Context, job: str) -> dict[str, Any]:
    return ctx.jobs.status(job)
