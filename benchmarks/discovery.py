#!/usr/bin/env python3
"""Figures for service discovery on a 3-box lab: announce, withdraw, and `cloudy services`.

    .venv/bin/python benchmarks/discovery.py [--nodes 3] [--rounds 5] [--keep]

Brings up a lab in a temporary project and deploys it (site.yml: common, the
tinc mesh, avahi). Box 1 gets a test web server announced through the avahi
role (tasks_from: announce); the last box follows its type with a continuous
`avahi-browse -rpk`, whose lines are timestamped inside the box (the same
clock as box 1's: containers share the host's). Then, per round:

- started -> visible: `systemctl start` on box 1 until the last box prints the
  resolved service;
- stopped -> withdrawn: `systemctl stop` until the last box prints its removal;
- lost copy -> back: the published file deleted by hand (what the drop-ins
  cannot see) until the safety-net timer publishes it again;

and the time `cloudy services --json` takes (all types; one type), against
`avahi-browse -arpkt` alone on a box. Prints medians and maxima.
"""

import argparse
import os
import queue
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import docker
from bench import cloudy, lab_down, run

from cloudy_deploy.lab import naming

REPO = Path(__file__).resolve().parent.parent
LAB = "discbench"
TYPE = "_cloudybench._tcp"
UNIT = "cloudy-bench-http.service"

ANNOUNCE = f"""---
- name: A test web server on box 1, announced while it runs
  hosts: "{{{{ bench_box }}}}"
  become: true
  gather_facts: false
  tasks:
    - name: Install its unit
      ansible.builtin.copy:
        dest: /etc/systemd/system/{UNIT}
        content: |
          [Service]
          ExecStart=/usr/bin/python3 -m http.server 8081 --directory /srv
        mode: "0644"
    - name: Announce it
      ansible.builtin.include_role:
        name: avahi
        tasks_from: announce
      vars:
        avahi_announce_owner: bench
        avahi_announce:
          name: bench
          type: {TYPE}
          port: 8081
          unit: {UNIT}
          txt: {{path: /}}
    - name: Start it
      ansible.builtin.systemd_service:
        name: {UNIT}
        daemon_reload: true
        state: started
"""


def ns(box, command: str) -> int:
    """Run a shell command in a box; the box's clock (ns) just before it."""
    code, out = box.exec_run(["sh", "-c", f"date +%s%N; {command}"])
    if code != 0:
        sys.exit(f"{command}: {out.decode(errors='replace')}")
    return int(out.decode().split()[0])


class Watcher:
    """`avahi-browse -rpk TYPE` in a box, each line with the box's clock when it was printed."""

    def __init__(self, box) -> None:
        script = f'avahi-browse -rpk {TYPE} | while IFS= read -r l; do echo "$(date +%s%N) $l"; done'
        exec_id = box.client.api.exec_create(box.id, ["bash", "-c", script])["Id"]
        self.stream = box.client.api.exec_start(exec_id, stream=True)
        self.lines: queue.Queue[tuple[int, str]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        pending = b""
        for chunk in self.stream:
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                stamp, _, text = line.decode(errors="replace").partition(" ")
                if stamp.isdigit():
                    self.lines.put((int(stamp), text))

    def after(self, since: int, event: str, timeout: float = 60) -> int:
        """Milliseconds from `since` (ns) to the first line starting with `event` printed after it."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                stamp, text = self.lines.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                break
            if stamp >= since and text.startswith(event + ";"):
                return (stamp - since) // 1_000_000
        sys.exit(f"no '{event}' line within {timeout:g} s")


def show(label: str, values: list[float], unit: str) -> None:
    median, worst = statistics.median(values), max(values)
    print(f"{label:<50} median {median:7.2f} {unit}   max {worst:7.2f} {unit}  (n={len(values)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="leave the lab up")
    args = parser.parse_args()
    client = docker.from_env()
    with tempfile.TemporaryDirectory(prefix="cloudy-bench-") as tmp:
        home = Path(tmp)
        (home / "cloudy.yml").write_text(f"cloud: {LAB}\nsources:\n  - lab: {LAB}\n")
        try:
            cloudy(home, "lab", "up", "--nodes", str(args.nodes), "--name", LAB)
            deploy = cloudy(home, "deploy")
            first = client.containers.get(naming.container_name(LAB, 1))
            last = client.containers.get(naming.container_name(LAB, args.nodes))
            if first.exec_run(["test", "-x", "/usr/local/lib/cloudy/avahi-announce"]).exit_code != 0:
                sys.exit("the deploy did not apply the avahi role: playbooks/site.yml must include it")
            (home / "announce.yml").write_text(ANNOUNCE)
            env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")}
            env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
            run(
                [
                    *("ansible-playbook", "-i", str(home / ".cloudy" / "inventory")),
                    *("-e", f"bench_box={naming.box_name(LAB, 1)}", str(home / "announce.yml")),
                ],
                home,
                env,
            )
            watcher = Watcher(last)
            watcher.after(0, "=")  # announced since the playbook: seen
            visible, withdrawn, repaired = [], [], []
            for _ in range(args.rounds):
                time.sleep(1.5)
                withdrawn.append(watcher.after(ns(first, f"systemctl stop {UNIT}"), "-"))
                time.sleep(1.5)
                visible.append(watcher.after(ns(first, f"systemctl start {UNIT}"), "="))
            for _ in range(min(args.rounds, 3)):
                time.sleep(1.5)
                since = ns(first, "rm /etc/avahi/services/bench.service")
                gone = watcher.after(since, "-")
                repaired.append(watcher.after(since + gone * 1_000_000, "=") + gone)
            browse = []
            for _ in range(3):
                _code, out = last.exec_run(
                    ["bash", "-c", "s=$(date +%s%N); avahi-browse -arpkt >/dev/null; date +%s%N; echo $s"]
                )
                end, start = (int(x) for x in out.decode().split())
                browse.append((end - start) / 1e9)
            every = [cloudy(home, "services", "--json") for _ in range(3)]
            one = [cloudy(home, "services", "--json", "--type", TYPE) for _ in range(3)]
        finally:
            if not args.keep:
                lab_down(home, LAB)
    print(f"discovery on a {args.nodes}-box lab (deploy: {deploy:.0f} s)")
    show("started -> visible on the last box", [v / 1000 for v in visible], "s")
    show("stopped -> withdrawn on the last box", [v / 1000 for v in withdrawn], "s")
    show("lost copy -> published again (timer)", [v / 1000 for v in repaired], "s")
    show("avahi-browse -arpkt on a box", browse, "s")
    show("cloudy services --json", every, "s")
    show(f"cloudy services --json --type {TYPE}", one, "s")


if __name__ == "__main__":
    main()
