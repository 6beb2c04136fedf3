#!/usr/bin/env python3
"""Figures for the cloud's software repository on the lab: bytes fetched from outside, 1 box vs N.

    .venv/bin/python benchmarks/repository.py [--sizes 1,3] [--packages PKGS] [--no-repository] [--keep]

For each lab size in a temporary project: `cloudy lab up`, `cloudy deploy --tags
common,tinc,avahi,repository` with `services: repository: {boxes: 1}` (unless
--no-repository), then an nftables counter on every box counts the bytes that
reach its eth0 from outside the lab's network (what the community network's
uplink carries; the overlay's own traffic, the cache's answers included, comes
from lab addresses and is not counted), and every box installs --packages with
apt-get, one box after the other (as later roles do). Printed: the bytes per
size and N boxes / 1 box (target: at most 1.15 with the repository).
"""

import argparse
import tempfile
from pathlib import Path

import docker
from bench import cloudy, lab_down
from tahoe import count_outside, mib, outside_bytes, sh

from cloudy_deploy.lab import naming


def lab(client, size: int, packages: str, repository: bool, keep: bool) -> list[int]:
    name = f"repobench{size}{'r' if repository else 'd'}"
    with tempfile.TemporaryDirectory(prefix="cloudy-bench-") as tmp:
        home = Path(tmp)
        services = "  repository: {boxes: 1}\n" if repository else ""
        (home / "cloudy.yml").write_text(f"cloud: {name}\nsources:\n  - lab: {name}\nservices:\n{services}")
        try:
            cloudy(home, "lab", "up", "--nodes", str(size), "--name", name)
            cloudy(home, "deploy", "--tags", "common,tinc,avahi,repository")
            boxes = [client.containers.get(naming.container_name(name, i)) for i in range(1, size + 1)]
            network = client.networks.get(naming.network_name(name))
            subnet = network.attrs["IPAM"]["Config"][0]["Subnet"]
            for box in boxes:
                count_outside(box, subnet)
            for box in boxes:
                sh(
                    box,
                    "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq"
                    f" --no-install-recommends {packages}",
                )
            return [outside_bytes(box)[0] for box in boxes]
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
    how = "without a repository" if args.no_repository else "through the repository box's cache"
    print(f"apt-get install {args.packages} on every box, {how}: bytes from outside the lab")
    for size, fetched in results.items():
        per_box = "  ".join(mib(b).strip() for b in fetched)
        print(f"{size} box(es): {mib(sum(fetched))}  (per box: {per_box})")
    if len(sizes) >= 2:
        one, many = sum(results[sizes[0]]), sum(results[sizes[-1]])
        print(f"bytes from outside, {sizes[-1]} boxes / {sizes[0]} box: {many / max(1, one):.2f}")


if __name__ == "__main__":
    main()
