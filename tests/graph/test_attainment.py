"""Grade types, headline grades, exam results and prior attainment against the simulator's JSON.

Headline grades, grade types and exam results are one upstream resource per
year group: the floor tests check that a query reads only the year groups of
the students it selected.
"""

from __future__ import annotations

from typing import Any

from gateway.graph.attainment import GradeTypeKind, grade_kind
from tests.simdata import current_year, ok, unplanned, upstream


def _edu_by_year_group(edu: list[dict[str, Any]]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for e in edu:
        yg = e.get("national_curriculum_year")
        if yg not in (None, ""):
            out.setdefault(str(yg), []).append(e["student_id"])
    return out


def _grade_type(t: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(t["id"]), "kind": grade_kind(t["id"]).name if grade_kind(t["id"]) else None,
            "name": t["name"], "shortName": t["short_name"], "description": t["description"],
            "isPreferredProgressGrade": t["is_preferred_progress_grade"],
            "isPreferredTargetGrade": t["is_preferred_target_grade"]}


GRADE_TYPE_FIELDS = "id kind name shortName description isPreferredProgressGrade isPreferredTargetGrade"


def test_grade_kind_tolerates_unknown_ids() -> None:
    assert grade_kind(4) is GradeTypeKind.CURRENT
    assert grade_kind("10") is GradeTypeKind.BASELINE
    assert grade_kind(11) is None
    assert grade_kind(None) is None
    assert grade_kind("x") is None


async def test_grade_types_match_upstream(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    types, _ = await upstream(sim, "grade-types", academicYear=year, yearGroup="10")
    assert len(types) >= 2
    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { gradeTypes(yearGroup: \"10\") { " + GRADE_TYPE_FIELDS
        + " yearGroup } } }", {"y": year}))
    assert data["academicYear"]["gradeTypes"] == [{**_grade_type(t), "yearGroup": "10"} for t in types]


async def test_headline_grades_match_upstream_for_year_and_students(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    grades, _ = await upstream(sim, "grades", academicYear=year, yearGroup="10")
    types, _ = await upstream(sim, "grade-types", academicYear=year, yearGroup="10")
    subjects, _ = await upstream(sim, "subjects", academicYear=year)
    edu, _ = await upstream(sim, "education-details", academicYear=year)
    type_names = {t["id"]: t["name"] for t in types}
    subject_names = {s["id"]: s["name"] for s in subjects}
    assert len(grades) > 20

    def row(g: dict[str, Any]) -> dict[str, Any]:
        tid = g.get("grade_type_id", g.get("grade_type"))
        return {"gradeTypeId": str(tid), "kind": grade_kind(tid).name if grade_kind(tid) else None,
                "gradeType": {"name": type_names[tid]} if tid in type_names else None,
                "subject": {"name": subject_names[g["subject_id"]]},
                "student": {"id": str(g["student_id"])}, "name": g["name"], "alias": g.get("alias")}

    fields = "gradeTypeId kind gradeType { name } subject { name } student { id } name alias"
    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { grades(yearGroup: \"10\") { " + fields + " } "
        "students(yearGroup: \"10\") { id grades { " + fields + " } } } }", {"y": year}))
    ay = data["academicYear"]
    assert ay["grades"] == [row(g) for g in grades]
    per_student: dict[str, list[dict[str, Any]]] = {}
    for g in grades:
        per_student.setdefault(str(g["student_id"]), []).append(row(g))
    year10 = _edu_by_year_group(edu)["10"]
    assert {s["id"]: s["grades"] for s in ay["students"]} == {
        str(i): per_student.get(str(i), []) for i in year10}


async def test_exam_results_match_upstream(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    edu, _ = await upstream(sim, "education-details", academicYear=year)
    groups = _edu_by_year_group(edu)
    year_group, results = None, []
    for yg in sorted(groups, key=lambda g: -int(g) if g.isdigit() else 0):
        results, _ = await upstream(sim, "exam-results", academicYear=year, yearGroup=yg)
        if results:
            year_group = yg
            break
    assert year_group is not None, "the simulator has no exam results in any year group"
    subjects, _ = await upstream(sim, "subjects", academicYear=year)
    subject_names = {s["id"]: s["name"] for s in subjects}

    def row(r: dict[str, Any]) -> dict[str, Any]:
        return {"student": {"id": str(r["student_id"])}, "examAcademicYear": r["exam_academic_year"],
                "qan": r["qan"], "qualificationTitle": r["qualification_title"],
                "examDate": r["exam_date"][:10] if r.get("exam_date") else None,
                "grade": r["grade"], "ks123literal": r["ks123literal"],
                "subject": {"name": subject_names[r["subject_id"]]}
                if r.get("subject_id") in subject_names else None}

    fields = ("student { id } examAcademicYear qan qualificationTitle examDate grade ks123literal "
              "subject { name }")
    data = ok(await gateway.gql(
        "query($y: Int, $g: String!) { academicYear(year: $y) { examResults(yearGroup: $g) { " + fields
        + " } students(yearGroup: $g) { id examResults { " + fields + " } } } }",
        {"y": year, "g": year_group}))
    ay = data["academicYear"]
    assert ay["examResults"] == [row(r) for r in results]
    per_student: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        per_student.setdefault(str(r["student_id"]), []).append(row(r))
    assert {s["id"]: s["examResults"] for s in ay["students"] if s["examResults"]} == per_student


async def test_prior_attainment_matches_upstream(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    prior, _ = await upstream(sim, "prior-attainment", academicYear=year)
    expected: dict[str, list[dict[str, Any]]] = {}
    for attr in prior:
        for v in attr["values"]:
            expected.setdefault(str(v["student_id"]), []).append(
                {"category": "PRIOR_ATTAINMENT", "code": attr["code"], "name": attr["name"],
                 "value": None if v.get("value") is None else str(v["value"]),
                 "academicYear": int(v["academic_year"]) if v.get("academic_year") not in (None, "") else None,
                 "date": v["date"].replace("Z", "+00:00") if v.get("date") else None})
    assert len(expected) > 20
    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { students { id priorAttainment "
        "{ category code name value academicYear date } } } }", {"y": year}))
    got = {s["id"]: s["priorAttainment"] for s in data["academicYear"]["students"] if s["priorAttainment"]}
    assert got == expected


# --- the upstream-call floor ----------------------------------------------------------------

def _year_group_paths(sim: Any, route: str) -> set[str]:
    return {r.path.rsplit("/", 1)[-1] for r in sim.requests if r.route == route}


async def test_a_year_groups_headline_grades_touch_only_that_year_group(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    _, p_students = await upstream(sim, "students", academicYear=year)
    _, p_edu = await upstream(sim, "education-details", academicYear=year)
    _, p_grades = await upstream(sim, "grades", academicYear=year, yearGroup="10")

    sim.reset()
    before = unplanned()
    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { students(yearGroup: \"10\") "
        "{ id grades { name gradeType { name } } } } }", {"y": year}))
    assert dict(sim.counts) == {"school": 1, "students": p_students, "education-details": p_edu,
                                "grades": p_grades, "grade-types": 1}
    assert _year_group_paths(sim, "grades") == {"10"}
    assert _year_group_paths(sim, "grade-types") == {"10"}
    assert unplanned() == before
    assert any(s["grades"] for s in data["academicYear"]["students"])
    assert all(g["gradeType"] for s in data["academicYear"]["students"] for g in s["grades"])


async def test_one_students_grades_touch_only_their_year_group(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    edu, p_edu = await upstream(sim, "education-details", academicYear=year)
    _, p_students = await upstream(sim, "students", academicYear=year)
    groups = _edu_by_year_group(edu)
    yg = "8" if "8" in groups else sorted(groups)[0]
    sid = groups[yg][0]
    grades, p_grades = await upstream(sim, "grades", academicYear=year, yearGroup=yg)

    sim.reset()
    before = unplanned()
    data = ok(await gateway.gql(
        "query($y: Int, $id: ID) { academicYear(year: $y) { student(id: $id) { grades { name } } } }",
        {"y": year, "id": str(sid)}))
    assert dict(sim.counts) == {"school": 1, "students": p_students, "education-details": p_edu,
                                "grades": p_grades}
    assert _year_group_paths(sim, "grades") == {yg}
    assert unplanned() == before
    assert data["academicYear"]["student"]["grades"] == [
        {"name": g["name"]} for g in grades if g["student_id"] == sid]


async def test_academic_year_grades_touch_one_key(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    _, p_grades = await upstream(sim, "grades", academicYear=year, yearGroup="11")
    sim.reset()
    ok(await gateway.gql("query($y: Int) { academicYear(year: $y) { grades(yearGroup: \"11\") { name } } }",
                         {"y": year}))
    assert dict(sim.counts) == {"school": 1, "grades": p_grades}
    assert _year_group_paths(sim, "grades") == {"11"}


async def test_unknown_or_empty_year_group_is_bad_user_input(gateway: Any) -> None:
    data = await gateway.gql('{ academicYear { gradeTypes(yearGroup: "99") { name } } }')
    assert data["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert data["errors"][0]["path"] == ["academicYear", "gradeTypes"]
    gateway.sim.reset()
    data = await gateway.gql('{ academicYear { grades(yearGroup: " ") { name } } }')
    assert data["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "grades" not in gateway.sim.counts
