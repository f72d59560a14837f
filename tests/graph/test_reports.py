"""Progress reports, their grades, attribute choices and comments against the simulator's JSON."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.graph import keys
from gateway.graph.attainment import grade_kind
from gateway.graph.schema import schema
from gateway.resources.keys import key
from gateway.simulator import DEMO_KEY
from tests.simdata import current_year, ok, unplanned, upstream


def _kind(value: Any) -> str | None:
    kind = grade_kind(value)
    return None if kind is None else kind.name


def _instant(value: Any) -> str | None:
    """The gateway's DateTime for an upstream '…Z' instant."""
    if not value:
        return None
    return value.replace("Z", "+00:00")


async def _reports(sim: Any, year: int) -> list[dict[str, Any]]:
    reports, _ = await upstream(sim, "reports", academicYear=year)
    assert reports, "the simulator has no reports"
    return reports  # type: ignore[no-any-return]


async def _report_with(sim: Any, year: int, route: str) -> tuple[dict[str, Any], list[dict[str, Any]], int]:
    """The first report whose ``route`` resource has rows, with those rows and their page count."""
    for report in await _reports(sim, year):
        rows, pages = await upstream(sim, route, academicYear=year, reportId=report["id"])
        if rows:
            return report, rows, pages
    raise AssertionError(f"no report has {route}")


