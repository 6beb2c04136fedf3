#!/usr/bin/env python3
"""Issue 17's table: playbooks/mesh.yml against a plain script, on fresh lab boxes, in one run.

    .venv/bin/python benchmarks/scale.py [--trials T] [--mesh-only] [SIZES...]      (default: 3 6, T 1)

For each size N, T times: N fresh boxes take the plain script (benchmarks/plain_mesh.sh); the lab
is remade, and N fresh boxes take mesh.yml cold, then again with no change (plain Ansible, then
Mitogen on fresh boxes again); medians printed, with every trial's cold / plain ratio. Unless
--mesh-only, the lab is remade once more and `cloudy deploy` (the built-in services) runs as a
user runs it: cold; again with every role (--full), plain and with Mitogen (--fast); again as is
(the boxes unchanged since their last complete run left out: one check per box); then `cloudy
status` (the pairs its one ping per pair reached), every box pinging every other until each
answered once (pairs reached in 120 s, the slowest box's time) and `cloudy services` (every box
listed). Printed: the times, cold as a ratio of the plain script, the no-change re-runs per box
(must stay flat as N grows), tasks per box per role (must be equal for every N), and the memory
the boxes (PSS) and the controller took.
Targets (issue 17, 6 boxes): cold <= 1.5x the plain script; a no-change re-run <= 5 s (mesh.yml),
<= 15 s (site.yml) with changed=0.
"""

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docker
from bench import CLOUDY, cloudy, lab_down
from lab_up import pss_mib
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
    # The reference must really have built a mesh: the first box reaches the last over it (at 50
    # boxes, ARP over the fresh mesh took more than 60 s once).
    last = f"10.98.0.{len(lab['nodes'])}"
    first = docker.from_env().containers.get(lab["nodes"][0]["container"])
    wait = f"for i in $(seq 180); do ping -c1 -W1 {last} && exit 0; done; exit 1"
    code, _ = first.exec_run(["bash", "-c", wait])
    if code != 0:
        sys.exit(f"the plain script's mesh does not ping {last}")
    return took


def medians(trials: list[tuple[float, dict]]) -> tuple[float, dict]:
    """The plain script's median time and, per engine, the median of each figure over the trials;
    the cold ratio is the median of the per-trial ratios, with every trial's ratio listed."""
    script = statistics.median(t[0] for t in trials)
    mesh = {}
    for fast in trials[0][1]:
        runs = [t[1][fast] for t in trials]
        ratios = [r[0] / t[0] for r, t in zip(runs, trials, strict=True)]
        figures = [statistics.median(r[i] for r in runs) for i in range(2)]
        mesh[fast] = (*figures, max(r[2] for r in runs), max(r[3] for r in runs), ratios)
    return script, mesh


def lists_refreshed(report: dict) -> int:
    """Boxes whose package lists the cold run refreshed (module tinc_node): the plain script never
    refreshes them, so the ratio is only like for like when this is 0."""
    return sum(
        bool(result.get("lists_refreshed"))
        for play in report["plays"]
        for task in play["tasks"]
        for result in task["hosts"].values()
    )


def role_spread(counts: dict[str, Counter]) -> dict[str, list[int]]:
    """For each role, the distinct task counts over the boxes (one box also runs the run-once tasks)."""
    roles = sorted({r for c in counts.values() for r in c})
    return {r: sorted({c[r] for c in counts.values()}) for r in roles}


def boxes_memory(lab: dict) -> float:
    """PSS of every box's processes, MiB (docker stats has no usage for these boxes)."""
    client = docker.from_env()
    return sum(pss_mib(client.containers.get(box["container"])) for box in lab["nodes"])


