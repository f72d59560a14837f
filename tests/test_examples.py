"""Every operation in schema/examples/ runs against the simulator at the upstream-call floor.

The floor: one walk per distinct resource key the operation touches (each page fetched
once, never twice), and no resolver awaiting a resource its plan had not loaded.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from gateway.simulator import Simulator
from tests.conftest import Gateway
from tests.simdata import current_year, unplanned, upstream

EXAMPLES = Path(__file__).resolve().parents[1] / "schema" / "examples"


async def _variables(sim: Simulator, name: str) -> dict[str, Any]:
    year = await current_year(sim)
    calendar, _ = await upstream(sim, "calendar", academicYear=year)
    today = dt.date.today().isoformat()
    open_days = [d["date"][:10] for d in calendar if d["day_type_code"] == "Open"]
    past = [d for d in open_days if d <= today] or open_days
    if name == "register":
        classes, _ = await upstream(sim, "classes", academicYear=year)
        return {"classId": str(classes[3]["id"]), "date": past[-1]}
    if name == "take_register":
        edu, _ = await upstream(sim, "education-details", academicYear=year)
        on_roll = [e for e in edu if not e.get("deleted_from_source")][:30]
        return {"inputs": [{"studentId": str(e["student_id"]), "date": past[-1], "session": "AM",
                            "code": "/"} for e in on_roll]}
    if name == "pastoral":
        start = dt.date.fromisoformat(past[len(past) // 2])
        return {"yearGroup": "9", "from": start.isoformat(),
                "to": (start + dt.timedelta(days=13)).isoformat()}
    if name == "marks_grid":
        groups, _ = await upstream(sim, "groups", academicYear=year)
        return {"groupCode": next(g["code"] for g in groups if g["code"].startswith("10/"))}
    if name == "student_report":
        reports, _ = await upstream(sim, "reports", academicYear=year)
        report = next(r for r in reports if r.get("enable_comments") and r.get("prepared_at"))
        comments, _ = await upstream(sim, "report-comments", academicYear=year, reportId=report["id"])
        return {"reportId": str(report["id"]), "studentId": str(comments[0]["student_id"])}
    return {}


#: The upstream routes each example must touch (and no others).
EXPECTED = {
    "register": {"school", "classes", "timetables", "teachers", "student-classes", "students",
                 "education-details", "calendar", "session-marks", "attendance-codes"},
    "take_register": {"school", "calendar", "attendance-codes", "education-details", "students",
                      "record-session-mark"},
    "pastoral": {"school", "students", "education-details", "attendance-summary", "calendar",
                 "behaviour-events", "behaviour-event-types", "behaviour-classifications",
                 "immediate-actions", "follow-up-actions", "grades", "grade-types", "subjects"},
    "marks_grid": {"school", "groups", "subjects", "markbooks", "groups-teachers", "teachers",
                   "groups-students", "students", "marks"},
    "student_report": {"school", "reports", "students", "education-details", "report-grades",
                       "report-attributes", "report-comments", "subjects"},
    "roster": {"school", "students", "education-details", "groups-students", "groups", "subjects",
               "groups-teachers", "teachers"},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_example_runs_at_the_floor(gateway: Gateway, name: str) -> None:
    sim = gateway.sim
    document = (EXAMPLES / f"{name}.graphql").read_text()
    variables = await _variables(sim, name)
    sim.reset()
    before = unplanned()
    data = await gateway.gql(document, variables)
    assert "errors" not in data, data["errors"][:3]
    assert data["data"], name
    assert unplanned() == before, "a resolver awaited an unplanned resource"
    routes = {r.route for r in sim.requests}
    assert routes == EXPECTED[name]
    pages = Counter((r.path, r.query.get("cursor")) for r in sim.requests if r.method == "GET")
    repeated = [p for p, n in pages.items() if n > 1]
    assert not repeated, f"fetched twice: {repeated}"


async def test_every_example_is_tested() -> None:
    assert {p.stem for p in EXAMPLES.glob("*.graphql")} == set(EXPECTED)
