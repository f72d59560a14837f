"""Writes under faults (issue 11, items 3 and 6): the outcome is true or explicitly unknown, the
read-back is the upstream's truth, and each row is posted once unless a 429 refused it unsaved."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.simulator import DEMO_KEY, Simulator
from tests.conftest import Gateway
from tests.writes.support import MANY, READ, TODAY, Facts, facts, records, row, writer

__all__ = ["facts", "writer"]

N = 0  # the student written for


async def _mark(gw: Gateway, facts: Facts, day: str, headers: dict[str, str] | None = None) -> str | None:
    data = await gw.gql(READ, {"date": day}, headers=headers)
    assert "errors" not in data, data
    sid = str(facts.students[N]["student_id"])
    found = [m["code"]["code"] for m in data["data"]["academicYear"]["sessionMarks"]
             if m["student"]["id"] == sid and m["session"] == "AM"]
    return found[0] if found else None


def _other(mark: str | None) -> str:
    """A mark the student does not have yet (the shared simulator keeps earlier tests' writes)."""
    return "/" if mark == "N" else "N"


async def _write(gw: Gateway, facts: Facts, day: str, code: str,
                 headers: dict[str, str] | None = None) -> dict[str, Any]:
    data = await gw.gql(MANY, {"inputs": [row(facts, N, date=day, code=code)]}, headers=headers)
    assert "errors" not in data, data
    [result] = data["data"]["recordSessionAttendances"]
    return result  # type: ignore[no-any-return]


@pytest.mark.parametrize("fault, saved_upstream", [
    ("500 before saving", False),
    ("500 after saving", True),
    ("reset after saving", True),
])
async def test_an_unknown_outcome_is_said_and_the_read_back_is_the_truth(
        writer: Any, facts: Facts, fault: str, saved_upstream: bool) -> None:
    gw = writer()
    day = facts.open_days[TODAY - 2]
    before = await _mark(gw, facts, day)  # cached now: a stale read would show it
    target = _other(before)
    gw.sim.reset()
    if fault == "500 before saving":
        gw.sim.inject(500, route="record-session-mark")
    else:
        gw.sim.inject_post("500" if fault.startswith("500") else "reset")
    result = await _write(gw, facts, day, target)
    assert result["mark"] is None
    assert result["error"]["code"] == "UPSTREAM_UNAVAILABLE" and result["error"]["outcomeUnknown"] is True
    assert "may or may not have been saved" in result["error"]["message"]
    assert "read the session marks" in result["error"]["message"]
    assert gw.sim.counts["record-session-mark"] == 1  # never retried blindly
    assert [r["outcome"] for r in records(gw)][-2:] == ["attempt", "unknown"]
    # The advised read-back shows what GO4Schools holds, not the cached day.
    assert await _mark(gw, facts, day) == (target if saved_upstream else before)


async def test_a_timeout_after_saving_is_unknown_and_the_read_back_shows_the_save(
        writer: Any, facts: Facts, fresh_sim: Simulator, live_sim: Any) -> None:
    # Over real HTTP: timeouts do not apply to the in-process transport.
    gw = writer(upstream_url=live_sim.url + "/customer/v1", upstream_timeout=0.5, upstream_retries=0)
    auth = {"authorization": f"Bearer {DEMO_KEY}"}
    day = facts.open_days[TODAY - 3]
    target = _other(await _mark(gw, facts, day, auth))
    fresh_sim.reset()
    fresh_sim.inject_post("delay", delay_ms=1500)
    result = await _write(gw, facts, day, target, auth)
    assert result["error"]["code"] == "UPSTREAM_UNAVAILABLE" and result["error"]["outcomeUnknown"] is True
    assert fresh_sim.counts["record-session-mark"] == 1
    assert await _mark(gw, facts, day, auth) == target


async def test_a_429_before_saving_is_retried_and_saved_once(writer: Any, facts: Facts) -> None:
    gw = writer(upstream_backoff=0)
    day = facts.open_days[TODAY - 4]
    target = _other(await _mark(gw, facts, day))
    gw.sim.reset()
    gw.sim.inject(429, route="record-session-mark", retry_after=0)
    result = await _write(gw, facts, day, target)
    assert result["error"] is None and result["mark"]["code"] == {"code": target}
    assert gw.sim.counts["record-session-mark"] == 2  # the 429 saved nothing; the retry saved it
    assert len(gw.sim.posted) == 1
    assert await _mark(gw, facts, day) == target


async def test_a_429_to_the_end_is_rate_limited_and_nothing_is_saved(writer: Any, facts: Facts) -> None:
    gw = writer(upstream_backoff=0, upstream_retries=1)
    day = facts.open_days[TODAY - 5]
    before = await _mark(gw, facts, day)
    gw.sim.reset()
    gw.sim.inject(429, times=2, route="record-session-mark", retry_after=0)
    result = await _write(gw, facts, day, _other(before))
    assert result["error"]["code"] == "RATE_LIMITED" and result["error"]["outcomeUnknown"] is False
    assert gw.sim.posted == [] and gw.sim.counts["record-session-mark"] == 2
    assert records(gw)[-1]["outcome"] == "failed"
    assert await _mark(gw, facts, day) == before
