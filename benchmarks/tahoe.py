#!/usr/bin/env python3
"""Figures for Tahoe-LAFS on the lab: external bytes, install time, put/get throughput.

    .venv/bin/python benchmarks/tahoe.py [--sizes 1,3] [--mb 50] [--keep]

For each lab size (1 box, then 3 boxes) in a temporary project: `cloudy lab up`,
`cloudy deploy --tags common,tinc,avahi`, then an nftables counter on every box
counts the bytes that reach its eth0 from outside the lab's network (PyPI, the
Debian archive: what a community network's uplink would carry; the overlay's
own traffic comes from lab addresses and is not counted), and
`cloudy deploy --tags tahoe` installs the grid (timed). On the largest lab:
a --mb MB random file is put through box 1's gateway and got through box 2's,
next to raw TCP over the same overlay (box 1 -> box 2), as a ratio.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import docker
from bench import cloudy, lab_down

from cloudy_deploy.lab import naming

TAHOE = "/opt/tahoe-lafs/1.20.0/bin/tahoe -d /var/lib/tahoe-lafs/node"
SHARES = {1: "{needed: 1, happy: 1, total: 1}", 2: "{needed: 1, happy: 2, total: 2}"}
# Raw TCP over the overlay: a sink on box 2, a sendfile() from box 1.
RAW_SINK = (
    "import socket,sys\nc,_=socket.create_server((sys.argv[1],5099)).accept()\nwhile c.recv(1<<20):pass\n"
)
RAW_SEND = (
    "import socket,sys\nsocket.create_connection((sys.argv[1],5099)).sendfile(open(sys.argv[2],'rb'))\n"
)
OVERLAY_IP = 'ip -4 -o addr show | awk \'$2 != "eth0" && $2 != "lo" {print $4}\''
INSTALL_NFT = "command -v nft >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nftables"


def sh(box, command: str) -> str:
    code, out = box.exec_run(["bash", "-c", command])
    if code != 0:
        sys.exit(f"{box.name}: {command}: {out.decode(errors='replace')[-2000:]}")
    return out.decode()


def timed(box, command: str) -> float:
    """Seconds the command took, timed inside the box."""
    out = sh(box, f"s=$(date +%s%N); {command} >/dev/null; e=$(date +%s%N); echo $((e - s))")
    return int(out.split()[-1]) / 1e9


def count_outside(box, subnet: str) -> None:
    sh(box, INSTALL_NFT)
    sh(
        box,
        "nft add table inet cloudybench && nft add chain inet cloudybench input "
        "'{ type filter hook input priority -10; policy accept; }' && "
        f"nft add rule inet cloudybench input iifname eth0 ip saddr != {subnet} counter && "
        # The HTTPS part: PyPI (the Debian archive is fetched over plain HTTP).
        f"nft add rule inet cloudybench input iifname eth0 ip saddr != {subnet} tcp sport 443 counter",
    )


def outside_bytes(box) -> tuple[int, int]:
    """Bytes from outside the lab: all of them, and those from HTTPS (PyPI)."""
    out = sh(box, "nft list chain inet cloudybench input").split("bytes")
    return int(out[1].split()[0]), int(out[2].split()[0])


def mib(n: float) -> str:
    return f"{n / 2**20:8.1f} MiB"


def lab(client, size: int, megabytes: int, keep: bool) -> dict[str, object]:
    name = f"tahoebench{size}"
    shares = SHARES.get(size, "{needed: 2, happy: 3, total: 3}")
    with tempfile.TemporaryDirectory(prefix="cloudy-bench-") as tmp:
        home = Path(tmp)
        (home / "cloudy.yml").write_text(
            f"cloud: {name}\nsources:\n  - lab: {name}\nservices:\n  tahoe: {{shares: {shares}}}\n"
        )
        try:
            cloudy(home, "lab", "up", "--nodes", str(size), "--name", name)
            cloudy(home, "deploy", "--tags", "common,tinc,avahi")
            boxes = [client.containers.get(naming.container_name(name, i)) for i in range(1, size + 1)]
            network = client.networks.get(naming.network_name(name))
            subnet = network.attrs["IPAM"]["Config"][0]["Subnet"]
            for box in boxes:
                count_outside(box, subnet)
            install = cloudy(home, "deploy", "--tags", "tahoe")
            fetched = [outside_bytes(box) for box in boxes]
            figures: dict[str, object] = {"size": size, "install": install, "fetched": fetched}
            if size >= 2:
                figures |= throughput(boxes, megabytes)
            return figures
        finally:
            if not keep:
                lab_down(home, name)


def throughput(boxes, megabytes: int) -> dict[str, float]:
    first, second = boxes[0], boxes[1]
    overlay_ip = sh(second, OVERLAY_IP).split("/")[0]
    sh(first, f"head -c {megabytes}M /dev/urandom > /root/bench.bin")
    second.exec_run(["python3", "-c", RAW_SINK, overlay_ip], detach=True)
    time.sleep(1)
    started = time.monotonic()
    code, out = first.exec_run(["python3", "-c", RAW_SEND, overlay_ip, "/root/bench.bin"])
    raw = time.monotonic() - started
    if code != 0:
        sys.exit(f"raw TCP over the overlay failed: {out.decode(errors='replace')}")
    started = time.monotonic()
    cap = sh(first, f"{TAHOE} put /root/bench.bin").strip().splitlines()[-1]
    put = time.monotonic() - started
    get = timed(second, f"{TAHOE} get {cap} /root/bench.out")
    same = sh(first, "sha256sum < /root/bench.bin") == sh(second, "sha256sum < /root/bench.out")
    if not same:
        sys.exit("the file got back differs from the file put")
    size = megabytes * 2**20
    return {"raw": size / raw, "put": size / put, "get": size / get}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,3", help="lab sizes, comma separated")
    parser.add_argument("--mb", type=int, default=50, help="file size for put/get, MiB")
    parser.add_argument("--keep", action="store_true", help="leave the labs up")
    args = parser.parse_args()
    client = docker.from_env()
    results = [lab(client, int(s), args.mb, args.keep) for s in args.sizes.split(",")]
    print("Tahoe-LAFS on the lab (cloudy deploy --tags tahoe)")
    for r in results:
        fetched = [total for total, _https in r["fetched"]]
        pypi = sum(https for _total, https in r["fetched"])
        per_box = "  ".join(mib(b).strip() for b in fetched)
        print(
            f"{r['size']} box(es): install {r['install']:6.1f} s  external bytes {mib(sum(fetched))}"
            f"  (per box: {per_box}; HTTPS, i.e. PyPI: {mib(pypi).strip()})"
        )
    if len(results) >= 2:
        one, many = ([t for t, _ in r["fetched"]] for r in (results[0], results[-1]))
        print(f"external bytes, {results[-1]['size']} boxes / 1 box: {sum(many) / max(1, sum(one)):.2f}")
    for r in results:
        if "raw" in r:
            raw = r["raw"]
            print(f"{args.mb} MiB over the overlay of {r['size']} boxes:")
            print(f"  raw TCP  {raw / 2**20:7.1f} MiB/s")
            print(f"  put      {r['put'] / 2**20:7.1f} MiB/s  ({r['put'] / raw:.2f} of raw TCP)")
            print(f"  get      {r['get'] / 2**20:7.1f} MiB/s  ({r['get'] / raw:.2f} of raw TCP)")


if __name__ == "__main__":
    main()
