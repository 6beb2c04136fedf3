"""Logged-in sessions, kept in this process: the cookie carries only a random id.

A new id at every login; logout and the idle timeout forget it here, so a copied cookie stops
working too. A restart of the panel logs everyone out.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass


@dataclass
class Entry:
    user: str
    seen: float


class SessionStore:
    def __init__(self, idle_seconds: float) -> None:
        self.idle_seconds = idle_seconds
        self._entries: dict[str, Entry] = {}
        self._lock = threading.Lock()

    def open(self, user: str) -> str:
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._entries[sid] = Entry(user, time.monotonic())
        return sid

    def touch(self, sid: str) -> tuple[str | None, bool]:
        """(the user of a live session or None, whether it just expired)."""
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(sid)
            if entry is None:
                return None, False
            if now - entry.seen > self.idle_seconds:
                del self._entries[sid]
                return None, True
            entry.seen = now
            return entry.user, False

    def close(self, sid: str) -> None:
        with self._lock:
            self._entries.pop(sid, None)
