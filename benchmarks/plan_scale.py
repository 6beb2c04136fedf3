"""Time and peak memory of plan + inventory render for 1,000 and 10,000 synthetic nodes.

Targets (issue 3): <= 1 s for 1,000 and <= 10 s for 10,000, growing linearly. Also timed: a
re-plan against the lock with 1% of the boxes replaced, and the lock's save and load, which
`cloudy plan` adds to the two.

    .venv/bin/python benchmarks/plan_scale.py [SIZES...]
"""

import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from cloudy_deploy import inventory, lock
from cloudy_deploy.nodes import Node
from cloudy_deploy.plan import make_plan
from cloudy_deploy.spec import CloudSpec

SIZES = (1_000, 10_000)
TARGETS = {1_000: 1.0, 10_000: 10.0}
SPEC = CloudSpec(
    cloud="bench",
    sources=[],
    services={"tahoe": {"introducers": 3}, "caracaldb": {"nodes": 5}, "peerstreamer": {"sources": 2}},
)


def nodes(n: int, start: int = 0) -> list[Node]:
    base = int(IPv4Address("172.16.0.0"))
    return [
        Node(name=f"box-{i}", address=str(IPv4Address(base + i)), tags=("bench",), vars={"guifi_node_id": i})
        for i in range(start, start + n)
    ]


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def peak_mib(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def plan_and_render(boxes: list[Node]) -> None:
    inventory.render(make_plan(boxes, SPEC, None), SPEC)


def measure(n: int) -> float:
    boxes = nodes(n)
    the_plan, t_plan = timed(lambda: make_plan(boxes, SPEC, None))
    files, t_render = timed(lambda: inventory.render(the_plan, SPEC))
    total = t_plan + t_render
    peak = peak_mib(lambda: plan_and_render(boxes))

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / lock.LOCK_FILE
        _, t_save = timed(lambda: lock.save(the_plan.lock, path))
        old, t_load = timed(lambda: lock.load(path, SPEC))
    churn = max(1, n // 100)  # 1% of the boxes leave, as many new ones arrive
    changed = boxes[churn:] + nodes(churn, start=n)
    replan, t_replan = timed(lambda: make_plan(changed, SPEC, old))
    assert len(replan.diff.added) == churn and len(replan.diff.removed) == churn

    verdict = "ok" if total <= TARGETS.get(n, float("inf")) else "OVER TARGET"
    size_kib = sum(len(t.encode()) for t in files.values()) / 1024
    print(
        f"{n:>6} nodes: plan {t_plan:.3f} s + render {t_render:.3f} s = {total:.3f} s ({verdict}),"
        f" peak {peak:.1f} MiB, inventory {size_kib:.0f} KiB"
    )
    print(
        f"{'':>14}re-plan with lock, 1% replaced {t_replan:.3f} s; lock save {t_save:.3f} s,"
        f" load+check {t_load:.3f} s"
    )
    return total


def main() -> None:
    sizes = tuple(int(a) for a in sys.argv[1:]) or SIZES
    measure(100)  # warm-up: imports and caches out of the figures
    totals = {n: measure(n) for n in sizes}
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        print(
            f"ratio {large}/{small} nodes: {totals[large] / totals[small]:.1f}x time for {large / small:.0f}x"
            " nodes (linear: about the same)"
        )


if __name__ == "__main__":
    main()
