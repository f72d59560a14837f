"""Every upstream wait inside the request's budget, every request sent charged to it, and a
shared walk that one request's deadline, cancellation or allowance cannot spoil for the others."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.resources.cache import MemoryResourceCache
from gateway.resources.keys import key as rk
from gateway.resources.store import ResourceStore
from gateway.resources.tenant import Tenant
from gateway.shared.secrets import Credential
from gateway.simulator import DEMO_KEY, Simulator
from gateway.upstream import budget
from gateway.upstream.budget import RequestBudget
from gateway.upstream.caller import CallPolicy
from gateway.upstream.errors import (
    UpstreamLimitExceeded,
    UpstreamRateLimited,
    UpstreamServerError,
    UpstreamUnavailable,
)
from gateway.upstream.http import UpstreamConfig, Upstreams
from tests.conftest import LiveServer
from tests.simdata import current_year, upstream

KEY = Credential(DEMO_KEY)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _upstreams(url: str, *, retries: int = 3, backoff: float = 0.01, backoff_max: float = 60.0,
               timeout: float = 5.0, transport: Any = None) -> Upstreams:
    return Upstreams(UpstreamConfig(go4schools_url=url, timeout=timeout, policy=CallPolicy(
        retries=retries, backoff=backoff, backoff_max=backoff_max, circuit_failures=100,
        circuit_reset=30)), transport)


@pytest.fixture
async def ups(live_sim: LiveServer, fresh_sim: Simulator) -> AsyncIterator[Upstreams]:
    made = _upstreams(live_sim.url + "/customer/v1")
    yield made
    await made.aclose()


async def test_every_request_sent_is_charged_retries_included(ups: Upstreams,
                                                              fresh_sim: Simulator) -> None:
    fresh_sim.inject(500, times=2, route="school")
    spent = RequestBudget(timeout=30, max_calls=10)
    with budget.bound(spent):
        await ups.go4schools.fetch("school", KEY)
    assert fresh_sim.counts["school"] == 3
    assert spent.calls == 3


async def test_the_upstream_call_allowance_refuses_before_sending(ups: Upstreams,
                                                                  fresh_sim: Simulator) -> None:
    spent = RequestBudget(timeout=30, max_calls=1)
    with budget.bound(spent):
        await ups.go4schools.fetch("school", KEY)
        with pytest.raises(UpstreamLimitExceeded) as info:
            await ups.go4schools.fetch("school", KEY)
    assert (info.value.limit, info.value.value, info.value.max) == ("upstreamCalls", 2, 1)
    assert fresh_sim.counts["school"] == 1


async def test_a_retry_after_beyond_the_deadline_is_answered_at_once(ups: Upstreams,
                                                                     fresh_sim: Simulator) -> None:
    # backoff_max is 60 s here: only the request's deadline (10 s) stops the 20 s wait.
    fresh_sim.inject(429, times=5, route="school", retry_after=20)
    with budget.bound(RequestBudget(timeout=10)), pytest.raises(UpstreamRateLimited) as info:
        await ups.go4schools.fetch("school", KEY)
    assert info.value.retry_after == 20
    assert fresh_sim.counts["school"] == 1  # not retried, not waited for


async def test_without_a_budget_the_bound_is_timeout_times_retries(live_sim: LiveServer,
                                                                   fresh_sim: Simulator) -> None:
    made = _upstreams(live_sim.url + "/customer/v1", timeout=1.0, retries=2)  # bound: 2 s
    try:
        fresh_sim.inject(429, times=5, route="school", retry_after=3)
        with pytest.raises(UpstreamRateLimited) as info:
            await made.go4schools.fetch("school", KEY)
        assert info.value.retry_after == 3
        assert fresh_sim.counts["school"] == 1
    finally:
        await made.aclose()


async def test_a_backoff_that_does_not_fit_the_deadline_is_not_taken(ups: Upstreams,
                                                                     fresh_sim: Simulator) -> None:
    clock = FakeClock()
    spent = RequestBudget(timeout=0.015, clock=clock)  # less than the first backoff's longest wait
    fresh_sim.inject(500, times=5, route="school")
    with budget.bound(spent), pytest.raises(UpstreamServerError):
        await ups.go4schools.fetch("school", KEY)
    assert fresh_sim.counts["school"] == 1
    assert spent.calls == 1


async def test_a_spent_deadline_refuses_before_sending(ups: Upstreams, fresh_sim: Simulator) -> None:
    clock = FakeClock()
    spent = RequestBudget(timeout=5, clock=clock)
    clock.now += 6
    with budget.bound(spent), pytest.raises(UpstreamLimitExceeded) as info:
        await ups.go4schools.fetch("school", KEY)
    assert info.value.limit == "deadline"
    assert fresh_sim.counts["school"] == 0


async def test_a_timeout_cut_by_the_deadline_is_the_requests_not_the_upstreams(
        live_sim: LiveServer, fresh_sim: Simulator) -> None:
    made = _upstreams(live_sim.url + "/customer/v1", timeout=5.0)
    try:
        fresh_sim.inject_fault("delay", delay=2.0, route="school", times=10)
        with budget.bound(RequestBudget(timeout=0.2)), pytest.raises(UpstreamLimitExceeded) as info:
            await made.go4schools.fetch("school", KEY)
        assert info.value.limit == "deadline"
        assert fresh_sim.counts["school"] == 1
        # Our own deadline is not the upstream failing: the circuit counted nothing.
        assert made.go4schools._caller.circuit(KEY.fingerprint)._count == 0
    finally:
        fresh_sim.clear_faults()
        await made.aclose()


# --- a walk shared by several requests -------------------------------------------------------

class Held:
    """ASGI wrapper: while ``hold`` is set, each request waits at the door for ``release``."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.hold = True
        self.release = asyncio.Event()
        self.arrival = asyncio.Event()
        self.count = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.count += 1
            self.arrival.set()
            if self.hold:
                await self.release.wait()
        await self.app(scope, receive, send)

    async def wait_for(self, count: int) -> None:
        while self.count < count:
            self.arrival.clear()
            await self.arrival.wait()


