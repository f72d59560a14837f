"""The process-wide resource store: cross-request cache, single-flight, and the upstream walk.

N concurrent requests for the same cold resource of the same tenant share one
upstream walk. ``fresh=True`` skips the cache read (a client's
``Cache-Control: no-cache``) but still joins a walk already under way.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from gateway import metrics
from gateway.resources.cache import ResourceCache
from gateway.resources.keys import ResourceKey
from gateway.resources.normalise import normalise
from gateway.resources.table import Table
from gateway.resources.tenant import Tenant
from gateway.resources.ttl import ttl_for
from gateway.upstream.go4schools import GO4SchoolsClient

log = logging.getLogger("go4graph.resources")


@dataclass
class Loaded:
    table: Table
    pages: int  # upstream pages walked for it (0: served from the cache)


@dataclass
class ResourceStore:
    client: GO4SchoolsClient
    cache: ResourceCache
    ttl_overrides: dict[str, float] = field(default_factory=dict)
    _inflight: dict[tuple[str, ResourceKey], asyncio.Future[Loaded]] = field(default_factory=dict)

    async def load(self, tenant: Tenant, key: ResourceKey, *, fresh: bool = False) -> Loaded:
        if not fresh:
            try:
                cached = await self.cache.get(tenant, key)
            except Exception:  # a cache outage degrades to upstream calls, never to failed queries
                metrics.CACHE_ERRORS.labels(self.cache.name).inc()
                log.warning("cache read failed", extra={"backend": self.cache.name, "route": key.route})
                cached = None
            if cached is not None:
                metrics.CACHE_EVENTS.labels(key.route, "hit").inc()
                return Loaded(cached, 0)
            metrics.CACHE_EVENTS.labels(key.route, "miss").inc()
        flight = (tenant.id, key)
        future = self._inflight.get(flight)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._inflight[flight] = future
            try:
                loaded = await self._walk(tenant, key)
            except BaseException as exc:
                future.set_exception(exc)
                future.exception()  # retrieved here: waiters re-raise it, none is left unobserved
                raise
            else:
                future.set_result(loaded)
                return loaded
            finally:
                self._inflight.pop(flight, None)
        loaded = await asyncio.shield(future)
        return Loaded(loaded.table, 0)

    async def _walk(self, tenant: Tenant, key: ResourceKey) -> Loaded:
        fetched = await self.client.fetch(key.route, tenant.credential, key.params())
        table = normalise(key.route, fetched.data)
        try:
            await self.cache.set(tenant, key, fetched.data, table, ttl_for(key, self.ttl_overrides))
        except Exception:
            metrics.CACHE_ERRORS.labels(self.cache.name).inc()
            log.warning("cache write failed", extra={"backend": self.cache.name, "route": key.route})
        return Loaded(table, fetched.pages)

    async def invalidate(self, tenant: Tenant, key: ResourceKey) -> None:
        try:
            await self.cache.delete(tenant, key)
        except Exception:
            metrics.CACHE_ERRORS.labels(self.cache.name).inc()
            log.warning("cache delete failed", extra={"backend": self.cache.name, "route": key.route})
