"""Login lockout: after MAX_FAILURES failed logins of a user within WINDOW seconds, refuse it until
the oldest failure ages out. Kept in /run (the helper exits when idle; a reboot forgets)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

MAX_FAILURES = 5
WINDOW = 15 * 60


class Lockout:
    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock
        self._lock = threading.Lock()

    def locked(self, user: str) -> bool:
        with self._lock:
            return len(self._recent(self._load(), user)) >= MAX_FAILURES

    def attempt(self, user: str) -> bool:
        """Count an attempt as failed before PAM answers (clear() forgives it): parallel logins
        cannot all pass the check. False when USER is locked out."""
        with self._lock:
            state = self._load()
            recent = self._recent(state, user)
            if len(recent) >= MAX_FAILURES:
                return False
            state[user] = [*recent, self.clock()]
            self._save(state)
            return True

    def fail(self, user: str) -> None:
        with self._lock:
            state = self._load()
            state[user] = [*self._recent(state, user), self.clock()]
            self._save(state)

    def clear(self, user: str) -> None:
        with self._lock:
            state = self._load()
            if state.pop(user, None) is not None:
                self._save(state)

    def _recent(self, state: dict[str, list[float]], user: str) -> list[float]:
        since = self.clock() - WINDOW
        return [t for t in state.get(user, []) if t > since]

    def _load(self) -> dict[str, list[float]]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self, state: dict[str, list[float]]) -> None:
        since = self.clock() - WINDOW
        state = {u: [t for t in ts if t > since] for u, ts in state.items()}
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({u: ts for u, ts in state.items() if ts}))
        tmp.chmod(0o600)
        tmp.replace(self.path)
