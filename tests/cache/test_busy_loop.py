"""A Redis call's deadline missed by this process's own busy event loop is not a Redis failure.

Under CPU load a long synchronous stretch of another request's work (a big answer being
built) can hold the event loop past a Redis call's deadline while Redis's answer waits
unread: a soak at 32 clients on a loaded machine logged ~30 'redis cache unreachable'
warnings in two minutes, each a wait_for timer that ran 0.25-2.6 s late, every one of them
marking a healthy Redis down for the back-off (every request then walked the upstream,
adding to the load). Here the loop is held by ``time.sleep`` longer than the timeout; a
Redis that really does not answer (``CLIENT PAUSE``) on a free loop still fails at its
deadline.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from gateway.resources.cache import CacheUnavailable, RedisResourceCache
from tests.cache.redis_server import RedisServer
from tests.cache.test_races import KEY, TENANT, put, version_of

pytestmark = pytest.mark.redis


async def test_a_deadline_missed_by_a_held_loop_is_not_a_redis_failure(
        redis_server: RedisServer) -> None:
    redis_server.flush()
    writer = RedisResourceCache(redis_server.url, timeout=0.2)
    await put(writer, 1)
    await writer.close()
    cache = RedisResourceCache(redis_server.url, timeout=0.2)  # no connection open yet
    try:
        # Thirty requests read at once (each opening its connection: several round trips)
        # while other requests' work holds the loop three times for 0.3 s, longer than the
        # timeout, between its awaits.
        stop = asyncio.Event()

        async def busy() -> None:
            for _ in range(3):
                if stop.is_set():
                    break
                time.sleep(0.3)  # noqa: ASYNC251 - holding the loop is the point
                await asyncio.sleep(0)

        hog = asyncio.ensure_future(busy())
        try:
            reads = await asyncio.gather(*(cache.get(TENANT, KEY) for _ in range(30)))
        finally:
            stop.set()
            await hog
        assert [version_of(r) for r in reads] == [1] * 30
        assert not cache._down
    finally:
        await cache.close()


async def test_a_redis_that_does_not_answer_still_fails_at_its_deadline(
        own_redis: RedisServer) -> None:
    cache = RedisResourceCache(own_redis.url, timeout=0.2)
    try:
        await put(cache, 1)
        assert own_redis.command("CLIENT", "PAUSE", "3000").startswith(b"+OK")
        started = time.monotonic()
        with pytest.raises(CacheUnavailable):
            await cache.get(TENANT, KEY)
        assert time.monotonic() - started < 2.5  # at its deadline, not after the pause
        assert cache._down
    finally:
        await cache.close()
