"""What the Redis cache writes and runs: the value layout (stamp, format byte, payload), the
Lua scripts for reads and walk locks, the failures that mean "Redis is not answering", and how
long this process's own event loop was held (so a missed deadline is not blamed on Redis)."""

from __future__ import annotations

import asyncio

from redis.exceptions import RedisError

#: Values: STAMP_LEN bytes of random stamp, one format byte, then the payload.
STAMP_LEN = 16
RAW, ZLIB = b"j", b"z"
#: Payloads larger than this are zlib-compressed (level 1: ~20x smaller rosters for ~1 ms).
COMPRESS_OVER = 16 * 1024

#: Answers the value only when its stamp differs from the one this process already holds
#: normalised (ARGV[1]); otherwise just the stamp. One round trip, no large transfer on a hot hit.
GET_IF_CHANGED = f"""
local head = redis.call('GETRANGE', KEYS[1], 0, {STAMP_LEN - 1})
if head == '' then return false end
if head == ARGV[1] then return head end
return redis.call('GET', KEYS[1])
"""

#: Takes the walk lock when it is free or its holder's expiry instant (after the last ':' of
#: the value, wall seconds by the holder's ``gateway.clock``) is past by the caller's clock
#: (ARGV[3]). Redis's PX only reclaims a forgotten lock; the decision is the gateway's clock's.
ACQUIRE = """
local held = redis.call('GET', KEYS[1])
if held then
  local expires = tonumber(string.match(held, ':([^:]+)$'))
  if expires == nil or expires > tonumber(ARGV[3]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""

RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

FAILURES = (RedisError, OSError, TimeoutError, asyncio.TimeoutError)

#: A Redis call whose window this process's own event loop was held for half of or more
#: (other requests' synchronous work) gets a new window instead of failing, up to HELD_CAP
#: windows in all: a missed deadline then says nothing about Redis.
HELD_CAP = 10


class LoopHeld:
    """Seconds the running event loop could not run a callback due every TICK seconds: how
    long other work held it. Started by the first call that asks; stopped by ``stop``."""

    TICK = 0.01

    def __init__(self) -> None:
        self.total = 0.0
        self._last = 0.0
        self._handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def now(self) -> float:
        """The total so far, counting a stretch still under way."""
        loop = asyncio.get_running_loop()
        if self._handle is None or self._loop is not loop:  # first use, or a new loop
            self.stop()
            self._loop, self._last = loop, loop.time()
            self._handle = loop.call_later(self.TICK, self._tick, loop)
        return self.total + max(0.0, loop.time() - self._last - self.TICK)

    def _tick(self, loop: asyncio.AbstractEventLoop) -> None:
        now = loop.time()
        self.total += max(0.0, now - self._last - self.TICK)
        self._last = now
        self._handle = loop.call_later(self.TICK, self._tick, loop)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
