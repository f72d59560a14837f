"""Idempotency keys of register saves: a repeated save answers the first outcome and posts nothing.

The register app makes one key per save. The first request with a key claims it, posts,
and keeps its outcome for ``GO4GRAPH_IDEMPOTENCY_TTL`` seconds; a repeat with the same key
(a retry after a lost answer, a double click, another replica) answers that outcome and
posts nothing, even where it was "unknown" (a timed-out POST is never retried blindly).

Kept through the resource cache's public interface (``ResourceCache.get/set/lock``), so
with Redis the claim (``SET NX``) and the outcome are shared by every replica, under the
tenant's prefix (one school's keys never answer another's) and sealed as the cache seals
everything. Within one process a concurrent repeat waits for the first (an in-process
future) instead of polling. The key itself is stored only as a keyed hash.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from gateway import clock
from gateway.graph.errors import GatewayError, bad_input
from gateway.resources.cache import CacheUnavailable, ResourceCache
from gateway.resources.keys import ResourceKey
from gateway.resources.table import Table
from gateway.resources.tenant import Tenant

if TYPE_CHECKING:
    from gateway.services import Services

log = logging.getLogger("go4graph.idempotency")

KIND = "idempotency"
MAX_KEY = 128
#: Seconds between looks at a key another replica is still saving.
POLL = 0.1


def check_key(value: str) -> str:
    """An idempotency key as the client sent it, or BAD_USER_INPUT (1 to 128 printable ASCII)."""
    if not 1 <= len(value) <= MAX_KEY or not all(" " < c <= "~" for c in value):
        raise bad_input(f"idempotencyKey must be 1 to {MAX_KEY} printable characters without spaces "
                        "(a UUID, say)")
    return value


class Claim:
    """One request's hold on a key: ``previous`` is the earlier outcome to answer, if any."""

    def __init__(self, store: IdempotencyStore, tenant: Tenant, key: ResourceKey, digest: str,
                 token: str | None, previous: list[dict[str, Any]] | None) -> None:
        self._store = store
        self.tenant = tenant
        self.key = key
        self.digest = digest
        self.token = token
        self.previous = previous
        self._done = False

    async def finish(self, outcome: list[dict[str, Any]]) -> None:
        """Keep the outcome for the repeats (best effort: a cache failure is logged)."""
        self._done = True
        await self._store._finish(self, outcome)

    async def abandon(self) -> None:
        """Nothing was posted (or the request failed before rows): let a repeat run afresh."""
        if not self._done:
            self._done = True
            await self._store._release(self, None)


class IdempotencyStore:
    """Claims and outcomes of idempotency keys, per process over the shared ``ResourceCache``."""

    def __init__(self, cache: ResourceCache, ttl: float) -> None:
        self.cache = cache
        self.ttl = ttl
        self._inflight: dict[str, asyncio.Future[list[dict[str, Any]] | None]] = {}
        #: Requests of this process waiting for another's save of the same key (observable in tests).
        self.waiting = 0
        #: How a wait for another replica's save sleeps between looks.
        self.sleep: Callable[[float], Awaitable[Any]] = clock.sleep

    @classmethod
    def of(cls, services: Services) -> IdempotencyStore:
        store = services.extras.get("idempotency")
        if store is None:
            store = services.extras["idempotency"] = cls(services.cache, services.settings.idempotency_ttl)
        return store  # type: ignore[no-any-return]

    async def claim(self, tenant: Tenant, hashed: str, digest: str, *, hold: float,
                    wait: float) -> Claim:
        """The earlier outcome of ``hashed`` (a keyed hash of the client's key), or a claim on it.

        ``hold``: seconds a claim outlives a replica that died mid-save; ``wait``: seconds to
        wait for another replica's save before answering that it is still in progress."""
        key = ResourceKey(KIND, None, hashed)
        local = f"{tenant.id}/{hashed}"
        while (running := self._inflight.get(local)) is not None:
            self.waiting += 1  # the same process is saving this key: its outcome next
            try:
                await asyncio.shield(running)
            finally:
                self.waiting -= 1
        future: asyncio.Future[list[dict[str, Any]] | None] = asyncio.get_running_loop().create_future()
        self._inflight[local] = future  # before any await: a concurrent repeat waits on it
        try:
            previous = await self._get(tenant, key, digest)
            if previous is not None:
                self._settle(local, previous)
                return Claim(self, tenant, key, digest, None, previous)
            token = await self._lock(tenant, key, hold)
            waited = 0.0
            while token is None:  # another replica holds the key: wait for its outcome
                if waited >= wait:
                    raise GatewayError(
                        "UPSTREAM_UNAVAILABLE", "A save with this idempotency key is still running "
                        "on another gateway replica: read the session marks back before trying "
                        "again", outcome="unknown")
                await self.sleep(POLL)
                waited += POLL
                previous = await self._get(tenant, key, digest)
                if previous is not None:
                    self._settle(local, previous)
                    return Claim(self, tenant, key, digest, None, previous)
                token = await self._lock(tenant, key, hold)
        except BaseException:
            self._settle(local, None)
            raise
        return Claim(self, tenant, key, digest, token, None)

    async def _get(self, tenant: Tenant, key: ResourceKey, digest: str) -> list[dict[str, Any]] | None:
        try:
            table = await self.cache.get(tenant, key)
        except CacheUnavailable:
            log.warning("idempotency keys unavailable (cache down): a repeated save may post again")
            return None
        if table is None or not table.rows:
            return None
        kept = table.rows[0]
        if kept.get("digest") != digest:
            raise bad_input("This idempotencyKey was already used for a different save: make a "
                            "new key for each save")
        return list(kept.get("results") or [])

    async def _lock(self, tenant: Tenant, key: ResourceKey, hold: float) -> str | None:
        try:
            return await self.cache.lock(tenant, key, hold)
        except CacheUnavailable:
            return "unshared"  # no shared cache: this process's own claim is all there is

    async def _finish(self, claim: Claim, outcome: list[dict[str, Any]]) -> None:
        kept = {"digest": claim.digest, "results": outcome}
        try:
            await self.cache.set(claim.tenant, claim.key, self.cache.encode([kept]) or [kept],
                                 Table([kept]), self.ttl)
        except Exception as exc:
            log.warning("idempotency outcome not kept: a repeated save may post again",
                        extra={"error": type(exc).__name__})
        await self._release(claim, outcome)

    async def _release(self, claim: Claim, outcome: list[dict[str, Any]] | None) -> None:
        if claim.token not in (None, "unshared"):
            try:
                await self.cache.unlock(claim.tenant, claim.key, claim.token)  # type: ignore[arg-type]
            except Exception as exc:
                log.warning("idempotency claim not released", extra={"error": type(exc).__name__})
        self._settle(f"{claim.tenant.id}/{claim.key.arg}", outcome)

    def _settle(self, local: str, outcome: list[dict[str, Any]] | None) -> None:
        future = self._inflight.pop(local, None)
        if future is not None and not future.done():
            future.set_result(outcome)
