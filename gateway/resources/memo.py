"""The per-request memo of loaded resources: one load per key per request, errors kept per key.

Resolvers read it synchronously with ``get``; only planning (and the rare
unplanned fallback) awaits ``load``/``load_many``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from typing import Any

from gateway.access_log import Touched
from gateway.categories import Category
from gateway.resources.keys import ResourceKey
from gateway.resources.store import ResourceStore
from gateway.resources.table import Table
from gateway.resources.tenant import Tenant
from gateway.upstream.errors import UpstreamError


class NotLoaded(LookupError):
    """A resolver read a resource that no plan loaded (a bug in a field's plan)."""


class Resources:
    """The resources one request has loaded, by key."""

    def __init__(self, store: ResourceStore, tenant: Tenant, *, fresh: bool = False) -> None:
        self.store = store
        self.tenant = tenant
        self.fresh = fresh
        self._tables: dict[ResourceKey, Table] = {}
        self._errors: dict[ResourceKey, UpstreamError] = {}
        self._pending: dict[ResourceKey, asyncio.Task[Table]] = {}
        #: Upstream pages walked per key by this request (0 when served from the cache).
        self.pages: dict[ResourceKey, int] = {}
        #: Times a resolver had to await a resource its plan had not loaded.
        self.unplanned = 0
        #: The data categories the caller may read here (None: all), and the sensitive ones
        #: this request read, for the access log (issue 17).
        self.allowed: frozenset[Category] | None = tenant.categories
        self.touched = Touched()
        #: Values the graph worked out once for this request (a relation's answer for a record
        #: met again: the same group under every one of its students).
        self.answers: dict[Any, Any] = {}

    def has(self, key: ResourceKey) -> bool:
        return key in self._tables or key in self._errors

    def get(self, key: ResourceKey) -> Table:
        """The loaded table; re-raises the key's upstream error; ``NotLoaded`` if never loaded."""
        table = self._tables.get(key)
        if table is not None:
            return table
        error = self._errors.get(key)
        if error is not None:
            raise error
        raise NotLoaded(str(key))

    def error(self, key: ResourceKey) -> UpstreamError | None:
        return self._errors.get(key)

    @property
    def has_errors(self) -> bool:
        """Whether any resource of this request failed."""
        return bool(self._errors)

    def tables(self) -> list[tuple[ResourceKey, Table]]:
        """Every table this request has loaded, with its key."""
        return list(self._tables.items())

    async def load(self, key: ResourceKey) -> Table:
        if key in self._tables:
            return self._tables[key]
        if key in self._errors:
            raise self._errors[key]
        task = self._pending.get(key)
        if task is None:
            task = asyncio.ensure_future(self._load(key))
            self._pending[key] = task
        return await asyncio.shield(task)

    async def _load(self, key: ResourceKey) -> Table:
        try:
            loaded = await self.store.load(self.tenant, key, fresh=self.fresh)
        except UpstreamError as exc:
            self._errors[key] = exc
            raise
        finally:
            self._pending.pop(key, None)
        self._tables[key] = loaded.table
        self.pages[key] = loaded.pages
        return loaded.table

    async def load_many(self, keys: Iterable[ResourceKey]) -> None:
        """Load every key at once; upstream errors stay recorded per key, not raised."""
        wanted = [k for k in dict.fromkeys(keys) if not self.has(k)]
        if not wanted:
            return
        if len(wanted) == 1:  # one key: awaited as it is, no gather (and no task) around it
            with contextlib.suppress(UpstreamError):
                await self.load(wanted[0])
            return
        results = await asyncio.gather(*(self.load(k) for k in wanted), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, UpstreamError):
                raise result

    def forget(self, key: ResourceKey) -> None:
        """Drop a key from this request (after a write changed it)."""
        self._tables.pop(key, None)
        self._errors.pop(key, None)
