#!/usr/bin/env python3
"""Figures for the cloud's software repository on the lab: bytes fetched from outside, 1 box vs N.

    .venv/bin/python benchmarks/repository.py [--sizes 1,3] [--packages PKGS] [--no-repository] [--keep]

For each lab size in a temporary project: `cloudy lab up`, then an nftables
counter on every box counts the bytes that reach its eth0 from outside the
lab's network (what the community network's uplink carries; the overlay's own
traffic, the cache's answers included, comes from lab addresses and is not
counted) during `cloudy deploy --tags common,tinc,avahi,repository` with
`services: repository: {boxes: 1}` (unless --no-repository; site.yml's
first play runs the repository box's cache before common, so the others'
first apt goes through it over the lab network, the community network's
stand-in), and then while every box installs --packages with apt-get, one
box after the other (as later roles do). Printed: the bytes of each part and
of both per size, what the repository box's apt-cacher-ng fetched upstream
and served (its log), and N boxes / 1 box (target: at most 1.15 with the
repository).
"""

import argparse
import tempfile
from pathlib import Path

import docker
from bench import cloudy, lab_down
from tahoe import count_outside, mib, outside_bytes, sh

from cloudy_deploy.lab import naming

ACNG_LOG = "/var/log/apt-cacher-ng/apt-cacher.log"


def acng_bytes(box) -> tuple[int, int]:
    """apt-cacher-ng's transfer log (TIME|I or O|BYTES|CLIENT|PATH): bytes fetched upstream (I) and
    served (O)."""
    totals = {"I": 0, "O": 0}
    for line in sh(box, f"cat {ACNG_LOG} 2>/dev/null || true").splitlines():
        fields = line.split("|")
        if len(fields) > 2 and fields[1] in totals and fields[2].isdigit():
            totals[fields[1]] += int(fields[2])
    return totals["I"], totals["O"]


def lab(client, size: int, packages: str, repository: bool, keep: bool) -> dict[str, list[int]]:
    name = f"repobench{size}{'r' if repository else 'd'}"
    with tempfile.TemporaryDirectory(prefix="cloudy-bench-") as tmp:
        home = Path(tmp)
        services = "  repository: {boxes: 1}\n" if repository else ""
        (home / "cloudy.yml").write_text(f"cloud: {name}\nsources:\n  - lab: {name}\nservices:\n{services}")
        try:
            cloudy(home, "lab", "up", "--nodes", str(size), "--name", name)
            boxes = [client.containers.get(naming.container_name(name, i)) for i in range(1, size + 1)]
            network = client.networks.get(naming.network_name(name))
            subnet = network.attrs["IPAM"]["Config"][0]["Subnet"]
            for box in boxes:
                count_outside(box, subnet)  # nftables from the image's package lists, before counting
            cloudy(home, "deploy", "--tags", "common,tinc,avahi,repository")
            deployed = [outside_bytes(box)[0] for box in boxes]
            for box in boxes:
                sh(
                    box,
                    "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq"
                    f" --no-install-recommends {packages}",
                )
            total = [outside_bytes(box)[0] for box in boxes]
            cache = acng_bytes(boxes[0]) if repository else (0, 0)
            return {
                "deploy": deployed,
                "install": [t - d for t, d in zip(total, deployed, strict=True)],
                "both": total,
                "cache": list(cache),
            }
        finally:
            if not keep:
                lab_down(home, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,3", help="lab sizes, comma separated")
    parser.add_argument("--packages", default="python3-dev", help="what every box installs, space separated")
    parser.add_argument("--no-repository", action="store_true", help="the same without a repository box")
    parser.add_argument("--keep", action="store_true", help="leave the labs up")
    args = parser.parse_args()
    client = docker.from_env()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {size: lab(client, size, args.packages, not args.no_repository, args.keep) for size in sizes}
    how = "without a repository" if args.no_repository else "with a repository box (box 1)"
    print(f"bytes from outside the lab, {how}")
    parts = {
        "deploy": "cloudy deploy --tags common,tinc,avahi,repository",
        "install": f"then apt-get install {args.packages} on every box",
        "both": "both",
    }
    for part, title in parts.items():
        print(title)
        for size, result in results.items():
            per_box = "  ".join(mib(b).strip() for b in result[part])
            print(f"  {size} box(es): {mib(sum(result[part]))}  (per box: {per_box})")
        if len(sizes) >= 2:
            one, many = sum(results[sizes[0]][part]), sum(results[sizes[-1]][part])
            print(f"  {sizes[-1]} boxes / {sizes[0]} box: {many / max(1, one):.2f}")
    if not args.no_repository:
        for size, result in results.items():
            fetched, served = result["cache"]
            fetched_mib, served_mib = mib(fetched).strip(), mib(served).strip()
            print(f"apt-cacher-ng's log, {size} box(es): {fetched_mib} fetched upstream, {served_mib} served")


if __name__ == "__main__":
    main()
