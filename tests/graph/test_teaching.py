"""Departments, subjects, teachers, staff accounts and groups against the simulator's own JSON.

Each route's values are compared one for one with what the simulator serves
directly; a class roster costs exactly one walk of each resource it reads and
no per-object (unplanned) load.
"""

from __future__ import annotations

from typing import Any

from tests.simdata import assert_floor, current_year, day, ok, page_counts, sid, unplanned, upstream

# --- values, route by route -------------------------------------------------------------

async def test_departments_and_their_subjects_match_upstream(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    departments, _ = await upstream(sim, "departments", academicYear=year)
    subjects, _ = await upstream(sim, "subjects", academicYear=year)
    assert departments and subjects
    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { departments { id name subjects { id } } } }",
        {"y": year}))
    expected = [{"id": str(d["id"]), "name": d["name"],
                 "subjects": [{"id": str(s["id"])} for s in subjects
                              if s["department_id"] == d["id"]]} for d in departments]
    assert data["academicYear"]["departments"] == expected
    assert sum(len(d["subjects"]) for d in expected) == len(subjects)


async def test_subjects_match_upstream_and_filter_by_year_group(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    subjects, _ = await upstream(sim, "subjects", academicYear=year)
    groups, _ = await upstream(sim, "groups", academicYear=year)
    fields = ("id name code yearGroup qan qualificationTitle qualificationSchemeName "
              "includeInStats department { id } groups { id }")
    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { subjects { " + fields
        + " } tens: subjects(yearGroup: \"10\") { id } } }", {"y": year}))

    def expect(s: dict[str, Any]) -> dict[str, Any]:
        return {"id": str(s["id"]), "name": s["name"], "code": s["code"],
                "yearGroup": sid(s["year_group"]), "qan": s["qan"],
                "qualificationTitle": s["qualification_title"],
                "qualificationSchemeName": s["qualification_scheme_name"],
                "includeInStats": s["include_in_stats"],
                "department": None if s["department_id"] is None else {"id": str(s["department_id"])},
                "groups": [{"id": str(g["id"])} for g in groups if g["subject_id"] == s["id"]]}

    assert data["academicYear"]["subjects"] == [expect(s) for s in subjects]
    tens = [{"id": str(s["id"])} for s in subjects if str(s["year_group"]) == "10"]
    assert tens and len(tens) < len(subjects)
    assert data["academicYear"]["tens"] == tens


async def test_teachers_match_upstream_with_staff_accounts(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    teachers, _ = await upstream(sim, "teachers", academicYear=year)
    staff, _ = await upstream(sim, "staff-accounts")
    by_teacher = {s["teacher_id"]: s for s in staff if s.get("teacher_id") is not None}
    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { teachers { id title firstName lastName "
        "preferredFirstName preferredLastName initials code staffAccount { id teacher { id } } } } }",
        {"y": year}))
    expected = []
    for t in teachers:
        account = by_teacher.get(t["id"])
        expected.append({
            "id": str(t["id"]), "title": t["title"], "firstName": t["first_name"],
            "lastName": t["last_name"], "preferredFirstName": t["preferred_first_name"],
            "preferredLastName": t["preferred_last_name"], "initials": t["initials"],
            "code": t["code"],
            "staffAccount": None if account is None else {"id": str(account["id"]),
                                                          "teacher": {"id": str(t["id"])}}})
    assert data["academicYear"]["teachers"] == expected
    assert any(e["staffAccount"] for e in expected)


async def test_staff_accounts_match_upstream(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    staff, pages = await upstream(sim, "staff-accounts")
    teachers, _ = await upstream(sim, "teachers", academicYear=year)
    teacher_ids = {t["id"] for t in teachers}
    assert staff
    sim.reset()
    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { staff { id emailAddress firstName lastName "
        "legalFirstName legalLastName preferredFirstName preferredLastName displayName title "
        "isCurrent teacherId startDate endDate teacher { id } } } }", {"y": year}))
    expected = [{
        "id": str(s["id"]), "emailAddress": s.get("email_address"),
        "firstName": s.get("first_name"), "lastName": s.get("last_name"),
        "legalFirstName": s.get("legal_first_name"), "legalLastName": s.get("legal_last_name"),
        "preferredFirstName": s.get("preferred_first_name"),
        "preferredLastName": s.get("preferred_last_name"), "displayName": s.get("display_name"),
        "title": s.get("title"), "isCurrent": s.get("is_current"),
        "teacherId": sid(s.get("teacher_id")), "startDate": day(s.get("start_date")),
        "endDate": day(s.get("end_date")),
        "teacher": {"id": str(s["teacher_id"])} if s.get("teacher_id") in teacher_ids else None,
    } for s in staff]
    assert data["academicYear"]["staff"] == expected
    assert any(e["teacher"] is None for e in expected) and any(e["teacher"] for e in expected)
    assert_floor(sim, {"staff-accounts": pages, "teachers": 1})


async def test_groups_match_upstream_with_students_and_teachers(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    groups, _ = await upstream(sim, "groups", academicYear=year)
    members, _ = await upstream(sim, "groups-students", academicYear=year)
    staffing, _ = await upstream(sim, "groups-teachers", academicYear=year)
    students, _ = await upstream(sim, "students", academicYear=year)
    teachers, _ = await upstream(sim, "teachers", academicYear=year)
    student_ids = {s["id"] for s in students}
    teacher_codes = {t["id"]: t["code"] for t in teachers}
    students_of = {m["group_id"]: m["student_ids"] for m in members}
    teachers_of = {m["group_id"]: m["teacher_ids"] for m in staffing}
    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { groups { id name code subject { id } "
        "students { id } teachers { id code groups { id } } } } }", {"y": year}))
    got = data["academicYear"]["groups"]
    assert len(got) == len(groups)
    for g, out in zip(groups, got, strict=True):
        assert out["id"] == str(g["id"]) and out["name"] == g["name"] and out["code"] == g["code"]
        assert out["subject"] == {"id": str(g["subject_id"])}
        assert [s["id"] for s in out["students"]] == [
            str(i) for i in students_of.get(g["id"], []) if i in student_ids]
        assert [(t["id"], t["code"]) for t in out["teachers"]] == [
            (str(i), teacher_codes[i]) for i in teachers_of.get(g["id"], [])]
        for t in out["teachers"]:  # the link back: the teacher's groups include this one
            assert {"id": out["id"]} in t["groups"]
    assert sum(len(o["students"]) for o in got) > len(groups)


async def test_student_groups_are_the_inverse_of_group_students(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    members, _ = await upstream(sim, "groups-students", academicYear=year)
    expected: dict[str, list[str]] = {}
    for m in members:
        for s in m["student_ids"]:
            expected.setdefault(str(s), []).append(str(m["group_id"]))
    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { students { id groups { id } } } }", {"y": year}))
    got = {s["id"]: [g["id"] for g in s["groups"]] for s in data["academicYear"]["students"]}
    assert any(got.values())
    for student, group_ids in got.items():
        assert sorted(group_ids) == sorted(expected.get(student, []))


# --- the upstream-call floor ---------------------------------------------------------------

async def test_roster_query_walks_each_resource_once(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    routes = ["students", "groups-students", "groups", "subjects", "groups-teachers", "teachers"]
    pages = await page_counts(sim, year, routes)
    sim.reset()
    before = unplanned()
    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { students { id groups { id name "
        "subject { id name } teachers { id code } } } } }", {"y": year}))
    students = data["academicYear"]["students"]
    assert len(students) >= 200
    assert sum(len(s["groups"]) for s in students) > len(students)
    assert_floor(sim, pages)
    assert unplanned() == before


# --- arguments -------------------------------------------------------------------------------

async def test_group_by_id_or_code(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    groups, _ = await upstream(sim, "groups", academicYear=year)
    g = groups[len(groups) // 2]
    data = ok(await gateway.gql(
        "query($y: Int, $id: ID, $code: String) { academicYear(year: $y) { "
        "byId: group(id: $id) { id code } byCode: group(code: $code) { id code } "
        "none: group(code: \"no such group\") { id } } }",
        {"y": year, "id": str(g["id"]), "code": g["code"]}))
    ay = data["academicYear"]
    assert ay["byId"] == ay["byCode"] == {"id": str(g["id"]), "code": g["code"]}
    assert ay["none"] is None


async def test_group_needs_exactly_one_of_id_or_code(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    sim.reset()
    for args in ("", "(id: \"1\", code: \"7/Ma1\")"):
        data = await gateway.gql(
            "query($y: Int) { academicYear(year: $y) { year group" + args + " { id } } }", {"y": year})
        assert data["data"]["academicYear"] == {"year": year, "group": None}
        [error] = data["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["path"] == ["academicYear", "group"]
        assert "exactly one of id or code" in error["message"]
    assert not sim.counts.get("groups")
