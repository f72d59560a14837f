"""The ``memory://`` resource cache: normalised tables kept in process (the other half of the
interface in cache.py)."""

from __future__ import annotations

from typing import Any

from gateway import clock
from gateway.resources.cache_keys import cache_key, tenant_prefix
from gateway.resources.keys import ResourceKey
from gateway.resources.table import Table
from gateway.resources.tenant import Tenant


class MemoryResourceCache:
    """In-process cache of normalised tables (no serialisation: the table itself is kept).

    Each entry keeps its expiry instant by ``gateway.clock``: a read past it is a miss (and
    drops the entry), and expired entries are swept now and then as values are written."""

    name = "memory"
    #: Seconds (by the clock) between sweeps of expired entries.
    SWEEP_EVERY = 60.0

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Table]] = {}  # key -> (expires at, table)
        self._tenants: set[str] = set()  # tenants written to (what a purge need look at)
        self._swept = clock.monotonic()

    def keys(self) -> list[str]:
        """The cache keys held now, expired or not (tests)."""
        return list(self._entries)

    async def get(self, tenant: Tenant, key: ResourceKey) -> Table | None:
        k = cache_key(tenant, key)
        entry = self._entries.get(k)
        if entry is None:
            return None
        if clock.monotonic() >= entry[0]:
            if self._entries.get(k) is entry:
                del self._entries[k]
            return None
        return entry[1]

    #: The table is kept, not the data: ``encode`` answers None, and a store may hand ``set``
    #: a table it normalised page by page during the walk (``ResourceStore._pager``).
    keeps_tables = True

    def encode(self, data: Any) -> Any:
        return None  # the table is kept, not the data

    async def set(self, tenant: Tenant, key: ResourceKey, data: Any, table: Table,
                  ttl: float) -> None:
        if ttl > 0:
            self._tenants.add(tenant.id)
            now = clock.monotonic()
            self._entries[cache_key(tenant, key)] = (now + ttl, table)
            if now - self._swept >= self.SWEEP_EVERY:
                self._swept = now
                for k in [k for k, (expires, _) in self._entries.items() if now >= expires]:
                    del self._entries[k]

    async def delete(self, tenant: Tenant, key: ResourceKey) -> None:
        self._entries.pop(cache_key(tenant, key), None)

    async def purge(self, tenant: Tenant) -> int:
        if tenant.id not in self._tenants:
            return 0
        self._tenants.discard(tenant.id)
        prefix = tenant_prefix(tenant)
        keys = [k for k in self._entries if k.startswith(prefix)]
        for k in keys:
            del self._entries[k]
        return len(keys)

    async def lock(self, tenant: Tenant, key: ResourceKey, ttl: float) -> str | None:
        return "local"  # one process: the store's single-flight already holds the walk

    async def unlock(self, tenant: Tenant, key: ResourceKey, token: str) -> None:
        return None

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._entries.clear()
