"""recordSessionAttendance(s): validated before any POST, read-your-write, audited."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.audit import MemoryAuditSink
from gateway.simulator import DEMO_KEY, Simulator
from tests.conftest import Gateway
from tests.writes.support import MANY, ONE, READ, TODAY, Facts, facts, gateway, row, writer

__all__ = ["facts", "gateway", "writer"]  # fixtures shared with tests/writes



def _row(facts: Facts, n: int = 0, **change: Any) -> dict[str, Any]:
    return row(facts, n, **change)


@pytest.fixture
def audited(gateway: Gateway) -> MemoryAuditSink:
    return gateway.services.audit  # type: ignore[no-any-return]


async def test_single_write_posts_what_the_reference_describes(gateway: Gateway, facts: Facts,
                                                               audited: MemoryAuditSink) -> None:
    sim = gateway.sim
    student = facts.students[3]
    late = facts.codes["L"]
    data = await gateway.gql(ONE, {"input": {"studentId": str(student["student_id"]),
                                             "date": facts.open_days[TODAY - 1], "session": "PM",
                                             "codeId": str(late["id"]), "minutesLate": 12,
                                             "notes": "Bus was late"}})
    assert "errors" not in data, data
    mark = data["data"]["recordSessionAttendance"]
    assert mark == {"date": facts.open_days[TODAY - 1], "session": "PM", "minutesLate": 12,
                    "notes": "Bus was late",
                    "student": {"id": str(student["student_id"]), "upn": student["upn"]},
                    "code": {"id": str(late["id"]), "code": "L"}, "alias": None}
    assert sim.counts["record-session-mark"] == 1
    assert sim.posted[-1] == {"student_upn": student["upn"], "date": facts.open_days[TODAY - 1],
                              "session": "PM", "session_mark_id": late["id"],
                              "session_mark_alias_id": None, "session_minutes_late": 12,
                              "session_notes": "Bus was late",
                              "student_mis_id": sim.posted[-1]["student_mis_id"]}
    assert sim.posted[-1]["student_mis_id"]  # GET Students has it: sent (the reference's field)
    assert [r["outcome"] for r in audited.records] == ["attempt", "saved"]
    record = audited.records[-1]
    assert record["student_id"] == student["student_id"] and record["mark_id"] == late["id"]
    assert DEMO_KEY not in str(record)


async def test_write_by_upn_and_alias_code(gateway: Gateway, facts: Facts) -> None:
    with_alias = next(c for c in facts.codes.values() if c.get("aliases"))
    alias = with_alias["aliases"][0]
    alias_code = alias.get("alias_code", alias.get("code"))
    student = facts.students[4]
    data = await gateway.gql(ONE, {"input": {"studentUpn": student["upn"], "date": facts.open_days[TODAY - 3],
                                             "session": "AM", "code": with_alias["code"],
                                             "aliasCode": alias_code}})
    assert "errors" not in data, data
    assert data["data"]["recordSessionAttendance"]["alias"] == {"id": str(alias["id"]), "code": alias_code}
    assert gateway.sim.posted[-1]["session_mark_alias_id"] == alias["id"]


@pytest.mark.parametrize("change, words", [
    ({"date": "CLOSED"}, "not open"),
    ({"studentId": "99999999"}, "No student"),
    ({"studentId": None, "studentUpn": "B801200005001"}, "No student"),
    ({"studentId": None, "studentUpn": "A801200005001"}, "check letter"),
    ({"studentId": None, "studentUpn": "12345"}, "13 characters"),
    ({"studentId": "abc"}, "whole number"),
    ({"code": "ZZ"}, "not in use"),
    ({"code": None, "codeId": "987654"}, "not in use"),
    ({"aliasId": "987654"}, "does not belong"),
    ({"code": "N", "minutesLate": 5}, "present or late mark"),
    ({"code": "L", "minutesLate": 9999}, "between 0"),
    ({"notes": "x" * 501}, "at most 500"),
    ({"date": "2019-10-10"}, "not today's"),
    ({"code": "/", "codeId": "1"}, "exactly one"),
])
async def test_invalid_input_is_refused_before_any_post(gateway: Gateway, facts: Facts,
                                                        audited: MemoryAuditSink,
                                                        change: dict[str, Any], words: str) -> None:
    if change.get("date") == "CLOSED":
        change = {**change, "date": facts.closed_day}
    data = await gateway.gql(ONE, {"input": _row(facts, **change)})
    assert data["data"] is None
    [error] = data["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert words in error["message"], error["message"]
    assert gateway.sim.counts["record-session-mark"] == 0
    assert [r["outcome"] for r in audited.records] == ["refused"]


async def test_malformed_date_is_bad_user_input(gateway: Gateway, facts: Facts) -> None:
    data = await gateway.gql(ONE, {"input": _row(facts, date="2026-13-45")})
    assert data["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert gateway.sim.counts["record-session-mark"] == 0


async def test_register_of_30_with_2_bad_rows(gateway: Gateway, facts: Facts,
                                              audited: MemoryAuditSink) -> None:
    rows = [_row(facts, n, date=facts.open_days[TODAY - 4], code="/" if n % 3 else "L") for n in range(30)]
    rows[4] = {**rows[4], "code": "NOPE"}
    rows[17] = {**rows[17], "studentId": "424242424"}
    data = await gateway.gql(MANY, {"inputs": rows})
    assert "errors" not in data, data
    results = data["data"]["recordSessionAttendances"]
    assert [r["index"] for r in results] == list(range(30))
    bad = [r["index"] for r in results if r["error"]]
    assert bad == [4, 17]
    assert all(r["error"]["code"] == "BAD_USER_INPUT" for r in results if r["error"])
    assert all(r["mark"]["student"]["id"] == rows[r["index"]]["studentId"]
               for r in results if r["mark"])
    assert gateway.sim.counts["record-session-mark"] == 28
    assert sorted(r["outcome"] for r in audited.records) == ["attempt"] * 28 + ["refused"] * 2 + ["saved"] * 28


async def test_read_your_write(writer: Any, facts: Facts, cache_url: str) -> None:
    gateway = writer(cache_url=cache_url)  # on memory and on a real Redis
    day = facts.open_days[TODAY - 5]
    student = str(facts.students[0]["student_id"])
    before = await gateway.gql(READ, {"date": day})  # warms the request and shared caches
    assert "errors" not in before, before
    row = _row(facts, 0, date=day, session="AM", code="N", notes="No reason yet")
    written = await gateway.gql(ONE, {"input": row})
    assert "errors" not in written, written
    after = await gateway.gql(READ, {"date": day})
    mine = [m for m in after["data"]["academicYear"]["sessionMarks"]
            if m["student"]["id"] == student and m["session"] == "AM"]
    assert mine == [{"session": "AM", "student": {"id": student}, "code": {"code": "N"},
                     "minutesLate": None, "notes": "No reason yet"}]
    # The same mutation again is idempotent in effect: the same mark.
    again = await gateway.gql(ONE, {"input": row})
    assert again["data"] == written["data"]


async def test_upstream_refusals_map_to_their_codes(gateway: Gateway, facts: Facts,
                                                  fresh_sim: Simulator) -> None:
    fresh_sim.set_mode(DEMO_KEY, bromcom=True)
    try:
        data = await gateway.gql(ONE, {"input": _row(facts)})
        assert data["errors"][0]["extensions"] == {"code": "FORBIDDEN", "reason": "Not Enabled For Bromcom"}
    finally:
        fresh_sim.set_mode(DEMO_KEY, bromcom=False)
    fresh_sim.set_mode(DEMO_KEY, attendance_mode_ok=False)
    try:
        data = await gateway.gql(ONE, {"input": _row(facts)})
        # A 400 in the reference's error table: the request is wrong for this school, not forbidden.
        assert data["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert data["errors"][0]["extensions"]["reason"] == "Attendance Invalid Mode"
    finally:
        fresh_sim.set_mode(DEMO_KEY, attendance_mode_ok=True)


async def test_a_timed_out_write_is_an_unknown_outcome(writer: Any, facts: Facts,
                                                       fresh_sim: Simulator, live_sim: Any) -> None:
    # Over real HTTP (timeouts do not apply to the in-process transport), passing the key through.
    gw = writer(upstream_url=live_sim.url + "/customer/v1", upstream_timeout=0.3,
                upstream_retries=0)
    sink = gw.services.audit
    auth = {"authorization": f"Bearer {DEMO_KEY}"}
    first = await gw.gql(ONE, {"input": _row(facts, 1)}, headers=auth)  # caches what validation reads
    assert "errors" not in first, first
    fresh_sim.reset()
    fresh_sim.config.latency_ms = 800
    try:
        data = await gw.gql(ONE, {"input": _row(facts)}, headers=auth)
    finally:
        fresh_sim.config.latency_ms = 0
    [error] = data["errors"]
    assert error["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert "read the session marks" in error["message"]
    assert fresh_sim.counts["record-session-mark"] == 1
    assert sink.records[-1]["outcome"] == "unknown"


async def test_present_mark_with_minutes_late_as_the_reference_posts_it(gateway: Gateway, facts: Facts) -> None:
    # The reference's own example: mark "/" (id 12 there) with session_minutes_late 10.
    data = await gateway.gql(ONE, {"input": _row(facts, 2, code="/", minutesLate=10)})
    assert "errors" not in data, data
    assert data["data"]["recordSessionAttendance"]["minutesLate"] == 10
    assert gateway.sim.posted[-1]["session_mark_id"] == facts.codes["/"]["id"]
    assert gateway.sim.posted[-1]["session_minutes_late"] == 10
