"""Fairness between schools: each tenant has its own upstream slots and its own circuit breaker.

One school's failing upstream opens only that school's circuit; a circuit's half-open
state lets exactly one trial call through; one school using all of its slots does not
hold up another school's call; the per-tenant structures stay bounded.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.simulator import DEMO_KEY, SECOND_KEY, Simulator
from gateway.upstream.caller import CallPolicy, CircuitBreaker, UpstreamCaller
from gateway.upstream.errors import UpstreamServerError, UpstreamUnavailable
from tests.conftest import GatewayFactory

SCHOOL = "{ school { name } }"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class HeldUpstream:
    """A tiny ASGI upstream: /hold waits for ``release``; /fail answers 500; anything else 200.

    ``arrived[path]`` counts requests as they arrive, ``arrival`` is set on each one, so a
    test can wait for a request to be *at* the upstream instead of sleeping.
    """

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.arrival = asyncio.Event()
        self.arrived: dict[str, int] = {}
        self.fail = False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope["path"]
        self.arrived[path] = self.arrived.get(path, 0) + 1
        self.arrival.set()
        if path == "/hold":
            await self.release.wait()
        status = 500 if (path == "/fail" or self.fail) else 200
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b"{}"})

    async def wait_for(self, path: str, count: int) -> None:
        while self.arrived.get(path, 0) < count:
            self.arrival.clear()
            await self.arrival.wait()


@pytest.fixture
async def held() -> AsyncIterator[tuple[HeldUpstream, httpx.AsyncClient]]:
    upstream = HeldUpstream()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=upstream), base_url="http://up")
    yield upstream, client
    upstream.release.set()
    await client.aclose()


def _caller(client: httpx.AsyncClient, *, clock: FakeClock | None = None, tenant_concurrency: int = 2,
            concurrency: int = 8, max_tenants: int = 100, failures: int = 2) -> UpstreamCaller:
    policy = CallPolicy(retries=0, backoff=0.0, backoff_max=0.0, circuit_failures=failures,
                        circuit_reset=30.0)
    return UpstreamCaller(client, source="GO4Schools", policy=policy,
                          semaphore=asyncio.Semaphore(concurrency),
                          tenant_concurrency=tenant_concurrency, max_tenants=max_tenants,
                          **({"clock": clock} if clock else {}))


async def _get(caller: UpstreamCaller, path: str, tenant: str) -> int:
    answer = await caller.call("GET", "http://up" + path, route=path.strip("/"), headers={},
                               tenant=tenant)
    return answer.status


# --- through the gateway, on the simulator's two schools ------------------------------------

async def test_one_schools_failing_upstream_opens_only_its_circuit(
        make_gateway: GatewayFactory, fresh_sim: Simulator) -> None:
    gw = make_gateway(circuit_failures=2, upstream_retries=0, upstream_backoff=0.0)
    fresh_sim.inject_fault("status", status=500, route="school", times=1000, key=DEMO_KEY)
    second = {"Authorization": f"Bearer {SECOND_KEY}"}

    for _ in range(2):  # the demo school's two failures open its circuit
        failed = await gw.gql(SCHOOL)
        assert failed["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert fresh_sim.counts["school"] == 2
    refused = await gw.gql(SCHOOL)
    assert refused["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert "stopped calling" in refused["errors"][0]["message"]
    assert fresh_sim.counts["school"] == 2  # open: refused at once, the upstream not called

    # The other school still answers: its own circuit is closed.
    other = await gw.gql(SCHOOL, headers=second)
    assert "errors" not in other, other
    assert other["data"]["school"]["name"]
    assert fresh_sim.counts["school"] == 3
    client = gw.services.upstreams.go4schools
    assert client.circuit_open_for(gw.services.tenancy.resolve({}).tenants[None].credential)
    assert not client.circuit_open  # one school's open circuit does not make the replica unready
    ready = await gw.client.get("/readyz")
    assert ready.json()["checks"]["upstream"] == "ok"


# --- the half-open state ----------------------------------------------------------------------

def test_breaker_half_open_admits_exactly_one_trial() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("GO4Schools", failures=2, reset=30.0, clock=clock)
    breaker.failure()
    assert breaker.state == "closed"
    breaker.failure()
    assert breaker.state == "open"
    with pytest.raises(UpstreamUnavailable):
        breaker.admit("school")
    clock.now += 30.0
    assert breaker.state == "half-open"
    assert breaker.admit("school") is True  # the one trial
    for _ in range(5):  # everyone else is refused while the trial is out
        with pytest.raises(UpstreamUnavailable):
            breaker.admit("school")
    breaker.failure()  # the trial failed: open again for a whole reset time
    breaker.end_trial()
    assert breaker.state == "open"
    with pytest.raises(UpstreamUnavailable):
        breaker.admit("school")
    clock.now += 30.0
    assert breaker.admit("school") is True
    breaker.end_trial()  # a trial that ended with no verdict (cancelled) hands the trial on
    assert breaker.admit("school") is True
    breaker.success()
    breaker.end_trial()
    assert breaker.state == "closed"
    assert breaker.admit("school") is False and breaker.admit("school") is False


async def test_half_open_lets_one_trial_call_reach_the_upstream(
        held: tuple[HeldUpstream, httpx.AsyncClient]) -> None:
    upstream, client = held
    clock = FakeClock()
    caller = _caller(client, clock=clock, tenant_concurrency=8)
    for _ in range(2):
        with pytest.raises(UpstreamServerError):
            await _get(caller, "/fail", "a")
    assert caller.circuit("a").state == "open"
    clock.now += 30.0  # the reset time has passed: half-open

    trial = asyncio.create_task(_get(caller, "/hold", "a"))
    await upstream.wait_for("/hold", 1)  # the trial is at the upstream
    others = await asyncio.gather(*(_get(caller, "/hold", "a") for _ in range(5)),
                                  return_exceptions=True)
    assert all(isinstance(e, UpstreamUnavailable) for e in others), others
    assert upstream.arrived["/hold"] == 1  # exactly one call went through

    upstream.release.set()
    assert await trial == 200
    assert caller.circuit("a").state == "closed"
    assert await _get(caller, "/hold", "a") == 200


# --- concurrency per school -------------------------------------------------------------------

async def test_one_school_saturating_its_slots_does_not_block_another(
        held: tuple[HeldUpstream, httpx.AsyncClient]) -> None:
    upstream, client = held
    caller = _caller(client, tenant_concurrency=2, concurrency=4)
    busy = [asyncio.create_task(_get(caller, "/hold", "a")) for _ in range(4)]
    await upstream.wait_for("/hold", 2)  # school a holds both of its slots...
    gate_a = caller.gates.peek("a")
    assert gate_a is not None and gate_a.semaphore.locked()  # ...and two more calls queue behind them

    # School b's call goes through while every one of school a's is still held (the wait_for
    # is a guard against a hang, not a timing target).
    assert await asyncio.wait_for(_get(caller, "/other", "b"), 30) == 200
    assert upstream.arrived["/hold"] == 2 and not any(t.done() for t in busy)

    upstream.release.set()
    assert await asyncio.gather(*busy) == [200] * 4
    assert upstream.arrived["/hold"] == 4


async def test_per_tenant_gates_are_bounded_and_keep_an_open_circuit(
        held: tuple[HeldUpstream, httpx.AsyncClient]) -> None:
    upstream, client = held
    caller = _caller(client, max_tenants=3, failures=1)
    with pytest.raises(UpstreamServerError):
        await _get(caller, "/fail", "failing")
    assert caller.circuit("failing").state == "open"
    for n in range(20):  # random credentials, one call each
        assert await _get(caller, "/ok", f"random-{n}") == 200
    assert len(caller.gates) == 3
    # The idle, closed gates went first: the failing school's open circuit is remembered.
    gate = caller.gates.peek("failing")
    assert gate is not None and gate.circuit.state == "open"
    with pytest.raises(UpstreamUnavailable):
        await _get(caller, "/ok", "failing")


async def test_waiting_for_a_slot_stops_at_the_request_deadline(
        held: tuple[HeldUpstream, httpx.AsyncClient]) -> None:
    from gateway.upstream import budget
    from gateway.upstream.budget import RequestBudget
    from gateway.upstream.errors import UpstreamLimitExceeded

    upstream, client = held
    caller = _caller(client, tenant_concurrency=1)
    busy = asyncio.create_task(_get(caller, "/hold", "a"))
    await upstream.wait_for("/hold", 1)  # school a's only slot is taken
    with budget.bound(RequestBudget(timeout=0.2)), pytest.raises(UpstreamLimitExceeded) as info:
        await _get(caller, "/hold", "a")
    assert info.value.limit == "deadline"
    assert upstream.arrived["/hold"] == 1  # never sent
    upstream.release.set()
    assert await busy == 200
