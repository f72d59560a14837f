"""Faults injected into GET Subjects (and GET Classes, a paged route), through the whole gateway.

The gateway runs against the simulator over real HTTP (so timeouts and dropped
connections are the network's own), under a request budget set the way the
HTTP layer sets it. For each fault: the answer's work is bounded (counted in
upstream attempts and budget charges, not wall-clock time), the faulty field
carries the right code, the rest of the answer stands, and once the fault clears
the next query returns the upstream's full data: nothing broken was cached.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateway.simulator import DEMO_KEY, Simulator
from gateway.upstream import budget
from gateway.upstream.budget import RequestBudget
from tests.conftest import Gateway, GatewayFactory, LiveServer
from tests.simdata import current_year, upstream

AUTH = {"Authorization": f"Bearer {DEMO_KEY}"}
QUERY = "{ school { name } academicYear { year teachers { id code } subjects { id name } } }"
CLASSES = "{ school { name } academicYear { year classes { id } } }"
RETRIES = 2
MAX_PAGES = 5
TIMEOUT = 0.3  # the upstream timeout: a delayed answer waits well past it


@pytest.fixture
def gw(make_gateway: GatewayFactory, live_sim: LiveServer, fresh_sim: Simulator) -> Gateway:
    fresh_sim.clear_faults()
    return make_gateway(upstream_url=live_sim.url + "/customer/v1", upstream_timeout=TIMEOUT,
                        upstream_retries=RETRIES, upstream_backoff=0.01, upstream_backoff_max=0.05,
                        upstream_max_pages=MAX_PAGES, circuit_failures=100)


async def _expected(sim: Simulator) -> dict[str, Any]:
    year = await current_year(sim)
    school, _ = await upstream(sim, "school")
    subjects, _ = await upstream(sim, "subjects", academicYear=year)
    teachers, _ = await upstream(sim, "teachers", academicYear=year)
    classes, _ = await upstream(sim, "classes", academicYear=year)
    return {"name": school["name"], "year": year,
            "subjects": sorted((str(s["id"]), s["name"]) for s in subjects),
            "teachers": sorted(str(t["id"]) for t in teachers),
            "classes": sorted(str(c["id"]) for c in classes)}


async def _query(gw: Gateway, query: str, max_calls: int = 500) -> tuple[dict[str, Any], RequestBudget]:
    spent = RequestBudget(timeout=30, max_calls=max_calls)
    with budget.bound(spent):
        answer = await gw.gql(query, headers=AUTH)
    return answer, spent


def _field_error(answer: dict[str, Any], field: str) -> dict[str, Any]:
    errors = [e for e in answer.get("errors", []) if e.get("path", [])[-1:] == [field]]
    assert len(errors) == 1, answer
    return errors[0]


FAULTS = [
    # kind, injection, code, attempts at GET Subjects
    pytest.param("delay", {"delay": 1.0}, "UPSTREAM_UNAVAILABLE", RETRIES + 1, id="delay-past-timeout"),
    pytest.param("status", {"status": 500}, "UPSTREAM_UNAVAILABLE", RETRIES + 1, id="500"),
    pytest.param("status", {"status": 503}, "UPSTREAM_UNAVAILABLE", RETRIES + 1, id="503"),
    pytest.param("status", {"status": 429}, "RATE_LIMITED", RETRIES + 1, id="429"),
    # A Retry-After beyond what the gateway waits is answered at once, not waited for.
    pytest.param("status", {"status": 429, "retry_after": 120}, "RATE_LIMITED", 1, id="429-retry-after"),
    pytest.param("reset", {}, "UPSTREAM_UNAVAILABLE", RETRIES + 1, id="reset-mid-body"),
    pytest.param("truncated", {}, "UPSTREAM_UNAVAILABLE", 1, id="truncated-json"),
    pytest.param("malformed", {}, "UPSTREAM_UNAVAILABLE", 1, id="malformed-json"),
    pytest.param("empty", {}, "UPSTREAM_UNAVAILABLE", 1, id="empty-200"),
    pytest.param("html", {}, "UPSTREAM_UNAVAILABLE", 1, id="html-200"),
    # GET Subjects is not paged: a paging envelope there is an answer of the wrong shape.
    pytest.param("endless-cursor", {}, "UPSTREAM_UNAVAILABLE", 1, id="endless-cursor"),
    pytest.param("repeat-cursor", {}, "UPSTREAM_UNAVAILABLE", 1, id="repeating-cursor"),
]


@pytest.mark.parametrize("kind, injection, code, attempts", FAULTS)
async def test_a_subjects_fault_stays_on_its_field_and_is_not_cached(
        gw: Gateway, fresh_sim: Simulator, kind: str, injection: dict[str, Any], code: str,
        attempts: int) -> None:
    expected = await _expected(fresh_sim)
    fresh_sim.reset()
    fresh_sim.inject_fault(kind, route="subjects", times=1000, **injection)

    answer, spent = await _query(gw, QUERY)

    error = _field_error(answer, "subjects")
    assert error["extensions"]["code"] == code, error
    assert error["path"] == ["academicYear", "subjects"]
    if injection.get("retry_after"):
        assert error["extensions"]["retryAfter"] == injection["retry_after"]
    elif code == "RATE_LIMITED":
        assert "retryAfter" not in error["extensions"]
    # Bounded: the exact number of attempts, and every request sent was charged to the budget.
    assert fresh_sim.counts["subjects"] == attempts
    assert spent.calls == sum(fresh_sim.counts.values())
    # The rest of the answer stands: only `subjects` is null (errors stay on their field).
    data = answer["data"]
    assert data["school"]["name"] == expected["name"]
    assert data["academicYear"]["subjects"] is None
    assert sorted(t["id"] for t in data["academicYear"]["teachers"]) == expected["teachers"]

    fresh_sim.clear_faults()
    fresh_sim.reset()
    again, _ = await _query(gw, QUERY)
    assert "errors" not in again, again
    year = again["data"]["academicYear"]
    assert sorted((s["id"], s["name"]) for s in year["subjects"]) == expected["subjects"]
    assert sorted(t["id"] for t in year["teachers"]) == expected["teachers"]
    assert fresh_sim.counts["subjects"] == 1  # fetched again: the failure was not cached


@pytest.mark.parametrize("kind, attempts", [
    pytest.param("endless-cursor", MAX_PAGES, id="endless-cursor"),
    pytest.param("repeat-cursor", 2, id="repeating-cursor"),  # stops at the first repeat
])
async def test_a_paged_walk_that_never_ends_is_an_error_and_not_cached(
        gw: Gateway, fresh_sim: Simulator, kind: str, attempts: int) -> None:
    fresh_sim.config.page_size = 1000  # the real walk fits well inside the page cap
    expected = await _expected(fresh_sim)
    fresh_sim.reset()
    fresh_sim.inject_fault(kind, route="classes", times=1000)

    answer, spent = await _query(gw, CLASSES)

    error = _field_error(answer, "classes")
    assert error["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert fresh_sim.counts["classes"] == attempts
    assert spent.calls == sum(fresh_sim.counts.values())
    assert answer["data"]["school"]["name"] == expected["name"]  # the rest of the answer stands
    assert answer["data"]["academicYear"]["classes"] is None

    fresh_sim.clear_faults()
    again, _ = await _query(gw, CLASSES)
    assert "errors" not in again, again
    assert sorted(c["id"] for c in again["data"]["academicYear"]["classes"]) == expected["classes"]


async def test_an_endless_cursor_stops_at_the_request_upstream_budget(
        gw: Gateway, fresh_sim: Simulator) -> None:
    """Before the page cap, the request's upstream-call allowance ends the walk."""
    await current_year(fresh_sim)
    fresh_sim.reset()
    fresh_sim.inject_fault("endless-cursor", route="classes", times=1000)
    answer, spent = await _query(gw, CLASSES, max_calls=3)
    error = _field_error(answer, "classes")
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED"
    assert error["extensions"]["limit"] == "upstreamCalls"
    assert error["extensions"]["max"] == 3
    assert spent.calls == 3 == sum(fresh_sim.counts.values())


