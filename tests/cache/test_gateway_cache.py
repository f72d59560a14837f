"""The cross-request cache seen through the gateway, on memory and on a real Redis.

A "walk" is one whole upstream resource: its first page (a request with no
cursor) and the pages after it. Counting first pages counts walks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from gateway import clock, metrics
from gateway.clock import ManualClock
from gateway.graph.base import rk
from gateway.resources.cache import NAMESPACE
from gateway.simulator import DEMO_KEY, SECOND_KEY, Simulator
from tests.cache.overlap import Overlap
from tests.cache.redis_server import RedisServer
from tests.conftest import SECRETS, Gateway

QUERY = "{ school { code name } academicYear { students { id } classes { id } } }"
SECOND = {"Authorization": f"Bearer {SECOND_KEY}"}


def walks(sim: Simulator, route: str) -> int:
    return sum(1 for r in sim.requests if r.route == route and "cursor" not in r.query)


def pages(sim: Simulator, route: str) -> int:
    return sum(1 for r in sim.requests if r.route == route)


def student_ids(data: dict[str, Any]) -> set[str]:
    assert "errors" not in data, data
    return {s["id"] for s in data["data"]["academicYear"]["students"]}


async def test_a_second_identical_query_makes_no_upstream_call(
        make_gateway: Callable[..., Gateway], cache_url: str) -> None:
    gw = make_gateway(cache_url=cache_url)
    first = await gw.gql(QUERY)
    assert walks(gw.sim, "school") == 1 and walks(gw.sim, "students") == 1
    assert walks(gw.sim, "classes") == 1 and pages(gw.sim, "classes") > 3  # cursor pages of 10
    gw.sim.reset()
    second = await gw.gql(QUERY)
    assert second == first
    assert gw.sim.requests == []


async def test_two_tenants_at_once_each_get_their_own_school(
        make_gateway: Callable[..., Gateway], cache_url: str) -> None:
    gw = make_gateway(cache_url=cache_url)
    sim = gw.sim
    demo, second = sim.school_for(DEMO_KEY), sim.school_for(SECOND_KEY)
    Overlap([gw.services.store], 10)  # the cold round's walks wait until all ten have asked
    for _ in range(2):  # cold (both walk at once), then warm (both from the cache)
        answers = await asyncio.gather(*(gw.gql(QUERY, headers=SECOND if i % 2 else None)
                                         for i in range(10)))
        for i, data in enumerate(answers):
            school = second if i % 2 else demo
            assert data["data"]["school"] == {"code": school.code, "name": school.name}
        a, b = student_ids(answers[0]), student_ids(answers[1])
        assert len(a) == 240 and len(b) == 60
    assert walks(sim, "students") == 2  # one per school, over both rounds
    assert {r.school for r in sim.requests} == {demo.code, second.code}


async def test_fifty_concurrent_cold_queries_cause_one_walk(
        make_gateway: Callable[..., Gateway], cache_url: str) -> None:
    gw = make_gateway(cache_url=cache_url)
    overlap = Overlap([gw.services.store], 50)  # no walk ends before all fifty have missed
    answers = await asyncio.gather(*(gw.gql(QUERY) for _ in range(50)))
    assert overlap.arrived["students"] == 50
    assert all(a == answers[0] for a in answers)
    assert len(student_ids(answers[0])) == 240
    assert walks(gw.sim, "students") == 1 and walks(gw.sim, "school") == 1
    assert walks(gw.sim, "classes") == 1 and pages(gw.sim, "classes") > 3
    assert_no_page_twice(gw.sim)


def assert_no_page_twice(sim: Simulator) -> None:
    seen = [(r.route, r.school, r.query.get("cursor")) for r in sim.requests]
    assert len(seen) == len(set(seen))


@pytest.mark.redis
async def test_replicas_sharing_redis_do_not_stampede(
        make_gateway: Callable[..., Gateway], redis_server: RedisServer) -> None:
    redis_server.flush()
    replicas = [make_gateway(cache_url=redis_server.url) for _ in range(3)]
    Overlap([r.services.store for r in replicas], 30)  # every replica has missed before a walk ends
    answers = await asyncio.gather(*(replicas[i % 3].gql(QUERY) for i in range(30)))
    assert all(a == answers[0] for a in answers)
    assert walks(replicas[0].sim, "students") == 1
    assert walks(replicas[0].sim, "school") == 1
    assert walks(replicas[0].sim, "classes") == 1
    assert_no_page_twice(replicas[0].sim)


async def test_ttl_expiry_causes_a_refetch(make_gateway: Callable[..., Gateway], cache_url: str) -> None:
    # The gateway's clock, not the machine's, decides expiry (Redis's own TTL only reclaims).
    with clock.installed(ManualClock(time.time())) as now:
        gw = make_gateway(cache_url=cache_url, cache_ttls={"students": 10})
        await gw.gql(QUERY)
        now.advance(9.9)
        await gw.gql(QUERY)
        assert walks(gw.sim, "students") == 1
        now.advance(0.2)
        data = await gw.gql(QUERY)
        assert len(student_ids(data)) == 240
        assert walks(gw.sim, "students") == 2
        assert walks(gw.sim, "school") == 1  # six hours by default: still cached


async def test_a_ttl_of_zero_never_caches(make_gateway: Callable[..., Gateway], cache_url: str) -> None:
    gw = make_gateway(cache_url=cache_url, cache_ttls={"students": 0})
    await gw.gql(QUERY)
    await gw.gql(QUERY)
    assert walks(gw.sim, "students") == 2


async def test_no_cache_asks_for_fresh_data_through_single_flight(
        make_gateway: Callable[..., Gateway], cache_url: str) -> None:
    gw = make_gateway(cache_url=cache_url)
    await gw.gql(QUERY)
    gw.sim.reset()
    fresh = {"Cache-Control": "no-cache"}
    # Each walk is held until all twenty have asked for its resource: they certainly overlap.
    overlap = Overlap([gw.services.store], 20)
    answers = await asyncio.gather(*(gw.gql(QUERY, headers=fresh) for _ in range(20)))
    assert all(len(student_ids(a)) == 240 for a in answers)
    assert overlap.arrived["students"] == 20 and overlap.walks["students"] == 1
    assert walks(gw.sim, "students") == 1 and walks(gw.sim, "school") == 1
    gw.sim.reset()
    await gw.gql(QUERY)  # the fresh walk refilled the cache
    assert gw.sim.requests == []


async def test_a_refused_key_drops_everything_cached_for_its_school(
        make_gateway: Callable[..., Gateway], cache_url: str) -> None:
    gw = make_gateway(cache_url=cache_url)
    await gw.gql(QUERY)
    await gw.gql(QUERY, headers=SECOND)
    demo_tenant = gw.services.tenancy.resolve({}).tenants[None]
    second_tenant = gw.services.tenancy.resolve({"authorization": SECOND["Authorization"]}).tenants[None]
    school_key = rk("school")
    assert await gw.services.cache.get(demo_tenant, school_key) is not None
    gw.sim.reset()
    gw.sim.inject(401, route="students")  # the school revoked the key
    refused = await gw.gql(QUERY, headers={"Cache-Control": "no-cache"})
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await gw.services.cache.get(demo_tenant, school_key) is None
    assert await gw.services.cache.get(second_tenant, school_key) is not None
    gw.sim.reset()
    await gw.gql("{ school { code } }")
    assert walks(gw.sim, "school") == 1  # nothing of the school was left to answer from


@pytest.mark.redis
async def test_no_redis_key_or_value_holds_a_key_or_token(
        make_gateway: Callable[..., Gateway], redis_server: RedisServer) -> None:
    redis_server.flush()
    gw = make_gateway(cache_url=redis_server.url)
    query = """{ school { code } academicYear { students { id } groups { id } teachers { id } } }"""
    await gw.gql(query)
    await gw.gql(query, headers=SECOND)
    stored = redis_server.dump()
    assert len(stored) >= 8
    for key, value in stored.items():
        assert key.startswith(f"{NAMESPACE}:".encode())
        for secret in SECRETS:
            assert secret.encode() not in key
            assert secret.encode() not in value


async def test_cache_events_are_counted(make_gateway: Callable[..., Gateway], cache_url: str) -> None:
    def count(result: str) -> float:
        return metrics.REGISTRY.get_sample_value(
            "go4graph_cache_total", {"kind": "students", "result": result}) or 0.0

    gw = make_gateway(cache_url=cache_url)
    hits, misses = count("hit"), count("miss")
    await gw.gql(QUERY)
    await gw.gql(QUERY)
    assert count("miss") == misses + 1
    assert count("hit") == hits + 1


@pytest.mark.parametrize("header", ["no-cache", "max-age=0, no-cache"])
async def test_fresh_header_spellings(make_gateway: Callable[..., Gateway], header: str) -> None:
    gw = make_gateway()
    await gw.gql(QUERY)
    await gw.gql(QUERY, headers={"Cache-Control": header})
    assert walks(gw.sim, "students") == 2
