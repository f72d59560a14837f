"""Shared by the write tests: the school's facts, gateways whose clock is a chosen school day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from gateway.audit import MemoryAuditSink
from gateway.simulator import Simulator
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
mutation Register($inputs: [SessionAttendanceInput!]!, $key: String) {
  recordSessionAttendances(inputs: $inputs, idempotencyKey: $key) {
    index
    mark { session student { id } code { code } minutesLate }
    error { code message outcomeUnknown }
  }
}"""

READ = """
query Day($date: Date!) {
  academicYear { sessionMarks(date: $date) { session student { id } code { code } minutesLate notes } }
}"""

#: The school day the gateways in these tests take for today (an index into the open days).
TODAY = 12


@dataclass
class Facts:
    year: int
    open_days: list[str]
    closed_day: str
    students: list[dict[str, Any]]  # education details rows of on-roll students
    codes: dict[str, dict[str, Any]]  # by code text
    names: list[str]  # every student's forename and surname (none may reach the audit log)

    @property
    def today(self) -> dt.date:
        return dt.date.fromisoformat(self.open_days[TODAY])


@pytest.fixture
async def facts(fresh_sim: Simulator) -> Facts:
    year = await current_year(fresh_sim)
    calendar, _ = await upstream(fresh_sim, "calendar", academicYear=year)
    open_days = [d["date"][:10] for d in calendar if d["day_type_code"] == "Open"]
    closed = next(d["date"][:10] for d in calendar
                  if d["day_type_code"] == "Closed" and open_days[2] < d["date"][:10] < open_days[TODAY])
    edu = [e for e in (await upstream(fresh_sim, "education-details", academicYear=year))[0]
           if not e.get("deleted_from_source")]
    codes = {c["code"]: c for c in (await upstream(fresh_sim, "attendance-codes", academicYear=year))[0]}
    students, _ = await upstream(fresh_sim, "students", academicYear=year)
    names = sorted({str(s[k]) for s in students
                    for k in ("legal_first_name", "legal_last_name", "preferred_first_name",
                              "preferred_last_name") if s.get(k) and len(str(s[k])) > 3})
    fresh_sim.reset()
    return Facts(year, open_days, closed, edu, codes, names)


@pytest.fixture
def writer(make_gateway: Callable[..., Gateway], facts: Facts) -> Callable[..., Gateway]:
    """Gateways whose today is the school day ``TODAY``, window 10 school days, audited in memory."""

    def make(**overrides: Any) -> Gateway:
        overrides.setdefault("write_window_days", 10)
        gw = make_gateway(**overrides)
        gw.services.extras["today"] = lambda: facts.today
        gw.services.audit = MemoryAuditSink()
        return gw

    return make


@pytest.fixture
def gateway(writer: Callable[..., Gateway]) -> Gateway:
    return writer()


def records(gw: Gateway) -> list[dict[str, Any]]:
    return gw.services.audit.records  # type: ignore[no-any-return]


def row(facts: Facts, n: int = 0, **change: Any) -> dict[str, Any]:
    return {"studentId": str(facts.students[n]["student_id"]), "date": facts.open_days[TODAY - 2],
            "session": "AM", "code": "/", **change}
