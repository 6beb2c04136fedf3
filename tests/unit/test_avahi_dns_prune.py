"""roles/dns/files/cloudy-dns-prune: which records of the DNS-SD zone belong to boxes that left
avahi_dns (read from knotc zone-read), and that the others stay."""

import importlib.machinery
import importlib.util
from pathlib import Path

from tests.conftest import REPO

PATH = Path(REPO) / "ansible_collections/clommunity/cloudy/roles" / "dns" / "files" / "cloudy-dns-prune"
loader = importlib.machinery.SourceFileLoader("cloudy_dns_prune", str(PATH))
spec = importlib.util.spec_from_loader("cloudy_dns_prune", loader)
assert spec
prune = importlib.util.module_from_spec(spec)
loader.exec_module(prune)

ZONE_READ = r"""[w.cloudy.] w.cloudy. 15 NS ns.w.cloudy.
[w.cloudy.] w.cloudy. 15 SOA ns.w.cloudy. hostmaster.w.cloudy. 1796117992 3600 600 86400 15
[w.cloudy.] ns.w.cloudy. 15 A 10.96.0.2
[w.cloudy.] b._dns-sd._udp.w.cloudy. 15 PTR w.cloudy.
[w.cloudy.] _services._dns-sd._udp.w.cloudy. 15 PTR _http._tcp.w.cloudy.
[w.cloudy.] _services._dns-sd._udp.w.cloudy. 15 PTR _ssh._tcp.w.cloudy.
[w.cloudy.] _http._tcp.w.cloudy. 15 PTR web\032on\032box-c._http._tcp.box-c.w.cloudy.
[w.cloudy.] _http._tcp.w.cloudy. 15 PTR web._http._tcp.box-b.w.cloudy.
[w.cloudy.] _ssh._tcp.w.cloudy. 15 PTR box-c._ssh._tcp.box-c.w.cloudy.
[w.cloudy.] box-b.w.cloudy. 15 A 10.96.0.3
[w.cloudy.] box-c.w.cloudy. 15 A 10.96.0.4
[w.cloudy.] web._http._tcp.box-b.w.cloudy. 15 SRV 0 0 80 box-b.w.cloudy.
[w.cloudy.] web\032on\032box-c._http._tcp.box-c.w.cloudy. 15 SRV 0 0 80 box-c.w.cloudy.
[w.cloudy.] web\032on\032box-c._http._tcp.box-c.w.cloudy. 15 TXT "path=/"
[w.cloudy.] box-c._ssh._tcp.box-c.w.cloudy. 15 SRV 0 0 22 box-c.w.cloudy.
[w.cloudy.] a\.box-c.w.cloudy. 15 A 10.96.0.9
"""


def test_read_parses_knotc_zone_read_lines():
    rows = prune.read(ZONE_READ)
    assert len(rows) == 16
    assert rows[9] == ("box-b.w.cloudy.", "A", "10.96.0.3")
    assert rows[13] == ("web\\032on\\032box-c._http._tcp.box-c.w.cloudy.", "TXT", '"path=/"')


def test_labels_keep_escaped_dots_in_their_label():
    assert prune.labels("a\\.box-C.W.cloudy.") == ["a\\.box-c", "w", "cloudy"]


def test_a_box_that_left_loses_its_names_its_ptrs_and_its_last_types():
    gone = prune.stale(prune.read(ZONE_READ), "w.cloudy", ["box-b"])
    assert sorted(f"{n} {t}" for n, t, _ in gone) == [
        "_http._tcp.w.cloudy. PTR",
        "_services._dns-sd._udp.w.cloudy. PTR",
        "_ssh._tcp.w.cloudy. PTR",
        "a\\.box-c.w.cloudy. A",
        "box-c._ssh._tcp.box-c.w.cloudy. SRV",
        "box-c.w.cloudy. A",
        "web\\032on\\032box-c._http._tcp.box-c.w.cloudy. SRV",
        "web\\032on\\032box-c._http._tcp.box-c.w.cloudy. TXT",
    ]
    # _http still has box-b's instance: it stays listed; _ssh had only box-c's.
    services = [r for n, t, r in gone if n.startswith("_services")]
    assert services == ["_ssh._tcp.w.cloudy."]
    assert [r for n, t, r in gone if n == "_http._tcp.w.cloudy."] == [
        "web\\032on\\032box-c._http._tcp.box-c.w.cloudy."
    ]


def test_nothing_goes_while_every_box_is_kept_and_static_names_always_stay():
    assert prune.stale(prune.read(ZONE_READ), "w.cloudy", ["box-b", "box-c", "a\\.box-c"]) == []
    left = {n for n, _, _ in prune.stale(prune.read(ZONE_READ), "w.cloudy", [])}
    assert not left & {"w.cloudy.", "ns.w.cloudy.", "b._dns-sd._udp.w.cloudy."}


def test_instances_of_the_single_key_scheme_go_with_their_ptrs():
    before = """[w.cloudy.] _http._tcp.w.cloudy. 15 PTR web._http._tcp.w.cloudy.
[w.cloudy.] _http._tcp.w.cloudy. 15 PTR web._http._tcp.box-b.w.cloudy.
[w.cloudy.] _services._dns-sd._udp.w.cloudy. 15 PTR _http._tcp.w.cloudy.
[w.cloudy.] web._http._tcp.w.cloudy. 15 SRV 0 0 80 box-b.w.cloudy.
[w.cloudy.] web._http._tcp.w.cloudy. 15 TXT ""
[w.cloudy.] web._http._tcp.box-b.w.cloudy. 15 SRV 0 0 80 box-b.w.cloudy.
"""
    gone = prune.stale(prune.read(before), "w.cloudy", ["box-b"])
    assert [f"{n} {t} {r}" for n, t, r in gone] == [
        "_http._tcp.w.cloudy. PTR web._http._tcp.w.cloudy.",
        "web._http._tcp.w.cloudy. SRV 0 0 80 box-b.w.cloudy.",
        'web._http._tcp.w.cloudy. TXT ""',
    ]


def test_usage_without_a_zone(capsys):
    assert prune.main([]) == 2
    assert "usage: cloudy-dns-prune ZONE" in capsys.readouterr().err
