"""Credential freshness: cached data is served only to a key the upstream accepted recently.

A walk that succeeds proves the key works; a cache hit proves nothing. So a hit
for a tenant whose key was last confirmed more than ``interval`` seconds ago
(``GO4GRAPH_CREDENTIAL_RECHECK``) first re-confirms it with the cheapest
reference call, GET Schools (one small unpaged object, needs only the General
module's ``school.read`` claim). A 401 purges everything cached for the tenant,
as a 401 during a walk does, and the hit becomes a miss: the walk that follows
meets the same 401 and the field fails UNAUTHENTICATED. Any other answer (a 403
for a disabled module, a 5xx, a timeout) does not revoke anything: it is counted
and the key is taken as confirmed until the next interval.

Replicas share confirmations through Redis: one sealed value per tenant, under
``go4graph:v1:cred:<tenant hash>`` (never the key), holding the confirmation
time, and a short claim (``SET NX``) so that one replica makes the call while
the others serve. A revoked key therefore stops reading within ``interval``
plus the time of one upstream call, on every replica.

Keys the gateway holds itself (the server key, the schools file's keys) are also
listed while refused (``revoked``) for ``/readyz`` and the
``go4graph_revoked_school_keys`` metric.
"""

from __future__ import annotations

import asyncio
import logging
import os
import struct
from collections.abc import Callable, Iterable
from typing import Any

from redis.exceptions import RedisError

from gateway import clock, metrics
from gateway.resources.cache import CacheUnavailable, RedisResourceCache, ResourceCache
from gateway.resources.cache_keys import NAMESPACE
from gateway.resources.flight import SingleFlight
from gateway.resources.keys import ResourceKey
from gateway.resources.seal import SealError
from gateway.resources.table import Table
from gateway.resources.tenant import Tenant
from gateway.upstream.errors import UpstreamError, UpstreamLimitExceeded, UpstreamUnauthorized
from gateway.upstream.go4schools import GO4SchoolsClient
from gateway.upstream.routes import GO4SCHOOLS, ROUTES

log = logging.getLogger("go4graph.credentials")

#: The reference's cheapest call that needs a valid key: one small object, no paging.
CHECK_ROUTE = "school"
_TIME = struct.Struct(">d")
#: Most keys whose confirmation this process remembers (forgetting only costs a Redis read).
MEMO_MAX = 50_000
#: Longest a /readyz probe waits for the held keys' re-checks.
SWEEP_WAIT = 0.5
#: How long one replica's claim to make the check lasts (released as soon as it answers).
CLAIM_SECONDS = 30.0


def confirmation_key(tenant: Tenant) -> str:
    """Where replicas share a tenant's last confirmation (a hash of it: never the key)."""
    return f"{NAMESPACE}:cred:{tenant.id}"


def mode_of(tenant: Tenant) -> str:
    """The credential mode, for metric labels (a bounded set)."""
    caller = tenant.caller
    if caller == "server-key":
        return "server-key"
    if tenant.school_code is not None and not tenant.school_code.startswith("assembly/"):
        return "trust"  # only the schools file names a tenant's school
    if caller.startswith("demo"):
        return "demo"
    return "passthrough"


def held(tenant: Tenant) -> bool:
    """A key this gateway holds (server key, schools file), not one a caller sent."""
    return mode_of(tenant) in ("server-key", "trust")