async def _store(sim: Simulator) -> tuple[ResourceStore, Held, Upstreams]:
    held = Held(sim.app)
    made = _upstreams("http://sim/customer/v1", transport=httpx.ASGITransport(app=held))
    return ResourceStore(made.go4schools, MemoryResourceCache()), held, made


async def _joined(store: ResourceStore, tenant: Tenant, key: Any, task: asyncio.Task[Any]) -> None:
    """Wait until ``task`` is waiting on the flight (its cache miss is behind it)."""
    while not (store._flight.in_flight((tenant.id, key)) and store._flight.waiting((tenant.id, key))):
        assert not task.done()
        await asyncio.sleep(0)


async def test_the_leaders_allowance_running_out_does_not_fail_the_followers(
        fresh_sim: Simulator) -> None:
    year = await current_year(fresh_sim)
    expected, pages = await upstream(fresh_sim, "classes", academicYear=year)
    assert pages > 1
    store, held, made = await _store(fresh_sim)
    tenant, key = Tenant(KEY), rk("classes", year)
    try:
        async def load(allowance: int) -> Any:
            with budget.bound(RequestBudget(timeout=30, max_calls=allowance)):
                return await store.load(tenant, key)

        leader = asyncio.create_task(load(1))  # enough for the first page only
        await held.wait_for(1)
        follower = asyncio.create_task(load(100))
        await _joined(store, tenant, key, follower)
        held.hold = False
        held.release.set()
        with pytest.raises(UpstreamLimitExceeded):
            await leader
        loaded = await follower  # walked again, under the follower's own budget
        assert len(loaded.table.rows) == len(expected)
    finally:
        await made.aclose()


async def test_the_leader_cancelled_does_not_cancel_the_followers(fresh_sim: Simulator) -> None:
    year = await current_year(fresh_sim)
    expected, _ = await upstream(fresh_sim, "subjects", academicYear=year)
    store, held, made = await _store(fresh_sim)
    tenant, key = Tenant(KEY), rk("subjects", year)
    try:
        leader = asyncio.create_task(store.load(tenant, key))
        await held.wait_for(1)
        follower = asyncio.create_task(store.load(tenant, key))
        await _joined(store, tenant, key, follower)
        leader.cancel()  # the leading client went away (or its own deadline fired)
        with pytest.raises(asyncio.CancelledError):
            await leader
        await held.wait_for(2)  # the follower leads a new walk
        held.release.set()
        loaded = await follower
        assert len(loaded.table.rows) == len(expected)
        assert not follower.cancelled()
    finally:
        await made.aclose()


