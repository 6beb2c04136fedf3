"""The `mdns` source: the boxes that answer mDNS on this machine's networks, browsed with zeroconf.

It browses `_ssh._tcp` (any box running avahi with its ssh service) and `_cloudy._tcp`
(boxes the avahi role has set up) for a few seconds (default 3), then resolves each
instance; mdns_records turns the answers into nodes.
"""

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from zeroconf import InterfaceChoice, ServiceBrowser, ServiceStateChange, Zeroconf

from cloudy_deploy.errors import BadInput
from cloudy_deploy.sources.loaded import Loaded
from cloudy_deploy.sources.mdns_records import CLOUDY, SSH, MdnsRecord, nodes_from_records, record_from_info
from cloudy_deploy.sources.refs import MDNS_SECONDS

RESOLVE_MS = 1500  # per instance; most answers are already cached from the browse


def browse(
    seconds: float = MDNS_SECONDS,
    interfaces: InterfaceChoice | Sequence[str] = InterfaceChoice.All,
    types: Sequence[str] = (SSH, CLOUDY),
) -> list[MdnsRecord]:
    """The service instances of `types` announced within `seconds`, resolved, as records."""
    try:
        zc = Zeroconf(interfaces=interfaces if isinstance(interfaces, InterfaceChoice) else list(interfaces))
    except OSError as exc:
        raise BadInput(
            f"mdns: cannot browse ({exc}); this machine needs a network with multicast, "
            "or drop the mdns source"
        ) from None
    seen: dict[tuple[str, str], None] = {}
    lock = threading.Lock()

    def on_change(zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange) -> None:
        if state_change is not ServiceStateChange.Removed:
            with lock:
                seen[(service_type, name)] = None

    try:
        browser = ServiceBrowser(zc, list(types), handlers=[on_change])
        time.sleep(seconds)
        browser.cancel()
        with lock:
            wanted = list(seen)
        with ThreadPoolExecutor(max_workers=16) as pool:
            infos = list(pool.map(lambda tn: zc.get_service_info(tn[0], tn[1], timeout=RESOLVE_MS), wanted))
    finally:
        zc.close()
    return [record_from_info(info) for info in infos if info is not None]


def load(seconds: str | float | None = None, source: str = "mdns") -> Loaded:
    wait = float(seconds) if seconds is not None else MDNS_SECONDS
    found = nodes_from_records(browse(wait), source)
    count = len(found.nodes)
    answered = f"{source}: {count} box{'es' * (count != 1)} answered in {wait:g} s"
    return Loaded(found.nodes, [*found.notes, answered])
