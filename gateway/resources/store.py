"""The process-wide resource store: cross-request cache, single-flight, and the upstream walk.

N concurrent requests for the same cold resource of the same tenant share one
upstream walk; with a shared (Redis) cache a short lock per resource keeps
replicas from walking it at the same time too: the others poll the cache and
walk themselves only if the lock holder gives up. ``fresh=True`` skips the
cache read (a client's ``Cache-Control: no-cache``) but still joins a walk
already under way. A 401 from the upstream drops everything cached for that
tenant at once (the school revoked the key).

Only a whole, readable walk is cached: the client raises ``UpstreamProtocolError``
for an empty or non-JSON body, a page without its list, a repeating cursor or too
many pages, and a walk stopped by the request's budget raises before anything is
written. A walk shared by several requests runs under the budget of the one that
started it; if that request's own deadline or cancellation ends it, the others
start it again (``SingleFlight``) instead of failing with it.

Every route of the one routes table goes through here, whatever its ``source``: an
Assembly route is read with the school's Assembly token and cached under it as well as
the school (a wrong token is never answered from what a right one fetched). A
``conditional`` route's copy is kept past its freshness (``STALE_KEPT``); once stale, it
is revalidated with If-Modified-Since and a 304 keeps it instead of downloading it again.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from gateway import clock, metrics
from gateway.resources.cache import CacheUnavailable, ResourceCache
from gateway.resources.flight import SingleFlight
from gateway.resources.keys import ResourceKey
from gateway.resources.normalise import PageRows, conditional_envelope, normalise, row_wise
from gateway.resources.table import Table
from gateway.resources.tenant import Tenant
from gateway.resources.ttl import STALE_KEPT, ttl_for
from gateway.upstream import budget
from gateway.upstream.answers import Fetched, NotModified
from gateway.upstream.assembly import AssemblyClient
from gateway.upstream.errors import UpstreamProtocolError, UpstreamUnauthorized
from gateway.upstream.go4schools import GO4SchoolsClient
from gateway.upstream.routes import ASSEMBLY, GO4SCHOOLS, ROUTES

log = logging.getLogger("go4graph.resources")

#: First and longest pause between a waiting replica's looks at the cache (seconds).
POLL_FIRST, POLL_MAX = 0.02, 0.25


class _Load:
    """One load under way; an invalidation of its resource meanwhile makes it stale."""

    __slots__ = ("stale",)

    def __init__(self) -> None:
        self.stale = False


#: The load whose walk runs in this task (a single-flight's call runs in its leader's task).
_LOAD: ContextVar[_Load | None] = ContextVar("go4graph_load", default=None)


class _Flight(SingleFlight["Loaded"]):
    def forget(self, key: Hashable) -> None:
        """Callers from now on make a new call instead of joining the one in flight (its
        result is out of date: the resource changed); those already waiting keep it."""
        self._inflight.pop(key, None)


@dataclass
class Loaded:
    table: Table
    pages: int  # upstream pages walked for it (0: served from the cache)


def _fresh(key: ResourceKey, table: Table | None) -> bool:
    """A cached table that may be served as it is (a conditional route's only until stale)."""
    if table is None:
        return False
    if not ROUTES[key.route].conditional:
        return True
    meta = table.meta if isinstance(table.meta, dict) else {}
    return clock.now() < float(meta.get("fresh_until") or 0.0)


@dataclass
class ResourceStore:
    client: GO4SchoolsClient
    cache: ResourceCache
    ttl_overrides: dict[str, float] = field(default_factory=dict)
    #: How long one replica's walk lock lasts, and so how long others wait for its result.
    lock_timeout: float = 10.0
    #: The Assembly Platform client (routes whose source is Assembly); None: not configured.
    assembly: AssemblyClient | None = None
    #: Stale copies revalidated by a 304 (for tests; ``go4graph_revalidations`` counts too).
    revalidated: int = 0
    _flight: _Flight = field(default_factory=_Flight)
    #: Loads under way per (tenant, resource): what an invalidation marks stale.
    _loading: dict[tuple[str, ResourceKey], set[_Load]] = field(default_factory=dict)
    #: Per paged route, the indexes (``Table.unique``/``group``) used on its tables.
    _indexes_used: dict[str, set[tuple[str, str]]] = field(default_factory=dict)

    def serves(self, source: str) -> bool:
        """Whether routes of ``source`` can be read (Assembly only when it is configured)."""
        return source == GO4SCHOOLS or (source == ASSEMBLY and self.assembly is not None)

    def _owner(self, tenant: Tenant, key: ResourceKey) -> Tenant:
        """Whose credential reads ``key``, and under whom it is cached."""
        route = ROUTES[key.route]
        if route.source == GO4SCHOOLS:
            return tenant
        if self.assembly is None or tenant.assembly is None:
            raise UpstreamUnauthorized("no Assembly token is configured for this school",
                                       route=key.route, source=route.source_title)
        # Cached per Assembly token as well as per school: a wrong token must never be
        # answered from what a right one fetched.
        return Tenant(tenant.assembly, school_code=f"assembly/{tenant.id}")

    async def load(self, tenant: Tenant, key: ResourceKey, *, fresh: bool = False) -> Loaded:
        tenant = self._owner(tenant, key)
        conditional = ROUTES[key.route].conditional
        # Registered before the first await: an invalidation (a write) of this resource while
        # the load is under way makes what it read before the write unfit to cache or to count
        # as a hit.
        this, slot = _Load(), (tenant.id, key)
        self._loading.setdefault(slot, set()).add(this)
        current = _LOAD.set(this)
        stale: Table | None = None  # a conditional route's copy past its freshness
        try:
            if not fresh or conditional:  # no-cache still revalidates rather than downloads
                cached = await self._cached(tenant, key)
                if not fresh and _fresh(key, cached) and not this.stale:
                    metrics.CACHE_EVENTS.labels(key.route, "hit").inc()
                    assert cached is not None
                    return Loaded(cached, 0)
                stale = cached if conditional and not this.stale else None
            metrics.CACHE_EVENTS.labels(key.route, "bypass" if fresh else "miss").inc()
            loaded, led = await self._flight.run(
                slot, lambda: self._shared_walk(tenant, key, fresh, stale))
            return loaded if led else Loaded(loaded.table, 0)
        finally:
            _LOAD.reset(current)
            loads = self._loading.get(slot)
            if loads is not None:
                loads.discard(this)
                if not loads:
                    del self._loading[slot]

    async def _shared_walk(self, tenant: Tenant, key: ResourceKey, fresh: bool,
                           stale: Table | None) -> Loaded:
        """Walk under the replicas' lock; wait for another replica's walk when it holds it."""
        token = await self._lock(tenant, key)
        if token and not fresh:
            # Another replica may have finished its walk between our cache miss and our lock.
            cached = await self._cached(tenant, key)
            if _fresh(key, cached):
                assert cached is not None
                await self._unlock(tenant, key, token)
                metrics.CACHE_EVENTS.labels(key.route, "replica").inc()
                return Loaded(cached, 0)
        if token is None:
            # Wait for the other replica no longer than the lock lasts or the request has left.
            wait = self.lock_timeout
            request = budget.current()
            left = request.remaining() if request is not None else None
            if left is not None:
                wait = min(wait, left)
            deadline = clock.monotonic() + wait
            pause = POLL_FIRST
            while clock.monotonic() < deadline:
                await clock.sleep(pause)
                pause = min(pause * 2, POLL_MAX)
                if not fresh:  # a fresh read waits for the holder's new value, not the old one
                    cached = await self._cached(tenant, key)
                    if _fresh(key, cached):
                        assert cached is not None
                        metrics.CACHE_EVENTS.labels(key.route, "replica").inc()
                        return Loaded(cached, 0)
                token = await self._lock(tenant, key)
                if token is not None:
                    # The holder finished (or gave up): its value, if any, was written first.
                    cached = await self._cached(tenant, key)
                    if _fresh(key, cached):
                        assert cached is not None
                        await self._unlock(tenant, key, token)
                        metrics.CACHE_EVENTS.labels(key.route, "replica").inc()
                        return Loaded(cached, 0)
                    break
            if request is not None:
                request.check_deadline(key.route)  # out of time: LIMIT_EXCEEDED, not a late walk
        try:
            return await self._walk(tenant, key, stale)
        finally:
            if token:
                await self._unlock(tenant, key, token)

    def _pager(self, key: ResourceKey) -> PageRows | None:
        """Rows normalised page by page during the walk, for a paged GO4Schools route read row
        by row, when the cache keeps tables (the memory cache). A cache that keeps the
        upstream's data (Redis) encodes it whole, before normalising, after the walk."""
        route = ROUTES[key.route]
        if (route.source != GO4SCHOOLS or not route.paged or route.conditional
                or not row_wise(key.route) or getattr(self.cache, "keeps_tables", False) is not True):
            return None
        # The indexes used on this route's tables so far are built page by page as well.
        return PageRows(key.route, self._indexes_used.setdefault(key.route, set()))

    async def _fetch(self, tenant: Tenant, key: ResourceKey, stale: Table | None,
                     pager: PageRows | None = None) -> Fetched | NotModified:
        route = ROUTES[key.route]
        query = key.query()
        if route.source == ASSEMBLY:
            assert self.assembly is not None  # _owner refused the load otherwise
            meta = stale.meta if stale is not None and isinstance(stale.meta, dict) else {}
            return await self.assembly.fetch(key.route, tenant.credential, key.params(),
                                             query or None,
                                             if_modified_since=meta.get("last_modified"))
        if pager is not None:
            def on_page(items: list[Any]) -> None:
                try:
                    pager.add(items)
                except (AttributeError, KeyError, TypeError, ValueError):
                    raise UpstreamProtocolError(f"{key.route} answered rows that cannot be read",
                                                route=key.route) from None
            return await self.client.fetch(key.route, tenant.credential, key.params(),
                                           query or None, on_page=on_page)
        if query:
            return await self.client.fetch(key.route, tenant.credential, key.params(), query)
        return await self.client.fetch(key.route, tenant.credential, key.params())

    async def _walk(self, tenant: Tenant, key: ResourceKey, stale: Table | None = None) -> Loaded:
        route = ROUTES[key.route]
        pager = self._pager(key)
        try:
            answer = await self._fetch(tenant, key, stale, pager)
        except UpstreamUnauthorized:
            if route.source == GO4SCHOOLS:  # an Assembly token's refusal revokes no school key
                await self.purge(tenant)
            raise
        ttl = ttl_for(key, self.ttl_overrides)
        keep = ttl
        if isinstance(answer, NotModified):
            if stale is None:
                raise UpstreamProtocolError(f"{key.route} answered 304 to an unconditional GET",
                                            route=key.route, source=route.source_title)
            self.revalidated += 1
            raw: Any = conditional_envelope(stale.rows, answer.last_modified
                                            or stale.meta.get("last_modified"), clock.now() + ttl)
            pages = 1
        elif route.conditional:
            raw = conditional_envelope(answer.data, answer.last_modified, clock.now() + ttl)
            pages = answer.pages
        else:
            raw, pages = answer.data, answer.pages
        if route.conditional and ttl > 0:
            keep = ttl + STALE_KEPT  # kept stale for revalidation
        if pager is not None:  # normalised during the walk; the cache keeps the table itself
            table = pager.table()
            if keep > 0:
                await self._keep(tenant, key, None, table, keep)
            return Loaded(table, pages)
        # Encoded before normalising: normalisers may rewrite the upstream rows in place.
        data = self.cache.encode(raw) if keep > 0 else None
        try:
            table = normalise(key.route, raw)
        except (AttributeError, KeyError, TypeError, ValueError):
            # Rows the tolerant reader still cannot read: an upstream fault, and nothing is cached.
            raise UpstreamProtocolError(f"{key.route} answered rows that cannot be read",
                                        route=key.route) from None
        if keep > 0:
            await self._keep(tenant, key, data, table, keep)
        return Loaded(table, pages)

    async def _keep(self, tenant: Tenant, key: ResourceKey, data: Any, table: Table, keep: float) -> None:
        """The walk's table in the cache; a cache that fails is counted, never the answer's end."""
        try:
            await self._store(tenant, key, data, table, keep)
        except Exception as exc:
            self._cache_failed("write", key, exc)

    async def _cached(self, tenant: Tenant, key: ResourceKey) -> Table | None:
        try:
            return await self.cache.get(tenant, key)
        except Exception as exc:  # a cache outage degrades to upstream calls, never to failed queries
            self._cache_failed("read", key, exc)
            return None

    async def _lock(self, tenant: Tenant, key: ResourceKey) -> str | None:
        try:
            return await self.cache.lock(tenant, key, self.lock_timeout)
        except Exception as exc:
            self._cache_failed("lock", key, exc)
            return ""  # no lock to be had: walk without one (falsy: nothing to release)

    async def _unlock(self, tenant: Tenant, key: ResourceKey, token: str) -> None:
        try:
            await self.cache.unlock(tenant, key, token)
        except Exception as exc:  # the lock expires by itself
            self._cache_failed("unlock", key, exc)

    def _cache_failed(self, what: str, key: ResourceKey, exc: Exception) -> None:
        metrics.CACHE_ERRORS.labels(self.cache.name).inc()
        # The backend warns once per outage; while it backs off, each skipped call is only counted.
        level = logging.DEBUG if isinstance(exc, CacheUnavailable) else logging.WARNING
        log.log(level, f"cache {what} failed", extra={"backend": self.cache.name,
                                                      "route": key.route,
                                                      "error": type(exc).__name__})

    async def _store(self, tenant: Tenant, key: ResourceKey, data: Any, table: Table,
                     ttl: float) -> None:
        """Cache a walk's value, unless its resource was invalidated since the walk began."""
        this = _LOAD.get()
        if this is not None and this.stale:
            return  # read from the upstream before a write: it must not outlive the write
        await self.cache.set(tenant, key, data, table, ttl)
        if this is not None and this.stale:
            # Invalidated while the value was being stored: the invalidation's delete may have
            # reached the cache first, so delete again.
            await self._delete(tenant, key)

    async def invalidate(self, tenant: Tenant, key: ResourceKey) -> None:
        slot = (tenant.id, key)
        for load in self._loading.get(slot, ()):
            load.stale = True  # what they read before the change is not cached or a hit
        self._flight.forget(slot)  # later loads walk anew rather than join a stale walk
        await self._delete(tenant, key)

    async def _delete(self, tenant: Tenant, key: ResourceKey) -> None:
        try:
            await self.cache.delete(tenant, key)
        except Exception as exc:
            self._cache_failed("delete", key, exc)

    async def purge(self, tenant: Tenant) -> None:
        """Drop everything cached for the tenant: its key was refused (access revoked)."""
        for (tenant_id, _), loads in self._loading.items():
            if tenant_id == tenant.id:
                for load in loads:
                    load.stale = True
        try:
            gone = await self.cache.purge(tenant)
        except Exception as exc:
            metrics.CACHE_ERRORS.labels(self.cache.name).inc()
            log.warning("cache purge failed", extra={"backend": self.cache.name,
                                                     "tenant": tenant.id,
                                                     "error": type(exc).__name__})
            return
        log.info("cache purged: the upstream refused the tenant's key",
                 extra={"tenant": tenant.id, "keys": gone})
