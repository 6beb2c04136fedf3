"""Time to generate SNPServices' MRTG configuration and DNSServices' zones from a CNML of 1,000 devices.

Target (issue 14): <= 2 s for 1,000 devices, each part (parse included). A synthetic zone of 1,000
servers in 100 nodes, one graph server for all, and a domains file naming every device; the figures
are what the modules do on a box (the generators, without writing files or running named-checkzone).

    .venv/bin/python benchmarks/guifi_zone.py [DEVICES]
"""

import datetime
import sys
import tempfile
import time
from collections.abc import Callable
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the collection of this checkout
from ansible_collections.clommunity.cloudy.plugins.modules import dns_zones, snp_mrtg_config

TARGET = 2.0


def zone_cnml(devices: int) -> str:
    base = int(IPv4Address("10.200.0.1"))
    out = ['<?xml version="1.0"?>\n<cnml version="0.1"><class mapping="y"/><network>']
    out.append('<zone id="1" title="Bench" graph_server="9">')
    for n in range(0, devices, 10):
        out.append(f'<node id="{100000 + n}" title="N{n}" lat="41.0" lon="2.0" status="Working">')
        for d in range(n, min(n + 10, devices)):
            ip = IPv4Address(base + d)
            extra = '<service id="9" type="SNPgraphs" status="Working"/>' if d == 0 else ""
            out.append(
                f'<device id="{d + 1}" title="Dev {d}" type="server" status="Working" mainipv4="{ip}" '
                f'snmp_name="eth0"><interface id="{d + 1}" ipv4="{ip}"/>{extra}</device>'
            )
        out.append("</node>")
    out.append("</zone></network></cnml>\n")
    return "".join(out)


def domains_cnml(devices: int) -> str:
    base = int(IPv4Address("10.200.0.1"))
    hosts = "".join(
        f'<host name="dev{d}" IPv4="{IPv4Address(base + d)}" CNAME="alias{d}"/>' for d in range(devices)
    )
    return (
        '<?xml version="1.0"?>\n<cnml version="0.1"><domains><internal>'
        f'<master zone="bench.guifi.test" nameserver="dev0">{hosts}</master>'
        "</internal></domains></cnml>\n"
    )


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main(devices: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "zone.cnml").write_text(zone_cnml(devices))
        (folder / "domains.cnml").write_text(domains_cnml(devices))
        snp = {
            "src": str(folder / "zone.cnml"),
            "graph_server": 9,
            "dest": str(folder / "mrtg.cfg"),
            "index": str(folder / "targets.json"),
            "workdir": "/var/lib/snpservices/rrd",
            "ping": "/usr/local/lib/cloudy/snp-ping",
            "community": "public",
            "statuses": ["Working"],
            "forks": 4,
            "interval": 5,
        }
        (_, targets, _), snp_s = timed(lambda: snp_mrtg_config.generate(snp))
        dns = {
            "src": str(folder / "domains.cnml"),
            "devices_src": str(folder / "zone.cnml"),
            "devices_domain": "ip.guifi.test",
            "dir": str(folder / "zones"),
            "server_address": "10.200.0.1",
            "ttl": 3600,
        }
        files, dns_s = timed(lambda: dns_zones.render(dns_zones.build(dns), dns, datetime.date.today()))
    ok = snp_s <= TARGET and dns_s <= TARGET
    print(f"devices: {devices}")
    print(f"snpservices: {len(targets)} MRTG targets in {snp_s:.3f} s (target <= {TARGET} s)")
    print(f"dnsservices: {len(files) - 1} zone files in {dns_s:.3f} s (target <= {TARGET} s)")
    print("within target" if ok else "OVER TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000))
