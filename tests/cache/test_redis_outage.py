"""Killing Redis mid-run: queries keep answering from the upstream, with a warning and a metric;
/readyz stays 200 and lists the cache as degraded; when Redis is back the cache is used again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from gateway import clock, metrics
from gateway.clock import ManualClock
from tests.cache.redis_server import RedisServer
from tests.conftest import Gateway

pytestmark = pytest.mark.redis

QUERY = "{ school { code } academicYear { students { id } classes { id } } }"


def cache_errors() -> float:
    return metrics.REGISTRY.get_sample_value("go4graph_cache_errors_total", {"backend": "redis"}) or 0.0


def walks(gw: Gateway, route: str) -> int:
    return sum(1 for r in gw.sim.requests if r.route == route and "cursor" not in r.query)


async def test_killing_redis_mid_run_leaves_queries_answering(
        make_gateway: Callable[..., Gateway], own_redis: RedisServer,
        captured_logs: list[str]) -> None:
    # The back-off after a failure is a window of the gateway's clock: advanced, not waited for.
    with clock.installed(ManualClock(time.time())) as now:
        gw = make_gateway(cache_url=own_redis.url, cache_timeout=0.5)
        gw.services.cache.retry_after = 0.3
        warm = await gw.gql(QUERY)
        assert "errors" not in warm and len(warm["data"]["academicYear"]["students"]) == 240
        ready = await gw.client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"]["cache"] == "ok"
        gw.sim.reset()
        await gw.gql(QUERY)
        assert gw.sim.requests == []  # served from Redis

        own_redis.stop()
        errors_before, logged_before = cache_errors(), len(captured_logs)
        started = time.monotonic()
        answers = await asyncio.gather(*(gw.gql(QUERY) for _ in range(10)))
        assert time.monotonic() - started < 5
        assert all(a == warm for a in answers)  # the same answer, from the upstream
        assert walks(gw, "students") >= 1
        assert cache_errors() > errors_before
        warnings = [line for line in captured_logs[logged_before:] if "redis cache unreachable" in line]
        assert len(warnings) == 1  # one warning for the outage, not one per request

        started = time.monotonic()
        for _ in range(5):  # while backing off, a dead Redis costs nothing
            assert await gw.gql(QUERY) == warm
        assert time.monotonic() - started < 3

        ready = await gw.client.get("/readyz")
        assert ready.status_code == 200  # it still answers: out of service would be every replica at once
        assert ready.json()["checks"]["cache"] == "unreachable"
        assert ready.json()["status"] == "degraded" and ready.json()["degraded"] == ["cache"]
        assert metrics.REGISTRY.get_sample_value("go4graph_degraded", {"part": "cache"}) == 1

        own_redis.start()  # back on the same port, empty
        now.advance(0.4)  # past the back-off (retry_after 0.3)
        ready = await gw.client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"]["cache"] == "ok"
        assert ready.json()["degraded"] == []
        assert metrics.REGISTRY.get_sample_value("go4graph_degraded", {"part": "cache"}) == 0
        await gw.gql(QUERY)
        gw.sim.reset()
        assert await gw.gql(QUERY) == warm
        assert gw.sim.requests == []  # cached again


async def test_a_gateway_starts_and_answers_with_redis_down(
        make_gateway: Callable[..., Gateway], own_redis: RedisServer) -> None:
    url = own_redis.url
    own_redis.stop()
    gw = make_gateway(cache_url=url, cache_timeout=0.5)
    data = await gw.gql(QUERY)
    assert "errors" not in data
    assert len(data["data"]["academicYear"]["students"]) == 240
    ready = await gw.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded" and ready.json()["degraded"] == ["cache"]
