"""Per-client rate limiting on verified identity, in front of the upstream's own 429s (``limits``).

Who is counted:

- a caller whose credential is *verified* is counted by that credential: a gateway token the
  schools file matched (trust mode), or a school key the upstream has accepted (passthrough);
- everyone else (no credential, a key the upstream has not accepted yet or refused, the one
  shared key of server-key mode or of the demo school) is counted by the client address: the peer, or with
  ``GO4GRAPH_TRUSTED_PROXY_HOPS=n`` the address the n-th proxy from us saw in X-Forwarded-For.

So fresh random keys cannot open fresh buckets: until the upstream accepts a key, its requests
share the address's bucket. With ``GO4GRAPH_CACHE_URL=redis://`` the windows live in Redis
(``limits``' Redis storage) and every replica counts against the same limit; otherwise they are
per process. Keys in the storage are fingerprints, never secrets.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from gateway.clock import now as wall_now

log = logging.getLogger("go4graph.ratelimit")


class VerifiedCredentials:
    """Fingerprints of credentials the upstream accepted, most recent ``size`` kept."""

    def __init__(self, size: int = 10_000) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def add(self, fingerprint: str) -> None:
        self._seen[fingerprint] = None
        self._seen.move_to_end(fingerprint)
        while len(self._seen) > self._size:
            self._seen.popitem(last=False)

    def __contains__(self, fingerprint: object) -> bool:
        return fingerprint in self._seen

    def __len__(self) -> int:
        return len(self._seen)


def storage_for(cache_url: str) -> Storage:
    """Redis storage shared by replicas when the cache is Redis; memory otherwise."""
    if cache_url.startswith(("redis://", "rediss://")):
        return RedisStorage("async+" + cache_url, implementation="redispy",
                            key_prefix="go4graph-ratelimit")
    return MemoryStorage()


class ClientRateLimiter:
    def __init__(self, spec: str, *, storage: Storage | None = None,
                 clock: Callable[[], float] = wall_now) -> None:
        self.item: RateLimitItem = parse(spec)
        self._limiter = MovingWindowRateLimiter(storage or MemoryStorage())
        self._clock = clock
        self.verified = VerifiedCredentials()

    async def retry_after(self, client: str) -> float | None:
        """None when the request may go on; else the seconds until it may.

        A storage that cannot answer (Redis down) lets the request through: the upstream's
        own limits still hold, and an outage of the cache must not become an outage of reads."""
        try:
            if await self._limiter.hit(self.item, client):
                return None
            stats = await self._limiter.get_window_stats(self.item, client)
        except Exception as exc:  # noqa: BLE001 - any storage failure: fail open, say so
            log.warning("rate limit storage unavailable", extra={"error": type(exc).__name__})
            return None
        return max(stats.reset_time - self._clock(), 0.1)

    def identity(self, callers: list[str], *, trusted: bool, address: str) -> str:
        """The bucket of a request: a verified caller, else the client address."""
        for caller in callers:
            if not caller or caller == "server-key" or caller.startswith("demo:"):
                continue  # a server-held key says nothing about who is calling
            if trusted or caller in self.verified:
                return "caller:" + caller
        return "address:" + address


def client_address(headers: Mapping[str, str], peer: Any, trusted_hops: int) -> str:
    """The client's address: the peer, or what the ``trusted_hops``-th proxy saw."""
    host = peer.host if peer is not None else "unknown"
    if trusted_hops <= 0:
        return host
    forwarded = [p.strip() for p in headers.get("x-forwarded-for", "").split(",") if p.strip()]
    if not forwarded:
        return host
    # The nearest proxy appended the address it saw last; each trusted hop adds one entry.
    index = max(len(forwarded) - trusted_hops, 0)
    return forwarded[index][:64]
