#!/usr/bin/env python3
"""Figure for Proxy3: the latency the proxy adds to a cached object, measured from another box.

    export CLOUDY_NODE_IMAGE=$(.venv/bin/cloudy lab image)
    .venv/bin/molecule converge -s guifi        # the boxes guifi-a (proxy3), guifi-c (client)
    .venv/bin/python benchmarks/guifi_proxy.py [--requests 200] [--size 16]

On guifi-c (GUIFI_BOX_PREFIX renames the boxes, as in molecule/guifi): a small HTTP server on its
overlay address serves a --size KB file (an old modification time, so squid keeps it fresh); one
fetch through guifi-a's squid (as the test user anna) puts it in the cache, then --requests fetches
each way, one curl per request as a user's browser would: straight to the server, and through the
proxy over the overlay. Prints the median and 90th percentile of both, and the difference of the
medians: what the proxy adds to a cache hit. The last fetch must be a cache hit (X-Cache), or no
figure is printed.
"""

import argparse
import os
import statistics
import sys

import docker

PORT = 8081  # beside the molecule verify's server (8080)
LOGIN = "anna:anna-test"  # the test user of molecule/guifi/prepare_proxy3.yml


def sh(box, command: str) -> str:
    code, out = box.exec_run(["bash", "-c", command])
    if code != 0:
        sys.exit(f"{box.name}: {command}: {out.decode(errors='replace')[-2000:]}")
    return out.decode()


def overlay_ip(box) -> str:
    return sh(box, 'ip -4 -o addr show | awk \'$2 != "eth0" && $2 != "lo" {print $4}\'').split("/")[0]


def times(box, count: int, curl_args: str) -> list[float]:
    """Seconds of COUNT fetches, each a fresh curl run on the box (its own TCP connection)."""
    out = sh(
        box, f"for i in $(seq {count}); do curl -sf -o /dev/null -w '%{{time_total}}\\n' {curl_args}; done"
    )
    return [float(x) for x in out.split()]


def summary(values: list[float]) -> str:
    p90 = statistics.quantiles(values, n=10)[-1]
    return f"median {statistics.median(values) * 1000:.2f} ms, p90 {p90 * 1000:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--size", type=int, default=16, help="KB")
    args = parser.parse_args()
    prefix = os.environ.get("GUIFI_BOX_PREFIX", "guifi")
    client = docker.from_env()
    proxy_box, client_box = (client.containers.get(f"{prefix}-{x}") for x in ("a", "c"))
    proxy = f"http://{overlay_ip(proxy_box)}:3128"
    here = overlay_ip(client_box)
    target = f"http://{here}:{PORT}/bench-{args.size}k.bin"
    sh(
        client_box,
        f"mkdir -p /srv/proxy3-bench && cd /srv/proxy3-bench && head -c {args.size * 1024} /dev/urandom"
        f" > bench-{args.size}k.bin && touch -d 2020-01-01 bench-{args.size}k.bin &&"
        " { systemctl is-active --quiet proxy3-bench ||"
        f" systemd-run --unit=proxy3-bench python3 -m http.server {PORT} --bind {here}"
        " --directory /srv/proxy3-bench; } && sleep 1",
    )
    through = f"-x {proxy} -U {LOGIN} {target}"
    sh(client_box, f"curl -sf -o /dev/null {through}")  # into the cache
    hit = sh(client_box, f"curl -sf -D - -o /dev/null {through}")
    if "HIT from" not in hit:
        sys.exit(f"the object is not served from squid's cache:\n{hit}")
    direct = times(client_box, args.requests, target)
    proxied = times(client_box, args.requests, through)
    added = (statistics.median(proxied) - statistics.median(direct)) * 1000
    print(
        f"object: {args.size} KB from {prefix}-c's HTTP server,"
        f" {args.requests} fetches each way from {prefix}-c"
    )
    print(f"direct:              {summary(direct)}")
    print(f"through proxy3 (hit): {summary(proxied)}")
    print(f"added by the proxy:  {added:.2f} ms (difference of the medians)")


if __name__ == "__main__":
    main()
