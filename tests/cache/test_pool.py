"""More concurrent cache operations than the Redis pool has connections wait their turn.

redis-py's default pool raises ``MaxConnectionsError`` once 100 connections are in use; a
10-minute soak at 64 clients hit it (each request reads several resources at once), and each
one counted as a Redis outage: the replica served from the upstream for the back-off window.
"""

from __future__ import annotations

import asyncio

import pytest

from gateway.resources import cache as cache_module
from gateway.resources.cache import RedisResourceCache
from tests.cache.redis_server import RedisServer
from tests.cache.test_races import KEY, TENANT, put, version_of

pytestmark = pytest.mark.redis


async def test_more_reads_than_connections_wait_instead_of_failing(
        redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:
    redis_server.flush()
    monkeypatch.setattr(cache_module, "REDIS_POOL_SIZE", 2)
    cache = RedisResourceCache(redis_server.url, timeout=5.0)
    try:
        await put(cache, 1)
        cache._local.clear()  # every read goes to Redis
        assert cache._client.connection_pool.max_connections == 2
        reads = await asyncio.gather(*(cache.get(TENANT, KEY) for _ in range(40)))
        assert [version_of(r) for r in reads] == [1] * 40
        assert not cache._down
    finally:
        await cache.close()
