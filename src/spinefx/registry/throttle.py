"""Failed logins counted in memory, for what has no row to count on: a client address, and an
e-mail address nobody has (so that an unknown account is held back exactly like a known one,
and the answer does not tell them apart).

The schedule is the accounts' own (:mod:`spinefx.registry.auth`): from the ``throttle_after``-th
failure in a row each attempt waits ``2 ** (failures - throttle_after)`` seconds (at most
``max_delay_s``); at ``lock_after`` failures the key is held for ``lock_minutes`` (``None``:
never). A key unused for ``forget_minutes`` is forgotten, and at most ``max_keys`` are kept
(the oldest go first), so a flood of made-up addresses cannot fill the memory.

>>> from datetime import UTC, datetime, timedelta
>>> t = FailureThrottle(throttle_after=2, lock_after=None, lock_minutes=15, max_delay_s=60)
>>> now = datetime(2026, 1, 1, tzinfo=UTC)
>>> t.failed("10.0.0.7", now); t.failed("10.0.0.7", now)
>>> t.wait("10.0.0.7", now), t.wait("10.0.0.7", now + timedelta(seconds=1)), t.wait("x", now)
(1, 0, 0)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["FailureThrottle", "Hold"]


@dataclass
class _Count:
    failures: int
    last_failed_at: datetime
    held_until: datetime | None = None


@dataclass(frozen=True)
class Hold:
    """Why a key must wait, and how long (seconds)."""

    seconds: int
    locked: bool  # held for lock_minutes, not just slowed down


class FailureThrottle:
    def __init__(
        self,
        *,
        throttle_after: int,
        lock_after: int | None,
        lock_minutes: int,
        max_delay_s: int,
        forget_minutes: int = 60,
        max_keys: int = 10_000,
    ) -> None:
        self.throttle_after = throttle_after
        self.lock_after = lock_after
        self.lock_minutes = lock_minutes
        self.max_delay_s = max_delay_s
        self.forget = timedelta(minutes=forget_minutes)
        self.max_keys = max_keys
        self._counts: OrderedDict[str, _Count] = OrderedDict()
        self._lock = threading.Lock()

    def hold(self, key: str, now: datetime) -> Hold | None:
        """How long ``key`` must wait before its next attempt (``None``: it may try now)."""
        with self._lock:
            count = self._counts.get(key)
            if count is None:
                return None
            if count.last_failed_at + self.forget < now:
                del self._counts[key]
                return None
            if count.held_until is not None and count.held_until > now:
                return Hold(_seconds(count.held_until - now), locked=True)
            if count.failures >= self.throttle_after:
                delay = min(self.max_delay_s, 2 ** (count.failures - self.throttle_after))
                ready = count.last_failed_at + timedelta(seconds=delay)
                if ready > now:
                    return Hold(_seconds(ready - now), locked=False)
            return None

    def wait(self, key: str, now: datetime) -> int:
        """:meth:`hold`'s seconds (0: now)."""
        held = self.hold(key, now)
        return held.seconds if held else 0

    def failed(self, key: str, now: datetime) -> None:
        """One more failure of ``key``."""
        with self._lock:
            count = self._counts.pop(key, None)
            if count is None or count.last_failed_at + self.forget < now:
                count = _Count(0, now)
            count.failures += 1
            count.last_failed_at = now
            if self.lock_after is not None and count.failures >= self.lock_after:
                count.held_until = now + timedelta(minutes=self.lock_minutes)
                count.failures = 0
            self._counts[key] = count  # the newest last
            while len(self._counts) > self.max_keys:
                self._counts.popitem(last=False)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)


def _seconds(left: timedelta) -> int:
    return max(1, int(left.total_seconds() + 0.999))