async def test_an_upstream_error_is_still_shared_by_the_followers(fresh_sim: Simulator) -> None:
    year = await current_year(fresh_sim)
    store, held, made = await _store(fresh_sim)
    tenant, key = Tenant(KEY), rk("subjects", year)
    fresh_sim.reset()
    fresh_sim.inject(503, times=100, route="subjects")
    try:
        leader = asyncio.create_task(store.load(tenant, key))
        await held.wait_for(1)
        follower = asyncio.create_task(store.load(tenant, key))
        await _joined(store, tenant, key, follower)
        held.hold = False
        held.release.set()
        for task in (leader, follower):
            with pytest.raises((UpstreamServerError, UpstreamUnavailable)):
                await task
        assert fresh_sim.counts["subjects"] == 4  # one walk (3 retries), not one per request
    finally:
        fresh_sim.clear_faults()
        await made.aclose()


# --- waiting for another replica's walk ------------------------------------------------------

class StalledUpstream:
    """A resource walk that stalls until ``release``; ``entered`` is set once it has begun."""

    def __init__(self) -> None:
        self.calls = 0
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def fetch(self, route: str, credential: Credential, params: dict[str, Any]) -> Any:
        from gateway.upstream.go4schools import Fetched

        self.calls += 1
        self.entered.set()
        await self.release.wait()
        return Fetched([{"id": 1}], 1)


@pytest.mark.redis
async def test_waiting_for_another_replicas_walk_stops_at_the_deadline(redis_server: Any) -> None:
    from gateway.resources.cache import build_cache

    redis_server.flush()
    upstream = StalledUpstream()
    caches = [build_cache(redis_server.url), build_cache(redis_server.url)]
    a, b = (ResourceStore(upstream, cache, lock_timeout=30) for cache in caches)  # type: ignore[arg-type]
    tenant, key = Tenant(KEY), rk("students", 2027)
    try:
        holder = asyncio.create_task(a.load(tenant, key))
        await upstream.entered.wait()  # replica a holds the walk lock
        with budget.bound(RequestBudget(timeout=0.3)), pytest.raises(UpstreamLimitExceeded) as info:
            await b.load(tenant, key)  # would wait the 30 s lock; the request has 0.3 s
        assert info.value.limit == "deadline"
        assert upstream.calls == 1  # b did not walk it too
        upstream.release.set()
        await holder
    finally:
        upstream.release.set()
        for cache in caches:
            await cache.close()


# --- budgets bound inside budgets ------------------------------------------------------------

def test_a_budget_bound_inside_another_is_held_to_it() -> None:
    clock = FakeClock()
    outer = RequestBudget(timeout=5, max_calls=2, clock=clock)
    inner = RequestBudget(timeout=30, max_calls=100, clock=clock)
    with budget.bound(outer), budget.bound(inner):
        assert budget.current() is inner and inner.parent is outer
        assert inner.remaining() == 5  # the smaller of the two
        inner.charge("school")
        inner.charge("school")
        assert (inner.calls, outer.calls) == (2, 2)  # counted in both
        with pytest.raises(UpstreamLimitExceeded) as info:
            inner.charge("school")
        assert (info.value.limit, info.value.max) == ("upstreamCalls", 2)
        assert (inner.calls, outer.calls) == (2, 2)  # a refused call counts nowhere
        clock.now += 6
        with pytest.raises(UpstreamLimitExceeded) as late:
            inner.check_deadline("school")
        assert (late.value.limit, late.value.max) == ("deadline", 5)
        assert inner.binding_timeout() == 5
    with budget.bound(inner), budget.bound(inner):  # the same budget again: no cycle
        assert inner.parent is outer
    assert budget.current() is None
