#!/usr/bin/python3
# Role snpservices of cloudy-deploy. GPL-3.0-or-later.
"""Draw the PNG graphs of every MRTG target from its RRD (rrdtool graph), for the web server.

snp-graphs INDEX WORKDIR OUTDIR: INDEX is the JSON list of targets the role wrote; for
each target whose RRD exists in WORKDIR, OUTDIR/<target>-<period>.png for a day and a
week, replaced atomically. Targets that left the index lose their graphs.
"""

import json
import os
import subprocess
import sys

PERIODS = {"day": "-1d", "week": "-1w"}


def lines(target: dict, rrd: str) -> list[str]:
    """rrdtool graph arguments: bits per second for traffic, round trip (ms) and loss for pings."""
    rrd = rrd.replace(":", "\\:")
    if target["kind"] == "ping":
        return [
            "--vertical-label",
            "ms / %",
            f"DEF:rtt={rrd}:ds0:AVERAGE",
            f"DEF:loss={rrd}:ds1:AVERAGE",
            "CDEF:ms=rtt,1000,/",
            "LINE2:ms#0000cc:round trip (ms)",
            "LINE1:loss#cc0000:loss (%)",
        ]
    return [
        "--vertical-label",
        "bits/s",
        f"DEF:in={rrd}:ds0:AVERAGE",
        f"DEF:out={rrd}:ds1:AVERAGE",
        "CDEF:inb=in,8,*",
        "CDEF:outb=out,8,*",
        "AREA:inb#00cc00:in",
        "LINE1:outb#0000ff:out",
    ]


def title(target: dict) -> str:
    """Ping guifi-a (10.95.0.2), Traffic guifi-c (10.95.0.4 eth0)."""
    if target["kind"] == "ping":
        return f"Ping {target['title']} ({target['address']})"
    return f"Traffic {target['title']} ({target['address']} {target['port'].lstrip(chr(92))})"


def main(index: str, workdir: str, outdir: str) -> int:
    with open(index, encoding="utf-8") as f:
        targets = json.load(f)
    wanted = set()
    failed = 0
    for target in targets:
        rrd = os.path.join(workdir, target["name"] + ".rrd")
        if not os.path.exists(rrd):
            continue
        for period, start in PERIODS.items():
            name = f"{target['name']}-{period}.png"
            wanted.add(name)
            tmp = os.path.join(outdir, "." + name)
            argv = [
                "rrdtool",
                "graph",
                tmp,
                "--imgformat",
                "PNG",
                "--start",
                start,
                "--title",
                title(target),
            ]
            done = subprocess.run(argv + lines(target, rrd), capture_output=True, text=True, check=False)
            if done.returncode:
                failed += 1
                print(f"{target['name']}: {done.stderr.strip()}", file=sys.stderr)
                continue
            os.chmod(tmp, 0o644)
            os.replace(tmp, os.path.join(outdir, name))
    for name in os.listdir(outdir):
        if name.endswith(".png") and name not in wanted:
            os.unlink(os.path.join(outdir, name))
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: snp-graphs INDEX WORKDIR OUTDIR")
    sys.exit(main(*sys.argv[1:]))
