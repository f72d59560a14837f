"""Markbooks, marksheets, markslots, marks and marksheet grades against the simulator's own JSON.

Values are compared one for one with what the simulator serves directly, and
the upstream-call floor is checked: a marks grid costs its resources' pages
and nothing else, with no unplanned (per-object) loads.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gateway.simulator import DEMO_KEY
from tests.simdata import current_year, ok, unplanned, upstream


def _float(v: Any) -> float | None:
    return None if v is None or v == "" else float(v)


async def test_markbooks_match_upstream(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    books, _ = await upstream(sim, "markbooks", academicYear=year)
    assert books and any(b["marksheets"] for b in books)
    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { markbooks { id marksheets { id name "
        "markbook { id } markslots { id name max marksheet { id } } } } } }", {"y": year}))
    expected = [{"id": str(b["id"]), "marksheets": [
        {"id": str(s["id"]), "name": s["name"], "markbook": {"id": str(b["id"])},
         "markslots": [{"id": str(m["id"]), "name": m["name"], "max": _float(m["max"]),
                        "marksheet": {"id": str(s["id"])}} for m in s["markslots"]]}
        for s in b["marksheets"]]} for b in books]
    assert data["academicYear"]["markbooks"] == expected


async def test_one_markbook_marksheet_and_markslot_by_id(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    books, _ = await upstream(sim, "markbooks", academicYear=year)
    book = next(b for b in books if b["marksheets"] and b["marksheets"][0]["markslots"])
    sheet = book["marksheets"][0]
    slot = sheet["markslots"][-1]
    data = ok(await gateway.gql(
        "query($y: Int, $b: ID!, $s: ID!, $m: ID!) { academicYear(year: $y) { "
        "markbook(id: $b) { id marksheets { id } } marksheet(id: $s) { name markbook { id } } "
        "markslot(id: $m) { name max marksheet { id } } missing: markbook(id: 1) { id } } }",
        {"y": year, "b": str(book["id"]), "s": str(sheet["id"]), "m": str(slot["id"])}))
    ay = data["academicYear"]
    assert ay["markbook"] == {"id": str(book["id"]),
                              "marksheets": [{"id": str(s["id"])} for s in book["marksheets"]]}
    assert ay["marksheet"] == {"name": sheet["name"], "markbook": {"id": str(book["id"])}}
    assert ay["markslot"] == {"name": slot["name"], "max": _float(slot["max"]),
                              "marksheet": {"id": str(sheet["id"])}}
    assert ay["missing"] is None


async def test_bad_markslot_id_is_bad_user_input(gateway: Any) -> None:
    data = await gateway.gql('{ academicYear { markslot(id: "12x") { name } } }')
    assert data["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert data["errors"][0]["path"] == ["academicYear", "markslot"]


async def test_marks_match_upstream_both_ways(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    slots, _ = await upstream(sim, "marks", academicYear=year)
    by_student: dict[str, list[dict[str, Any]]] = {}
    by_slot: dict[str, list[dict[str, Any]]] = {}
    for slot in slots:
        for m in slot["marks"]:
            sid = str(m["student_id"])
            by_student.setdefault(sid, []).append(
                {"markslot": {"id": str(slot["id"])}, "grade": m["grade"], "alias": m["alias"],
                 "mark": _float(m["mark"])})
            by_slot.setdefault(str(slot["id"]), []).append(
                {"student": {"id": sid}, "grade": m["grade"], "alias": m["alias"], "mark": _float(m["mark"])})
    assert sum(len(v) for v in by_student.values()) > 50

    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { students { id marks { markslot { id } grade alias mark } } "
        "markbooks { marksheets { markslots { id marks { student { id } grade alias mark } } } } } }",
        {"y": year}))
    ay = data["academicYear"]
    got_students = {s["id"]: s["marks"] for s in ay["students"] if s["marks"]}
    assert got_students == by_student
    got_slots = {m["id"]: m["marks"] for b in ay["markbooks"] for s in b["marksheets"]
                 for m in s["markslots"] if m["marks"]}
    assert got_slots == by_slot


async def test_marksheet_grades_match_upstream_both_ways(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    sheets, _ = await upstream(sim, "marksheet-grades", academicYear=year)
    by_student: dict[str, list[dict[str, Any]]] = {}
    by_sheet: dict[str, list[dict[str, Any]]] = {}
    for sheet in sheets:
        for g in sheet["grades"]:
            sid = str(g["student_id"])
            by_student.setdefault(sid, []).append(
                {"marksheet": {"id": str(sheet["id"])}, "grade": g["grade"], "alias": g["alias"]})
            by_sheet.setdefault(str(sheet["id"]), []).append(
                {"student": {"id": sid}, "grade": g["grade"], "alias": g["alias"]})
    assert by_student

    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { students { id marksheetGrades { marksheet { id } grade alias } } "
        "markbooks { marksheets { id grades { student { id } grade alias } } } } }", {"y": year}))
    ay = data["academicYear"]
    assert {s["id"]: s["marksheetGrades"] for s in ay["students"] if s["marksheetGrades"]} == by_student
    assert {s["id"]: s["grades"] for b in ay["markbooks"] for s in b["marksheets"] if s["grades"]} == by_sheet


async def test_markbook_and_subject_link_both_ways(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    books, _ = await upstream(sim, "markbooks", academicYear=year)
    subjects, _ = await upstream(sim, "subjects", academicYear=year)
    names = {s["id"]: s["name"] for s in subjects}
    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { markbooks { id subject { id name markbook { id } } } } }",
        {"y": year}))
    expected = [{"id": str(b["id"]),
                 "subject": {"id": str(b["id"]), "name": names[b["id"]], "markbook": {"id": str(b["id"])}}
                 if b["id"] in names else None} for b in books]
    assert data["academicYear"]["markbooks"] == expected
    assert any(m["subject"] for m in data["academicYear"]["markbooks"])


# --- the upstream-call floor ----------------------------------------------------------------

GRID = """
fragment Grid on Student { id legalLastName marks { mark grade markslot { id name marksheet { name } } } }
"""


def _expected_grid(students: list[dict[str, Any]], student_ids: list[int], slots: list[dict[str, Any]],
                   books: list[dict[str, Any]]) -> list[dict[str, Any]]:
    sheet_of: dict[int, dict[str, Any]] = {}
    for b in books:
        for s in b["marksheets"]:
            for m in s["markslots"]:
                sheet_of[m["id"]] = {"id": str(m["id"]), "name": m["name"], "marksheet": {"name": s["name"]}}
    marks: dict[int, list[dict[str, Any]]] = {}
    for slot in slots:
        for m in slot["marks"]:
            marks.setdefault(m["student_id"], []).append(
                {"mark": _float(m["mark"]), "grade": m["grade"], "markslot": sheet_of[slot["id"]]})
    by_id = {s["id"]: s for s in students}
    return [{"id": str(i), "legalLastName": by_id[i]["legal_last_name"], "marks": marks.get(i, [])}
            for i in student_ids]


async def test_year_group_marks_grid_sits_on_the_floor(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    students, p_students = await upstream(sim, "students", academicYear=year)
    edu, p_edu = await upstream(sim, "education-details", academicYear=year)
    slots, p_marks = await upstream(sim, "marks", academicYear=year)
    books, p_books = await upstream(sim, "markbooks", academicYear=year)
    year10 = {e["student_id"] for e in edu if str(e.get("national_curriculum_year")) == "10"}
    ids = [s["id"] for s in students if s["id"] in year10]
    assert ids

    sim.reset()
    before = unplanned()
    data = ok(await gateway.gql(GRID + 'query($y: Int) { academicYear(year: $y) { students(yearGroup: "10") '
                                       "{ ...Grid } } }", {"y": year}))
    assert dict(sim.counts) == {"school": 1, "students": p_students, "education-details": p_edu,
                                "marks": p_marks, "markbooks": p_books}
    assert p_marks > 1  # the walk really pages
    assert unplanned() == before
    grid = data["academicYear"]["students"]
    assert grid == _expected_grid(students, ids, slots, books)
    assert sum(len(s["marks"]) for s in grid) > len(grid)


async def test_teaching_group_marks_grid_sits_on_the_floor(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    students, p_students = await upstream(sim, "students", academicYear=year)
    groups, p_groups = await upstream(sim, "groups", academicYear=year)
    members, p_members = await upstream(sim, "groups-students", academicYear=year)
    slots, p_marks = await upstream(sim, "marks", academicYear=year)
    books, p_books = await upstream(sim, "markbooks", academicYear=year)
    members_of = {m["group_id"]: m["student_ids"] for m in members}
    group = next(g for g in groups if len(members_of.get(g["id"], [])) > 3)
    known = {s["id"] for s in students}
    ids = [i for i in members_of[group["id"]] if i in known]

    sim.reset()
    before = unplanned()
    data = ok(await gateway.gql(GRID + "query($y: Int, $c: String) { academicYear(year: $y) { group(code: $c) "
                                       "{ students { ...Grid } } } }", {"y": year, "c": group["code"]}))
    assert dict(sim.counts) == {"school": 1, "groups": p_groups, "groups-students": p_members,
                                "students": p_students, "marks": p_marks, "markbooks": p_books}
    assert unplanned() == before
    grid = data["academicYear"]["group"]["students"]
    assert sorted(grid, key=lambda s: s["id"]) == sorted(_expected_grid(students, ids, slots, books),
                                                         key=lambda s: s["id"])


# --- a record whose student GET Students does not list --------------------------------------

async def test_a_mark_or_grade_whose_student_is_missing_has_a_null_student(
        gateway: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """GET Marks and GET Marksheets may name a student GET Students does not list (a leaver, a
    student added since): that one record's ``student`` is null; the rest of the list stands."""
    sim = gateway.sim
    year = await current_year(sim)
    assessment = sim.school_for(DEMO_KEY).year(year).assessment
    marks, sheets = copy.deepcopy(assessment.marks), copy.deepcopy(assessment.marksheet_grades)
    slot = next(s for s in marks if s["marks"])
    sheet = next(s for s in sheets if s["grades"])
    ghost = 987_654_321
    slot["marks"].append({"student_id": ghost, "grade": "9", "alias": "9", "mark": "1.00000"})
    sheet["grades"].append({"student_id": ghost, "grade": "9", "alias": "9"})
    monkeypatch.setitem(assessment.__dict__, "marks", marks)
    monkeypatch.setitem(assessment.__dict__, "marksheet_grades", sheets)

    data = ok(await gateway.gql(
        "query($y: Int, $m: ID!, $s: ID!) { academicYear(year: $y) { "
        "markslot(id: $m) { marks { student { id } grade } } "
        "marksheet(id: $s) { grades { student { id } grade } } } }",
        {"y": year, "m": str(slot["id"]), "s": str(sheet["id"])}))
    ay = data["academicYear"]
    assert ay["markslot"]["marks"] == [{"student": None if m["student_id"] == ghost else {"id": str(m["student_id"])},
                                        "grade": m["grade"]} for m in slot["marks"]]
    assert ay["marksheet"]["grades"] == [{"student": None if g["student_id"] == ghost else {"id": str(g["student_id"])},
                                          "grade": g["grade"]} for g in sheet["grades"]]
    assert ay["markslot"]["marks"][-1]["student"] is None and ay["markslot"]["marks"][0]["student"]
