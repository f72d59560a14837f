"""The simulator's injected faults, as a client on the network sees them (real HTTP)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson
import pytest

from gateway.simulator import DEMO_KEY, SECOND_KEY, Simulator
from tests.conftest import LiveServer
from tests.simdata import current_year

AUTH = {"Authorization": f"Bearer {DEMO_KEY}"}


@pytest.fixture
async def client(live_sim: LiveServer, fresh_sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    fresh_sim.clear_faults()
    async with httpx.AsyncClient(base_url=live_sim.url + "/customer/v1", headers=AUTH,
                                 timeout=5) as c:
        yield c
    fresh_sim.clear_faults()


async def _path(sim: Simulator, route: str) -> str:
    return f"/academic-years/{await current_year(sim)}/{route}"


async def test_bodies_that_are_not_the_answer(client: httpx.AsyncClient, fresh_sim: Simulator) -> None:
    path = await _path(fresh_sim, "teaching/subjects")
    whole = (await client.get(path)).content
    for kind in ("empty", "html", "malformed", "truncated"):
        fresh_sim.inject_fault(kind, route="subjects")
        r = await client.get(path)
        assert r.status_code == 200, kind
        if kind == "empty":
            assert r.content == b""
        elif kind == "html":
            assert r.headers["content-type"].startswith("text/html")
        elif kind == "truncated":
            assert whole.startswith(r.content) and len(r.content) < len(whole)
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(r.content)
    assert (await client.get(path)).content == whole  # faults used up: the real answer again


async def test_reset_mid_body_drops_the_connection(client: httpx.AsyncClient,
                                                   fresh_sim: Simulator) -> None:
    path = await _path(fresh_sim, "teaching/subjects")
    fresh_sim.inject_fault("reset", route="subjects")
    with pytest.raises(httpx.RemoteProtocolError):
        await client.get(path)
    assert (await client.get(path)).status_code == 200


async def test_status_and_retry_after(client: httpx.AsyncClient, fresh_sim: Simulator) -> None:
    path = await _path(fresh_sim, "teaching/subjects")
    fresh_sim.inject_fault("status", status=429, retry_after=120, route="subjects")
    fresh_sim.inject_fault("status", status=503, route="subjects")
    r = await client.get(path)
    assert r.status_code == 429 and r.headers["retry-after"] == "120"
    r = await client.get(path)
    assert r.status_code == 503 and "retry-after" not in r.headers


async def test_endless_and_repeating_cursors(client: httpx.AsyncClient, fresh_sim: Simulator) -> None:
    path = await _path(fresh_sim, "timetables/classes")
    fresh_sim.inject_fault("endless-cursor", route="classes", times=3)
    cursors = []
    cursor = None
    for _ in range(3):
        body = (await client.get(path, params={"cursor": cursor} if cursor else {})).json()
        assert body["has_more"] is True and isinstance(body["classes"], list)
        cursor = body["cursor"]
        cursors.append(cursor)
    assert len(set(cursors)) == 3
    fresh_sim.inject_fault("repeat-cursor", route="classes", times=2)
    first = (await client.get(path)).json()
    second = (await client.get(path, params={"cursor": first["cursor"]})).json()
    assert second["has_more"] is True and second["cursor"] == first["cursor"]


async def test_a_fault_can_target_one_school(client: httpx.AsyncClient, fresh_sim: Simulator,
                                             live_sim: LiveServer) -> None:
    fresh_sim.inject_fault("status", status=500, route="school", times=10, key=DEMO_KEY)
    assert (await client.get("/school")).status_code == 500
    other = await client.get("/school", headers={"Authorization": f"Bearer {SECOND_KEY}"})
    assert other.status_code == 200


def test_an_unknown_fault_kind_is_refused(fresh_sim: Simulator) -> None:
    with pytest.raises(ValueError):
        fresh_sim.inject_fault("gremlins")


async def test_delay_answers_after_the_delay(client: httpx.AsyncClient, fresh_sim: Simulator) -> None:
    fresh_sim.inject_fault("delay", delay=0.5, route="school")
    with pytest.raises(httpx.ReadTimeout):
        await client.get("/school", timeout=0.05)
    assert (await client.get("/school")).status_code == 200