# On a box: ping the peers that have not answered yet, one fping per round and a pause between
# rounds (a fresh tinc 1.0 pair relays through the spine until its key and MTU are agreed), until
# every peer answered or the deadline; prints the peers left and the milliseconds it took.
CONVERGE = r"""
left=$(printf '%s\n' $PEERS); t0=$(date +%s%N)
while [ -n "$left" ] && [ $(( ($(date +%s%N) - t0) / 1000000000 )) -lt $DEADLINE ]; do
  alive=$(fping -a -r 0 -t 1000 $left 2>/dev/null)
  left=$(printf '%s\n' $left | grep -vxF -f <(printf '%s\n' $alive) || true)
  [ -z "$left" ] || sleep 2
done
echo "$(printf '%s\n' $left | grep -c .) $(( ($(date +%s%N) - t0) / 1000000 ))"
"""


def all_pairs(lab: dict, overlay: dict[str, str], deadline: int = 120) -> tuple[int, float]:
    """Every box pings every other until each answered once (or the deadline): pairs reached, and
    the seconds the slowest box took. All boxes at once, as `cloudy status` runs."""
    client = docker.from_env()

    def converge(box: dict) -> tuple[int, float]:
        peers = " ".join(ip for name, ip in overlay.items() if name != box["name"])
        env = {"PEERS": peers, "DEADLINE": str(deadline)}
        out = client.containers.get(box["container"]).exec_run(["bash", "-c", CONVERGE], environment=env)
        left, took_ms = out.output.decode().split()
        return len(overlay) - 1 - int(left), int(took_ms) / 1000

    with ThreadPoolExecutor(len(lab["nodes"])) as pool:
        results = list(pool.map(converge, lab["nodes"]))
    return sum(r[0] for r in results), max(r[1] for r in results)


def runner_tasks(home: Path, run_id: str) -> dict[str, Counter]:
    """Tasks each box ran, by role, from an ansible-runner run's job events."""
    counts: dict[str, Counter] = {}
    for path in (home / ".cloudy" / "runs" / run_id / "artifacts" / run_id / "job_events").glob("*.json"):
        event = json.loads(path.read_text())
        if event.get("event") in ("runner_on_ok", "runner_on_skipped", "runner_on_failed"):
            data = event["event_data"]
            counts.setdefault(data["host"], Counter())[data.get("role") or "(play)"] += 1
    return counts


def last_run(home: Path) -> dict:
    records = sorted((home / ".cloudy" / "runs").glob("*/cloudy-run.json"))
    return json.loads(records[-1].read_text())


