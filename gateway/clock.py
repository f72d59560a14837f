"""The one clock the gateway reads: wall time, monotonic time and sleeping, swappable in tests.

Every TTL, deadline, circuit-breaker window, token expiry and freshness check reads time here
(``clock.now()``, ``clock.monotonic()``, ``await clock.sleep()``), so a test installs a
:class:`ManualClock` and advances it instead of sleeping for real::

    with clock.installed(ManualClock()) as fake:
        ...
        fake.advance(61)   # a 60-second TTL has now passed

Measuring how long something took (metrics, logs) may keep ``time.perf_counter``: that is a
measurement, not a decision.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Clock:
    """The system clock."""

    def now(self) -> float:
        """Seconds since the epoch (wall time: expiry instants, Retry-After dates, records)."""
        return time.time()

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (deadlines, windows, TTLs)."""
        return time.monotonic()

    def utcnow(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.now(), dt.UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ManualClock(Clock):
    """A clock that moves only when told to; ``sleep`` advances it and yields once."""

    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self._wall = start
        self._mono = 1_000.0

    def now(self) -> float:
        return self._wall

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock does not go back")
        self._wall += seconds
        self._mono += seconds

    async def sleep(self, seconds: float) -> None:
        self.advance(max(seconds, 0.0))
        await asyncio.sleep(0)


_current: Clock = Clock()


def current() -> Clock:
    return _current


def now() -> float:
    return _current.now()


def monotonic() -> float:
    return _current.monotonic()


def utcnow() -> dt.datetime:
    return _current.utcnow()


async def sleep(seconds: float) -> None:
    await _current.sleep(seconds)


@contextmanager
def installed(clock: Clock) -> Iterator[Clock]:
    """Use ``clock`` everywhere until the block ends (tests)."""
    global _current
    previous, _current = _current, clock
    try:
        yield clock
    finally:
        _current = previous