class CredentialChecker:
    """Re-confirms tenants' keys with the upstream at most once per ``interval`` seconds."""

    def __init__(self, client: GO4SchoolsClient, cache: ResourceCache, *, interval: float,
                 clock: Callable[[], float] = clock.now) -> None:
        self.client = client
        self.cache = cache
        self.interval = interval
        #: Wall-clock time (shared by replicas); tests inject their own.
        self.clock = clock
        self._shared = cache if isinstance(cache, RedisResourceCache) else None
        self._confirmed: dict[str, float] = {}  # tenant id -> confirmation time (local memo)
        self._written: dict[str, float] = {}  # tenant id -> confirmation time last shared
        self._flight: SingleFlight[bool] = SingleFlight()
        #: Held keys the upstream refused at their last check: tenant id -> school code.
        self.revoked: dict[str, str] = {}
        self._sweeping: asyncio.Future[None] | None = None
        self._refused_at: dict[str, float] = {}  # held keys: when last refused (sweeps wait)

    def fresh(self, tenant: Tenant) -> bool:
        at = self._confirmed.get(tenant.id)
        return at is not None and self.clock() - at < self.interval

    async def confirm(self, tenant: Tenant) -> bool:
        """Whether the tenant's key may read cached data now (re-confirming it if due)."""
        if self.fresh(tenant):
            return True
        ok, _ = await self._flight.run(tenant.id, lambda: self._confirm(tenant))
        return ok

    async def confirm_all(self, tenants: Iterable[Tenant]) -> None:
        """Re-confirm every due key."""
        await asyncio.gather(*(self.confirm(t) for t in tenants), return_exceptions=True)

    async def sweep(self, tenants: Iterable[Tenant], wait: float = SWEEP_WAIT) -> None:
        """``/readyz``: re-confirm the keys the gateway holds that are due, waiting at most
        ``wait`` seconds (a probe must answer quickly; a slow check finishes in the background
        and shows at the next probe)."""
        now = self.clock()
        due = [t for t in tenants if not self.fresh(t)
               and now - self._refused_at.get(t.id, -1e18) >= self.interval]
        if not due:
            return
        if self._sweeping is None or self._sweeping.done():
            self._sweeping = asyncio.ensure_future(self.confirm_all(due))
        await asyncio.wait([self._sweeping], timeout=wait)

    async def _confirm(self, tenant: Tenant) -> bool:
        shared = await self._read(tenant)
        if shared is not None and self.clock() - shared < self.interval:
            self._confirmed[tenant.id] = shared
            return True
        claim = await self._claim(tenant)
        if claim is None:
            return True  # another replica is asking the upstream right now
        try:
            await self.client.fetch(CHECK_ROUTE, tenant.credential)
        except UpstreamUnauthorized:
            metrics.CREDENTIAL_CHECKS.labels(mode_of(tenant), "refused").inc()
            if held(tenant):
                self._refused_at[tenant.id] = self.clock()
            await self.refused(tenant)
            await self.cache.purge(tenant)
            log.warning("credential re-check: the upstream refused the key; cache purged",
                        extra={"tenant": tenant.id, "mode": mode_of(tenant),
                               "school": tenant.school_code})
            return False
        except UpstreamLimitExceeded:
            # This request has no deadline or upstream calls left for the check: its cached
            # reads become misses (which fail on the same limit), and nothing is recorded.
            metrics.CREDENTIAL_CHECKS.labels(mode_of(tenant), "skipped").inc()
            return False
        except UpstreamError as exc:
            # The upstream could not say (module off, outage, limit): nothing is revoked, and the
            # next look is one interval away, so an outage is not met with a call per request.
            metrics.CREDENTIAL_CHECKS.labels(mode_of(tenant), "failed").inc()
            log.info("credential re-check inconclusive", extra={
                "tenant": tenant.id, "status": exc.status, "error": type(exc).__name__})
            self._confirmed[tenant.id] = self.clock()
            return True
        finally:
            await self._release(tenant, claim)
        metrics.CREDENTIAL_CHECKS.labels(mode_of(tenant), "accepted").inc()
        await self.accepted(tenant)
        return True

    async def accepted(self, tenant: Tenant) -> None:
        """The upstream just answered this key (a check, or a walk): record it, locally and shared."""
        now = self.clock()
        if len(self._confirmed) >= MEMO_MAX:  # passthrough: one entry per working key seen
            self._confirmed.clear()
            self._written.clear()
        self._confirmed[tenant.id] = now
        if self.revoked.pop(tenant.id, None) is not None:
            metrics.REVOKED_SCHOOL_KEYS.set(len(self.revoked))
            log.warning("a school key is accepted again", extra={"school": tenant.school_code})
        if self._shared is not None and now - self._written.get(tenant.id, -1e18) >= self.interval / 2:
            self._written[tenant.id] = now
            k = confirmation_key(tenant)
            value = self._shared.seal.seal(_TIME.pack(now), k.encode())
            ttl = max(1, int((self.interval + 60) * 1000))
            await self._redis(self._shared._client.set(k, value, px=ttl))

    async def refused(self, tenant: Tenant) -> None:
        """The upstream refused this key: forget every confirmation of it, here and shared."""
        self._confirmed.pop(tenant.id, None)
        self._written.pop(tenant.id, None)
        if held(tenant):
            if tenant.id not in self.revoked:
                log.warning("a school key held by this gateway was refused by the upstream",
                            extra={"school": tenant.school_code or "(server key)"})
            self.revoked[tenant.id] = tenant.school_code or "(server key)"
            metrics.REVOKED_SCHOOL_KEYS.set(len(self.revoked))
        if self._shared is not None:
            await self._redis(self._shared._client.delete(confirmation_key(tenant)))

    # --- the shared record -------------------------------------------------------

    async def _read(self, tenant: Tenant) -> float | None:
        if self._shared is None:
            return None
        k = confirmation_key(tenant)
        value = await self._redis(self._shared._client.get(k))
        if not value:
            return None
        try:
            (at,) = _TIME.unpack(self._shared.seal.open(bytes(value), k.encode()))
        except (SealError, struct.error):
            metrics.CACHE_REJECTED.labels(self._shared.name, "seal").inc()
            log.warning("unreadable credential confirmation ignored", extra={"tenant": tenant.id})
            return None
        return float(at)

    async def _claim(self, tenant: Tenant) -> str | None:
        """A token if this replica is to make the check ("" without a shared cache)."""
        if self._shared is None:
            return ""
        token = os.urandom(8).hex()
        taken = await self._redis(self._shared._client.set(
            confirmation_key(tenant) + ":checking", token, nx=True, px=int(CLAIM_SECONDS * 1000)), default=True)
        return token if taken else None

    async def _release(self, tenant: Tenant, token: str | None) -> None:
        if self._shared is not None and token:
            await self._redis(self._shared._client.delete(confirmation_key(tenant) + ":checking"))

    async def _redis(self, op: Any, default: Any = None) -> Any:
        assert self._shared is not None
        try:
            return await self._shared._call(op)
        except (CacheUnavailable, RedisError, OSError):
            return default  # a Redis outage: each replica then checks for itself


