"""How busy one molecule scenario keeps the machine: wall time, CPU seconds of the controller
(molecule, ansible-playbook, docker exec) and of the scenario's boxes, and the cores they kept busy
on average. Below the machine's core count, two scenarios (or a scenario and the lab tests) at once
finish sooner than one after the other (scripts/test.sh runs them two at a time).

  CLOUDY_NODE_IMAGE=$(.venv/bin/cloudy lab image) PATH=.venv/bin:$PATH \\
    .venv/bin/python benchmarks/molecule_cpu.py tinc [PREFIX]

PREFIX: the start of the scenario's container names (default: the scenario's name and '-').
Read with the load average printed: other work on the machine stretches the wall time."""

import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import docker

REPO = Path(__file__).resolve().parent.parent


def box_cpu_seconds(container_id: str) -> float | None:
    """CPU time of a container's processes so far (cgroup v1 or v2), None when unreadable."""
    v1 = Path(f"/sys/fs/cgroup/cpuacct/docker/{container_id}/cpuacct.usage")
    v2 = Path(f"/sys/fs/cgroup/system.slice/docker-{container_id}.scope/cpu.stat")
    try:
        if v1.exists():
            return int(v1.read_text()) / 1e9
        for line in v2.read_text().splitlines():
            if line.startswith("usage_usec "):
                return int(line.split()[1]) / 1e6
    except OSError:
        return None
    return None


def main() -> None:
    scenario = sys.argv[1] if len(sys.argv) > 1 else "common"
    prefix = sys.argv[2] if len(sys.argv) > 2 else f"{scenario}-"
    client = docker.from_env()
    last: dict[str, float] = {}  # the last reading of each box: boxes vanish at destroy
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for box in client.containers.list(filters={"name": f"^{prefix}"}):
                seconds = box_cpu_seconds(box.id)
                if seconds is not None:
                    last[box.id] = seconds
            done.wait(1)

    sampler = threading.Thread(target=sample, daemon=True)
    load_before = os.getloadavg()
    started = time.monotonic()
    sampler.start()
    result = subprocess.run(
        ["molecule", "test", "-s", scenario], cwd=REPO, capture_output=True, text=True, check=False
    )
    wall = time.monotonic() - started
    done.set()
    sampler.join()
    if result.returncode != 0:
        sys.exit(f"molecule test -s {scenario} failed:\n{(result.stdout + result.stderr)[-3000:]}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    controller = usage.ru_utime + usage.ru_stime
    boxes = sum(last.values())
    load = f"{load_before[0]:.1f} -> {os.getloadavg()[0]:.1f}"
    print(f"scenario {scenario}: wall {wall:.0f} s, load average {load}")
    print(f"  CPU: controller {controller:.0f} s, {len(last)} boxes {boxes:.0f} s (dockerd not counted)")
    print(f"  cores kept busy on average: {(controller + boxes) / wall:.2f} of {os.cpu_count()}")


if __name__ == "__main__":
    main()
