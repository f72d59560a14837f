"""ResourceStore across replicas: the Redis walk lock, its waiters, and purging a refused tenant.

Each "replica" is its own ResourceStore with its own RedisResourceCache on one
real Redis, over a scripted upstream that counts and can stall or fail walks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from gateway import clock, metrics
from gateway.clock import ManualClock
from gateway.resources.cache import ResourceCache, build_cache
from gateway.resources.keys import ResourceKey
from gateway.resources.store import ResourceStore
from gateway.resources.tenant import Tenant
from gateway.setting_values import DEFAULT_TTLS
from gateway.shared.secrets import Credential
from gateway.upstream.answers import NotModified
from gateway.upstream.errors import UpstreamServerError, UpstreamUnauthorized
from gateway.upstream.go4schools import Fetched
from tests.cache.redis_server import RedisServer

KEY = ResourceKey("students", 2027)
TENANT = Tenant(Credential("store-test-key-1"), school_code="S1")
OTHER = Tenant(Credential("store-test-key-2"), school_code="S2")


WAIT = 10.0  # seconds a held step may take before the test fails (never reached when it passes)


class ScriptedUpstream:
    """Answers students lists; with a ``gate`` each walk waits until the test opens it (so
    walks overlap for certain); ``fail`` makes the next walks raise."""

    def __init__(self) -> None:
        self.calls = 0
        self.version = 1
        self.fail: list[Exception] = []
        self.gate: asyncio.Event | None = None
        self.entered = asyncio.Event()

    async def fetch(self, route: str, credential: Credential, params: dict[str, Any]) -> Fetched:
        self.calls += 1
        version = self.version
        self.entered.set()
        if self.gate is not None:
            await asyncio.wait_for(self.gate.wait(), WAIT)
        if self.fail:
            raise self.fail.pop(0)
        return Fetched([{"id": i, "version": version} for i in range(3)], 2)


@pytest.fixture
async def replicas(redis_server: RedisServer) -> AsyncIterator[Callable[..., ResourceStore]]:
    redis_server.flush()
    caches: list[ResourceCache] = []
    upstream = ScriptedUpstream()

    def make(lock_timeout: float = 5.0) -> ResourceStore:
        cache = build_cache(redis_server.url)
        caches.append(cache)
        return ResourceStore(upstream, cache, lock_timeout=lock_timeout)  # type: ignore[arg-type]

    make.upstream = upstream  # type: ignore[attr-defined]
    yield make
    for cache in caches:
        await cache.close()


def version(loaded: Any) -> int:
    return int(loaded.table.rows[0]["version"])


def refused(store: ResourceStore) -> asyncio.Event:
    """Set once the store's replica has asked for the walk lock and been refused it."""
    event = asyncio.Event()
    lock = store.cache.lock

    async def counted(*args: Any, **kwargs: Any) -> str | None:
        token = await lock(*args, **kwargs)
        if token is None:
            event.set()
        return token

    store.cache.lock = counted  # type: ignore[method-assign]
    return event


async def holder_and_waiter(upstream: ScriptedUpstream, a: ResourceStore, b: ResourceStore,
                            *, fresh: bool = False) -> list[Any]:
    """``a`` walks (held at the upstream) while ``b`` is refused the lock, then the walk ends."""
    upstream.gate, upstream.entered = asyncio.Event(), asyncio.Event()
    waiting = refused(b)
    first = asyncio.ensure_future(a.load(TENANT, KEY, fresh=fresh))
    await asyncio.wait_for(upstream.entered.wait(), WAIT)
    second = asyncio.ensure_future(b.load(TENANT, KEY, fresh=fresh))
    await asyncio.wait_for(waiting.wait(), WAIT)
    upstream.gate.set()
    return list(await asyncio.gather(first, second, return_exceptions=True))


@pytest.mark.redis
async def test_a_waiting_replica_takes_the_holders_value(replicas: Callable[..., ResourceStore]) -> None:
    upstream: ScriptedUpstream = replicas.upstream  # type: ignore[attr-defined]
    a, b = replicas(), replicas()
    first, second = await holder_and_waiter(upstream, a, b)
    assert upstream.calls == 1
    assert sorted([first.pages, second.pages]) == [0, 2]  # one walked, the other waited for it
    assert second.table.rows == first.table.rows


