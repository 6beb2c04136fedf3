#!/usr/bin/env python3
"""Module calls through `docker exec` (molecule's connection): plain Ansible against Mitogen.

    .venv/bin/python benchmarks/mitogen_docker.py [--calls 30] [--rounds 3]

Starts one container of the lab's node image, then times a playbook of CALLS
module calls (command and stat) with the linear strategy and with Mitogen's,
interleaved round by round so that load on this shared machine hits both
alike. Prints the medians and their ratio: why molecule's verifies run with
Mitogen in the test harness (README, "Tests").
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from cloudy_deploy import fast

PLAYBOOK = """\
- hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.command: "true"
      loop: "{{{{ range({half}) | list }}}}"
      changed_when: false
    - ansible.builtin.stat:
        path: /etc/hostname
      loop: "{{{{ range({half}) | list }}}}"
"""


def node_image() -> str:
    cloudy = Path(sys.executable).parent / "cloudy"
    done = subprocess.run([str(cloudy), "lab", "image"], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def timed(playbook: Path, box: str, env: dict[str, str]) -> float:
    argv = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", f"{box},", str(playbook)]
    argv += ["-e", "ansible_connection=docker", "-e", "ansible_python_interpreter=/usr/bin/python3"]
    start = time.monotonic()
    subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    plain = {**os.environ, "ANSIBLE_PIPELINING": "True"}
    mitogen = {**plain, **fast.strategy_env()}
    box = "bench-mitogen-" + uuid.uuid4().hex[:6]
    subprocess.run(
        ["docker", "run", "-d", "--name", box, "--entrypoint", "sleep", node_image(), "infinity"],
        capture_output=True,
        check=True,
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            playbook = Path(tmp) / "calls.yml"
            playbook.write_text(PLAYBOOK.format(half=args.calls // 2))
            times: dict[str, list[float]] = {"linear": [], "mitogen": []}
            for _ in range(args.rounds):
                times["linear"].append(timed(playbook, box, plain))
                times["mitogen"].append(timed(playbook, box, mitogen))
    finally:
        subprocess.run(["docker", "rm", "-f", box], capture_output=True, check=False)
    med = {name: statistics.median(values) for name, values in times.items()}
    calls = args.calls // 2 * 2
    for name, value in med.items():
        print(f"{name:8s} {value:6.1f} s for {calls} module calls (median of {args.rounds})")
    print(f"plain / Mitogen: {med['linear'] / med['mitogen']:.1f}x")


if __name__ == "__main__":
    main()
