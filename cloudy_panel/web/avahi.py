"""The services announced in the micro cloud, from `avahi-browse -artpk` (no root needed).

The lines are read by the collection's parser (module_utils/avahi_browse.py, the one the wrapper
uses too); on a box the role puts the collection's folder on the panel's PYTHONPATH.
A browse resolves every service (about a second for 50), so Browser keeps one run's answer for a
few seconds and serves it while the next run refreshes it in the background.
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass

from ansible_collections.clommunity.cloudy.plugins.module_utils.avahi_browse import (
    MdnsRecord,
    instance_name,
    parse_avahi_browse,
)

BROWSE = ("avahi-browse", "--all", "--resolve", "--terminate", "--parsable", "--no-db-lookup")
BROWSE_TIMEOUT = 15.0
FRESH_SECONDS = 3.0  # an answer this young is served as it is
STALE_SECONDS = 30.0  # an older one, up to this age, is served while a refresh runs; beyond, wait
_SERVICE_TYPE = re.compile(r"_[^.;\s]+\._(tcp|udp)")


@dataclass(frozen=True)
class Announcement:
    type: str  # _tahoe-introducer._tcp
    name: str  # the instance name (the description), unescaped: data from another box
    host: str  # box-2.local
    address: str
    port: int
    txt: dict[str, str]

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def _announcement(record: MdnsRecord) -> Announcement | None:
    stype = ".".join(record.type.split(".")[:2])
    if not _SERVICE_TYPE.fullmatch(stype) or record.port is None or not record.addresses:
        return None  # a subtype (_x._sub._y._tcp): its service is listed under its own type
    address = next((a for a in record.addresses if ":" not in a), record.addresses[0])  # IPv4 first
    return Announcement(
        stype, instance_name(record), record.server.rstrip("."), address, record.port, dict(record.txt)
    )


def parse(lines: Iterable[str]) -> list[Announcement]:
    """The resolved services, one per type and name; malformed lines are left out."""
    found: dict[tuple[str, str], Announcement] = {}
    for record in parse_avahi_browse(lines).records:
        item = _announcement(record)
        if item is not None:
            found.setdefault((item.type, item.name), item)
    return sorted(found.values(), key=lambda a: (a.type, a.host, a.name))


def browse(command: Sequence[str] = BROWSE) -> list[Announcement]:
    """Run avahi-browse once; an absent or failing avahi gives an empty list (the page says none)."""
    try:
        done = subprocess.run(
            list(command), capture_output=True, text=True, timeout=BROWSE_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    return parse(done.stdout.splitlines())


class Browser:
    """One browse command's last answer: fresh -> as it is; stale -> as it is, and one refresh
    starts in the background; none yet or too old -> the caller waits for a run (one at a time)."""

    def __init__(
        self,
        command: Sequence[str],
        fresh: float = FRESH_SECONDS,
        stale: float = STALE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.command, self.clock = tuple(command), clock
        self.fresh, self.stale = fresh, max(stale, fresh)
        self._items: list[Announcement] | None = None
        self._at = 0.0
        self._lock = threading.Lock()  # guards _items, _at, _refreshing
        self._run = threading.Lock()  # one avahi-browse at a time
        self._refreshing = False

    def _update(self) -> list[Announcement]:
        with self._run:
            started = self.clock()
            with self._lock:
                if self._items is not None and started - self._at < self.fresh:
                    return self._items  # another thread's run just answered
            items = browse(self.command)
            with self._lock:
                self._items, self._at = items, started
                return items

    def _background(self) -> None:
        try:
            self._update()
        finally:
            with self._lock:
                self._refreshing = False

    def announcements(self) -> list[Announcement]:
        with self._lock:
            age = self.clock() - self._at
            if self._items is not None and age < self.stale:
                if age >= self.fresh and not self._refreshing:
                    self._refreshing = True
                    threading.Thread(target=self._background, name="avahi-browse", daemon=True).start()
                return self._items
        return self._update()
