"""The upstream slots serve a walk's next page, then long walks, before calls that start short
walks (``gates.PriorityGate``): critical-path scheduling within the same bound.

Real event loop, no real-clock waits: the gate's clock is a counter the test moves.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from gateway.shared.secrets import Credential
from gateway.upstream.caller import CallPolicy, UpstreamCaller
from gateway.upstream.errors import UpstreamError
from gateway.upstream.gates import LONG_WALK, NEXT_PAGE, OTHER, PriorityGate
from gateway.upstream.go4schools import GO4SchoolsClient


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def _until_waiting(gate: PriorityGate, n: int) -> None:
    while gate.waiting < n:  # noqa: ASYNC110 - the gate has no event to wait on; one loop turn each
        await asyncio.sleep(0)


async def test_next_pages_then_long_walks_then_the_rest_in_arrival_order() -> None:
    clock = Clock()
    gate = PriorityGate(1, clock=clock)
    await gate.acquire()
    served: list[str] = []

    async def waiter(name: str, head_start: float) -> None:
        await gate.acquire(head_start)
        served.append(name)
        gate.release()

    tasks = []
    for name, head_start in [("a", OTHER), ("b", LONG_WALK), ("c", OTHER), ("d", NEXT_PAGE),
                             ("e", LONG_WALK)]:
        tasks.append(asyncio.create_task(waiter(name, head_start)))
        await _until_waiting(gate, len(tasks))
        clock.now += 0.001
    gate.release()
    await asyncio.gather(*tasks)
    assert served == ["d", "b", "e", "a", "c"]
    assert not gate.locked()


async def test_free_slots_go_to_the_long_walks_among_calls_that_ask_in_the_same_turn() -> None:
    gate = PriorityGate(2, clock=Clock())
    got: list[str] = []

    async def ask(name: str, head_start: float) -> None:
        await gate.acquire(head_start)
        got.append(name)

    # One gather, as a plan starts its resources: the long walk asks last.
    tasks = [asyncio.create_task(ask(name, head_start))
             for name, head_start in [("a", OTHER), ("b", OTHER), ("walk", LONG_WALK)]]
    for _ in range(5):  # a few turns of the loop: the tasks ask, then the slots are handed out
        await asyncio.sleep(0)
    assert sorted(got) == ["a", "walk"] and gate.locked() and gate.waiting == 1
    gate.release()
    await asyncio.gather(*tasks)
    assert got[-1] == "b"


async def test_a_head_start_is_bounded_a_call_that_waited_long_enough_goes_first() -> None:
    clock = Clock()
    gate = PriorityGate(1, clock=clock)
    await gate.acquire()
    short = asyncio.create_task(gate.acquire(OTHER))
    await _until_waiting(gate, 1)
    clock.now += NEXT_PAGE + 0.1  # the short call has waited longer than any head start
    page = asyncio.create_task(gate.acquire(NEXT_PAGE))
    await _until_waiting(gate, 2)
    gate.release()
    await short
    assert not page.done()
    gate.release()
    await page


async def _held_with_two_waiting() -> tuple[PriorityGate, asyncio.Task[Any], asyncio.Task[Any]]:
    """A gate of one slot, held, with a next page and another call waiting for it."""
    gate = PriorityGate(1, clock=Clock())
    await gate.acquire()
    first = asyncio.create_task(gate.acquire(NEXT_PAGE))
    second = asyncio.create_task(gate.acquire(OTHER))
    await _until_waiting(gate, 2)
    return gate, first, second


async def test_a_waiter_that_gave_up_is_skipped() -> None:
    gate, first, second = await _held_with_two_waiting()
    first.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await first
    gate.release()
    assert await second
    assert gate.locked()
    gate.release()
    assert not gate.locked()


async def test_a_waiter_cancelled_after_being_handed_the_slot_passes_it_on() -> None:
    gate, first, second = await _held_with_two_waiting()
    gate.release()  # handed to ``first``, which has not run yet...
    first.cancel()  # ...and is cancelled before it does
    with contextlib.suppress(asyncio.CancelledError):
        await first
    assert await second
    gate.release()
    assert not gate.locked()


async def test_a_deadline_while_waiting_gives_up_the_place() -> None:
    gate = PriorityGate(1, clock=Clock())
    await gate.acquire()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0):
            await gate.acquire(NEXT_PAGE)
    gate.release()
    assert not gate.locked() and gate.waiting == 0


# --- through the client: a walk keeps its slot from page to page -------------------------

class Upstream:
    """``/classes`` is a walk of two pages; ``/subjects`` one answer. Every request waits for
    the test's ``go`` and is logged in the order it arrives."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.arrived = asyncio.Event()
        self.go: asyncio.Queue[None] = asyncio.Queue()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        cursor = scope["query_string"].decode()
        self.log.append(scope["path"].rsplit("/", 1)[-1] + (f"?{cursor}" if cursor else ""))
        self.arrived.set()
        await self.go.get()
        if scope["path"].endswith("/classes"):
            body: Any = {"classes": [{"id": 2 if cursor else 1}], "has_more": not cursor,
                         "cursor": 100}
        else:
            body = [{"id": 7}]
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": orjson.dumps(body)})

    async def wait_for(self, n: int) -> None:
        while len(self.log) < n:
            self.arrived.clear()
            await self.arrived.wait()