class FreshCache:
    """The store's view of the resource cache: a hit is served only to a freshly confirmed key."""

    def __init__(self, inner: ResourceCache, checker: CredentialChecker) -> None:
        self.inner = inner
        self.checker = checker
        self.name = inner.name

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def get(self, tenant: Tenant, key: ResourceKey) -> Table | None:
        table = await self.inner.get(tenant, key)
        # Assembly's entries belong to its token (revalidated with Assembly once stale); the
        # school's key is confirmed by the GO4Schools reads every query starts with.
        if table is None or ROUTES[key.route].source != GO4SCHOOLS \
                or await self.checker.confirm(tenant):
            return table
        return None  # refused and purged: the walk that follows meets the 401

    def encode(self, data: Any) -> Any:
        return self.inner.encode(data)

    async def set(self, tenant: Tenant, key: ResourceKey, data: Any, table: Table,
                  ttl: float) -> None:
        await self.inner.set(tenant, key, data, table, ttl)
        if ROUTES[key.route].source == GO4SCHOOLS:  # Assembly's token proves nothing of the key
            await self.checker.accepted(tenant)

    async def delete(self, tenant: Tenant, key: ResourceKey) -> None:
        await self.inner.delete(tenant, key)

    async def purge(self, tenant: Tenant) -> int:
        await self.checker.refused(tenant)  # only a 401 purges
        return await self.inner.purge(tenant)

    async def lock(self, tenant: Tenant, key: ResourceKey, ttl: float) -> str | None:
        return await self.inner.lock(tenant, key, ttl)

    async def unlock(self, tenant: Tenant, key: ResourceKey, token: str) -> None:
        await self.inner.unlock(tenant, key, token)

    async def ping(self) -> bool:
        return await self.inner.ping()

    async def close(self) -> None:
        await self.inner.close()
