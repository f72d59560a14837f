"""Reads, writes and invalidations of one key interleaved at the cache's await points.

Each race is made certain, not left to scheduling: a ``Hold`` stops a read just after
the backend has answered it and before the read resumes (the await point where a
concurrent invalidation or write lands), and releases it only once the other operation
has finished. Runs on the in-process cache and on a real Redis; for Redis the local
layer (the tables this process normalised, by stamp) is checked against what Redis
holds after every race.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from gateway import metrics
from gateway.resources.cache import (
    STAMP_LEN,
    MemoryResourceCache,
    RedisResourceCache,
    ResourceCache,
    cache_key,
)
from gateway.resources.keys import ResourceKey
from gateway.resources.normalise import normalise
from gateway.resources.store import ResourceStore
from gateway.resources.table import Table
from gateway.resources.tenant import Tenant
from gateway.shared.secrets import Credential
from gateway.upstream.go4schools import Fetched
from tests.cache.redis_server import RedisServer, two_views

KEY = ResourceKey("students", 2027)
TENANT = Tenant(Credential("race-test-key-1"), school_code="R1")
WAIT = 10.0  # seconds a step may take before the test fails (never reached when it passes)


def rows(version: int) -> list[dict[str, Any]]:
    return [{"id": i, "legal_first_name": f"Pupil{version}x{i}"} for i in range(3)]


def version_of(table: Table | None) -> int | None:
    if table is None:
        return None
    return int(str(table.rows[0]["legal_first_name"]).removeprefix("Pupil").split("x")[0])


async def put(cache: ResourceCache, version: int) -> None:
    data = rows(version)
    await cache.set(TENANT, KEY, cache.encode(copy.deepcopy(data)), normalise(KEY.route, data), 60.0)


class Hold:
    """Stops the next read of ``cache`` after the backend answered it, until released."""

    def __init__(self, cache: ResourceCache) -> None:
        self.reached = asyncio.Event()
        self.released = asyncio.Event()
        self.armed = False
        if isinstance(cache, RedisResourceCache):
            inner: Any = cache
            original = cache._call
            name = "_call"
        else:
            assert isinstance(cache, MemoryResourceCache)
            inner = cache  # its lookup has no await inside: hold right after it
            original = inner.get
            name = "get"

        async def held(*args: Any, **kwargs: Any) -> Any:
            answer = await original(*args, **kwargs)
            if self.armed:
                self.armed = False
                self.reached.set()
                await asyncio.wait_for(self.released.wait(), WAIT)
            return answer

        setattr(inner, name, held)

    async def around(self, read: Awaitable[Any], meanwhile: Callable[[], Awaitable[Any]]) -> Any:
        """Run ``read`` until its backend answered, then ``meanwhile`` to the end, then let
        ``read`` finish; its result (or its exception, raised here)."""
        self.armed = True
        task = asyncio.ensure_future(read)
        await asyncio.wait_for(self.reached.wait(), WAIT)
        await meanwhile()
        self.released.set()
        return await asyncio.wait_for(task, WAIT)


@dataclass
class Caches:
    cache: ResourceCache
    other: ResourceCache  # another replica on the same Redis (the same object in memory)
    server: RedisServer | None

    def assert_local_matches_redis(self) -> None:
        """Every table the racing process keeps locally is for the value Redis holds now
        (another replica's local copy may be older: its next read's stamp check sees that)."""
        if self.server is None:
            return
        assert isinstance(self.cache, RedisResourceCache)
        for k, (stamp, _, _) in self.cache._local.items():
            reply = self.server.command("GETRANGE", k, "0", str(STAMP_LEN - 1))
            assert stamp in reply, f"{k}: local stamp {stamp!r}, Redis {reply!r}"


@pytest.fixture
async def caches(cache_url: str, request: pytest.FixtureRequest) -> AsyncIterator[Caches]:
    async with two_views(cache_url, request) as (cache, other, server):
        yield Caches(cache, other, server)


# --- the cache ---------------------------------------------------------------------

async def test_a_read_racing_an_invalidation_is_a_miss_not_an_error(caches: Caches) -> None:
    cache = caches.cache
    await put(cache, 1)  # on Redis also kept locally: the read asks only "still this stamp?"
    assert version_of(await cache.get(TENANT, KEY)) == 1
    hold = Hold(cache)
    got = await hold.around(cache.get(TENANT, KEY), lambda: cache.delete(TENANT, KEY))
    # The backend answered before the delete: the old value or a miss, never an error.
    assert version_of(got) in (None, 1)
    if isinstance(cache, RedisResourceCache):
        assert got is None  # its local entry went while Redis answered: a plain miss
        assert not cache._down  # and Redis's health is untouched
        assert cache_key(TENANT, KEY) not in cache._local
    assert await cache.get(TENANT, KEY) is None
    caches.assert_local_matches_redis()


async def test_a_cold_read_racing_an_invalidation_remembers_nothing(caches: Caches) -> None:
    await put(caches.other, 1)  # written by another replica: this one reads the whole value
    cache = caches.cache
    hold = Hold(cache)
    got = await hold.around(cache.get(TENANT, KEY), lambda: cache.delete(TENANT, KEY))
    assert version_of(got) in (None, 1)
    if isinstance(cache, RedisResourceCache):
        assert cache_key(TENANT, KEY) not in cache._local  # the dropped value is not kept
    assert await cache.get(TENANT, KEY) is None
    assert await caches.other.get(TENANT, KEY) is None
    caches.assert_local_matches_redis()


async def test_a_read_racing_a_write_of_a_new_value(caches: Caches) -> None:
    cache = caches.cache
    await put(cache, 1)
    hold = Hold(cache)
    got = await hold.around(cache.get(TENANT, KEY), lambda: put(cache, 2))
    assert version_of(got) in (None, 1, 2)
    caches.assert_local_matches_redis()
    assert version_of(await cache.get(TENANT, KEY)) == 2
    assert version_of(await caches.other.get(TENANT, KEY)) == 2


async def test_a_cold_read_racing_its_own_process_writing_a_new_value(caches: Caches) -> None:
    await put(caches.other, 1)
    cache = caches.cache
    hold = Hold(cache)
    got = await hold.around(cache.get(TENANT, KEY), lambda: put(cache, 2))
    assert version_of(got) in (1, 2)
    # The read's older value must not replace the newer one the write kept locally.
    caches.assert_local_matches_redis()
    assert version_of(await cache.get(TENANT, KEY)) == 2


async def test_a_read_racing_another_replicas_write(caches: Caches) -> None:
    await put(caches.other, 1)
    cache = caches.cache
    assert version_of(await cache.get(TENANT, KEY)) == 1
    hold = Hold(cache)
    got = await hold.around(cache.get(TENANT, KEY), lambda: put(caches.other, 2))
    assert version_of(got) in (1, 2)
    assert version_of(await cache.get(TENANT, KEY)) == 2  # the stamp check sees the new value
    caches.assert_local_matches_redis()


async def test_a_read_racing_a_purge(caches: Caches) -> None:
    cache = caches.cache
    await put(cache, 1)
    hold = Hold(cache)
    got = await hold.around(cache.get(TENANT, KEY), lambda: cache.purge(TENANT))
    assert version_of(got) in (None, 1)
    assert await cache.get(TENANT, KEY) is None
    caches.assert_local_matches_redis()


# --- the store: an invalidation is never a cache error, and never outlived ---------------

class GatedUpstream:
    """Answers students lists; a walk waits at ``gate`` (when set) until the test opens it."""

    def __init__(self) -> None:
        self.version = 1
        self.calls = 0
        self.entered = asyncio.Event()
        self.gate: asyncio.Event | None = None

    async def fetch(self, route: str, credential: Credential, params: dict[str, Any]) -> Fetched:
        self.calls += 1
        version = self.version  # what the upstream holds when the walk reads it
        self.entered.set()
        if self.gate is not None:
            await asyncio.wait_for(self.gate.wait(), WAIT)
        return Fetched(rows(version), 1)


def cache_errors(name: str) -> float:
    return metrics.CACHE_ERRORS.labels(name)._value.get()


async def test_a_store_read_racing_an_invalidation_counts_no_cache_error(
        caches: Caches, captured_logs: list[str]) -> None:
    upstream = GatedUpstream()
    store = ResourceStore(upstream, caches.cache)  # type: ignore[arg-type]
    assert version_of((await store.load(TENANT, KEY)).table) == 1
    errors, logged = cache_errors(caches.cache.name), len(captured_logs)
    upstream.version = 2  # a write changed the resource upstream; its invalidation races a read
    hold = Hold(caches.cache)
    loaded = await hold.around(store.load(TENANT, KEY), lambda: store.invalidate(TENANT, KEY))
    # The read straddled the invalidation: not a hit on what was read before it.
    assert version_of(loaded.table) == 2 and loaded.pages == 1
    assert cache_errors(caches.cache.name) == errors
    assert not [line for line in captured_logs[logged:] if "cache" in line and "failed" in line]
    assert version_of((await store.load(TENANT, KEY)).table) == 2
    caches.assert_local_matches_redis()


async def test_a_walk_racing_an_invalidation_does_not_cache_what_it_read_before(
        caches: Caches) -> None:
    upstream = GatedUpstream()
    store = ResourceStore(upstream, caches.cache)  # type: ignore[arg-type]
    upstream.gate = asyncio.Event()
    first = asyncio.ensure_future(store.load(TENANT, KEY))
    await asyncio.wait_for(upstream.entered.wait(), WAIT)  # the walk has read version 1
    upstream.version = 2  # the write lands upstream
    await store.invalidate(TENANT, KEY)  # and invalidates while the walk is under way
    # A load after the invalidation walks anew instead of joining the walk begun before it
    # (on Redis once the first walk lets go of the replicas' lock).
    second = asyncio.ensure_future(store.load(TENANT, KEY))
    upstream.gate.set()
    old, new = await asyncio.wait_for(asyncio.gather(first, second), WAIT)
    assert version_of(old.table) == 1 and version_of(new.table) == 2
    # What the first walk read before the write is not in the cache; the second's is.
    assert version_of(await caches.cache.get(TENANT, KEY)) == 2
    assert version_of(await caches.other.get(TENANT, KEY)) == 2
    assert version_of((await store.load(TENANT, KEY)).table) == 2
    assert upstream.calls == 2
    caches.assert_local_matches_redis()


async def test_an_invalidation_while_a_walk_stores_its_value_is_not_outlived(
        caches: Caches) -> None:
    upstream = GatedUpstream()
    cache = caches.cache
    store = ResourceStore(upstream, cache)  # type: ignore[arg-type]
    reached, released = asyncio.Event(), asyncio.Event()
    original_set = cache.set

    async def held_set(*args: Any, **kwargs: Any) -> None:
        reached.set()  # the walk is storing: the invalidation lands before its write
        await asyncio.wait_for(released.wait(), WAIT)
        await original_set(*args, **kwargs)

    cache.set = held_set  # type: ignore[method-assign]
    walk = asyncio.ensure_future(store.load(TENANT, KEY))
    await asyncio.wait_for(reached.wait(), WAIT)
    upstream.version = 2
    await store.invalidate(TENANT, KEY)
    released.set()
    assert version_of((await asyncio.wait_for(walk, WAIT)).table) == 1
    assert await cache.get(TENANT, KEY) is None  # the walk's late write did not outlive it
    cache.set = original_set  # type: ignore[method-assign]
    assert version_of((await store.load(TENANT, KEY)).table) == 2
