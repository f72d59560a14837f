"""Students against the simulator's JSON: personal details (GET Students), education details
(GET Education Details), the filters and the one-student look-up.

Dates the reference gives with a time (``"date_of_birth": "2005-01-31T00:00:00Z"``, admission
and leaving dates, an education attribute's date) are DateTime values, compared one for one
with the simulator's own answers.
"""

from __future__ import annotations

from typing import Any

from gateway.categories import Category
from gateway.graph import scopes
from gateway.graph.schema import schema
from tests.simdata import (
    assert_floor,
    current_year,
    instant,
    ok,
    page_counts,
    sid,
    unplanned,
    upstream,
)

STUDENT_FIELDS = ("id legalFirstName legalLastName preferredFirstName preferredLastName middleNames "
                  "dateOfBirth sex misId upn formerUpn yearGroup registrationGroup house admissionDate "
                  "leavingDate isLeaver educationAttributes { attributeId code name isSystem value "
                  "academicYear date }")


def iso(value: Any) -> str | None:
    """An upstream instant as the graph serialises a DateTime."""
    parsed = instant(value)
    return None if parsed is None else parsed.isoformat()


def expected_student(s: dict[str, Any], e: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(s["id"]), "legalFirstName": s.get("legal_first_name"),
        "legalLastName": s.get("legal_last_name"), "preferredFirstName": s.get("preferred_first_name"),
        "preferredLastName": s.get("preferred_last_name"), "middleNames": s.get("middle_names"),
        "dateOfBirth": iso(s.get("date_of_birth")), "sex": s.get("sex"),
        "misId": sid(s.get("student_mis_id")), "upn": e.get("upn"), "formerUpn": e.get("former_upn"),
        "yearGroup": e.get("national_curriculum_year"), "registrationGroup": e.get("registration_group"),
        "house": e.get("house"), "admissionDate": iso(e.get("admission_date")),
        "leavingDate": iso(e.get("leaving_date")), "isLeaver": bool(e.get("deleted_from_source")),
        "educationAttributes": [
            {"attributeId": sid(a["attribute_id"]), "code": a["code"], "name": a["name"],
             "isSystem": a["is_system"], "value": v["value"], "academicYear": v["academic_year"],
             "date": iso(v["date"])}
            for a in e.get("student_education_attributes") or () for v in a["attribute_values"]],
    }


async def test_students_match_upstream_with_datetimes(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    students, _ = await upstream(sim, "students", academicYear=year)
    edu, _ = await upstream(sim, "education-details", academicYear=year)
    edu_of = {e["student_id"]: e for e in edu}
    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { students { " + STUDENT_FIELDS + " } } }", {"y": year}))
    got = data["academicYear"]["students"]
    assert got == [expected_student(s, edu_of.get(s["id"], {})) for s in students]
    # The reference's spelling is an instant ("2005-01-31T00:00:00Z"): it is a DateTime, whole.
    first = got[0]
    assert first["dateOfBirth"].endswith("T00:00:00+00:00")
    assert first["admissionDate"].endswith("T00:00:00+00:00")
    assert any(s["leavingDate"] for s in got) and any(s["leavingDate"] is None for s in got)
    dated = [a for s in got for a in s["educationAttributes"] if a["date"]]
    assert dated and all("T" in a["date"] for a in dated)


