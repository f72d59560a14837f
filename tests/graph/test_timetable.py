"""Timetables, the calendar, timetabled classes and student classes against the simulator's JSON.

Values are compared one for one with the simulator's own answers; a group's
students' timetable and a student's classes cost one walk of each resource
they read, with no unplanned (per-object) loads.
"""

from __future__ import annotations

from typing import Any

from gateway.simulator import DEMO_KEY, SimulatorConfig, create_simulator
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


def iso(value: Any) -> str | None:
    """An upstream instant as the graph serialises a DateTime."""
    parsed = instant(value)
    return None if parsed is None else parsed.isoformat()


async def test_timetables_and_periods_match_upstream(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    timetables, _ = await upstream(sim, "timetables", academicYear=year)
    assert timetables and all(t["periods"] for t in timetables)
    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { timetables { id periods { id name displayName "
        "week dayOfWeek start end timetable { id } } } } }", {"y": year}))
    expected = [{"id": str(t["id"]), "periods": [
        {"id": str(p["id"]), "name": p["name"], "displayName": p["display_name"],
         "week": p["week"], "dayOfWeek": p["day_of_week"], "start": iso(p["start"]),
         "end": iso(p["end"]), "timetable": {"id": str(t["id"])}} for p in t["periods"]]}
        for t in timetables]
    assert data["academicYear"]["timetables"] == expected


def _day_type(code: str) -> str:
    known = {"open": "OPEN", "closed": "CLOSED", "training": "TRAINING"}
    return known.get(code.lower(), "UNKNOWN")


async def test_calendar_matches_upstream_whole_and_by_range(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    calendar, _ = await upstream(sim, "calendar", academicYear=year)
    timetable_ids = {t["id"] for t in (await upstream(sim, "timetables", academicYear=year))[0]}
    assert len(calendar) > 100
    expected = [{"date": d["date"][:10], "dayType": _day_type(d["day_type_code"]),
                 "week": d["week"], "timetableId": sid(d["timetable_id"]),
                 "timetable": {"id": str(d["timetable_id"])} if d["timetable_id"] in timetable_ids
                 else None} for d in calendar]
    assert {e["dayType"] for e in expected} >= {"OPEN", "CLOSED"}
    lo, hi = expected[20]["date"], expected[60]["date"]
    data = ok(await gateway.gql(
        "query($y: Int, $lo: Date, $hi: Date) { academicYear(year: $y) { "
        "all: calendar { date dayType week timetableId timetable { id } } "
        "some: calendar(from: $lo, to: $hi) { date dayType } "
        "after: calendar(from: $hi) { date } } }", {"y": year, "lo": lo, "hi": hi}))
    ay = data["academicYear"]
    assert ay["all"] == expected
    assert ay["some"] == [{"date": e["date"], "dayType": e["dayType"]} for e in expected
                          if lo <= e["date"] <= hi]
    assert ay["after"] == [{"date": e["date"]} for e in expected if e["date"] >= hi]


async def test_calendar_range_backwards_is_bad_input_before_any_call(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    sim.reset()
    data = await gateway.gql(
        "query($y: Int, $lo: Date, $hi: Date) { academicYear(year: $y) { year "
        "calendar(from: $lo, to: $hi) { date } } }",
        {"y": year, "lo": f"{year}-03-10", "hi": f"{year}-03-01"})
    # The calendar alone fails (nullable at its own level): the year still answers.
    assert data["data"] == {"academicYear": {"year": year, "calendar": None}}
    [error] = data["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "before" in error["message"]
    assert not sim.counts.get("calendar")


async def test_classes_match_upstream_with_every_link(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    classes, _ = await upstream(sim, "classes", academicYear=year)
    links, _ = await upstream(sim, "student-classes", academicYear=year)
    groups, _ = await upstream(sim, "groups", academicYear=year)
    timetables, _ = await upstream(sim, "timetables", academicYear=year)
    period_ids = {p["id"] for t in timetables for p in t["periods"]}
    group_by_code = {g["code"]: g for g in groups}
    students_of: dict[Any, list[str]] = {}
    for link in links:
        for c in link["classes"]:
            students_of.setdefault(c["id"], [])
            if str(link["student_id"]) not in students_of[c["id"]]:
                students_of[c["id"]].append(str(link["student_id"]))
    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { classes { id yearGroup subjectCode groupCode "
        "periodId rooms teacherIds group { id } period { id } teachers { id } students { id } } } }",
        {"y": year}))
    got = data["academicYear"]["classes"]
    expected = [{
        "id": str(c["id"]), "yearGroup": sid(c["year_group"]), "subjectCode": c["subject_code"],
        "groupCode": sid(c["group_code"]), "periodId": sid(c["period_id"]), "rooms": c["rooms"],
        "teacherIds": [str(t) for t in c["teacher_ids"]],
        "group": {"id": str(group_by_code[c["group_code"]]["id"])} if c["group_code"] in group_by_code else None,
        "period": {"id": str(c["period_id"])} if c["period_id"] in period_ids else None,
        "teachers": [{"id": str(t)} for t in c["teacher_ids"]],
        "students": [{"id": s} for s in students_of.get(c["id"], [])],
    } for c in classes]
    assert len(got) == len(expected) > 0
    assert got == expected
    assert any(e["group"] for e in expected) and any(e["students"] for e in expected)


async def test_one_class_by_id(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    classes, _ = await upstream(sim, "classes", academicYear=year)
    c = classes[-1]
    data = ok(await gateway.gql(
        "query($y: Int, $id: ID!) { academicYear(year: $y) { class(id: $id) { id groupCode } "
        "missing: class(id: \"0\") { id } } }", {"y": year, "id": str(c["id"])}))
    assert data["academicYear"] == {"class": {"id": str(c["id"]), "groupCode": sid(c["group_code"])},
                                    "missing": None}


async def test_group_classes_are_the_classes_with_its_code(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    classes, _ = await upstream(sim, "classes", academicYear=year)
    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { groups { code classes { id groupCode } } } }",
        {"y": year}))
    groups = data["academicYear"]["groups"]
    for g in groups:
        assert g["classes"] == [{"id": str(c["id"]), "groupCode": g["code"]}
                                for c in classes if str(c["group_code"]) == g["code"]]
    assert sum(len(g["classes"]) for g in groups) > len(groups)


async def test_student_classes_match_upstream(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    links, _ = await upstream(sim, "student-classes", academicYear=year)
    by_student = {str(link["student_id"]): link["classes"] for link in links}
    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { students { id classes { id } "
        "classEnrolments { studentId classId start end class { id } } } } }", {"y": year}))
    students = data["academicYear"]["students"]
    assert sum(1 for s in students if s["classes"]) > len(students) // 2
    for s in students:
        raw = by_student.get(s["id"], [])
        assert s["classEnrolments"] == [
            {"studentId": s["id"], "classId": str(c["id"]), "start": iso(c["start"]),
             "end": iso(c.get("end")), "class": {"id": str(c["id"])}} for c in raw]
        assert s["classes"] == [{"id": i} for i in dict.fromkeys(str(c["id"]) for c in raw)]


# --- the upstream-call floor ---------------------------------------------------------------

async def test_group_students_timetables_walk_each_resource_once(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    members, _ = await upstream(sim, "groups-students", academicYear=year)
    groups, _ = await upstream(sim, "groups", academicYear=year)
    biggest = max(members, key=lambda m: len(m["student_ids"]))
    code = next(g["code"] for g in groups if g["id"] == biggest["group_id"])
    pages = await page_counts(sim, year, ["groups", "groups-students", "students",
                                          "student-classes", "classes", "timetables", "teachers"])
    sim.reset()
    before = unplanned()
    data = ok(await gateway.gql(
        "query($y: Int, $code: String) { academicYear(year: $y) { group(code: $code) { "
        "students { id classes { period { name } teachers { code } } } } } }",
        {"y": year, "code": code}))
    students = data["academicYear"]["group"]["students"]
    assert len(students) == len(biggest["student_ids"]) > 1
    assert all(s["classes"] for s in students)
    assert all(c["period"]["name"] for s in students for c in s["classes"])
    assert_floor(sim, pages)
    assert unplanned() == before


async def test_a_students_classes_walk_each_resource_once(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    links, _ = await upstream(sim, "student-classes", academicYear=year)
    link = max(links, key=lambda lk: len(lk["classes"]))
    pages = await page_counts(sim, year, ["students", "student-classes", "classes", "timetables",
                                          "teachers", "groups"])
    sim.reset()
    before = unplanned()
    data = ok(await gateway.gql(
        "query($y: Int, $id: ID) { academicYear(year: $y) { student(id: $id) { id classes { id "
        "period { name dayOfWeek week } teachers { code } group { name } } } } }",
        {"y": year, "id": str(link["student_id"])}))
    classes = data["academicYear"]["student"]["classes"]
    assert [c["id"] for c in classes] == list(dict.fromkeys(str(c["id"]) for c in link["classes"]))
    assert_floor(sim, pages)
    assert unplanned() == before


# --- links the upstream leaves dangling ------------------------------------------------------

async def test_links_to_what_the_upstream_does_not_list_are_null_or_skipped(make_gateway: Any) -> None:
    """A class whose group code GET Groups lacks, whose period GET Timetables lacks, with a
    teacher GET Teachers lacks; a student's link to a class GET Classes lacks; a link for a
    student GET Students lacks: each such link is null (or left out of its list), nothing fails."""
    own = create_simulator(SimulatorConfig(students=40, second_school_students=10, page_size=50))
    year = await current_year(own)
    yd = own.school_for(DEMO_KEY).year(year)
    groups, links = yd.resource("groups"), yd.resource("student-classes")
    classes = yd.resource("classes")
    odd = classes[0]
    groups[:] = [g for g in groups if g["code"] != odd["group_code"]]  # the group code dangles
    odd["period_id"] = 990000001
    odd["teacher_ids"] = [*odd["teacher_ids"], 990000002]
    first = next(lk for lk in links if lk["classes"])
    first["classes"].append({"id": 990000003, "start": first["classes"][0]["start"], "end": None})
    links.append({"student_id": 990000004, "classes": [{"id": odd["id"], "start": None, "end": None}]})
    gw = make_gateway(sim=own)
    data = ok(await gw.gql(
        "query($y: Int, $id: ID!, $sid: ID) { academicYear(year: $y) { "
        "class(id: $id) { id groupCode group { id } periodId period { id } teachers { id } students { id } } "
        "student(id: $sid) { classes { id } classEnrolments { classId class { id } } } } }",
        {"y": year, "id": str(odd["id"]), "sid": str(first["student_id"])}))
    ay = data["academicYear"]
    cls = ay["class"]
    assert cls["groupCode"] == sid(odd["group_code"]) and cls["group"] is None
    assert cls["periodId"] == "990000001" and cls["period"] is None
    assert cls["teachers"] == [{"id": str(t)} for t in odd["teacher_ids"][:-1]]
    assert "990000004" not in [s["id"] for s in cls["students"]]
    enrolments = ay["student"]["classEnrolments"]
    assert enrolments[-1] == {"classId": "990000003", "class": None}
    assert all(e["class"] == {"id": e["classId"]} for e in enrolments[:-1])
    assert ay["student"]["classes"] == [{"id": i} for i in dict.fromkeys(e["classId"] for e in enrolments[:-1])]



async def test_a_day_type_the_reference_does_not_list_is_unknown_counted_and_logged(
        make_gateway: Any, caplog: Any) -> None:
    import logging

    from gateway import metrics

    own = create_simulator(SimulatorConfig(students=40))
    year = await current_year(own)
    days = own.school_for(DEMO_KEY).year(year).resource("calendar")
    days[0] = {**days[0], "day_type_code": "Snow"}
    gw = make_gateway(sim=own)
    sample = ("go4graph_unknown_values_total", {"type": "CalendarDay", "field": "dayType"})
    before = metrics.REGISTRY.get_sample_value(*sample) or 0.0
    caplog.set_level(logging.WARNING, logger="go4graph.graph.unknown")
    data = ok(await gw.gql("query($y: Int) { academicYear(year: $y) { calendar { date dayType } } }",
                           {"y": year}))
    calendar = data["academicYear"]["calendar"]
    assert calendar[0]["dayType"] == "UNKNOWN"
    assert {d["dayType"] for d in calendar[1:]} <= {"OPEN", "CLOSED", "TRAINING", "UNKNOWN"}
    assert metrics.REGISTRY.get_sample_value(*sample) == before + 1
    assert [r for r in caplog.records if getattr(r, "value", None) == "Snow"]
