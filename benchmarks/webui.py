#!/usr/bin/env python3
"""Figures for the web panel on a box that runs it (role webui): the web process's memory when idle,
time to the first page after the unit starts, and that the helper is gone when idle.

    .venv/bin/python benchmarks/webui.py [--container webui-a] [--starts 3]

The box is a running container with the panel, e.g. the molecule scenario's after
`molecule converge -s webui` (the default). Timing happens inside the box (date +%s%N),
so docker's own latency is not counted. Targets (issue 12): idle RSS <= 40 MiB.
"""

import argparse
import statistics
import sys

import docker

FIRST_PAGE = (
    "systemctl restart cloudy-panel.service; s=$(date +%s%N); "
    "until curl -sk -o /dev/null -w '%{http_code}' https://127.0.0.1:7443/login | grep -q 200; "
    "do sleep 0.02; done; "
    "e=$(date +%s%N); echo $((e - s))"
)
WARM = "for p in login login static/panel.css; do curl -sk -o /dev/null https://127.0.0.1:7443/$p; done"
MEMORY = (
    "pid=$(systemctl show -p MainPID --value cloudy-panel.service); "
    "ps -o user:32=,rss= -p $pid; awk '/^Pss:/ {print $2}' /proc/$pid/smaps_rollup"
)


def sh(box, command: str) -> str:
    code, out = box.exec_run(["bash", "-c", command])
    if code != 0:
        sys.exit(f"{box.name}: {command}: {out.decode(errors='replace')[-2000:]}")
    return out.decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--container", default="webui-a")
    parser.add_argument("--starts", type=int, default=3)
    opts = parser.parse_args()
    box = docker.from_env().containers.get(opts.container)
    sh(box, "command -v curl >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl")
    starts = [int(sh(box, FIRST_PAGE).split()[-1]) / 1e9 for _ in range(opts.starts)]
    sh(box, WARM)
    user, rss, pss = sh(box, MEMORY).split()
    helper = sh(box, "sleep 0.5; systemctl is-active cloudy-panel-helper.service || true").strip()
    print(f"box {opts.container}: web process runs as {user}")
    print(f"time to first page after the unit starts: median {statistics.median(starts):.2f} s "
          f"(runs: {', '.join(f'{s:.2f}' for s in starts)})")  # fmt: skip
    print(
        f"web process idle after a few pages: RSS {int(rss) / 1024:.1f} MiB (target <= 40), "
        f"PSS {int(pss) / 1024:.1f} MiB"
    )
    print(f"root helper when idle: {helper}")


if __name__ == "__main__":
    main()
