"""The upstream clients over real HTTP against the simulator on a free port."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator

import pytest

from gateway.shared.secrets import Credential
from gateway.simulator import ASSEMBLY_DEMO_TOKEN, DEMO_KEY, Simulator
from gateway.upstream.assembly import AssemblyFetched, NotModified
from gateway.upstream.caller import CallPolicy
from gateway.upstream.errors import (
    UpstreamBadRequest,
    UpstreamForbidden,
    UpstreamNotFound,
    UpstreamOutcomeUnknown,
    UpstreamRateLimited,
    UpstreamServerError,
    UpstreamUnauthorized,
    UpstreamUnavailable,
)
from gateway.upstream.http import UpstreamConfig, Upstreams
from gateway.upstream.routes import GET_ROUTES, ROUTES
from tests.conftest import LiveServer

KEY = Credential(DEMO_KEY)
FAST = CallPolicy(retries=2, backoff=0.01, backoff_max=0.05, circuit_failures=50, circuit_reset=0.2)


@pytest.fixture
async def upstreams(live_sim: LiveServer, fresh_sim: Simulator) -> AsyncIterator[Upstreams]:
    ups = Upstreams(UpstreamConfig(go4schools_url=live_sim.url + "/customer/v1",
                                   assembly_url=live_sim.url + "/assembly", timeout=5,
                                   policy=FAST))
    yield ups
    await ups.aclose()


async def _year(ups: Upstreams) -> int:
    school = await ups.go4schools.fetch("school", KEY)
    return int(school.data["current_academic_year"])


async def _params(ups: Upstreams, route_name: str, year: int) -> dict[str, object]:
    """Parameters that name real data for a route (an open day, year group 10, a real report)."""
    route = ROUTES[route_name]
    params: dict[str, object] = {}
    if "academicYear" in route.params:
        params["academicYear"] = year
    if "yearGroup" in route.params:
        params["yearGroup"] = "11"
    if "reportId" in route.params:
        reports = await ups.go4schools.fetch("reports", KEY, {"academicYear": year})
        commented = [r for r in reports.data if r.get("enable_comments") and r.get("prepared_at")]
        params["reportId"] = (commented or reports.data)[0]["id"]
    if "date" in route.params:
        calendar = await ups.go4schools.fetch("calendar", KEY, {"academicYear": year})
        open_days = [d["date"][:10] for d in calendar.data if d["day_type_code"] == "Open"]
        params["date"] = open_days[len(open_days) // 4]  # a past open day with data
    return params


async def test_every_get_route_answers(upstreams: Upstreams, fresh_sim: Simulator) -> None:
    year = await _year(upstreams)
    for route in GET_ROUTES:
        fetched = await upstreams.go4schools.fetch(route.name, KEY, await _params(upstreams, route.name, year))
        assert fetched.data is not None, route.name
        if route.name != "school":
            assert isinstance(fetched.data, list), route.name


@pytest.mark.parametrize("route", [r.name for r in GET_ROUTES if r.paged])
async def test_paged_route_is_walked_to_the_end(upstreams: Upstreams, fresh_sim: Simulator,
                                                route: str) -> None:
    year = await _year(upstreams)
    params = await _params(upstreams, route, year)
    fresh_sim.config.page_size = 100_000  # the whole resource in one page: the school's own count
    whole = await upstreams.go4schools.fetch(route, KEY, params)
    fresh_sim.config.page_size = 7
    fresh_sim.reset()
    walked = await upstreams.go4schools.fetch(route, KEY, params)
    assert len(walked.data) == len(whole.data)
    assert walked.data == whole.data
    assert walked.pages == max(1, math.ceil(len(whole.data) / 7))
    assert fresh_sim.counts[route] == walked.pages
    cursors = [r.query.get("cursor") for r in fresh_sim.requests if r.route == route]
    assert len(cursors) == len(set(cursors)), "a page was fetched twice"


async def test_bad_key_is_401_without_the_key(upstreams: Upstreams) -> None:
    secret = "not-a-real-key-0123456789abcdef"
    with pytest.raises(UpstreamUnauthorized) as info:
        await upstreams.go4schools.fetch("school", Credential(secret))
    err = info.value
    assert err.status == 401
    assert err.message == "The API key is invalid."
    for text in (str(err), repr(err), str(err.__dict__)):
        assert secret not in text


@pytest.mark.parametrize("route, params, message", [
    ("students", {"academicYear": 1999}, "Invalid Academic Year"),
    ("grades", {"yearGroup": "99"}, "Invalid Year Group"),
    ("report-grades", {"reportId": 987654321}, "Invalid Report ID"),
    ("session-marks", {"date": "2026-13-45"}, "Invalid date."),
])
async def test_400_rows_map_to_bad_request(upstreams: Upstreams, route: str,
                                           params: dict[str, object], message: str) -> None:
    year = await _year(upstreams)
    full = {"academicYear": year, **params}
    with pytest.raises(UpstreamBadRequest) as info:
        await upstreams.go4schools.fetch(route, KEY, full)
    assert info.value.status == 400
    assert info.value.message == message
    assert info.value.route == route


async def test_invalid_cursor_is_bad_request(upstreams: Upstreams) -> None:
    year = await _year(upstreams)
    with pytest.raises(UpstreamBadRequest) as info:
        await upstreams.go4schools.fetch("marks", KEY, {"academicYear": year}, query={"cursor": "-1"})
    assert info.value.message == "Invalid Cursor"


async def test_module_disabled_is_forbidden_with_reason(upstreams: Upstreams,
                                                        fresh_sim: Simulator) -> None:
    year = await _year(upstreams)
    fresh_sim.disable_module(DEMO_KEY, "Photos")
    try:
        with pytest.raises(UpstreamForbidden) as info:
            await upstreams.go4schools.fetch("photos", KEY, {"academicYear": year})
        assert info.value.reason == "Module Disabled"
        # Other modules still answer.
        await upstreams.go4schools.fetch("students", KEY, {"academicYear": year})
    finally:
        fresh_sim.enable_module(DEMO_KEY, "Photos")


async def test_embargo_is_forbidden_with_reason(upstreams: Upstreams, fresh_sim: Simulator) -> None:
    year = await _year(upstreams)
    fresh_sim.set_mode(DEMO_KEY, embargo=True)
    try:
        with pytest.raises(UpstreamForbidden) as info:
            await upstreams.go4schools.fetch("grades", KEY, {"academicYear": year, "yearGroup": "11"})
        assert info.value.reason == "Embargo Enabled"
    finally:
        fresh_sim.set_mode(DEMO_KEY, embargo=False)


async def test_unknown_path_is_not_found(upstreams: Upstreams, live_sim: LiveServer) -> None:
    caller = upstreams.go4schools._caller
    with pytest.raises(UpstreamNotFound):
        await caller.call("GET", live_sim.url + "/customer/v1/no-such-thing", route="unknown",
                          headers={"authorization": f"Bearer {DEMO_KEY}"})


async def test_429_is_retried_then_succeeds(upstreams: Upstreams, fresh_sim: Simulator) -> None:
    fresh_sim.inject(429, times=2, route="school", retry_after=0.01)
    school = await upstreams.go4schools.fetch("school", KEY)
    assert school.data["code"]
    assert fresh_sim.counts["school"] == 3


async def test_429_past_the_retries_is_rate_limited(upstreams: Upstreams,
                                                    fresh_sim: Simulator) -> None:
    fresh_sim.inject(429, times=10, route="school", retry_after=0.01)
    with pytest.raises(UpstreamRateLimited) as info:
        await upstreams.go4schools.fetch("school", KEY)
    assert info.value.retry_after is not None
    assert fresh_sim.counts["school"] == FAST.retries + 1


async def test_5xx_is_retried_for_reads(upstreams: Upstreams, fresh_sim: Simulator) -> None:
    fresh_sim.inject(503, times=1, route="school")
    await upstreams.go4schools.fetch("school", KEY)
    assert fresh_sim.counts["school"] == 2
    fresh_sim.reset()
    fresh_sim.inject(500, times=10, route="school")
    with pytest.raises(UpstreamServerError):
        await upstreams.go4schools.fetch("school", KEY)
    assert fresh_sim.counts["school"] == FAST.retries + 1


async def _post_body(upstreams: Upstreams, year: int) -> dict[str, object]:
    edu = await upstreams.go4schools.fetch("education-details", KEY, {"academicYear": year})
    codes = await upstreams.go4schools.fetch("attendance-codes", KEY, {"academicYear": year})
    calendar = await upstreams.go4schools.fetch("calendar", KEY, {"academicYear": year})
    day = [d["date"][:10] for d in calendar.data if d["day_type_code"] == "Open"][3]
    present = next(c for c in codes.data if c["code"] == "/")
    return {"student_upn": edu.data[0]["upn"], "date": day, "session": "AM",
            "session_mark_id": present["id"], "session_mark_alias_id": None,
            "session_minutes_late": None, "session_notes": None, "student_mis_id": None}


async def test_post_is_never_retried_on_5xx(upstreams: Upstreams, fresh_sim: Simulator) -> None:
    year = await _year(upstreams)
    body = await _post_body(upstreams, year)
    fresh_sim.reset()
    fresh_sim.inject(500, times=1, route="record-session-mark")
    with pytest.raises(UpstreamServerError):
        await upstreams.go4schools.post("record-session-mark", KEY, {"academicYear": year}, body)
    assert fresh_sim.counts["record-session-mark"] == 1


async def test_post_is_retried_on_429_and_saves(upstreams: Upstreams, fresh_sim: Simulator) -> None:
    year = await _year(upstreams)
    body = await _post_body(upstreams, year)
    fresh_sim.reset()
    fresh_sim.inject(429, times=1, route="record-session-mark", retry_after=0.01)
    await upstreams.go4schools.post("record-session-mark", KEY, {"academicYear": year}, body)
    assert fresh_sim.counts["record-session-mark"] == 2
    assert fresh_sim.posted[-1]["student_upn"] == body["student_upn"]


@pytest.mark.parametrize("change, message", [
    ({"student_upn": "B801200005001"}, "Unknown student UPN"),
    ({"session": "XX"}, "Unknown session type."),
    ({"session_mark_id": 987654}, "Unknown Attendance Mark"),
    ({"session_mark_alias_id": 987654}, "Unknown Attendance Alias Mark"),
])
async def test_post_errors_map_to_bad_request(upstreams: Upstreams, fresh_sim: Simulator,
                                              change: dict[str, object], message: str) -> None:
    year = await _year(upstreams)
    body = {**await _post_body(upstreams, year), **change}
    with pytest.raises(UpstreamBadRequest) as info:
        await upstreams.go4schools.post("record-session-mark", KEY, {"academicYear": year}, body)
    assert info.value.message == message


async def test_post_on_a_closed_day_is_refused(upstreams: Upstreams) -> None:
    year = await _year(upstreams)
    calendar = await upstreams.go4schools.fetch("calendar", KEY, {"academicYear": year})
    closed = next(d["date"][:10] for d in calendar.data if d["day_type_code"] == "Closed")
    body = {**await _post_body(upstreams, year), "date": closed}
    with pytest.raises(UpstreamBadRequest) as info:
        await upstreams.go4schools.post("record-session-mark", KEY, {"academicYear": year}, body)
    assert info.value.message == "Date school not open."


async def test_bromcom_and_attendance_mode_refusals(upstreams: Upstreams,
                                                    fresh_sim: Simulator) -> None:
    year = await _year(upstreams)
    body = await _post_body(upstreams, year)
    fresh_sim.set_mode(DEMO_KEY, bromcom=True)
    try:
        with pytest.raises(UpstreamForbidden) as info:
            await upstreams.go4schools.post("record-session-mark", KEY, {"academicYear": year}, body)
        assert info.value.reason == "Not Enabled For Bromcom"
    finally:
        fresh_sim.set_mode(DEMO_KEY, bromcom=False)
    fresh_sim.set_mode(DEMO_KEY, attendance_mode_ok=False)
    try:
        with pytest.raises(UpstreamBadRequest) as bad:
            await upstreams.go4schools.post("record-session-mark", KEY, {"academicYear": year}, body)
        assert bad.value.message == "Attendance Invalid Mode"
    finally:
        fresh_sim.set_mode(DEMO_KEY, attendance_mode_ok=True)


async def test_a_write_that_times_out_is_an_unknown_outcome(live_sim: LiveServer,
                                                            fresh_sim: Simulator) -> None:
    ups = Upstreams(UpstreamConfig(go4schools_url=live_sim.url + "/customer/v1", timeout=0.2,
                                   policy=FAST))
    try:
        year = await _year(ups)
        body = await _post_body(ups, year)
        fresh_sim.reset()
        fresh_sim.config.latency_ms = 600
        with pytest.raises(UpstreamOutcomeUnknown) as info:
            await ups.go4schools.post("record-session-mark", KEY, {"academicYear": year}, body)
        assert "read the mark back" in info.value.message
        assert fresh_sim.counts["record-session-mark"] == 1  # never retried blindly
        with pytest.raises(UpstreamUnavailable):
            await ups.go4schools.fetch("school", KEY)
        # Reads are retried, but only within the bound that applies without a request budget:
        # the upstream timeout x retries (0.2 s x 2), which two timed-out attempts use up.
        assert fresh_sim.counts["school"] == 2
    finally:
        fresh_sim.config.latency_ms = 0
        await ups.aclose()


async def test_circuit_opens_after_repeated_failures(live_sim: LiveServer,
                                                     fresh_sim: Simulator) -> None:
    policy = CallPolicy(retries=0, backoff=0.01, backoff_max=0.01, circuit_failures=3,
                        circuit_reset=30)
    ups = Upstreams(UpstreamConfig(go4schools_url=live_sim.url + "/customer/v1", policy=policy))
    try:
        fresh_sim.inject(500, times=3, route="school")
        for _ in range(3):
            with pytest.raises(UpstreamServerError):
                await ups.go4schools.fetch("school", KEY)
        assert ups.go4schools.circuit_open
        fresh_sim.reset()
        with pytest.raises(UpstreamUnavailable):
            await ups.go4schools.fetch("school", KEY)
        assert fresh_sim.counts["school"] == 0  # answered at once, upstream not called
    finally:
        await ups.aclose()


async def test_assembly_pages_and_304(upstreams: Upstreams, fresh_sim: Simulator) -> None:
    assert upstreams.assembly is not None
    token = Credential(ASSEMBLY_DEMO_TOKEN)
    upstreams.assembly.per_page = 2
    first = await upstreams.assembly.year_groups(token)
    assert isinstance(first, AssemblyFetched)
    assert first.pages == math.ceil(len(first.data) / 2) and len(first.data) >= 5
    assert {g["code"] for g in first.data} >= {"7", "11"}
    assert first.last_modified
    assert all(r.accept == "application/vnd.assembly+json; version=1"
               for r in fresh_sim.requests if r.route.startswith("assembly"))
    fresh_sim.reset()
    again = await upstreams.assembly.year_groups(token, if_modified_since=first.last_modified)
    assert isinstance(again, NotModified)
    assert fresh_sim.counts["assembly-year-groups"] == 1  # one 304, no page downloaded
    group = first.data[0]
    students = await upstreams.assembly.year_group_students(token, group["id"])
    assert isinstance(students, AssemblyFetched)
    assert sorted(s["id"] for s in students.data) == sorted(group["student_ids"])
