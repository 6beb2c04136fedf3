#!/usr/bin/env python3
"""Figures for the tinc role: controller-side packaging, tasks per box, time to all-pairs ping.

    .venv/bin/python benchmarks/tinc_scale.py [--hosts 1000] [--skip-lab]

1. Assembling and packaging N synthetic host files (target <= 2 s for 1,000):
   the role's own code (plugins/action/tinc_bundle.py) in this
   process, and the role's bundle task in ansible-playbook over an inventory
   of N hosts (less the same run without the task).
2. Tasks executed per box by playbooks/mesh.yml on a 3-box and a 6-box lab
   (`cloudy lab up`), cold and again (no-op); they must be equal.
3. On the 6-box lab: from starting tinc on every box to every box answering
   every other box's ping over the overlay.
"""

import argparse
import base64
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docker
import yaml
from bench import cloudy, lab_down

from cloudy_deploy.fast import strategy_env

REPO = Path(__file__).resolve().parent.parent
COLLECTION = REPO / "ansible_collections" / "clommunity" / "cloudy"
ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")
LAB = "tincbench"
NET = "tincbench"
TARGET_S = 2.0


def load_bundle_module():
    path = COLLECTION / "plugins" / "action" / "tinc_bundle.py"
    spec = importlib.util.spec_from_file_location("tinc_bundle", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def synthetic_key() -> str:
    """A PEM block the size of a 4096-bit RSA public key, random like one."""
    body = base64.b64encode(os.urandom(526)).decode()
    lines = textwrap.wrap(body, 64)
    return "-----BEGIN RSA PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END RSA PUBLIC KEY-----\n"


def synthetic_records(n: int) -> list[dict]:
    return [
        {
            "host": f"box{i}",
            "name": f"box{i}",
            "address": f"10.{i // 65536}.{i // 256 % 256}.{i % 256}" if i % 10 else "",  # 1 in 10 behind NAT
            "port": 655,
            "overlay_ip": f"10.99.{i // 256}.{i % 256 + 1}" if i < 65000 else "",
            "key": synthetic_key(),
        }
        for i in range(n)
    ]


def bench_in_process(n: int, rounds: int = 5) -> tuple[list[float], int, dict]:
    """What the role runs once per run on the controller: members, host files, archive, topology,
    and reading a held archive back (what a run that does not reach every member does)."""
    tb = load_bundle_module()
    records = synthetic_records(n)
    members = [r["host"] for r in records]
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        resolved, _removed, _warnings = tb.resolve_members(members, records, {}, [], False)
        _files, archive = tb.bundle(resolved, {})
        kind, spines, nodes = tb.topology(resolved, "auto", 3, 16, [])
        known, _archives = tb.held_records([("box0", base64.b64encode(archive).decode())])
        times.append(time.perf_counter() - started)
    assert len(known) == n
    leaf = next(v for v in nodes.values() if v["role"] == "a leaf")
    return (
        times,
        len(archive),
        {"topology": kind, "spines": spines, "leaf_connections": len(leaf["connect_to"])},
    )


def bench_playbook(n: int) -> tuple[float, float]:
    """The role's bundle task in ansible-playbook over n hosts, and the same play with a no-op task."""
    records = synthetic_records(n)
    with tempfile.TemporaryDirectory(prefix="tinc-bench-play-") as tmp:
        root = Path(tmp)
        hosts = {r["host"]: {"tinc__key": {"record": r}} for r in records}
        inventory = {
            "all": {
                "vars": {"ansible_connection": "local", "cloudy_cloud": NET},
                "children": {"tinc": {"hosts": hosts}},
            }
        }
        (root / "hosts.yml").write_text(yaml.safe_dump(inventory))
        tasks = {
            "bundle": {"ansible.builtin.import_role": {"name": "tinc", "tasks_from": "bundle.yml"}},
            "noop": {"ansible.builtin.debug": {"msg": "no-op"}, "run_once": True},
        }
        for name, task in tasks.items():
            play = [{"name": name, "hosts": "tinc", "gather_facts": False, "tasks": [{"name": name, **task}]}]
            (root / f"{name}.yml").write_text(yaml.safe_dump(play, sort_keys=False))
        env = {
            **os.environ,
            "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
            "ANSIBLE_ROLES_PATH": str(COLLECTION / "roles"),
        }

        def run(name: str) -> float:
            started = time.perf_counter()
            cmd = [ANSIBLE_PLAYBOOK, "-i", str(root / "hosts.yml"), str(root / f"{name}.yml")]
            subprocess.run(cmd, env=env, check=True, capture_output=True)
            return time.perf_counter() - started

        base = min(run("noop") for _ in range(3))
        full = min(run("bundle") for _ in range(3))
    return full, base


# --- the lab ---------------------------------------------------------------------


def write_inventory(home: Path, name: str = LAB) -> tuple[Path, dict]:
    """The inventory contract (docs/inventory.md) for the lab's boxes."""
    lab = yaml.safe_load((home / ".cloudy" / "lab" / name / "lab.yml").read_text())
    hosts = {}
    for i, box in enumerate(lab["nodes"], start=1):
        hosts[box["name"]] = {
            "ansible_host": box["address"],
            "ansible_user": lab["ssh_user"],
            "ansible_ssh_private_key_file": lab["ssh_private_key"],
            "ansible_ssh_common_args": f"-o UserKnownHostsFile={lab['ssh_known_hosts']} "
            "-o StrictHostKeyChecking=yes -o IdentitiesOnly=yes",
            "cloudy_tinc_name": box["name"].replace("-", "_"),
            "cloudy_overlay_ip": f"10.99.0.{i}",
            "cloudy_public_address": box["address"],
        }
    inv = home / "inventory"
    (inv / "group_vars" / "all").mkdir(parents=True, exist_ok=True)
    (inv / "hosts.yml").write_text(
        yaml.safe_dump(
            {
                "all": {
                    # As the wrapper's inventory: mesh.yml leaves out the boxes unchanged since
                    # its last complete run (playbooks/applied_check.yml).
                    "vars": {"cloudy_cloud": NET, "cloudy_skip_unchanged": True},
                    "children": {
                        "cloudy": {"hosts": hosts},
                        "tinc": {"children": {"cloudy": {}}},
                        "cloudy_checked": {},
                        "cloudy_unchanged": {},
                    },
                }
            },
            sort_keys=False,
        )
    )
    (inv / "group_vars" / "all" / "cloudy.yml").write_text(
        "cloudy_overlay_subnet: 10.99.0.0/24\ncloudy_overlay_prefix: 24\ncloudy_overlay_port: 655\n"
    )
    (inv / "group_vars" / "all" / "tinc.yml").write_text("tinc_topology: auto\ntinc_spines: 3\n")
    return inv, lab


def run_mesh(inv: Path, playbook: str = "mesh") -> tuple[float, dict[str, dict]]:
    took, doc = run_playbook(inv, playbook)
    return took, doc["stats"]


def run_playbook(inv: Path, playbook: str, fast: bool = False) -> tuple[float, dict]:
    """A playbook of the collection over INV (FAST: with Mitogen): seconds, and ansible.posix.json's
    whole report."""
    env = {
        **os.environ,
        **(strategy_env() if fast else {}),
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
    }
    started = time.perf_counter()
    done = subprocess.run(
        [ANSIBLE_PLAYBOOK, "-i", str(inv), str(COLLECTION / "playbooks" / f"{playbook}.yml")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    took = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{playbook}.yml failed:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}")
    return took, json.loads(done.stdout)


def tasks_per_box(stats: dict[str, dict]) -> dict[str, int]:
    return {h: s["ok"] + s["skipped"] + s["failures"] + s.get("rescued", 0) for h, s in sorted(stats.items())}


def time_to_all_pairs(lab: dict) -> tuple[float, float]:
    """Stop tinc everywhere, then start it everywhere at once; until every box pings every other."""
    client = docker.from_env()
    boxes = [client.containers.get(b["container"]) for b in lab["nodes"]]
    ips = [f"10.99.0.{i}" for i in range(1, len(boxes) + 1)]
    with ThreadPoolExecutor(len(boxes)) as pool:
        list(pool.map(lambda b: b.exec_run(["systemctl", "stop", f"tinc@{NET}"]), boxes))
    time.sleep(1)

    def start_and_ping(i: int) -> tuple[int, int, int]:
        peers = " ".join(ip for j, ip in enumerate(ips) if j != i)
        script = f"""
            t0=$(date +%s%N); systemctl start tinc@{NET}; t1=$(date +%s%N)
            for ip in {peers}; do (until ping -c1 -W0.2 $ip >/dev/null 2>&1; do :; done) & done
            wait; echo $t0 $t1 $(date +%s%N)
        """
        out = boxes[i].exec_run(["bash", "-c", script]).output.decode().split()
        return int(out[0]), int(out[1]), int(out[2])

    with ThreadPoolExecutor(len(boxes)) as pool:
        results = list(pool.map(start_and_ping, range(len(boxes))))
    began = min(r[0] for r in results)
    all_pairs = (max(r[2] for r in results) - began) / 1e9
    start_returned = max((r[1] - r[0]) / 1e9 for r in results)
    return all_pairs, start_returned


def bench_lab(home: Path) -> None:
    rows = []
    lab = None
    for n in (3, 6):
        cloudy(home, "lab", "up", "--name", LAB, "--nodes", str(n))
        inv, lab = write_inventory(home)
        cold, stats_cold = run_mesh(inv)
        again, stats_again = run_mesh(inv)
        changed_again = sum(s["changed"] for s in stats_again.values())
        rows.append((n, cold, again, tasks_per_box(stats_cold), tasks_per_box(stats_again), changed_again))
        if n == 3:
            cloudy(home, "lab", "down", "--name", LAB)
    print("\nplaybooks/mesh.yml on the lab (ssh, pipelining, this machine):")
    for n, cold, again, t_cold, t_again, changed in rows:
        print(f"  {n} boxes: cold {cold:5.1f} s, again {again:5.1f} s (changed={changed})")
        print(f"    tasks per box, cold:  {sorted(set(t_cold.values()))}  {t_cold}")
        print(f"    tasks per box, again: {sorted(set(t_again.values()))}  {t_again}")
    # One box of each run also runs the run-once controller task (tinc_bundle): compare the
    # distribution of counts, e.g. {16, 17} for 3 boxes and for 6.
    cold_sets = [sorted(set(r[3].values())) for r in rows]
    again_sets = [sorted(set(r[4].values())) for r in rows]
    print(
        f"  tasks per box equal for 3 and 6 boxes: cold {cold_sets[0] == cold_sets[1]} {cold_sets}, "
        f"again {again_sets[0] == again_sets[1]} {again_sets} (+1 on the box that runs the run-once task)"
    )
    runs = [time_to_all_pairs(lab) for _ in range(3)]
    print(f"\non {len(lab['nodes'])} boxes, from starting tinc everywhere to all-pairs ping:")
    for all_pairs, start_returned in runs:
        print(f"  {all_pairs:5.2f} s   (systemctl start returned after {start_returned:4.2f} s at most)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=1000, help="synthetic host files to package")
    parser.add_argument("--skip-lab", action="store_true", help="only the controller-side figures")
    args = parser.parse_args()

    times, size, topo = bench_in_process(args.hosts)
    print(f"assemble and package {args.hosts} host files (the role's tinc_bundle code, in process):")
    print(
        f"  median {statistics.median(times):5.3f} s, max {max(times):5.3f} s   (target <= {TARGET_S} s)"
        f"; archive {size / 1024:.0f} KiB; topology {topo['topology']}, {len(topo['spines'])} spines,"
        f" a leaf dials {topo['leaf_connections']}"
    )
    full, base = bench_playbook(args.hosts)
    print(f"the role's bundle task in ansible-playbook over {args.hosts} inventory hosts:")
    print(
        f"  {full - base:5.2f} s   (run {full:.2f} s less {base:.2f} s for the same play with a no-op task)"
    )
    if args.skip_lab:
        return
    home = Path(tempfile.mkdtemp(prefix="cloudy-tincbench-"))
    try:
        bench_lab(home)
    finally:
        if lab_down(home, LAB):
            shutil.rmtree(home, ignore_errors=True)
        else:  # keep the lab's state, so it can still be taken down
            print(f"lab down failed: run `cloudy lab down --name {LAB} --home {home}`", file=sys.stderr)


if __name__ == "__main__":
    main()
