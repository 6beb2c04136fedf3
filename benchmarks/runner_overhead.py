#!/usr/bin/env python3
"""What the wrapper costs: `cloudy deploy` against plain `ansible-playbook`, same lab, play and config.

    .venv/bin/python benchmarks/runner_overhead.py [--nodes 3] [--rounds 3]

Brings up a lab in a temporary project, converges it once, then times no-op
runs of site.yml, interleaving the two commands so that load on this shared
machine hits both alike. Prints medians, their ratio (target <= 1.10), and the
disk used per run directory.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LAB = "runbench"


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.monotonic()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd[:3])} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return time.monotonic() - started


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")}
    cloudy = [str(BIN / "cloudy")]
    with tempfile.TemporaryDirectory(prefix="cloudy-runbench-") as tmp:
        home = Path(tmp)
        source = ["--source", f"lab:{LAB}"]
        try:
            timed([*cloudy, "lab", "up", "--nodes", str(args.nodes), "--name", LAB], home, env)
            converge = timed([*cloudy, "deploy", *source], home, env)
            playbook = [
                str(BIN / "ansible-playbook"),
                "-i",
                str(home / ".cloudy" / "inventory"),
                str(REPO / "ansible_collections/clommunity/cloudy/playbooks/site.yml"),
                f"--forks={args.nodes}",
            ]
            env_plain = {**env, "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(home / ".cloudy" / "facts")}
            wrapper, plain = [], []
            for _ in range(args.rounds):
                plain.append(timed(playbook, home, env_plain))
                wrapper.append(timed([*cloudy, "deploy", *source], home, env))
            sizes = [du(p) for p in (home / ".cloudy" / "runs").iterdir() if p.is_dir()]
        finally:
            subprocess.run(
                [*cloudy, "lab", "down", "--name", LAB], cwd=home, capture_output=True, check=False
            )
    w, p = statistics.median(wrapper), statistics.median(plain)
    print(f"site.yml on {args.nodes} lab boxes, {args.rounds} interleaved rounds (median)")
    print(f"  first converge (cloudy deploy):        {converge:6.1f} s")
    print(f"  no-op re-run, cloudy deploy:           {w:6.2f} s   {[round(x, 2) for x in wrapper]}")
    print(f"  no-op re-run, ansible-playbook:        {p:6.2f} s   {[round(x, 2) for x in plain]}")
    print(f"  ratio cloudy / ansible-playbook:       {w / p:6.2f}     (target <= 1.10)")
    kib = statistics.mean(sizes) / 1024
    print(f"  disk per run directory:                {kib:6.0f} KiB (mean of {len(sizes)} runs)")


if __name__ == "__main__":
    main()
