#!/usr/bin/env python3
"""Figures for the web panel on a box that runs it (role webui): the web process's memory when idle,
time to the first page after the unit starts, that the helper is gone when idle, and the services
page with 50 services announced on the box (the real avahi-browse; needs an admin's password).

    .venv/bin/python benchmarks/webui.py [--container webui-a] [--starts 3] \
        [--user panelboss --password boss-pass-1234] [--services 50] [--rounds 10]

The box is a running container with the panel, e.g. the molecule scenario's after
`molecule converge -s webui` (the default). Timing happens inside the box (date +%s%N, curl's
time_total), so docker's own latency is not counted. Targets (issue 12): idle RSS <= 40 MiB, the
services page with 50 announced services <= 300 ms.
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
# N Avahi service files on the box, until avahi-browse sees them all.
ANNOUNCE = r"""
for i in $(seq 1 "$N"); do cat > /etc/avahi/services/bench-$i.service <<EOF
<?xml version="1.0" standalone='no'?><!DOCTYPE service-group SYSTEM "avahi-service.dtd">
<service-group><name>bench $i</name><service><type>_cloudy-bench._tcp</type>
<port>$((9000 + i))</port><txt-record>n=$i</txt-record></service></service-group>
EOF
done
for t in $(seq 1 100); do
  [ "$(avahi-browse -tpk _cloudy-bench._tcp | grep -c '^+;')" -ge "$N" ] && exit 0; sleep 0.3
done
echo "announced: $(avahi-browse -tpk _cloudy-bench._tcp | grep -c '^+;') of $N"; exit 1
"""
# Log in with curl on the box, then the search page and its JSON refresh, R times each.
SEARCH = r"""set -eu
jar=$(mktemp); p=https://127.0.0.1:7443
c() { curl -sk -b "$jar" -c "$jar" -e "$p/login" "$@"; }
t=$(c "$p/login" | sed -n 's/.*name="csrf_token"[^>]*value="\([^"]*\)".*/\1/p' | head -n1)
c -o /dev/null --data-urlencode "csrf_token=$t" --data-urlencode "user=$U" \
  --data-urlencode "password=$P" "$p/login"
echo "rows=$(c "$p/avahi" | grep -c '<tr data-type="_cloudy-bench._tcp"')"
for r in $(seq 1 "$R"); do c -o /dev/null -w 'page=%{time_total}\n' "$p/avahi"; done
for r in $(seq 1 "$R"); do c -o /dev/null -w 'json=%{time_total}\n' "$p/avahi.json"; done
rm -f "$jar"
"""


def sh(box, command: str, env: dict[str, str] | None = None) -> str:
    code, out = box.exec_run(["bash", "-c", command], environment=env)
    if code != 0:
        sys.exit(f"{box.name}: {command}: {out.decode(errors='replace')[-2000:]}")
    return out.decode()


def services_page(box, opts: argparse.Namespace) -> None:
    try:
        sh(box, ANNOUNCE, {"N": str(opts.services)})
        env = {"U": opts.user, "P": opts.password, "R": str(opts.rounds)}
        lines = [line.split("=", 1) for line in sh(box, SEARCH, env).split()]
    finally:
        sh(box, "rm -f /etc/avahi/services/bench-*.service")
    rows = next(int(v) for k, v in lines if k == "rows")
    for kind, label in (("page", "GET /avahi"), ("json", "GET /avahi.json")):
        ms = sorted(float(v) * 1000 for k, v in lines if k == kind)
        print(
            f"services page with {rows} of {opts.services} announced services on the box, {label}: "
            f"median {statistics.median(ms):.0f} ms, max {ms[-1]:.0f} ms over {len(ms)} (target <= 300 ms)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--container", default="webui-a")
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--user", default="panelboss", help="a member of cloudy-admin on the box")
    parser.add_argument("--password", help="their password; without it, no services page figure")
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10)
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
    if opts.password:
        services_page(box, opts)


if __name__ == "__main__":
    main()