@pytest.mark.redis
async def test_a_replica_walks_itself_when_the_holder_fails(replicas: Callable[..., ResourceStore]) -> None:
    upstream: ScriptedUpstream = replicas.upstream  # type: ignore[attr-defined]
    a, b = replicas(), replicas()
    upstream.fail = [UpstreamServerError("boom", route="students")]
    results = await holder_and_waiter(upstream, a, b)
    failed = [r for r in results if isinstance(r, UpstreamServerError)]
    served = [r for r in results if not isinstance(r, BaseException)]
    assert len(failed) == 1 and len(served) == 1  # the holder's error is its own
    assert served[0].table.rows[0]["id"] == 0 and served[0].pages == 2
    assert upstream.calls == 2


@pytest.mark.redis
async def test_a_lock_left_by_a_dead_replica_expires(replicas: Callable[..., ResourceStore],
                                                      redis_server: RedisServer) -> None:
    upstream: ScriptedUpstream = replicas.upstream  # type: ignore[attr-defined]
    dead = build_cache(redis_server.url)
    try:
        assert await dead.lock(TENANT, KEY, 0.4)  # taken, never released
    finally:
        await dead.close()
    b = replicas(lock_timeout=5.0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    loaded = await b.load(TENANT, KEY)
    waited = loop.time() - started
    assert loaded.pages == 2 and upstream.calls == 1
    assert 0.3 < waited < 2.0


@pytest.mark.redis
async def test_waiters_give_up_after_the_lock_timeout(replicas: Callable[..., ResourceStore],
                                                       redis_server: RedisServer) -> None:
    upstream: ScriptedUpstream = replicas.upstream  # type: ignore[attr-defined]
    dead = build_cache(redis_server.url)
    try:
        assert await dead.lock(TENANT, KEY, 30.0)
    finally:
        await dead.close()
    b = replicas(lock_timeout=0.3)
    loaded = await b.load(TENANT, KEY)
    assert loaded.pages == 2 and upstream.calls == 1


@pytest.mark.redis
async def test_a_fresh_waiter_gets_the_new_value_not_the_cached_one(
        replicas: Callable[..., ResourceStore]) -> None:
    upstream: ScriptedUpstream = replicas.upstream  # type: ignore[attr-defined]
    a, b = replicas(), replicas()
    assert version(await a.load(TENANT, KEY)) == 1
    upstream.version = 2
    first, second = await holder_and_waiter(upstream, a, b, fresh=True)
    assert version(first) == 2 and version(second) == 2
    assert upstream.calls == 2  # the first walk, and one fresh walk for both replicas
    assert version(await b.load(TENANT, KEY)) == 2


@pytest.mark.redis
async def test_locks_are_per_tenant(replicas: Callable[..., ResourceStore]) -> None:
    upstream: ScriptedUpstream = replicas.upstream  # type: ignore[attr-defined]
    a, b = replicas(), replicas()
    upstream.gate = asyncio.Event()
    loads = asyncio.gather(a.load(TENANT, KEY), b.load(OTHER, KEY))
    # Both walks are under way at once while neither can finish: neither waits on the other's lock.
    while upstream.calls < 2:
        await asyncio.wait_for(upstream.entered.wait(), WAIT)
        upstream.entered.clear()
    upstream.gate.set()
    await asyncio.wait_for(loads, WAIT)
    assert upstream.calls == 2


async def test_a_refused_key_purges_its_tenant(cache_url: str) -> None:
    upstream = ScriptedUpstream()
    cache = build_cache(cache_url)
    store = ResourceStore(upstream, cache)  # type: ignore[arg-type]
    try:
        others = [ResourceKey("students", 2026), ResourceKey("school")]
        for key in [KEY, *others]:
            await store.load(TENANT, key)
            await store.load(OTHER, key)
        upstream.fail = [UpstreamUnauthorized("The API key is invalid.", route="students")]
        with pytest.raises(UpstreamUnauthorized):
            await store.load(TENANT, KEY, fresh=True)
        for key in [KEY, *others]:
            assert await cache.get(TENANT, key) is None
            assert await cache.get(OTHER, key) is not None
    finally:
        await cache.close()


async def test_ttl_overrides_apply(cache_url: str) -> None:
    upstream = ScriptedUpstream()
    cache = build_cache(cache_url)
    store = ResourceStore(upstream, cache, ttl_overrides={"students": 30})  # type: ignore[arg-type]
    try:
        with clock.installed(ManualClock(time.time())) as now:
            await store.load(TENANT, KEY)
            now.advance(29)
            await store.load(TENANT, KEY)
            assert upstream.calls == 1
            now.advance(2)
            await store.load(TENANT, KEY)
            assert upstream.calls == 2
    finally:
        await cache.close()


# --- Assembly through the same store (issue 14 item 5) ---------------------------------------

ASSEMBLY_TOKEN = Credential("store-test-assembly-token")
WITH_ASSEMBLY = Tenant(Credential("store-test-key-3"), school_code="S3", assembly=ASSEMBLY_TOKEN)
GROUPS = ResourceKey("assembly-year-groups")


class ScriptedAssembly:
    """Answers year groups with a Last-Modified; a request with If-Modified-Since gets a 304."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str] | None, str | None]] = []

    async def fetch(self, route: str, token: Credential, params: Any = None, query: Any = None, *,
                    if_modified_since: str | None = None) -> Fetched | NotModified:
        assert token is ASSEMBLY_TOKEN  # read with the Assembly token, never the school key
        self.calls.append((route, query, if_modified_since))
        if if_modified_since:
            return NotModified(if_modified_since)
        return Fetched([{"id": 1, "code": "10"}], 1, "Mon, 13 Mar 2017 20:00:00 GMT")


class BrokenCache:
    """A cache whose every operation fails (an outage)."""

    name = "broken"

    def encode(self, data: Any) -> Any:
        return data

    def __getattr__(self, name: str) -> Any:
        async def fail(*args: Any, **kwargs: Any) -> Any:
            raise ConnectionError("cache down")
        return fail


def cache_errors(name: str) -> float:
    return metrics.REGISTRY.get_sample_value("go4graph_cache_errors_total", {"backend": name}) or 0.0


async def test_assembly_routes_go_through_the_one_store_and_revalidate(cache_url: str) -> None:
    assembly = ScriptedAssembly()
    cache = build_cache(cache_url)
    store = ResourceStore(ScriptedUpstream(), cache, assembly=assembly)  # type: ignore[arg-type]
    try:
        with clock.installed(ManualClock(time.time())) as now:
            first = await store.load(WITH_ASSEMBLY, GROUPS)
            assert first.table.rows == [{"id": 1, "code": "10"}] and first.pages == 1
            assert (await store.load(WITH_ASSEMBLY, GROUPS)).pages == 0  # fresh: the cache
            now.advance(DEFAULT_TTLS["assembly-year-groups"] + 1)
            again = await store.load(WITH_ASSEMBLY, GROUPS)  # stale: If-Modified-Since, a 304
            assert again.table.rows == first.table.rows and store.revalidated == 1
            assert assembly.calls[-1][2] == "Mon, 13 Mar 2017 20:00:00 GMT"
            filtered = await store.load(WITH_ASSEMBLY, ResourceKey("assembly-year-groups", None, "10"))
            assert filtered.pages == 1 and assembly.calls[-1][1] == {"year_code": "10"}
        with pytest.raises(UpstreamUnauthorized):  # no Assembly token: refused, nothing sent
            await store.load(TENANT, GROUPS)
        assert len(assembly.calls) == 3
    finally:
        await cache.close()


async def test_assembly_cache_failures_are_counted_like_every_route() -> None:
    assembly = ScriptedAssembly()
    store = ResourceStore(ScriptedUpstream(), BrokenCache(), assembly=assembly)  # type: ignore[arg-type]
    before = cache_errors("broken")
    loaded = await store.load(WITH_ASSEMBLY, GROUPS)  # answered from Assembly all the same
    assert loaded.table.rows == [{"id": 1, "code": "10"}]
    assert cache_errors("broken") >= before + 2  # the read and the write, at least