async def test_a_retry_after_that_fits_is_waited_for(gw: Gateway, fresh_sim: Simulator) -> None:
    expected = await _expected(fresh_sim)
    fresh_sim.reset()
    fresh_sim.inject_fault("status", status=429, retry_after=0.01, route="subjects", times=1)
    answer, spent = await _query(gw, QUERY)
    assert "errors" not in answer, answer
    assert sorted((s["id"], s["name"]) for s in answer["data"]["academicYear"]["subjects"]) \
        == expected["subjects"]
    assert fresh_sim.counts["subjects"] == 2
    assert spent.calls == sum(fresh_sim.counts.values())


async def test_a_reset_in_process_is_a_field_error_not_internal(
        make_gateway: GatewayFactory, fresh_sim: Simulator) -> None:
    """Demo mode (the simulator in-process): an app failing mid-answer reads as a reset."""
    demo = make_gateway(upstream_retries=RETRIES, upstream_backoff=0.01, upstream_backoff_max=0.05)
    fresh_sim.clear_faults()
    await current_year(fresh_sim)
    fresh_sim.reset()
    fresh_sim.inject_fault("reset", route="subjects", times=1000)
    answer = await demo.gql(QUERY)
    assert _field_error(answer, "subjects")["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert fresh_sim.counts["subjects"] == RETRIES + 1
    fresh_sim.clear_faults()
    again = await demo.gql(QUERY)
    assert "errors" not in again, again
