#!/usr/bin/env python3
"""What a dead box costs a deploy: a 3-box lab, `cloudy deploy` with every box up (no-op), then
with one box cut off the network as a dropped radio link is (packets vanish: no RST, no ICMP).

    .venv/bin/python benchmarks/dead_box.py [--nodes 3] [--rounds 1] [--old-ssh]

Prints the no-op time, the time with the box gone, their difference and ratio against the
target (no-op + 30 s), then the time of `cloudy deploy --retry-failed` once the box is back.
The cut comes right after a deploy, so ControlPersist masters to the box are still open: the
case that took 159 s against 55 s with the old ssh settings. --old-ssh measures those
(ServerAliveInterval=30, the default ServerAliveCountMax=3, timeout 30) for comparison.
"""

import argparse
import os
import tempfile
import uuid
from pathlib import Path

import docker
from bench import cloudy, cut_off, lab_down, reconnect

from cloudy_deploy.lab import naming

TARGET_EXTRA_S = 30.0
OLD_SSH = {
    "ANSIBLE_SSH_ARGS": "-o ControlMaster=auto -o ControlPersist=300s -o ServerAliveInterval=30",
    "ANSIBLE_TIMEOUT": "30",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=1, help="no-op / dead-box pairs to measure")
    parser.add_argument("--old-ssh", action="store_true", help="measure with the settings before the fix")
    args = parser.parse_args()
    env = {**os.environ, **(OLD_SSH if args.old_ssh else {})}
    lab = "dead" + uuid.uuid4().hex[:6]
    with tempfile.TemporaryDirectory(prefix="dead-box-") as tmp:
        home = Path(tmp)
        try:
            cloudy(home, "lab", "up", "--name", lab, "--nodes", str(args.nodes))
            source = ["--source", f"lab:{lab}"]
            cold = cloudy(home, "deploy", *source, env=env)
            box = docker.from_env().containers.get(naming.container_name(lab, args.nodes))
            rows = []
            for _ in range(args.rounds):
                noop = cloudy(home, "deploy", *source, env=env)
                cut_off(box)
                dead = cloudy(home, "deploy", *source, env=env, expect=1)
                reconnect(box)
                retry = cloudy(home, "deploy", *source, "--retry-failed", env=env)
                rows.append((noop, dead, retry))
        finally:
            lab_down(home, lab)
    settings = "old ssh settings" if args.old_ssh else "ansible.cfg as it is"
    print(f"cloudy deploy on a {args.nodes}-box lab ({settings}); first deploy {cold:.1f} s")
    print(f"{'no-op':>8} {'box cut':>8} {'extra':>8} {'ratio':>6} {'target':>8} {'retry':>8}")
    for noop, dead, retry in rows:
        target = noop + TARGET_EXTRA_S
        verdict = "ok" if dead <= target else "MISSED"
        print(
            f"{noop:7.1f}s {dead:7.1f}s {dead - noop:+7.1f}s {dead / noop:5.2f}x "
            f"{target:6.1f}s {verdict:>3} {retry:6.1f}s"
        )


if __name__ == "__main__":
    main()