def through_cloudy(home: Path, n: int) -> dict:
    """`cloudy deploy` of the built-in services (common, tinc, avahi) on N fresh boxes: cold, again
    with every role (--full), again with Mitogen (--full --fast), again as a user runs it (the boxes
    unchanged since their last complete run left out), then status and services from every box."""
    lab_down(home, LAB)
    (home / "cloudy.yml").write_text(f"cloud: scale\nsources:\n  - lab: {LAB}\n")
    cloudy(home, "lab", "up", "--name", LAB, "--nodes", str(n))
    row = {"site cold": cloudy(home, "deploy")}
    row["site full"] = cloudy(home, "deploy", "--full")
    full = last_run(home)
    row["changed"] = sum(h["changed"] for h in full["hosts"].values())
    row["spread"] = role_spread(runner_tasks(home, full["id"]))
    row["site fast"] = cloudy(home, "deploy", "--full", "--fast")
    row["site again"] = cloudy(home, "deploy")
    again = last_run(home)
    row["left out"] = len(again["unchanged"])
    status = subprocess.run(
        [*CLOUDY, "status", "--json", "--home", str(home)], capture_output=True, text=True, check=True
    )
    rows = json.loads(status.stdout)
    row["status pairs"] = sum(len(r.get("peers") or []) for r in rows)
    services = subprocess.run(
        [*CLOUDY, "services", "--json", "--home", str(home)], capture_output=True, text=True, check=True
    )
    row["listed"] = len({s["node"] for s in json.loads(services.stdout)})
    _inv, lab = write_inventory(home, LAB)
    row["pairs"] = all_pairs(lab, {r["node"]: r["overlay_ip"] for r in rows if r.get("overlay_ip")})
    row["memory"] = boxes_memory(lab)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[3, 6])
    parser.add_argument(
        "--trials",
        type=int,
        default=1,
        help="plain script and cold mesh.yml this many times per size, interleaved: key generation"
        " time varies a lot from key to key, so one pair of runs can be off either way (medians printed)",
    )
    parser.add_argument(
        "--mesh-only",
        action="store_true",
        help="only the mesh.yml table: no `cloudy deploy` part (at 50 boxes it takes about 35 minutes)",
    )
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="cloudy-scalebench-"))
    rows = []
    try:
        for n in args.sizes:
            inv = home / "inventory"
            trials: list[tuple[float, dict]] = []
            for _ in range(args.trials):
                script = plain(home, fresh_lab(home, n))
                mesh = {}
                for fast in (False, True):  # plain Ansible, then Mitogen (--fast), each on fresh boxes
                    fresh_lab(home, n)
                    cold, cold_report = run_playbook(inv, "mesh", fast)
                    again, again_report = run_playbook(inv, "mesh", fast)
                    changed = sum(s["changed"] for s in again_report["stats"].values())
                    mesh[fast] = (cold, again, changed, lists_refreshed(cold_report))
                trials.append((script, mesh))
            script, mesh = medians(trials)
            wrapper = None if args.mesh_only else through_cloudy(home, n)
            rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            rows.append((n, script, mesh, wrapper, rss))
            print(f"{n} boxes done", file=sys.stderr)
    finally:
        if lab_down(home, LAB):
            shutil.rmtree(home, ignore_errors=True)
        else:
            print(f"lab down failed: run `cloudy lab down --name {LAB} --home {home}`", file=sys.stderr)
    print("\nplaybooks/mesh.yml (ansible-playbook) against the plain script, fresh boxes, one run:")
    print(f"(medians of {args.trials} trial(s); cold / plain: the median of the trials' ratios, each listed)")
    print(
        "| boxes | plain script | engine | mesh.yml cold | cold / plain | trials | again | per box | changed"
        " | package lists refreshed (cold, most) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n, script, mesh, _w, _rss in rows:
        for fast, (cold, again, changed, refreshed, ratios) in mesh.items():
            each = " ".join(f"{r:.2f}" for r in ratios)
            print(
                f"| {n} | {script:.1f} s | {'Mitogen' if fast else 'plain'} | {cold:.1f} s"
                f" | {statistics.median(ratios):.2f}x | {each} | {again:.1f} s | {again / n:.2f} s"
                f" | {changed} | {refreshed}/{n} |"
            )
    deployed = [r for r in rows if r[3] is not None]
    if not deployed:
        return
    print("\n`cloudy deploy` (site.yml: common, tinc, avahi) on fresh boxes:")
    print(
        "| boxes | cold | again, every role (--full) | per box | --full --fast | per box"
        " | again as run (left out) | per box | changed | pairs in `cloudy status` | pairs ping (slowest box)"
        " | services list |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n, _script, _mesh, w, _rss in deployed:
        print(
            f"| {n} | {w['site cold']:.1f} s | {w['site full']:.1f} s | {w['site full'] / n:.2f} s"
            f" | {w['site fast']:.1f} s | {w['site fast'] / n:.2f} s"
            f" | {w['site again']:.1f} s ({w['left out']}/{n}) | {w['site again'] / n:.2f} s"
            f" | {w['changed']} | {w['status pairs']}/{n * (n - 1)}"
            f" | {w['pairs'][0]}/{n * (n - 1)} ({w['pairs'][1]:.0f} s) | {w['listed']}/{n} |"
        )
    print("\ntasks per box by role on the --full run (distinct counts over the boxes):")
    for n, _script, _mesh, w, _rss in deployed:
        print(f"  {n} boxes: {w['spread']}")
    same = len({str(r[3]["spread"]) for r in deployed}) == 1
    print(f"  the same for every size: {same}")
    print("\nmemory:")
    for n, _script, _mesh, w, rss in deployed:
        print(
            f"  {n} boxes: the boxes use {w['memory']:.0f} MiB (PSS);"
            f" the controller's biggest process so far {rss:.0f} MiB (peak RSS)"
        )


if __name__ == "__main__":
    main()
