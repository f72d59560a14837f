"""The ResourceCache contract, one test class run against every backend (memory and a real Redis).

For Redis, values are read back through a second cache instance (another
replica) so that the encode → Redis → decode → normalise path is exercised,
not the process-local copy.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from gateway import clock
from gateway.clock import ManualClock
from gateway.resources.cache import (
    NAMESPACE,
    CacheUnavailable,
    MemoryResourceCache,
    RedisResourceCache,
    ResourceCache,
    build_cache,
    cache_key,
)
from gateway.resources.keys import ResourceKey
from gateway.resources.normalise import normalise
from gateway.resources.tenant import Tenant
from gateway.shared.secrets import Credential
from tests.cache.redis_server import RedisServer, two_views

KEY_A = "contract-test-key-aaaa"
KEY_B = "contract-test-key-bbbb"
STUDENTS = ResourceKey("students", 2027)
CODES = ResourceKey("attendance-codes", 2027)


def tenant(secret: str = KEY_A, code: str | None = None) -> Tenant:
    return Tenant(Credential(secret), school_code=code)


def students(n: int, tag: str = "") -> list[dict[str, object]]:
    return [{"id": i, "legal_first_name": f"Pupil{tag}{i}", "upn": f"A{i:012d}"} for i in range(n)]


@dataclass
class Backend:
    name: str
    cache: ResourceCache
    other: ResourceCache  # another replica's view (the same object for the in-process cache)
    server: RedisServer | None

    async def put(self, t: Tenant, key: ResourceKey, data: object, ttl: float = 60.0) -> None:
        blob = self.cache.encode(copy.deepcopy(data))
        await self.cache.set(t, key, blob, normalise(key.route, copy.deepcopy(data)), ttl)


@pytest.fixture
async def backend(cache_url: str, request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    async with two_views(cache_url, request) as (cache, other, server):
        yield Backend(cache.name, cache, other, server)


class TestResourceCacheContract:
    async def test_empty_cache_misses(self, backend: Backend) -> None:
        assert await backend.cache.get(tenant(), STUDENTS) is None

    async def test_round_trip_gives_the_normalised_table(self, backend: Backend) -> None:
        data = students(5)
        await backend.put(tenant(), STUDENTS, data)
        table = await backend.other.get(tenant(), STUDENTS)
        assert table is not None
        assert table.rows == data
        assert table.unique("id")[3]["legal_first_name"] == "Pupil3"

    async def test_data_is_stored_as_fetched_even_if_normalising_rewrites_it(self, backend: Backend) -> None:
        # The attendance-codes normaliser rewrites each code's aliases in place.
        raw = [{"id": 7, "code": "/", "aliases": [{"id": 70, "alias_code": "P1", "alias_label": "Present"}]}]
        blob = backend.cache.encode(raw)
        table = normalise("attendance-codes", raw)  # mutates raw after it was encoded
        await backend.cache.set(tenant(), CODES, blob, table, 60.0)
        read = await backend.other.get(tenant(), CODES)
        assert read is not None
        assert read.rows[0]["aliases"] == [{"id": 70, "code": "P1", "label": "Present", "mark_id": 7}]
        assert read.meta["aliases"].rows == read.rows[0]["aliases"]

    async def test_large_values_round_trip(self, backend: Backend) -> None:
        data = students(3000)
        await backend.put(tenant(), STUDENTS, data)
        table = await backend.other.get(tenant(), STUDENTS)
        assert table is not None and table.rows == data
        if backend.server is not None:  # stored compressed: far smaller than its JSON
            (value,) = [v for k, v in _raw_values(backend.server).items()
                        if k.decode() == cache_key(tenant(), STUDENTS)]
            assert len(value) < 60_000

    async def test_tenants_never_see_each_others_values(self, backend: Backend) -> None:
        a, b, a_other_school = tenant(KEY_A), tenant(KEY_B), tenant(KEY_A, "OTHER")
        await backend.put(a, STUDENTS, students(3, "A"))
        await backend.put(b, STUDENTS, students(4, "B"))
        got_a = await backend.other.get(a, STUDENTS)
        got_b = await backend.other.get(b, STUDENTS)
        assert got_a is not None and got_b is not None
        assert [r["legal_first_name"] for r in got_a.rows] == ["PupilA0", "PupilA1", "PupilA2"]
        assert len(got_b.rows) == 4 and got_b.rows[0]["legal_first_name"] == "PupilB0"
        assert await backend.other.get(a_other_school, STUDENTS) is None
        assert len({cache_key(t, STUDENTS) for t in (a, b, a_other_school)}) == 3

    async def test_a_value_expires_after_its_ttl(self, backend: Backend) -> None:
        # Expiry is the gateway's decision, by its clock: Redis's own TTL (real time) only
        # reclaims the memory, so the clock is advanced instead of waiting.
        with clock.installed(ManualClock(time.time())) as now:
            await backend.put(tenant(), STUDENTS, students(2), ttl=30)
            assert await backend.other.get(tenant(), STUDENTS) is not None
            assert await backend.cache.get(tenant(), STUDENTS) is not None  # a local copy too
            now.advance(29)
            assert await backend.other.get(tenant(), STUDENTS) is not None
            now.advance(1.5)
            assert await backend.cache.get(tenant(), STUDENTS) is None
            assert await backend.other.get(tenant(), STUDENTS) is None

    async def test_ttl_zero_is_never_stored(self, backend: Backend) -> None:
        await backend.put(tenant(), STUDENTS, students(2), ttl=0)
        assert await backend.other.get(tenant(), STUDENTS) is None

    async def test_a_rewritten_value_is_seen_by_every_replica(self, backend: Backend) -> None:
        await backend.put(tenant(), STUDENTS, students(2))
        first = await backend.other.get(tenant(), STUDENTS)
        assert first is not None and len(first.rows) == 2
        await backend.put(tenant(), STUDENTS, students(5))
        second = await backend.other.get(tenant(), STUDENTS)
        assert second is not None and len(second.rows) == 5
        again = await backend.other.get(tenant(), STUDENTS)
        assert again is second  # an unchanged value is not parsed again

    async def test_delete_drops_one_key(self, backend: Backend) -> None:
        other_key = ResourceKey("students", 2026)
        await backend.put(tenant(), STUDENTS, students(2))
        await backend.put(tenant(), other_key, students(1))
        await backend.other.get(tenant(), STUDENTS)  # held locally by the other replica too
        await backend.cache.delete(tenant(), STUDENTS)
        assert await backend.other.get(tenant(), STUDENTS) is None
        assert await backend.other.get(tenant(), other_key) is not None

    async def test_purge_drops_everything_of_one_tenant_only(self, backend: Backend) -> None:
        a, b = tenant(KEY_A), tenant(KEY_B)
        for key in (STUDENTS, ResourceKey("students", 2026), ResourceKey("school")):
            await backend.put(a, key, students(2))
            await backend.put(b, key, students(2))
        await backend.other.get(a, STUDENTS)
        assert await backend.cache.purge(a) == 3
        for key in (STUDENTS, ResourceKey("students", 2026), ResourceKey("school")):
            assert await backend.other.get(a, key) is None
            assert await backend.other.get(b, key) is not None

    async def test_purging_a_tenant_that_never_cached_anything_is_free(self, backend: Backend) -> None:
        await backend.put(tenant(KEY_B), STUDENTS, students(2))
        scans = _scans(backend.server)
        for i in range(20):  # e.g. a stream of bad keys in passthrough mode
            assert await backend.cache.purge(tenant(f"bad-key-{i}")) == 0
        assert _scans(backend.server) == scans
        assert await backend.other.get(tenant(KEY_B), STUDENTS) is not None
        assert await backend.cache.purge(tenant(KEY_B)) == 1
        assert _scans(backend.server) > scans or backend.server is None
        assert await backend.cache.purge(tenant(KEY_B)) == 0  # its marker went with it

    async def test_walk_lock(self, backend: Backend) -> None:
        token = await backend.cache.lock(tenant(), STUDENTS, 5.0)
        assert token
        second = await backend.other.lock(tenant(), STUDENTS, 5.0)
        if backend.name == "memory":
            assert second  # one process: single-flight, not a lock, holds the walk
            return
        assert second is None  # another replica waits
        assert await backend.other.lock(tenant(KEY_B), STUDENTS, 5.0)  # per tenant
        await backend.other.unlock(tenant(), STUDENTS, "not-the-token")  # not the holder: kept
        assert await backend.other.lock(tenant(), STUDENTS, 5.0) is None
        await backend.cache.unlock(tenant(), STUDENTS, token)
        assert await backend.other.lock(tenant(), STUDENTS, 5.0)

    async def test_walk_lock_expires(self, backend: Backend) -> None:
        # The lock carries its expiry instant: another replica takes it over by the clock.
        with clock.installed(ManualClock(time.time())) as now:
            assert await backend.cache.lock(tenant(), STUDENTS, 10.0)
            now.advance(9.5)
            if backend.name != "memory":  # one process: single-flight holds the walk instead
                assert await backend.other.lock(tenant(), STUDENTS, 5.0) is None
            now.advance(1)
            assert await backend.other.lock(tenant(), STUDENTS, 5.0)

    async def test_ping(self, backend: Backend) -> None:
        assert await backend.cache.ping() is True

    async def test_no_key_or_value_holds_a_credential(self, backend: Backend) -> None:
        await backend.put(tenant(KEY_A, "S1"), STUDENTS, students(40))
        await backend.put(tenant(KEY_B), STUDENTS, students(3))
        await backend.cache.lock(tenant(KEY_A), STUDENTS, 5.0)
        if backend.server is None:
            keys = backend.cache.keys()  # type: ignore[attr-defined]
            values = [b""]
        else:
            stored = backend.server.dump()
            keys = [k.decode() for k in stored]
            values = list(stored.values())
        assert len(keys) >= 2
        for k in keys:
            assert k.startswith(NAMESPACE + ":")
            for secret in (KEY_A, KEY_B):
                assert secret not in k
        for v in values:
            for secret in (KEY_A, KEY_B):
                assert secret.encode() not in v


def _scans(server: RedisServer | None) -> int:
    """SCAN commands the Redis server has run (0 for the in-process cache)."""
    if server is None:
        return 0
    for line in server.command("INFO", "commandstats").decode().splitlines():
        if line.startswith("cmdstat_scan:"):
            return int(line.split("calls=")[1].split(",")[0])
    return 0


def _raw_values(server: RedisServer) -> dict[bytes, bytes]:
    import redis

    client = redis.Redis(host="127.0.0.1", port=server.port)
    try:
        return {k: client.get(k) or b"" for k in client.scan_iter()}
    finally:
        client.close()


@pytest.mark.redis
async def test_a_dead_redis_fails_fast_then_backs_off(own_redis: RedisServer) -> None:
    cache = RedisResourceCache(own_redis.url, timeout=0.5, retry_after=0.3)
    try:
        await cache.set(tenant(), STUDENTS, cache.encode(students(2)), normalise("students", students(2)), 60)
        own_redis.stop()
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(CacheUnavailable):
            await cache.get(tenant(), STUDENTS)
        with pytest.raises(CacheUnavailable):  # backing off: refused without a round trip
            await cache.get(tenant(), STUDENTS)
        assert loop.time() - started < 1.0
        assert await cache.ping() is False
    finally:
        await cache.close()


def test_build_cache_picks_the_backend() -> None:
    assert isinstance(build_cache("memory://"), MemoryResourceCache)
    assert isinstance(build_cache("redis://127.0.0.1:1/3"), RedisResourceCache)
    with pytest.raises(ValueError):
        build_cache("memcached://x")
