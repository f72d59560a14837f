"""Certain overlap for concurrency tests: no upstream walk starts until every caller has asked.

``Overlap(stores, callers)`` counts, per route, the loads that reach a store's single-flight
(after their cache miss, or at once for ``no-cache``), and holds each upstream walk of that
route until ``callers`` loads have reached it. So N concurrent requests for one resource are
all waiting before its walk can finish, whatever the event loop's scheduling (which changed
after Python 3.11 for in-process ASGI calls with no latency): with single-flight they share
one walk; without it each walks (the test fails on the count, or waits out ``WAIT`` and
fails if loads no longer reach the single-flight at all).
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from gateway.resources.store import ResourceStore

WAIT = 20.0  # seconds a held walk waits for its callers before the test fails


class Overlap:
    def __init__(self, stores: list[ResourceStore], callers: int) -> None:
        self.callers = callers
        self.arrived: Counter[str] = Counter()
        self.walks: Counter[str] = Counter()
        self._full: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
        for store in stores:
            self._wrap(store)

    def _wrap(self, store: ResourceStore) -> None:
        run = store._flight.run
        fetch = store.client.fetch

        async def counted_run(key: Hashable, call: Callable[[], Awaitable[Any]]) -> Any:
            route = key[1].route  # type: ignore[index]
            self.arrived[route] += 1
            if self.arrived[route] >= self.callers:
                self._full[route].set()
            return await run(key, call)

        async def held_fetch(route: str, *args: Any, **kwargs: Any) -> Any:
            self.walks[route] += 1
            await asyncio.wait_for(self._full[route].wait(), WAIT)
            return await fetch(route, *args, **kwargs)

        store._flight.run = counted_run  # type: ignore[method-assign]
        store.client.fetch = held_fetch  # type: ignore[method-assign]