KEY = Credential("priority-test-key")
YEAR = {"academicYear": 2026}


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[Upstream, GO4SchoolsClient, Clock, PriorityGate]]:
    up, clock = Upstream(), Clock()
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=up), base_url="http://up")
    caller = UpstreamCaller(http, source="GO4Schools", policy=CallPolicy(retries=0),
                            semaphore=PriorityGate(8, clock=clock), tenant_concurrency=1,
                            clock=clock)
    client = GO4SchoolsClient(caller, "http://up/customer/v1", max_pages=50)
    yield up, client, clock, caller.gates.get(KEY.fingerprint).semaphore
    for _ in range(10):
        up.go.put_nowait(None)
    await http.aclose()


Fixture = tuple[Upstream, GO4SchoolsClient, Clock, PriorityGate]


async def test_a_walks_next_page_goes_before_calls_that_came_while_its_page_was_read(
        upstream: Fixture) -> None:
    up, client, _, gate = upstream
    walk = asyncio.create_task(client.fetch("classes", KEY, YEAR))
    await up.wait_for(1)  # the walk's first page holds the school's only slot
    short = [asyncio.create_task(client.fetch("subjects", KEY, YEAR)) for _ in range(2)]
    await _until_waiting(gate, 2)
    for _ in range(4):
        up.go.put_nowait(None)
    fetched = await walk
    await asyncio.gather(*short)
    assert [r["id"] for r in fetched.data] == [1, 2]
    assert up.log == ["classes", "classes?cursor=100", "subjects", "subjects"]
    assert not gate.locked()  # the lease gave its slot back when the walk ended


async def test_a_walk_lets_its_slot_go_to_a_call_that_waited_longer_than_its_head_start(
        upstream: Fixture) -> None:
    up, client, clock, gate = upstream
    walk = asyncio.create_task(client.fetch("classes", KEY, YEAR))
    await up.wait_for(1)
    short = asyncio.create_task(client.fetch("subjects", KEY, YEAR))
    await _until_waiting(gate, 1)
    clock.now += NEXT_PAGE + 0.1
    up.go.put_nowait(None)  # page 1 answers: the short call has waited too long to be passed
    await up.wait_for(2)
    assert up.log == ["classes", "subjects"]
    for _ in range(2):
        up.go.put_nowait(None)
    await asyncio.gather(walk, short)
    assert up.log == ["classes", "subjects", "classes?cursor=100"]
    assert not gate.locked()


async def test_a_route_walked_long_before_gets_its_first_slot_ahead_of_short_calls(
        upstream: Fixture) -> None:
    up, client, _, gate = upstream
    for _ in range(3):
        up.go.put_nowait(None)
    await client.fetch("classes", KEY, YEAR)  # two pages: expected long next time
    await client.fetch("subjects", KEY, YEAR)
    up.log.clear()
    first = asyncio.create_task(client.fetch("subjects", KEY, YEAR))
    await up.wait_for(1)
    later = asyncio.create_task(client.fetch("subjects", KEY, YEAR))
    await _until_waiting(gate, 1)
    walk = asyncio.create_task(client.fetch("classes", KEY, YEAR))  # asks after ``later``...
    await _until_waiting(gate, 2)
    for _ in range(4):
        up.go.put_nowait(None)
    await asyncio.gather(first, later, walk)
    assert up.log == ["subjects", "classes", "classes?cursor=100", "subjects"]  # ...goes first


async def test_a_failed_page_gives_the_walks_slot_back() -> None:
    class Failing:
        async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
            await send({"type": "http.response.start", "status": 500, "headers": []})
            await send({"type": "http.response.body", "body": b"{}"})

    clock = Clock()
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=Failing()), base_url="http://up")
    process = PriorityGate(8, clock=clock)
    caller = UpstreamCaller(http, source="GO4Schools", policy=CallPolicy(retries=1, backoff=0.0,
                                                                         backoff_max=0.0),
                            semaphore=process, tenant_concurrency=1, clock=clock)
    client = GO4SchoolsClient(caller, "http://up/customer/v1", max_pages=50)
    try:
        with pytest.raises(UpstreamError):
            await client.fetch("classes", KEY, YEAR)
    finally:
        await http.aclose()
    assert not caller.gates.get(KEY.fingerprint).semaphore.locked()
    assert not process.locked() and process.waiting == 0
