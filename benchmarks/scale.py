#!/usr/bin/env python3
"""Issue 17's table: playbooks/mesh.yml against a plain script, on fresh lab boxes, in one run.

    .venv/bin/python benchmarks/scale.py [SIZES...]      (default: 3 6)

For each size N: N fresh boxes take the plain script (benchmarks/plain_mesh.sh); the lab is
remade, and N fresh boxes take mesh.yml cold, then again with no change. Printed: the times, cold
as a ratio of the plain script, the no-change re-run per box (must stay flat as N grows), tasks per
box per role (must be equal for every N), and the memory the boxes and ansible-playbook took.
Targets (issue 17, 6 boxes): cold <= 1.5x the plain script; a no-change re-run <= 5 s.
"""

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import docker
from bench import cloudy, lab_down
from tinc_scale import run_playbook, write_inventory

HERE = Path(__file__).resolve().parent
LAB = "scalebench"
NET = "plainmesh"


def fresh_lab(home: Path, n: int) -> dict:
    lab_down(home, LAB)
    cloudy(home, "lab", "up", "--name", LAB, "--nodes", str(n))
    _inv, lab = write_inventory(home, LAB)
    return lab


def ssh_args(lab: dict) -> list[str]:
    return [
        "-i", lab["ssh_private_key"], "-l", lab["ssh_user"],
        "-o", f"UserKnownHostsFile={lab['ssh_known_hosts']}", "-o", "StrictHostKeyChecking=yes",
        "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
    ]  # fmt: skip


def plain(home: Path, lab: dict) -> float:
    boxes = home / "plain-boxes"
    nodes = enumerate(lab["nodes"], 1)
    lines = [f"{b['name'].replace('-', '_')} {b['address']} 10.98.0.{i} 24\n" for i, b in nodes]
    boxes.write_text("".join(lines))
    started = time.perf_counter()
    subprocess.run(["bash", str(HERE / "plain_mesh.sh"), NET, str(boxes), *ssh_args(lab)], check=True)
    took = time.perf_counter() - started
    # The reference must really have built a mesh: the first box reaches the last over it.
    last = f"10.98.0.{len(lab['nodes'])}"
    first = docker.from_env().containers.get(lab["nodes"][0]["container"])
    wait = f"for i in $(seq 60); do ping -c1 -W1 {last} && exit 0; done; exit 1"
    code, _ = first.exec_run(["bash", "-c", wait])
    if code != 0:
        sys.exit(f"the plain script's mesh does not ping {last}")
    return took


def tasks_per_role(report: dict) -> dict[str, Counter]:
    """Tasks each box ran, by role (the task name's 'ROLE : ' prefix), from ansible.posix.json."""
    counts: dict[str, Counter] = {}
    for play in report["plays"]:
        for task in play["tasks"]:
            name = task["task"]["name"]
            role = name.split(" : ")[0] if " : " in name else "(play)"
            for host in task["hosts"]:
                counts.setdefault(host, Counter())[role] += 1
    return counts


def role_spread(counts: dict[str, Counter]) -> dict[str, list[int]]:
    """For each role, the distinct task counts over the boxes (one box also runs the run-once tasks)."""
    roles = sorted({r for c in counts.values() for r in c})
    return {r: sorted({c[r] for c in counts.values()}) for r in roles}


def boxes_memory(lab: dict) -> float:
    client = docker.from_env()
    used = 0
    for box in lab["nodes"]:
        stats = client.containers.get(box["container"]).stats(stream=False)
        used += stats["memory_stats"].get("usage", 0)
    return used / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[3, 6])
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="cloudy-scalebench-"))
    rows = []
    try:
        for n in args.sizes:
            script = plain(home, fresh_lab(home, n))
            lab = fresh_lab(home, n)
            inv = home / "inventory"
            cold, _ = run_playbook(inv, "mesh")
            again, again_report = run_playbook(inv, "mesh")
            changed = sum(s["changed"] for s in again_report["stats"].values())
            rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            rows.append((n, script, cold, again, changed, role_spread(tasks_per_role(again_report)),
                         boxes_memory(lab), rss))  # fmt: skip
            print(f"{n} boxes done", file=sys.stderr)
    finally:
        if lab_down(home, LAB):
            shutil.rmtree(home, ignore_errors=True)
        else:
            print(f"lab down failed: run `cloudy lab down --name {LAB} --home {home}`", file=sys.stderr)
    print("\nplaybooks/mesh.yml against the plain script (benchmarks/plain_mesh.sh), fresh boxes, one run:")
    print(
        "| boxes | plain script | mesh.yml cold | cold / plain | again (no change) | again per box | changed |"
    )  # noqa: E501
    print("|---|---|---|---|---|---|---|")
    for n, script, cold, again, changed, _spread, _mem, _rss in rows:
        print(
            f"| {n} | {script:.1f} s | {cold:.1f} s | {cold / script:.2f}x | {again:.1f} s"
            f" | {again / n:.2f} s | {changed} |"
        )
    print("\ntasks per box by role on the no-change run (distinct counts over the boxes):")
    for n, *_rest, spread, _mem, _rss in rows:
        print(f"  {n} boxes: {spread}")
    same = len({str(r[5]) for r in rows}) == 1
    print(f"  the same for every size: {same}")
    print("\nmemory:")
    for n, *_rest, mem, rss in rows:
        print(f"  {n} boxes: the boxes use {mem:.0f} MiB; ansible-playbook's peak RSS so far {rss:.0f} MiB")


if __name__ == "__main__":
    main()
