#!/usr/bin/env python3
"""Figures for `cloudy lab up --nodes N`: from scratch, with images built, and memory per box.

    .venv/bin/python benchmarks/lab_up.py [--nodes 3] [--skip-cold]

From scratch removes this recipe's base and node images first (refused by
Docker while a container still uses them). Target with images built: <= 20 s.
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import docker
from bench import CLOUDY, cloudy
from docker.errors import APIError, ImageNotFound

from cloudy_deploy.lab.images import NodeRecipe

LAB = "bench"


def pss_mib(box) -> float:
    """Proportional set size of the box's processes: shared pages counted once overall."""
    top = box.top()
    col = top["Titles"].index("PID")
    total_kib = 0
    for proc in top["Processes"]:
        try:
            rollup = Path(f"/proc/{proc[col]}/smaps_rollup").read_text()
        except OSError:  # exited meanwhile
            continue
        total_kib += next(int(x.split()[1]) for x in rollup.splitlines() if x.startswith("Pss:"))
    return total_kib / 1024


def memory_per_box(client: docker.DockerClient) -> list[tuple[str, float]]:
    # docker stats is empty for systemd boxes on cgroup v1, so read /proc directly.
    boxes = client.containers.list(filters={"label": f"org.cloudy-deploy.lab={LAB}"})
    return [(box.name, pss_mib(box)) for box in sorted(boxes, key=lambda b: b.name)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--skip-cold", action="store_true", help="only measure with images built")
    args = parser.parse_args()
    client = docker.from_env()
    recipe = NodeRecipe()
    with tempfile.TemporaryDirectory(prefix="cloudy-bench-") as tmp:
        home = Path(tmp)
        up = ("lab", "up", "--nodes", str(args.nodes), "--name", LAB)
        down = ("lab", "down", "--name", LAB)
        try:
            cold = None
            if not args.skip_cold:
                for tag in (recipe.tag, recipe.base.tag):
                    try:
                        client.images.remove(tag)
                    except ImageNotFound:
                        pass
                    except APIError as exc:
                        sys.exit(f"cannot measure from scratch: {exc.explanation} (or use --skip-cold)")
                cold = cloudy(home, *up)
                cloudy(home, *down)
            else:
                subprocess.run([*CLOUDY, "lab", "image"], check=True, capture_output=True)
            warm = cloudy(home, *up)
            again = cloudy(home, *up)
            time.sleep(3)  # let the boxes settle before reading memory
            memory = memory_per_box(client)
        finally:
            subprocess.run([*CLOUDY, *down, "--home", str(home)], check=False, capture_output=True)
    print(f"cloudy lab up --nodes {args.nodes}")
    if cold is not None:
        print(f"  from scratch (debootstrap + images + boxes): {cold:6.1f} s")
    print(f"  with images built:                           {warm:6.1f} s   (target <= 20 s)")
    print(f"  again, lab already up (no-op):               {again:6.1f} s")
    for name, mib in memory:
        print(f"  memory (PSS) {name}: {mib:6.1f} MiB")
    if memory:
        print(f"  memory per box, mean: {sum(m for _, m in memory) / len(memory):6.1f} MiB")


if __name__ == "__main__":
    main()
