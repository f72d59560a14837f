"""Idempotent register saves (issue 13): the same key twice posts once, in one process and across two."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.audit import MemoryAuditSink
from gateway.graph.idempotency import IdempotencyStore
from gateway.settings import load_settings
from gateway.simulator import Simulator
from tests.cache.redis_server import RedisServer
from tests.conftest import Gateway
from tests.writes.support import MANY, TODAY, Facts, facts, records, row, writer

__all__ = ["facts", "writer"]


def _rows(facts: Facts, n: int = 3) -> list[dict[str, Any]]:
    return [row(facts, i, date=facts.open_days[TODAY - 1], code="/" if i % 2 else "L") for i in range(n)]


async def test_the_same_key_twice_posts_once(writer: Any, facts: Facts, cache_url: str) -> None:
    gw = writer(cache_url=cache_url)  # on memory and on a real Redis
    variables = {"inputs": _rows(facts), "key": "8d5bfb4e-9a3f-4c1e-b1a0-000000000001"}
    first = await gw.gql(MANY, variables)
    assert "errors" not in first, first
    assert gw.sim.counts["record-session-mark"] == 3
    again = await gw.gql(MANY, variables)
    assert again == first  # the first outcome, mark by mark
    assert gw.sim.counts["record-session-mark"] == 3  # and nothing posted again
    assert records(gw)[-1]["outcome"] == "replayed"
    assert "8d5bfb4e" not in str(records(gw))  # the key itself is kept only as a keyed hash
    other = await gw.gql(MANY, {**variables, "key": "another-save"})
    assert "errors" not in other and gw.sim.counts["record-session-mark"] == 6


async def test_a_key_reused_for_other_rows_is_refused(writer: Any, facts: Facts) -> None:
    gw = writer()
    await gw.gql(MANY, {"inputs": _rows(facts), "key": "k1"})
    data = await gw.gql(MANY, {"inputs": _rows(facts, 4), "key": "k1"})
    assert data["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "different save" in data["errors"][0]["message"]
    assert gw.sim.counts["record-session-mark"] == 3
    bad = await gw.gql(MANY, {"inputs": _rows(facts), "key": "has spaces"})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_unknown_outcome_is_replayed_not_retried(writer: Any, facts: Facts) -> None:
    gw = writer()
    gw.sim.inject_post("reset")  # saved, then the connection drops: the outcome is unknown
    variables = {"inputs": _rows(facts, 1), "key": "k-unknown"}
    first = await gw.gql(MANY, variables)
    [result] = first["data"]["recordSessionAttendances"]
    assert result["error"]["outcomeUnknown"] is True
    again = await gw.gql(MANY, variables)
    assert again == first and gw.sim.counts["record-session-mark"] == 1


class _Gate:
    """An ASGI wrapper of the simulator that holds every POST until released."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.posting = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            self.posting.set()
            await self.release.wait()
        await self.app(scope, receive, send)


def _replica(sim: Simulator, gate: _Gate, facts: Facts, **overrides: Any) -> Gateway:
    settings = load_settings(write_window_days=10, **overrides)
    app = create_app(settings, transport=httpx.ASGITransport(app=gate), simulator=sim)
    gw = Gateway(app, httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway"), sim)
    gw.services.extras["today"] = lambda: facts.today
    gw.services.audit = MemoryAuditSink()
    return gw


async def test_a_concurrent_repeat_in_one_process_waits_for_the_first(fresh_sim: Simulator, facts: Facts) -> None:
    gate = _Gate(fresh_sim.app)
    gw = _replica(fresh_sim, gate, facts)
    try:
        variables = {"inputs": _rows(facts, 1), "key": "double-click"}
        first = asyncio.create_task(gw.gql(MANY, variables))
        await asyncio.wait_for(gate.posting.wait(), 30)  # the first save is posting
        second = asyncio.create_task(gw.gql(MANY, variables))
        store = IdempotencyStore.of(gw.services)
        for _ in range(10_000):
            if store.waiting:
                break
            await asyncio.sleep(0)
        assert store.waiting == 1  # the repeat is waiting for the first: certain overlap
        gate.release.set()
        a, b = await first, await second
        assert a == b and "errors" not in a
        assert fresh_sim.counts["record-session-mark"] == 1
    finally:
        await gw.client.aclose()
        await gw.services.aclose()


@pytest.mark.redis
async def test_two_gateways_over_one_redis_post_once(fresh_sim: Simulator, facts: Facts,
                                                     redis_server: RedisServer) -> None:
    redis_server.flush()
    gate = _Gate(fresh_sim.app)
    one = _replica(fresh_sim, gate, facts, cache_url=redis_server.url)
    two = _replica(fresh_sim, gate, facts, cache_url=redis_server.url)
    try:
        # A repeat on the other replica while the first is still posting: it waits, then answers it.
        variables = {"inputs": _rows(facts, 2), "key": "register-7B-am"}
        first = asyncio.create_task(one.gql(MANY, variables))
        await asyncio.wait_for(gate.posting.wait(), 30)
        polled = asyncio.Event()
        store = IdempotencyStore.of(two.services)

        async def watched(seconds: float) -> None:
            polled.set()
            await asyncio.sleep(0)

        store.sleep = watched
        second = asyncio.create_task(two.gql(MANY, variables))
        await asyncio.wait_for(polled.wait(), 30)  # replica two found the key claimed by replica one
        gate.release.set()
        a, b = await first, await second
        assert "errors" not in a and a == b
        assert fresh_sim.counts["record-session-mark"] == 2
        assert records(two)[-1]["outcome"] == "replayed"
        # And a later repeat on either replica posts nothing either.
        assert await two.gql(MANY, variables) == a
        assert await one.gql(MANY, variables) == a
        assert fresh_sim.counts["record-session-mark"] == 2
    finally:
        for gw in (one, two):
            await gw.client.aclose()
            await gw.services.aclose()
