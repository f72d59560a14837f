"""Answers of read queries, kept while every resource they were built from is unchanged.

A query's answer is a function of its document, operation, variables, the caller's schools
and the resource tables it read. The resource cache hands out the same ``Table`` object
for a resource until it expires, is invalidated by a write, or is walked again, so an
answer stays right exactly as long as each table it read is still the one the cache holds:
a repeated query is answered from here after one look at the cache per resource, with no
execution at all, and the first change to any of its resources (TTL, write, a new walk,
another replica's write to Redis) makes the next request execute again.

Never kept: mutations, answers with errors, requests with ``Cache-Control: no-cache``,
answers that read Assembly resources (revalidated with the upstream on every request) or
that a resource failed for. Bounded by entries and by bytes (least recently used out first).
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from gateway import metrics

if TYPE_CHECKING:
    from gateway.graph.context import Context
    from gateway.resources.keys import ResourceKey
    from gateway.resources.table import Table
    from gateway.resources.tenant import Tenant

Key = tuple[Any, ...]


class Sources(Protocol):
    """Where a kept answer's resources are looked up: the store's view of the resource cache
    (``FreshCache``, so a revoked key is never answered from here either)."""

    async def get(self, tenant: Tenant, key: ResourceKey) -> Table | None: ...


@dataclass(slots=True)
class _Kept:
    body: bytes
    #: (tenant, resource key, the table it was built from: weakly, so a kept answer never
    #: keeps a replaced table alive).
    sources: Sequence[tuple[Tenant, ResourceKey, weakref.ref[Table]]]
    #: Bytes charged to the budget: the body and the key (query text and variables included).
    size: int = 0


class ResponseCache:
    def __init__(self, sources: Sources, *, max_entries: int = 256,
                 max_bytes: int = 64 * 1024 * 1024) -> None:
        self._sources = sources
        self.enabled = True
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._kept: OrderedDict[Key, _Kept] = OrderedDict()
        self._bytes = 0
        self.hits = self.misses = 0

    def key(self, context: Context, query: str, operation_name: str | None,
            variables: dict[str, Any] | None) -> Key | None:
        """The answer's key, or None when this request's answer may not be kept."""
        if not self.enabled or context.fresh or not context.tenants:
            return None
        try:
            vars_text = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS) if variables else b""
        except TypeError:
            return None
        # The caller's data categories are part of the key: two tokens of one school with
        # different scopes never share an answer.
        schools = tuple(sorted((code or "", t.id, ",".join(sorted(t.categories)) if t.categories is not None else "*")
                               for code, t in context.tenants.items()))
        return (schools, query, operation_name or "", vars_text)

    async def get(self, key: Key) -> bytes | None:
        kept = self._kept.get(key)
        if kept is None:
            self.misses += 1
            return None
        for tenant, rkey, ref in kept.sources:
            table = ref()
            try:
                current = None if table is None else await self._sources.get(tenant, rkey)
            except Exception:  # a cache that cannot answer cannot vouch for the answer
                current = None
            if current is None or current is not table:
                if self._kept.get(key) is kept:
                    self._drop(key)
                self.misses += 1
                return None
        if self._kept.get(key) is not kept:
            # Dropped (another request saw a source change) or replaced by a newer answer
            # while this one looked at the cache: what it checked may no longer be the latest.
            self.misses += 1
            return None
        self._kept.move_to_end(key)
        self.hits += 1
        for _, rkey, _ in kept.sources:  # each resource was read from the cache, as a hit
            metrics.CACHE_EVENTS.labels(rkey.route, "hit").inc()
        return kept.body

    def put(self, key: Key, body: bytes, context: Context) -> None:
        size = len(body) + _key_bytes(key)
        if size > self.max_bytes // 4:
            return
        sources: list[tuple[Tenant, ResourceKey, weakref.ref[Table]]] = []
        for res in context.all_resources:
            if res.fresh or res.has_errors:
                return
            for rkey, table in res.tables():
                if rkey.route.startswith("assembly-"):
                    return
                sources.append((res.tenant, rkey, weakref.ref(table)))
        self._drop(key)
        self._kept[key] = _Kept(body, tuple(sources), size)
        self._bytes += size
        while self._kept and (len(self._kept) > self.max_entries or self._bytes > self.max_bytes):
            _, old = self._kept.popitem(last=False)
            self._bytes -= old.size

    def _drop(self, key: Key) -> None:
        old = self._kept.pop(key, None)
        if old is not None:
            self._bytes -= old.size

    @property
    def bytes(self) -> int:
        return self._bytes

    def clear(self) -> None:
        self._kept.clear()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._kept)


def _key_bytes(key: Key) -> int:
    """What a key holds in memory, roughly: its texts (the query and the variables' JSON)."""
    size = 64
    for part in key:
        if isinstance(part, str | bytes):
            size += len(part) + 50
        else:
            size += 64 * (len(part) if isinstance(part, tuple) else 1)
    return size
