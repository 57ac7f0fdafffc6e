"""What keeps the login form from stalling the site or being guessed at (issue 22, item 3).

- Password hashing runs in a pool of its own (:data:`HASHING_THREADS` threads; argon2 lets go
  of the GIL while it works), never on the event loop; at most :data:`MAX_WAITING` logins wait
  for it, and one more is refused at once (503, ``Retry-After: 1``), so a flood of logins
  costs the patient pages neither the loop nor more than those threads.
- Failed logins are also counted per client address (:data:`ADDRESS_THROTTLE_AFTER` in a row,
  then each attempt waits longer, up to a minute: 429 with ``Retry-After``), besides the
  account's own count; and an unknown e-mail is held back like a known account.
- The client address is the connection's peer; behind one of ``SPINEFX_FORWARDED_ALLOW_IPS``
  (the reverse proxies, comma-separated) uvicorn's proxy-headers middleware has already put
  the address the proxy forwarded there (:func:`spinefx.web.app.create_app`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from spinefx.errors import AuthFailure, NotAuthenticated
from spinefx.registry.auth import MAX_DELAY_S, unknown_accounts
from spinefx.registry.models import utcnow
from spinefx.registry.throttle import FailureThrottle

__all__ = [
    "ADDRESS_THROTTLE_AFTER",
    "BUSY",
    "HASHING_THREADS",
    "MAX_WAITING",
    "HashingBusy",
    "LoginGuard",
    "refusal",
]

HASHING_THREADS = 2
MAX_WAITING = 16
ADDRESS_THROTTLE_AFTER = 10

T = TypeVar("T")


BUSY = "The registry is busy with other logins. Try again in a moment."  # a HashingBusy's words


class HashingBusy(Exception):
    """More logins are waiting for the hashing pool than :data:`MAX_WAITING`."""


@dataclass
class LoginGuard:
    """One per app: the hashing pool and the in-memory failure counts."""

    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(HASHING_THREADS, "spinefx-login")
    )
    capacity: int = MAX_WAITING
    unknown: FailureThrottle = field(default_factory=unknown_accounts)
    addresses: FailureThrottle = field(
        default_factory=lambda: FailureThrottle(
            throttle_after=ADDRESS_THROTTLE_AFTER,
            lock_after=None,
            lock_minutes=0,
            max_delay_s=MAX_DELAY_S,
        )
    )
    _waiting: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def run(self, work: Callable[[], T]) -> T:
        """``work`` in the hashing pool, or :class:`HashingBusy` when too many wait already."""
        with self._lock:
            if self._waiting >= self.capacity:
                raise HashingBusy
            self._waiting += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self.executor, work)
        finally:
            with self._lock:
                self._waiting -= 1

    async def check_password(self, address: str, work: Callable[[], T]) -> T:
        """``work``, which checks a password (:class:`NotAuthenticated` when it is wrong), in the
        pool, unless the client ``address`` is held back; a wrong password counts against the
        address too. :class:`HashingBusy` as :meth:`run`."""
        wait = self.addresses.wait(address, utcnow())
        if wait:
            raise NotAuthenticated("too many failed logins from here", retry_after=wait)
        try:
            return await self.run(work)
        except NotAuthenticated as exc:
            if exc.reason is AuthFailure.WRONG_CREDENTIALS:
                self.addresses.failed(address, utcnow())
            raise

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


def refusal(exc: NotAuthenticated) -> tuple[str, int, dict[str, str]]:
    """A refused password in words, with its status (401, or 429 while held back) and
    headers; the same words whether or not the account exists."""
    if not exc.retry_after:
        return "Wrong e-mail address or password.", 401, {}
    seconds = exc.retry_after
    wait = (
        f"{seconds} second{'s' if seconds != 1 else ''}"
        if seconds < 90
        else (f"{-(-seconds // 60)} minutes")
    )
    message = (
        f"This account is locked after repeated failed logins. Try again in {wait}."
        if exc.reason is AuthFailure.LOCKED
        else f"Too many failed logins in a row. Wait {wait}, then try again."
    )
    return message, 429, {"retry-after": str(seconds)}