async def test_filters_match_upstream_and_only_filters_read_education_details(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    students, _ = await upstream(sim, "students", academicYear=year)
    edu, _ = await upstream(sim, "education-details", academicYear=year)
    edu_of = {e["student_id"]: e for e in edu}
    some = edu[len(edu) // 2]
    nc, form = some["national_curriculum_year"], some["registration_group"]
    pages = await page_counts(sim, year, ["students", "education-details"])
    sim.reset()
    data = ok(await gateway.gql("query($y: Int) { academicYear(year: $y) { students { id } } }", {"y": year}))
    assert len(data["academicYear"]["students"]) == len(students)
    assert_floor(sim, {"students": pages["students"]})
    sim.reset()
    data = ok(await gateway.gql(
        "query($y: Int, $nc: String, $form: String) { academicYear(year: $y) { "
        "byYear: students(yearGroup: $nc) { id } byForm: students(registrationGroup: $form) { id } "
        "onRoll: students(onRoll: true) { id } leavers: students(onRoll: false) { id } } }",
        {"y": year, "nc": nc, "form": form}))
    ay = data["academicYear"]

    def ids(keep: Any) -> list[dict[str, str]]:
        return [{"id": str(s["id"])} for s in students if keep(edu_of.get(s["id"], {}))]

    assert ay["byYear"] == ids(lambda e: str(e.get("national_curriculum_year")) == nc)
    assert ay["byForm"] == ids(lambda e: e.get("registration_group") == form)
    assert ay["onRoll"] == ids(lambda e: not e.get("deleted_from_source"))
    assert ay["leavers"] == ids(lambda e: bool(e.get("deleted_from_source")))
    assert ay["leavers"] and ay["onRoll"]
    # GET Students came from the cache (the first query walked it); four filters, one walk.
    assert_floor(sim, {"education-details": pages["education-details"]})


async def test_one_student_by_id_or_upn(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    edu, _ = await upstream(sim, "education-details", academicYear=year)
    one = edu[3]
    before = unplanned()
    data = ok(await gateway.gql(
        "query($y: Int, $id: ID, $upn: String, $lower: String) { academicYear(year: $y) { "
        "byId: student(id: $id) { id upn } byUpn: student(upn: $upn) { id } "
        "lower: student(upn: $lower) { id } missing: student(id: \"1\") { id } } }",
        {"y": year, "id": str(one["student_id"]), "upn": one["upn"], "lower": one["upn"].lower()}))
    ay = data["academicYear"]
    assert ay["byId"] == {"id": str(one["student_id"]), "upn": one["upn"]}
    assert ay["byUpn"] == ay["lower"] == {"id": str(one["student_id"])}
    assert ay["missing"] is None
    assert unplanned() == before


async def test_bad_student_arguments_cost_no_upstream_call(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    sim.reset()
    data = await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { year "
        "badUpn: student(upn: \"X123\") { id } both: student(id: \"1\", upn: \"X123\") { id } "
        "neither: student { id } badId: student(id: \"abc\") { id groups { code } marks { mark } } } }",
        {"y": year})
    assert data["data"]["academicYear"] == {"year": year, "badUpn": None, "both": None,
                                            "neither": None, "badId": None}
    by_path = {e["path"][-1]: e for e in data["errors"]}
    assert set(by_path) == {"badUpn", "both", "neither", "badId"}
    assert all(e["extensions"]["code"] == "BAD_USER_INPUT" for e in by_path.values())
    assert "not a valid UPN" in by_path["badUpn"]["message"]
    assert "exactly one" in by_path["both"]["message"] and "exactly one" in by_path["neither"]["message"]
    assert not sim.counts.get("students") and not sim.counts.get("education-details")
    # Nothing selected below a field with bad arguments starts either (the plan's early start
    # skips the subtree): no groups, no marks.
    assert not any(sim.counts.get(r) for r in ("groups", "groups-students", "marks"))


def test_student_fields_declare_their_data_categories() -> None:
    """A UPN is its own category and date of birth and gender are demographic, declared with
    the fields (as on AssemblyStudent); the rest of a student is basic; the lists' reads name
    their routes."""
    found = scopes.compute(schema._schema)
    assert found[("Student", "upn")] == found[("Student", "formerUpn")] == {Category.UPN}
    assert found[("Student", "dateOfBirth")] == found[("Student", "sex")] == {Category.DEMOGRAPHIC}
    for name in ("id", "legalFirstName", "yearGroup", "registrationGroup", "admissionDate",
                 "isLeaver", "educationAttributes", "classes", "classEnrolments"):
        assert found[("Student", name)] == {Category.BASIC}, name
    assert found[("AcademicYear", "students")] == found[("AcademicYear", "student")] == {Category.BASIC}
    assert found[("AcademicYear", "calendar")] == found[("TimetabledClass", "group")] == {Category.BASIC}


async def test_a_year_groups_grades_start_with_the_plan(gateway: Any) -> None:
    """Under students(yearGroup: "9") every student is in year 9, so the plan starts GET
    Grades and GET Grade Types for year 9 at once (hints), instead of after education details
    (all its pages) has said each student's year group; still each walked once."""
    sim = gateway.sim
    saved = sim.config.latency_ms
    sim.config.latency_ms = 5.0  # so that walks overlap in time
    try:
        sim.control.reset()
        data = ok(await gateway.gql(
            '{ academicYear { students(yearGroup: "9") { id grades { name gradeType { name } } } } }'))
    finally:
        sim.config.latency_ms = saved
    assert data["academicYear"]["students"] and any(s["grades"] for s in data["academicYear"]["students"])
    routes = [r.route for r in sim.requests]
    edu_pages = [i for i, r in enumerate(routes) if r == "education-details"]
    assert len(edu_pages) > 3, routes
    assert routes.index("grades") < edu_pages[-1], routes
    assert routes.index("grade-types") < edu_pages[-1], routes
    assert routes.count("grade-types") == 1 and sim.counts["grade-types"] == 1
