"""Bounds during execution: the deadline, the field budget, a client's disconnect; /healthz meanwhile."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from gateway.simulator import Simulator
from gateway.upstream import budget as request_budget
from tests.admission.conftest import GatedTransport, post_scope, sent_to
from tests.conftest import Gateway

ROSTER = (Path(__file__).parents[2] / "schema" / "examples" / "roster.graphql").read_text()


async def test_the_deadline_ends_a_slow_request_and_stops_its_upstream_work(
        fresh_sim: Simulator, make_admission_gateway: Callable[..., Gateway]) -> None:
    gate = GatedTransport(fresh_sim.app)
    gw = make_admission_gateway(transport=gate, request_timeout=0.3, upstream_retries=0)
    r = await gw.client.post("/graphql", json={"query": "{ school { name } }"})
    body = r.json()
    assert body["data"] is None
    ext = body["errors"][0]["extensions"]
    assert ext == {"code": "LIMIT_EXCEEDED", "limit": "deadline", "value": 0.3, "max": 0.3}
    assert gate.started.is_set() and gate.held == 0 and gate.cancelled >= 1 and gate.sent == 0


async def test_a_disconnect_cancels_the_work(fresh_sim: Simulator, make_admission_gateway: Callable[..., Gateway]) -> None:
    """Driven as an ASGI app: once the body is read the client goes; the upstream walk stops."""
    gate = GatedTransport(fresh_sim.app)
    gw = make_admission_gateway(transport=gate)
    body = json.dumps({"query": "{ school { name } }"}).encode()
    messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    messages.put_nowait({"type": "http.request", "body": body, "more_body": False})

    async def receive() -> dict[str, Any]:
        return await messages.get()

    sent: list[dict[str, Any]] = []
    send = sent_to(sent)
    scope = post_scope()
    call = asyncio.ensure_future(gw.app(scope, receive, send))
    await gate.started.wait()  # the upstream walk is under way
    messages.put_nowait({"type": "http.disconnect"})
    await asyncio.wait_for(call, 10)  # a safety net only: the call ends on the disconnect
    assert sent == []  # nobody to answer
    assert gate.held == 0 and gate.cancelled >= 1 and gate.sent == 0


async def test_an_answer_past_the_field_budget_is_stopped(gateway: Gateway,
                                                          make_admission_gateway: Callable[..., Gateway]) -> None:
    full = await gateway.client.post("/graphql", json={"query": ROSTER})
    assert "errors" not in full.json()
    gw = make_admission_gateway(max_fields=5000)
    r = await gw.client.post("/graphql", json={"query": ROSTER})
    body = r.json()
    assert body["data"] is None and len(body["errors"]) == 1
    ext = body["errors"][0]["extensions"]
    assert ext["code"] == "LIMIT_EXCEEDED" and ext["limit"] == "fields" and ext["max"] == 5000
    assert ext["value"] > 5000
    assert len(r.content) < 1000


async def test_execution_runs_under_the_request_budget(fresh_sim: Simulator, make_admission_gateway: Callable[..., Gateway]) -> None:
    """The upstream layer finds the request's budget (deadline and call allowance) in scope."""
    seen: list[request_budget.RequestBudget | None] = []
    gate = GatedTransport(fresh_sim.app)
    gw = make_admission_gateway(transport=gate, max_upstream_calls=77, request_timeout=12)
    inner = gate.handle_async_request

    async def spy(request: httpx.Request) -> httpx.Response:
        seen.append(request_budget.current())
        return await inner(request)

    gate.handle_async_request = spy  # type: ignore[method-assign]
    gate.release.set()
    r = await gw.client.post("/graphql", json={"query": "{ school { name } }"})
    assert r.json()["data"]["school"]["name"]
    budget = seen[0]
    assert budget is not None and budget.max_calls == 77 and budget.timeout == 12


async def test_healthz_answers_while_a_heavy_request_runs(fresh_sim: Simulator, make_admission_gateway: Callable[..., Gateway]) -> None:
    gate = GatedTransport(fresh_sim.app)
    gw = make_admission_gateway(transport=gate)
    heavy = asyncio.ensure_future(gw.client.post("/graphql", json={"query": ROSTER}))
    await gate.started.wait()
    health = await gw.client.get("/healthz")
    assert health.status_code == 200 and not heavy.done()
    gate.release.set()
    r = await heavy
    assert len(r.json()["data"]["academicYear"]["students"]) > 100


async def test_a_long_list_is_built_in_chunks_with_the_loop_served_between(
        gateway: Gateway, monkeypatch: Any) -> None:
    """Each chunk of a long list is followed by a pass through the event loop (others run)."""
    from gateway.http import execution

    await gateway.client.post("/graphql", json={"query": ROSTER})  # resources cached

    async def passes() -> int:
        gateway.services.extras["response_cache"].clear()
        count = 0
        request = asyncio.ensure_future(gateway.client.post("/graphql", json={"query": ROSTER}))
        while not request.done():
            count += 1
            await asyncio.sleep(0)
        assert len((await request).json()["data"]["academicYear"]["students"]) == 240
        return count

    monkeypatch.setattr(execution, "CHUNK", 10_000)
    whole = await passes()
    monkeypatch.setattr(execution, "CHUNK", 20)
    chunked = await passes()
    assert chunked - whole >= 240 // 20 - 1


async def test_a_request_sharing_a_load_with_one_that_disconnects_still_answers(
        fresh_sim: Simulator, make_admission_gateway: Callable[..., Gateway]) -> None:
    """B waits on A's upstream load (single-flight); A's client goes and A's load is cancelled:
    B runs again, leading the load itself, and answers."""
    gate = GatedTransport(fresh_sim.app)
    gw = make_admission_gateway(transport=gate)
    query = {"query": "{ school { name } }"}
    messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    messages.put_nowait({"type": "http.request", "body": json.dumps(query).encode(), "more_body": False})

    async def receive() -> dict[str, Any]:
        return await messages.get()

    async def send(message: dict[str, Any]) -> None:
        pass

    scope = {"type": "http", "method": "POST", "path": "/graphql", "raw_path": b"/graphql",
             "query_string": b"", "headers": [(b"content-type", b"application/json")],
             "client": ("127.0.0.1", 1234), "server": ("gateway", 80), "scheme": "http",
             "http_version": "1.1", "root_path": ""}
    a = asyncio.ensure_future(gw.app(scope, receive, send))
    await gate.started.wait()  # A leads the school's load, held at the upstream
    inflight = gw.services.store._flight._inflight
    assert len(inflight) == 1
    shared = next(iter(inflight.values()))
    b = asyncio.ensure_future(gw.client.post("/graphql", json=query))
    # B has joined A's load once it waits on the load's future (no event says so: the
    # condition itself is checked, each pass letting B run).
    while not shared._callbacks:  # noqa: ASYNC110
        await asyncio.sleep(0)
    messages.put_nowait({"type": "http.disconnect"})
    await asyncio.wait_for(a, 10)
    gate.release.set()
    r = await asyncio.wait_for(b, 10)
    assert r.json() == {"data": {"school": {"name": "Demo Academy"}}}
    assert gate.cancelled == 1 and gate.sent == 1
