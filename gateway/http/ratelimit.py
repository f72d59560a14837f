"""Per-client rate limiting in front of the upstream's own 429s (the ``limits`` library).

The client is the caller the tenancy resolved (a gateway token id or a key
fingerprint), or the peer address when there is none. A moving window per
process: with several replicas the effective limit is per replica.
"""

from __future__ import annotations

import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter


class ClientRateLimiter:
    def __init__(self, spec: str) -> None:
        self.item: RateLimitItem = parse(spec)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    async def retry_after(self, client: str) -> float | None:
        """None when the request may go on; else the seconds until it may."""
        if await self._limiter.hit(self.item, client):
            return None
        stats = await self._limiter.get_window_stats(self.item, client)
        return max(stats.reset_time - time.time(), 0.1)


def check_spec(spec: str) -> str:
    parse(spec)  # raises ValueError for a spec it cannot read
    return spec
