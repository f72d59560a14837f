"""recordSessionAttendance(s): validated before any POST, read-your-write, audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from gateway.audit import MemoryAuditSink
from gateway.simulator import DEMO_KEY, Simulator
from tests.conftest import Gateway
from tests.simdata import current_year, upstream

ONE = """
mutation One($input: SessionAttendanceInput!) {
  recordSessionAttendance(input: $input) {
    date session minutesLate notes
    student { id upn }
    code { id code }
    alias { id code }
  }
}"""

MANY = """
mutation Register($inputs: [SessionAttendanceInput!]!) {
  recordSessionAttendances(inputs: $inputs) {
    index
    mark { session student { id } code { code } }
    error { code message }
  }
}"""

READ = """
query Day($date: Date!) {
  academicYear { sessionMarks(date: $date) { session student { id } code { code } minutesLate notes } }
}"""


@dataclass
class Facts:
    year: int
    open_days: list[str]
    closed_day: str
    students: list[dict[str, Any]]  # education details rows of on-roll students
    codes: dict[str, dict[str, Any]]  # by code text


@pytest.fixture
async def facts(fresh_sim: Simulator) -> Facts:
    year = await current_year(fresh_sim)
    calendar, _ = await upstream(fresh_sim, "calendar", academicYear=year)
    open_days = [d["date"][:10] for d in calendar if d["day_type_code"] == "Open"]
    closed = next(d["date"][:10] for d in calendar
                  if d["day_type_code"] == "Closed" and d["date"][:10] > open_days[0])
    edu = [e for e in (await upstream(fresh_sim, "education-details", academicYear=year))[0]
           if not e.get("deleted_from_source")]
    codes = {c["code"]: c for c in (await upstream(fresh_sim, "attendance-codes", academicYear=year))[0]}
    fresh_sim.reset()
    return Facts(year, open_days, closed, edu, codes)


@pytest.fixture
def audited(gateway: Gateway) -> MemoryAuditSink:
    sink = MemoryAuditSink()
    gateway.services.audit = sink
    return sink


def _row(facts: Facts, n: int = 0, **change: Any) -> dict[str, Any]:
    return {"studentId": str(facts.students[n]["student_id"]), "date": facts.open_days[5],
            "session": "AM", "code": "/", **change}


async def test_single_write_posts_what_the_reference_describes(gateway: Gateway, facts: Facts,
                                                               audited: MemoryAuditSink) -> None:
    sim = gateway.sim
    student = facts.students[3]
    late = facts.codes["L"]
    data = await gateway.gql(ONE, {"input": {"studentId": str(student["student_id"]),
                                             "date": facts.open_days[6], "session": "PM",
                                             "codeId": str(late["id"]), "minutesLate": 12,
                                             "notes": "Bus was late"}})
    assert "errors" not in data, data
    mark = data["data"]["recordSessionAttendance"]
    assert mark == {"date": facts.open_days[6], "session": "PM", "minutesLate": 12,
                    "notes": "Bus was late",
                    "student": {"id": str(student["student_id"]), "upn": student["upn"]},
                    "code": {"id": str(late["id"]), "code": "L"}, "alias": None}
    assert sim.counts["record-session-mark"] == 1
    assert sim.posted[-1] == {"student_upn": student["upn"], "date": facts.open_days[6],
                              "session": "PM", "session_mark_id": late["id"],
                              "session_mark_alias_id": None, "session_minutes_late": 12,
                              "session_notes": "Bus was late", "student_mis_id": None}
    assert [r["outcome"] for r in audited.records] == ["saved"]
    record = audited.records[0]
    assert record["student_id"] == student["student_id"] and record["mark_id"] == late["id"]
    assert DEMO_KEY not in str(record)


async def test_write_by_upn_and_alias_code(gateway: Gateway, facts: Facts) -> None:
    with_alias = next(c for c in facts.codes.values() if c.get("aliases"))
    alias = with_alias["aliases"][0]
    alias_code = alias.get("alias_code", alias.get("code"))
    student = facts.students[4]
    data = await gateway.gql(ONE, {"input": {"studentUpn": student["upn"], "date": facts.open_days[7],
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
    ({"minutesLate": 5}, "late mark"),
    ({"code": "L", "minutesLate": 9999}, "between 0"),
    ({"notes": "x" * 501}, "at most 500"),
    ({"date": "2019-10-10"}, "does not have"),
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
    rows = [_row(facts, n, date=facts.open_days[8], code="/" if n % 3 else "L") for n in range(30)]
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
    assert sorted(r["outcome"] for r in audited.records) == ["refused"] * 2 + ["saved"] * 28


async def test_read_your_write(make_gateway: Any, facts: Facts, cache_url: str) -> None:
    gateway = make_gateway(cache_url=cache_url)  # on memory and on a real Redis
    day = facts.open_days[9]
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


async def test_upstream_refusals_map_to_forbidden(gateway: Gateway, facts: Facts,
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
        assert data["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert data["errors"][0]["extensions"]["reason"] == "Attendance Invalid Mode"
    finally:
        fresh_sim.set_mode(DEMO_KEY, attendance_mode_ok=True)


async def test_a_timed_out_write_is_an_unknown_outcome(make_gateway: Any, facts: Facts,
                                                       fresh_sim: Simulator, live_sim: Any) -> None:
    # Over real HTTP (timeouts do not apply to the in-process transport), passing the key through.
    gw = make_gateway(upstream_url=live_sim.url + "/customer/v1", upstream_timeout=0.3,
                      upstream_retries=0)
    sink = MemoryAuditSink()
    gw.services.audit = sink
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