async def test_reports_match_upstream(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    reports = await _reports(sim, year)
    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { reports { id name yearGroup enableComments preparedAt "
        "preferredTargetGradeType preferredProgressGradeType presentationName presentationDate "
        "gradeTypes { type kind name description } "
        "attributes { id name description displayName choices { id name points details } } } } }",
        {"y": year}))
    expected = [{
        "id": str(r["id"]), "name": r["name"], "yearGroup": r["year_group"],
        "enableComments": r["enable_comments"], "preparedAt": _instant(r.get("prepared_at")),
        "preferredTargetGradeType": r.get("preferred_target_grade_type"),
        "preferredProgressGradeType": r.get("preferred_progress_grade_type"),
        "presentationName": r.get("presentation_name"),
        "presentationDate": _instant(r.get("presentation_date")),
        "gradeTypes": [{"type": g["type"], "kind": _kind(g["type"]), "name": g.get("name"),
                        "description": g.get("description")} for g in r["grades"]],
        "attributes": [{"id": str(a["id"]), "name": a["name"], "description": a["description"],
                        "displayName": a["display_name"],
                        "choices": [{"id": str(c["id"]), "name": c["name"], "points": c["points"],
                                     "details": c.get("details")} for c in a["choices"]]}
                       for a in r["attributes_and_choices"]],
    } for r in reports]
    assert data["academicYear"]["reports"] == expected
    assert any(r["attributes"] for r in expected) and any(r["gradeTypes"] for r in expected)


async def test_report_by_id(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    report = (await _reports(sim, year))[-1]
    data = ok(await gateway.gql(
        "query($y: Int, $r: ID!) { academicYear(year: $y) { report(id: $r) { id name } "
        "none: report(id: 1) { id } } }", {"y": year, "r": str(report["id"])}))
    assert data["academicYear"] == {"report": {"id": str(report["id"]), "name": report["name"]}, "none": None}


async def test_report_grades_match_upstream(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    report, subjects, _ = await _report_with(sim, year, "report-grades")
    expected = [{"report": {"id": str(report["id"])}, "subject": {"id": str(s["subject_id"])},
                 "qan": s.get("qan"), "qualificationTitle": s.get("qualification_title"),
                 "type": g["type"], "kind": _kind(g["type"]), "name": g.get("name"),
                 "student": {"id": str(g["student_id"])}}
                for s in subjects for g in s["grades"]]
    assert expected
    sid = expected[0]["student"]["id"]
    fields = "report { id } subject { id } qan qualificationTitle type kind name student { id }"
    data = ok(await gateway.gql(
        "query($y: Int, $r: ID!, $s: ID) { academicYear(year: $y) { report(id: $r) { grades { " + fields
        + " } } student(id: $s) { reportGrades(reportId: $r) { " + fields + " } } } }",
        {"y": year, "r": str(report["id"]), "s": sid}))
    ay = data["academicYear"]
    assert ay["report"]["grades"] == expected
    assert ay["student"]["reportGrades"] == [g for g in expected if g["student"]["id"] == sid]


async def test_report_attributes_match_upstream(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    report, subjects, _ = await _report_with(sim, year, "report-attributes")
    choices = {c["id"]: (a, c) for a in report["attributes_and_choices"] for c in a["choices"]}
    expected = []
    for s in subjects:
        for c in s["choices"]:
            attribute, choice = choices[c["choice_id"]]
            expected.append({"report": {"id": str(report["id"])}, "subject": {"id": str(s["subject_id"])},
                             "student": {"id": str(c["student_id"])},
                             "choiceId": str(c["choice_id"]),
                             "choice": {"id": str(choice["id"]), "name": choice["name"],
                                        "points": choice["points"]},
                             "attribute": {"id": str(attribute["id"]), "name": attribute["name"]}})
    assert expected
    sid = expected[-1]["student"]["id"]
    fields = ("report { id } subject { id } student { id } choiceId choice { id name points } "
              "attribute { id name }")
    data = ok(await gateway.gql(
        "query($y: Int, $r: ID!, $s: ID) { academicYear(year: $y) { report(id: $r) { attributeValues { "
        + fields + " } } student(id: $s) { reportAttributes(reportId: $r) { " + fields + " } } } }",
        {"y": year, "r": str(report["id"]), "s": sid}))
    ay = data["academicYear"]
    assert ay["report"]["attributeValues"] == expected
    assert ay["student"]["reportAttributes"] == [v for v in expected if v["student"]["id"] == sid]


async def test_report_comments_match_upstream(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    report, comments, _ = await _report_with(sim, year, "report-comments")
    expected = [{"report": {"id": str(report["id"])}, "subject": {"id": str(c["subject_id"])},
                 "student": {"id": str(c["student_id"])}, "author": c.get("author"),
                 "details": c["details"]} for c in comments]
    sid = expected[0]["student"]["id"]
    fields = "report { id } subject { id } student { id } author details"
    data = ok(await gateway.gql(
        "query($y: Int, $r: ID!, $s: ID) { academicYear(year: $y) { report(id: $r) { comments { " + fields
        + " } } student(id: $s) { reportComments(reportId: $r) { " + fields + " } } } }",
        {"y": year, "r": str(report["id"]), "s": sid}))
    ay = data["academicYear"]
    assert ay["report"]["comments"] == expected
    assert ay["student"]["reportComments"] == [c for c in expected if c["student"]["id"] == sid]


# --- the upstream-call floor and errors ------------------------------------------------------

async def test_one_students_report_sits_on_the_floor(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    report, comments, p_comments = await _report_with(sim, year, "report-comments")
    subjects_rows, p_grades = await upstream(sim, "report-grades", academicYear=year, reportId=report["id"])
    subjects, p_subjects = await upstream(sim, "subjects", academicYear=year)
    _, p_students = await upstream(sim, "students", academicYear=year)
    names = {s["id"]: s["name"] for s in subjects}
    sid = comments[0]["student_id"]

    sim.reset()
    before = unplanned()
    data = ok(await gateway.gql(
        "query($y: Int, $s: ID, $r: ID!) { academicYear(year: $y) { student(id: $s) { "
        "reportGrades(reportId: $r) { name subject { name } } "
        "reportComments(reportId: $r) { details author } } } }",
        {"y": year, "s": str(sid), "r": str(report["id"])}))
    assert dict(sim.counts) == {"school": 1, "students": p_students, "report-grades": p_grades,
                                "subjects": p_subjects, "report-comments": p_comments}
    assert p_comments > 1  # the comments walk really pages
    assert unplanned() == before
    student = data["academicYear"]["student"]
    assert student["reportGrades"] == [{"name": g.get("name"), "subject": {"name": names[s["subject_id"]]}}
                                       for s in subjects_rows for g in s["grades"] if g["student_id"] == sid]
    assert student["reportComments"] == [{"details": c["details"], "author": c.get("author")}
                                         for c in comments if c["student_id"] == sid]


async def test_a_report_id_the_school_lacks_is_bad_user_input(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    ids = {r["id"] for r in await _reports(sim, year)}
    missing = max(ids) + 1000
    data = await gateway.gql(
        "query($r: ID!) { academicYear { students { reportGrades(reportId: $r) { name } } } }",
        {"r": str(missing)})
    errors = data["errors"]
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Invalid Report ID" in errors[0]["message"]
    assert errors[0]["path"][-1] == "reportGrades"
    assert sim.counts["report-grades"] == 1  # one upstream call, however many students asked


async def test_a_report_id_that_is_not_a_number_is_bad_user_input(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    students, _ = await upstream(sim, "students", academicYear=year)
    sim.reset()
    data = await gateway.gql(
        'query($y: Int, $s: ID) { academicYear(year: $y) { student(id: $s) { '
        'reportComments(reportId: "9 9") { details } } report(id: "x") { id } } }',
        {"y": year, "s": str(students[0]["id"])})
    codes = {e["path"][-1]: e["extensions"]["code"] for e in data["errors"]}
    assert codes == {"reportComments": "BAD_USER_INPUT", "report": "BAD_USER_INPUT"}
    assert "whole number" in data["errors"][0]["message"]
    assert not {"report-grades", "report-comments", "report-attributes"} & set(sim.counts)


# --- GET Report Grades' applyTakeHomeReportExclusions ---------------------------------------

def _grade_rows(subjects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"subject": {"id": str(s["subject_id"])}, "type": g["type"], "name": g.get("name"),
             "student": {"id": str(g["student_id"])}} for s in subjects for g in s["grades"]]


async def test_report_grades_can_be_read_without_take_home_exclusions(gateway: Any) -> None:
    """applyTakeHomeReportExclusions: false is sent upstream as the query parameter GET Report
    Grades documents (its default, true, sends nothing: the same call and cache entry as before)."""
    sim = gateway.sim
    year = await current_year(sim)
    attainment = sim.school_for(DEMO_KEY).year(year).attainment
    report = next(r for r in attainment.reports
                  if attainment.report_grades(r, True) != attainment.report_grades(r, False))
    with_exclusions = _grade_rows(attainment.report_grades(report, True))
    without = _grade_rows(attainment.report_grades(report, False))
    extra = [g for g in without if g not in with_exclusions]
    assert extra and len(without) > len(with_exclusions)
    sid = extra[0]["student"]["id"]

    sim.reset()
    before = unplanned()
    fields = "subject { id } type name student { id }"
    data = ok(await gateway.gql(
        "query($y: Int, $r: ID!, $s: ID) { academicYear(year: $y) { report(id: $r) { "
        f"grades {{ {fields} }} all: grades(applyTakeHomeReportExclusions: false) {{ {fields} }} "
        f"explicit: grades(applyTakeHomeReportExclusions: true) {{ {fields} }} }} "
        f"student(id: $s) {{ reportGrades(reportId: $r, applyTakeHomeReportExclusions: false) {{ {fields} }} "
        f"default: reportGrades(reportId: $r) {{ {fields} }} }} }} }}",
        {"y": year, "r": str(report["id"]), "s": sid}))
    ay = data["academicYear"]
    assert ay["report"]["grades"] == with_exclusions == ay["report"]["explicit"]
    assert ay["report"]["all"] == without
    assert ay["student"]["reportGrades"] == [g for g in without if g["student"]["id"] == sid]
    assert ay["student"]["default"] == [g for g in with_exclusions if g["student"]["id"] == sid]
    sent = sorted((r.query for r in sim.requests if r.route == "report-grades"), key=len)
    assert sent == [{}, {"applyTakeHomeReportExclusions": "false"}]  # one call per flag value
    assert unplanned() == before


def test_the_exclusions_flag_is_part_of_the_report_grades_key() -> None:
    plain = keys.REPORT_GRADES(2026, 5)
    assert keys.REPORT_GRADES(2026, 5, True) is plain and plain.options == () and plain.query() == {}
    without = keys.REPORT_GRADES(2026, 5, False)
    assert without != plain and without.params() == plain.params()
    assert without.query() == {"applyTakeHomeReportExclusions": "false"}
    assert str(without) == "report-grades:2026:5?applyTakeHomeReportExclusions=false"
    with pytest.raises(ValueError, match="no query parameter"):
        key("report-comments", 2026, 5, (("applyTakeHomeReportExclusions", "false"),))


def test_fields_with_computed_keys_have_their_routes_categories() -> None:
    """Reads computed per report or per year group still name their routes, so a token's data
    categories are checked for them like for any other field."""
    types = schema._schema.type_map

    def categories(type_name: str, field: str) -> set[str]:
        sfield = types[type_name].fields[field].extensions["strawberry-definition"]  # type: ignore[attr-defined]
        return {c.value for c in sfield.base_resolver.wrapped_func.relation.categories}

    for type_name, field in [("Report", "grades"), ("Report", "comments"), ("Report", "attributeValues"),
                             ("Student", "reportGrades"), ("Student", "reportComments"),
                             ("Student", "reportAttributes")]:
        assert categories(type_name, field) == {"reports"}, (type_name, field)
    for type_name, field in [("AcademicYear", "grades"), ("AcademicYear", "gradeTypes"),
                             ("AcademicYear", "examResults"), ("HeadlineGrade", "gradeType")]:
        assert categories(type_name, field) == {"assessment"}, (type_name, field)
    # A student's grades and exam results find the year group in education details first.
    assert categories("Student", "grades") == categories("Student", "examResults") == {"basic", "assessment"}
