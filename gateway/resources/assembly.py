"""Assembly resources: year groups and their students, cached with Last-Modified revalidation.

An entry stays in the cache past its freshness (``fresh_until``); once stale it
is revalidated with ``If-Modified-Since`` and a 304 keeps the cached body
instead of downloading it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gateway import clock
from gateway.resources.cache import ResourceCache
from gateway.resources.flight import SingleFlight
from gateway.resources.keys import ResourceKey
from gateway.resources.normalise import NORMALISERS
from gateway.resources.store import Loaded
from gateway.resources.table import Table
from gateway.resources.tenant import Tenant
from gateway.upstream.assembly import AssemblyClient, AssemblyFetched, NotModified
from gateway.upstream.errors import UpstreamUnauthorized

GROUPS = "assembly-year-groups"
GROUP_STUDENTS = "assembly-year-group-students"
#: How long a revalidatable body is kept in the cache after it goes stale.
KEEP = 24 * 3600.0


def groups_key() -> ResourceKey:
    return ResourceKey(GROUPS)


def group_students_key(group_id: Any) -> ResourceKey:
    return ResourceKey(GROUP_STUDENTS, None, str(group_id))


def _from_cache(data: Any) -> Table:
    data = data if isinstance(data, dict) else {}
    return Table(data.get("items") or [], meta={"last_modified": data.get("last_modified"),
                                                "fresh_until": data.get("fresh_until", 0.0)})


# A cache backend that stores raw data rebuilds the table with these.
NORMALISERS[GROUPS] = _from_cache
NORMALISERS[GROUP_STUDENTS] = _from_cache


@dataclass
class AssemblyStore:
    client: AssemblyClient | None
    cache: ResourceCache
    ttl: float = 600.0
    #: Revalidations answered 304 (for tests and metrics).
    revalidated: int = 0
    _flight: SingleFlight[Loaded] = field(default_factory=SingleFlight)

    async def load(self, tenant: Tenant, key: ResourceKey, *, fresh: bool = False) -> Loaded:
        if self.client is None or tenant.assembly is None:
            raise UpstreamUnauthorized("no Assembly token is configured for this school",
                                       route=key.route, source="Assembly")
        # Cached per Assembly token as well as per school: a wrong token must never be
        # answered from what a right one fetched.
        owner = Tenant(tenant.assembly, school_code=f"assembly/{tenant.id}")
        cached = await self._cached(owner, key)
        if cached is not None and not fresh and clock.now() < cached.meta.get("fresh_until", 0):
            return Loaded(cached, 0)
        loaded, _ = await self._flight.run((owner.id, key),
                                           lambda: self._fetch(tenant, owner, key, cached))
        return loaded

    async def _cached(self, tenant: Tenant, key: ResourceKey) -> Table | None:
        try:
            return await self.cache.get(tenant, key)
        except Exception:
            return None

    async def _fetch(self, tenant: Tenant, owner: Tenant, key: ResourceKey,
                     cached: Table | None) -> Loaded:
        assert self.client is not None and tenant.assembly is not None
        since = cached.meta.get("last_modified") if cached is not None else None
        if key.route == GROUPS:
            answer = await self.client.year_groups(tenant.assembly, if_modified_since=since)
        else:
            answer = await self.client.year_group_students(tenant.assembly, int(key.arg or 0),
                                                           if_modified_since=since)
        if isinstance(answer, NotModified):
            assert cached is not None
            self.revalidated += 1
            items, last_modified, pages = cached.rows, cached.meta.get("last_modified"), 1
        else:
            assert isinstance(answer, AssemblyFetched)
            items, last_modified, pages = answer.data, answer.last_modified, answer.pages
        data = {"items": items, "last_modified": last_modified, "fresh_until": clock.now() + self.ttl}
        table = _from_cache(data)
        try:
            await self.cache.set(owner, key, self.cache.encode(data), table, KEEP)
        except Exception:
            pass  # a cache outage only costs a download next time
        return Loaded(table, pages)
