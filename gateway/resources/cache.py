"""The cross-request resource cache behind an interface we own.

``memory://`` keeps normalised tables in process (aiocache's SimpleMemoryCache);
every key is built by ``cache_key`` and starts with the tenant's hash, so one
school's data can never answer another's request.
"""

from __future__ import annotations

from typing import Protocol

from aiocache import SimpleMemoryCache

from gateway.resources.keys import ResourceKey
from gateway.resources.table import Table
from gateway.resources.tenant import Tenant

NAMESPACE = "go4graph:v1"


def cache_key(tenant: Tenant, key: ResourceKey) -> str:
    """The one place cache keys are built: namespace, tenant hash, resource."""
    return f"{NAMESPACE}:{tenant.id}:{key}"


class ResourceCache(Protocol):
    name: str

    async def get(self, tenant: Tenant, key: ResourceKey) -> Table | None: ...

    async def set(self, tenant: Tenant, key: ResourceKey, data: object, table: Table,
                  ttl: float) -> None: ...

    async def delete(self, tenant: Tenant, key: ResourceKey) -> None: ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


class MemoryResourceCache:
    """In-process cache of normalised tables (no serialisation: the table itself is kept)."""

    name = "memory"

    def __init__(self) -> None:
        self._cache = SimpleMemoryCache()

    async def get(self, tenant: Tenant, key: ResourceKey) -> Table | None:
        return await self._cache.get(cache_key(tenant, key))  # type: ignore[no-any-return]

    async def set(self, tenant: Tenant, key: ResourceKey, data: object, table: Table,
                  ttl: float) -> None:
        await self._cache.set(cache_key(tenant, key), table, ttl=ttl)

    async def delete(self, tenant: Tenant, key: ResourceKey) -> None:
        await self._cache.delete(cache_key(tenant, key))

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        await self._cache.clear()


def build_cache(url: str) -> ResourceCache:
    if url.startswith("memory://"):
        return MemoryResourceCache()
    raise ValueError(f"unsupported cache URL scheme: {url.split('://')[0]}")
