"""Attendance codes, session and lesson marks and summaries against the simulator's own JSON.

Values are compared one for one with what the simulator serves directly; a
range fans out over open days only, a bad range costs no upstream call, and a
register or pastoral query sits on the upstream-call floor with no unplanned
(per-object) loads.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from gateway import metrics
from gateway.logs import JsonFormatter
from gateway.simulator import DEMO_KEY
from tests.simdata import current_year, ok, open_days, unplanned, upstream


async def codes_and_aliases(sim: Any, year: int) -> tuple[dict[Any, dict], dict[Any, dict]]:
    codes, _ = await upstream(sim, "attendance-codes", academicYear=year)
    by_id = {c["id"]: c for c in codes}
    aliases = {a["id"]: a for c in codes for a in c.get("aliases") or ()}
    return by_id, aliases


def alias_code(alias: dict) -> Any:
    return alias.get("alias_code", alias.get("code"))


async def marked_day(sim: Any, year: int) -> tuple[dt.date, list[dict]]:
    """The latest past open day with session marks, with its marks."""
    for day in reversed(await open_days(sim, year)):
        rows, _ = await upstream(sim, "session-marks", academicYear=year, date=day.isoformat())
        if rows:
            return day, rows
    raise AssertionError("the simulator has no session marks at all")


# --- codes ---------------------------------------------------------------------------------

async def test_attendance_codes_with_aliases_match_upstream(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    codes, _ = await upstream(sim, "attendance-codes", academicYear=year)
    assert codes and any(c.get("aliases") for c in codes)
    sim.reset()
    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { attendanceCodes { id code label "
        "attendanceOfficerOnly protectIfEnteredByAttendanceOfficer protectIfEnteredBySchoolManager "
        "protectIfEnteredByBehaviourManager aliases { id code label mark { id code } } } } }",
        {"y": year}))
    expected = [{
        "id": str(c["id"]), "code": c["code"], "label": c["label"],
        "attendanceOfficerOnly": c["attendance_officer_only"],
        "protectIfEnteredByAttendanceOfficer": c["protect_if_entered_by_attendance_officer"],
        "protectIfEnteredBySchoolManager": c["protect_if_entered_by_school_manager"],
        "protectIfEnteredByBehaviourManager": c["protect_if_entered_by_behaviour_manager"],
        "aliases": [{"id": str(a["id"]), "code": alias_code(a),
                     "label": a.get("alias_label", a.get("label")),
                     "mark": {"id": str(c["id"]), "code": c["code"]}} for a in c.get("aliases") or ()],
    } for c in codes]
    assert data["academicYear"]["attendanceCodes"] == expected
    assert sim.counts["attendance-codes"] == 1


# --- session marks -------------------------------------------------------------------------

SESSION_QUERY = """query($y: Int, $d: Date!) { academicYear(year: $y) { sessionMarks(date: $d) {
  date session student { id legalLastName } code { id code } alias { id code } minutesLate notes } } }"""


async def test_session_marks_for_a_date_match_upstream(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    day, rows = await marked_day(sim, year)
    codes, aliases = await codes_and_aliases(sim, year)
    students, _ = await upstream(sim, "students", academicYear=year)
    names = {s["id"]: s["legal_last_name"] for s in students}
    assert any(r["session_alias_id"] is not None for r in rows) or any(
        r["session_minutes_late"] is not None for r in rows)

    data = ok(await gateway.gql(SESSION_QUERY, {"y": year, "d": day.isoformat()}))
    expected = [{
        "date": r["date"][:10], "session": r["session"],
        "student": {"id": str(r["student_id"]), "legalLastName": names.get(r["student_id"])},
        "code": {"id": str(r["session_mark_id"]), "code": codes[r["session_mark_id"]]["code"]},
        "alias": None if r["session_alias_id"] is None else {
            "id": str(r["session_alias_id"]), "code": alias_code(aliases[r["session_alias_id"]])},
        "minutesLate": r["session_minutes_late"], "notes": r["session_notes"],
    } for r in rows]
    got = data["academicYear"]["sessionMarks"]
    assert got == expected
    assert {m["date"] for m in got} == {day.isoformat()}


async def test_session_marks_for_a_date_sit_on_the_floor(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    day, _ = await marked_day(sim, year)
    sim.reset()
    before = unplanned()
    data = ok(await gateway.gql(
        "query($y: Int, $d: Date!) { academicYear(year: $y) { sessionMarks(date: $d) { "
        "student { legalLastName } code { code } alias { code } } } }", {"y": year, "d": day.isoformat()}))
    assert len(data["academicYear"]["sessionMarks"]) > 20
    # One fetch per resource: the date's marks, the students, the codes (and the school).
    assert dict(sim.counts) == {"school": 1, "session-marks": 1, "students": 1, "attendance-codes": 1}
    assert unplanned() == before


async def test_student_session_marks_over_a_week(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    days = await open_days(sim, year)
    # The last full Monday-to-Sunday week before today that has open days.
    monday = days[-1] - dt.timedelta(days=days[-1].weekday() + 7)
    week = [d for d in days if monday <= d <= monday + dt.timedelta(days=6)]
    assert week
    per_day = {}
    for d in week:
        per_day[d], _ = await upstream(sim, "session-marks", academicYear=year, date=d.isoformat())
    student_id = next(r["student_id"] for d in week for r in per_day[d])
    codes, aliases = await codes_and_aliases(sim, year)
    expected = [{
        "date": r["date"][:10], "session": r["session"], "student": {"id": str(student_id)},
        "code": {"code": codes[r["session_mark_id"]]["code"]},
        "alias": None if r["session_alias_id"] is None else {"code": alias_code(aliases[r["session_alias_id"]])},
        "minutesLate": r["session_minutes_late"], "notes": r["session_notes"],
    } for d in week for r in per_day[d] if r["student_id"] == student_id]
    assert len(expected) >= 2 * len(week) - 1

    sim.reset()
    before = unplanned()
    data = ok(await gateway.gql(
        "query($y: Int, $id: ID!, $f: Date!, $t: Date) { academicYear(year: $y) { student(id: $id) { "
        "sessionMarks(from: $f, to: $t) { date session student { id } code { code } alias { code } "
        "minutesLate notes } } } }",
        {"y": year, "id": str(student_id), "f": monday.isoformat(),
         "t": (monday + dt.timedelta(days=6)).isoformat()}))
    assert data["academicYear"]["student"]["sessionMarks"] == expected
    # The weekend and any closed day are never asked for.
    assert sim.counts["session-marks"] == len(week)
    asked = sorted(r.path.rsplit("/", 1)[-1] for r in sim.requests if r.route == "session-marks")
    assert asked == [d.isoformat() for d in week]
    assert sim.counts["calendar"] == 1
    assert unplanned() == before


async def test_session_marks_to_defaults_to_from(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    day, rows = await marked_day(sim, year)
    student_id = rows[0]["student_id"]
    sim.reset()
    data = ok(await gateway.gql(
        "query($y: Int, $id: ID!, $f: Date!) { academicYear(year: $y) { student(id: $id) { "
        "sessionMarks(from: $f) { date session } } } }",
        {"y": year, "id": str(student_id), "f": day.isoformat()}))
    expected = [{"date": day.isoformat(), "session": r["session"]} for r in rows if r["student_id"] == student_id]
    assert data["academicYear"]["student"]["sessionMarks"] == expected
    assert sim.counts["session-marks"] == 1


# --- lesson marks --------------------------------------------------------------------------

async def test_lesson_marks_match_upstream(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    rows: list[dict] = []
    for day in reversed(await open_days(sim, year)):
        rows, _ = await upstream(sim, "lesson-marks", academicYear=year, date=day.isoformat())
        if rows:
            break
    assert rows, "the simulator has no lesson marks"
    codes, aliases = await codes_and_aliases(sim, year)
    classes, _ = await upstream(sim, "classes", academicYear=year)
    class_ids = {c["id"] for c in classes}
    expected = [{
        "date": r["date"][:10], "student": {"id": str(r["student_id"])},
        "timetabledClass": {"id": str(r["class_id"])} if r["class_id"] in class_ids else None,
        "code": {"id": str(r["lesson_mark_id"]), "code": codes[r["lesson_mark_id"]]["code"]},
        "alias": None if r["lesson_alias_id"] is None else {"code": alias_code(aliases[r["lesson_alias_id"]])},
        "minutesLate": r["lesson_minutes_late"], "notes": r["lesson_notes"],
    } for r in rows]
    assert any(e["timetabledClass"] for e in expected)

    sim.reset()
    before = unplanned()
    data = ok(await gateway.gql(
        "query($y: Int, $d: Date!) { academicYear(year: $y) { lessonMarks(date: $d) { date student { id } "
        "timetabledClass { id } code { id code } alias { code } minutesLate notes } } }",
        {"y": year, "d": day.isoformat()}))
    assert data["academicYear"]["lessonMarks"] == expected
    assert sim.counts["lesson-marks"] == 1 and sim.counts["attendance-codes"] == 1
    assert unplanned() == before

    # The same marks reached from one student, over a range ending that day.
    student_id = rows[0]["student_id"]
    data = ok(await gateway.gql(
        "query($y: Int, $id: ID!, $f: Date!) { academicYear(year: $y) { student(id: $id) { "
        "lessonMarks(from: $f) { date timetabledClass { id } code { code } student { id } } } } }",
        {"y": year, "id": str(student_id), "f": day.isoformat()}))
    assert data["academicYear"]["student"]["lessonMarks"] == [
        {"date": e["date"], "timetabledClass": e["timetabledClass"], "code": {"code": e["code"]["code"]},
         "student": e["student"]} for e in expected if e["student"]["id"] == str(student_id)]


# --- summaries -----------------------------------------------------------------------------

SUMMARY_FIELDS = {"possibleSessions": "possible_sessions", "present": "present",
                  "approvedEducationalActivity": "approved_educational_activity",
                  "authorisedAbsence": "authorised_absence", "unauthorisedAbsence": "unauthorised_absence",
                  "attendanceNotRequired": "attendance_not_required", "missingMark": "missing_mark",
                  "late": "late"}


async def test_attendance_summary_is_the_upstreams_count(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    summaries, _ = await upstream(sim, "attendance-summary", academicYear=year)
    assert len(summaries) > 100 and any(s["late"] for s in summaries)
    sim.reset()
    fields = " ".join(SUMMARY_FIELDS)
    data = ok(await gateway.gql(
        f"query($y: Int) {{ academicYear(year: $y) {{ attendanceSummaries {{ student {{ id }} {fields} }} "
        f"students {{ id attendanceSummary {{ {fields} student {{ id }} }} }} }} }}", {"y": year}))
    ay = data["academicYear"]
    assert ay["attendanceSummaries"] == [
        {"student": {"id": str(s["student_id"])}, **{k: s[v] for k, v in SUMMARY_FIELDS.items()}}
        for s in summaries]
    by_student = {str(s["student_id"]): s for s in summaries}
    for student in ay["students"]:
        s = by_student.get(student["id"])
        if s is None:
            assert student["attendanceSummary"] is None
        else:
            assert student["attendanceSummary"] == {
                **{k: s[v] for k, v in SUMMARY_FIELDS.items()}, "student": {"id": student["id"]}}
    assert sim.counts["attendance-summary"] == 1


# --- range rules ---------------------------------------------------------------------------

async def test_bad_ranges_are_refused_before_any_upstream_call(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    ok(await gateway.gql("{ school { currentAcademicYear } }"))  # the school is now cached
    start = dt.date(year - 1, 9, 7)
    cases = {
        "94 days": (start, start + dt.timedelta(days=93)),
        "to before from": (start, start - dt.timedelta(days=1)),
        "outside the year": (dt.date(year - 1, 7, 20), dt.date(year - 1, 8, 2)),
    }
    for what, (f, t) in cases.items():
        sim.reset()
        data = await gateway.gql(
            "query($y: Int, $f: Date!, $t: Date) { academicYear(year: $y) { "
            "students { sessionMarks(from: $f, to: $t) { session } } } }",
            {"y": year, "f": f.isoformat(), "t": t.isoformat()})
        # Only the marks fail: the students are there, each with a null sessionMarks.
        rows = data["data"]["academicYear"]["students"]
        assert rows and all(r == {"sessionMarks": None} for r in rows), what
        assert {e["extensions"]["code"] for e in data["errors"]} == {"BAD_USER_INPUT"}, what
        # Nothing at all was asked upstream: not the calendar, not the marks.
        assert not any(r.route in ("calendar", "session-marks") for r in sim.requests), what
    students, _ = await upstream(sim, "students", academicYear=year)
    sim.reset()
    data = await gateway.gql(
        "query($y: Int, $id: ID, $f: Date!, $t: Date) { academicYear(year: $y) { "
        "student(id: $id) { lessonMarks(from: $f, to: $t) { notes } } } }",
        {"y": year, "id": str(students[0]["id"]), "f": start.isoformat(),
         "t": (start + dt.timedelta(days=93)).isoformat()})
    assert data["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "93" in data["errors"][0]["message"]
    assert not any(r.route in ("calendar", "lesson-marks") for r in sim.requests)


async def test_a_93_day_span_is_allowed_and_single_dates_outside_the_year_are_refused(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    day, rows = await marked_day(sim, year)
    start = max(day - dt.timedelta(days=92), dt.date(year - 1, 8, 1))
    sim.reset()
    data = ok(await gateway.gql(
        "query($y: Int, $id: ID!, $f: Date!, $t: Date) { academicYear(year: $y) { student(id: $id) { "
        "sessionMarks(from: $f, to: $t) { date } } } }",
        {"y": year, "id": str(rows[0]["student_id"]), "f": start.isoformat(), "t": day.isoformat()}))
    assert data["academicYear"]["student"]["sessionMarks"][-1]["date"] == day.isoformat()
    assert 0 < sim.counts["session-marks"] < 93

    sim.reset()
    data = await gateway.gql(SESSION_QUERY, {"y": year, "d": f"{year}-08-03"})
    assert data["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert sim.counts["session-marks"] == 0


# --- what the upstream may give that the reference does not list (issue 14, item 7) ------------

def unknown_count(type_name: str, field: str) -> float:
    return metrics.REGISTRY.get_sample_value(
        "go4graph_unknown_values_total", {"type": type_name, "field": field}) or 0.0


def unknown_warnings(caplog: Any) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "go4graph.graph.unknown"]


async def test_a_session_neither_am_nor_pm_is_an_error_at_that_mark_not_a_dropped_row(
        gateway: Any, caplog: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    day, _ = await marked_day(sim, year)
    rows = sim.school_for(DEMO_KEY).year(year).attendance.session_marks(day)
    bad = [rows[0], rows[3]]
    sessions = [row["session"] for row in bad]
    try:
        for row in bad:
            row["session"] = "EV"
        before = unknown_count("SessionMark", "session")
        caplog.set_level(logging.WARNING, logger="go4graph.graph.unknown")
        answer = await gateway.gql(
            "query($y: Int, $d: Date!) { academicYear(year: $y) { sessionMarks(date: $d) { session studentId "
            "code { id } } } }", {"y": year, "d": day.isoformat()})
    finally:
        for row, session in zip(bad, sessions, strict=True):
            row["session"] = session
    marks = answer["data"]["academicYear"]["sessionMarks"]
    assert len(marks) == len(rows)  # every row is shown, none dropped
    assert [m["session"] for m in marks[:4]] == [None, rows[1]["session"], rows[2]["session"], None]
    assert all(m["code"] for m in marks) and marks[0]["studentId"] == str(rows[0]["student_id"])
    errors = answer["errors"]
    assert [e["path"] for e in errors] == [["academicYear", "sessionMarks", 0, "session"]]
    assert errors[0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert errors[0]["extensions"]["count"] == 2 and "'EV'" in errors[0]["message"]
    assert unknown_count("SessionMark", "session") == before + 2  # one per row
    warned = unknown_warnings(caplog)
    assert len(warned) == 1  # once per request and value
    assert (warned[0].type, warned[0].field, warned[0].value) == ("SessionMark", "session", "EV")
    line = JsonFormatter().format(warned[0])  # as the log shows it: the type, field and value only
    assert '"value":"EV"' in line and str(rows[0]["student_id"]) not in line


async def test_a_mark_or_summary_whose_student_get_students_lacks_has_a_null_student(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    day, _ = await marked_day(sim, year)
    attendance = sim.school_for(DEMO_KEY).year(year).attendance
    marks, lessons, summaries = attendance.session_marks(day), attendance.lesson_marks(day), attendance.summary()
    gone = 99_999_999  # a student id GET Students does not list
    added = [(rows, {**rows[0], "student_id": gone}) for rows in (marks, lessons, summaries)]
    summary = added[2][1]
    for rows, row in added:
        rows.append(row)
    try:
        data = ok(await gateway.gql(
            "query($y: Int, $d: Date!) { academicYear(year: $y) { "
            "sessionMarks(date: $d) { studentId student { id } } lessonMarks(date: $d) { studentId student { id } } "
            "attendanceSummaries { studentId student { id } present } } }", {"y": year, "d": day.isoformat()}))
    finally:
        for rows, row in added:
            rows.remove(row)
    ay = data["academicYear"]
    assert ay["sessionMarks"][-1] == {"studentId": str(gone), "student": None}
    assert ay["lessonMarks"][-1] == {"studentId": str(gone), "student": None}
    assert ay["lessonMarks"][0]["student"] == {"id": str(lessons[0]["student_id"])}
    assert ay["sessionMarks"][0]["student"] == {"id": str(marks[0]["student_id"])}
    assert ay["attendanceSummaries"][-1] == {"studentId": str(gone), "student": None, "present": summary["present"]}
    assert len(ay["attendanceSummaries"]) == len(summaries) + 1
