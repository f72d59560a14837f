"""The soak (``python -m bench.soak``), short enough for the suite, so that it cannot rot.

The same script as the long run: the gateway in its own process over real HTTP on the
simulator (20 ms before every answer), the suite's real redis-server as the cache, and
concurrent clients sending the example reads and whole-register saves for a few seconds.
Not a speed test: it asserts that nothing failed, that the gateway logged no cache warning
and counted no cache error, and that every figure of the report was measured.
"""

from __future__ import annotations

import math

import pytest

from bench.soak import MIX, Options, soak
from tests.cache.redis_server import RedisServer


@pytest.mark.redis
@pytest.mark.slow
async def test_a_short_soak_over_redis_has_no_error_and_no_cache_warning(
        redis_server: RedisServer) -> None:
    redis_server.flush()
    report = await soak(Options(seconds=8, clients=8, students=240, warmup_seconds=3,
                                redis_url=redis_server.url), say=lambda _: None)
    assert report.errors == 0, report.error_samples
    assert report.cache_warnings == 0 and report.cache_errors == 0, report.warning_samples
    assert report.requests >= report.clients
    assert set(report.by_workload) == set(MIX)
    assert report.by_workload["register-write"] > 0 and report.by_workload["register"] > 0
    assert all(not math.isnan(p) and p > 0 for p in (report.p50_ms, report.p95_ms, report.p99_ms))
    assert all(mb > 20 for mb in report.rss_mb.values()) and set(report.rss_mb) == {
        "start", "warm", "end"}
    assert report.ok
    assert any("errors 0" == line for line in report.lines())
    # The saves reached the upstream and were read back through the cache over Redis.
    assert redis_server.command("DBSIZE").startswith(b":") and redis_server.command(
        "DBSIZE") != b":0\r\n"
