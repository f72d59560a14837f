"""Attributes, photos, medical conditions, parental contacts and parent accounts against the simulator.

Values are compared one for one with the simulator's own JSON; a disabled
Photos module leaves the rest of a student query intact, with one FORBIDDEN
error at ``photo``; every pupil-data field together costs one walk per route.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateway.simulator import DEMO_KEY
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

ATTRIBUTE_ROUTES = {"GENERAL": "general-attributes", "DEMOGRAPHIC": "demographic-attributes",
                    "SEND": "send-attributes", "SENSITIVE": "sensitive-attributes"}
FIELDS = "category attributeId code name isSystem value academicYear date"


def stamp(value: Any) -> str | None:
    """An upstream '…Z' timestamp as the graph's DateTime (the reference's datetime, time kept)."""
    found = instant(value)
    return None if found is None else found.isoformat()


def _year(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def _value(category: str, attribute: dict[str, Any], v: dict[str, Any]) -> dict[str, Any]:
    return {"category": category, "attributeId": sid(attribute.get("id")),
            "code": attribute.get("code"), "name": attribute.get("name"),
            "isSystem": attribute.get("is_system"), "value": sid(v.get("value")),
            "academicYear": _year(v.get("academic_year")), "date": stamp(v.get("date"))}


def _by_student(category: str, attributes: list[dict[str, Any]], child: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for attribute in attributes:
        for v in attribute.get(child) or ():
            out.setdefault(str(v["student_id"]), []).append(_value(category, attribute, v))
    return out


@pytest.mark.parametrize("category", sorted(ATTRIBUTE_ROUTES))
async def test_attributes_of_one_category_match_upstream(gateway: Any, category: str) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    route = ATTRIBUTE_ROUTES[category]
    attributes, pages = await upstream(sim, route, academicYear=year)
    expected = _by_student(category, attributes, "students_and_attribute_values")
    assert expected
    sim.reset()
    data = ok(await gateway.gql(
        "query($y: Int, $c: AttributeCategory) { academicYear(year: $y) { students { id "
        "attributes(category: $c) { " + FIELDS + " } } } }", {"y": year, "c": category}))
    students = data["academicYear"]["students"]
    for s in students:
        assert s["attributes"] == expected.get(s["id"], [])
    assert sum(len(s["attributes"]) for s in students) == sum(len(v) for v in expected.values())
    assert_floor(sim, {"students": 1, route: pages})


async def test_prior_attainment_category(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    prior, _ = await upstream(sim, "prior-attainment", academicYear=year)
    expected = _by_student("PRIOR_ATTAINMENT", [{**p, "id": None, "is_system": None} for p in prior],
                           "values")
    assert expected
    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { students { id "
        "attributes(category: PRIOR_ATTAINMENT) { " + FIELDS + " } } } }", {"y": year}))
    for s in data["academicYear"]["students"]:
        assert s["attributes"] == expected.get(s["id"], [])


async def test_attributes_without_category_are_the_four_attribute_routes(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    expected: dict[str, list[dict[str, Any]]] = {}
    for category in ("GENERAL", "DEMOGRAPHIC", "SEND", "SENSITIVE"):
        attributes, _ = await upstream(sim, ATTRIBUTE_ROUTES[category], academicYear=year)
        for student, values in _by_student(category, attributes, "students_and_attribute_values").items():
            expected.setdefault(student, []).extend(values)
    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { students { id attributes { " + FIELDS + " } } } }",
        {"y": year}))
    students = data["academicYear"]["students"]
    for s in students:
        assert s["attributes"] == expected.get(s["id"], [])
    assert {a["category"] for s in students for a in s["attributes"]} == set(ATTRIBUTE_ROUTES)


async def test_photos_and_medical_conditions_match_upstream(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    photos, _ = await upstream(sim, "photos", academicYear=year)
    medical, _ = await upstream(sim, "medical-conditions", academicYear=year)
    photo_of = {str(p["student_id"]): p["photo"] for p in photos}
    medical_of = {str(m["student_id"]): m.get("medical_conditions", m.get("medical_details"))
                  for m in medical}
    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { students { id photo medicalConditions } } }",
        {"y": year}))
    students = data["academicYear"]["students"]
    for s in students:
        assert s["photo"] == photo_of.get(s["id"])
        assert s["medicalConditions"] == medical_of.get(s["id"])
    assert sum(1 for s in students if s["photo"]) == len(photo_of) > 0
    assert all(s["photo"].startswith("data:image/") for s in students if s["photo"])
    assert any(s["medicalConditions"] for s in students)


async def test_parental_contacts_match_upstream(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    contacts, _ = await upstream(sim, "parental-contacts", academicYear=year)
    expected: dict[str, list[dict[str, Any]]] = {}
    for c in contacts:
        expected.setdefault(str(c["student_id"]), []).append({
            "studentId": str(c["student_id"]), "parentDisplayName": c["parent_display_name"],
            "priority": c["priority"], "emailAddress": c["email_address"],
            "homeTelephone": sid(c["home_telephone"]), "mainTelephone": sid(c["main_telephone"]),
            "mobile": sid(c["mobile"]),
            "isMainEmailAddressForContact": c["is_main_email_address_for_contact"],
            "studentContactMisId": sid(c["student_contact_mis_id"]),
            "student": {"id": str(c["student_id"])}})
    assert expected
    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { students { id contacts { studentId "
        "parentDisplayName priority emailAddress homeTelephone mainTelephone mobile "
        "isMainEmailAddressForContact studentContactMisId student { id } } } } }", {"y": year}))
    students = data["academicYear"]["students"]
    for s in students:
        assert s["contacts"] == expected.get(s["id"], [])
    assert sum(len(s["contacts"]) for s in students) == len(contacts)


async def test_parent_accounts_match_upstream(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    parents, pages = await upstream(sim, "parent-accounts")
    expected: dict[str, list[dict[str, Any]]] = {}
    for p in parents:
        expected.setdefault(str(p["student_id"]), []).append({
            "emailAddress": p["email_address"], "displayName": p["display_name"],
            "studentId": str(p["student_id"]), "student": {"id": str(p["student_id"])}})
    assert expected
    sim.reset()
    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { students { id parentAccounts { emailAddress "
        "displayName studentId student { id } } } } }", {"y": year}))
    students = data["academicYear"]["students"]
    for s in students:
        assert s["parentAccounts"] == expected.get(s["id"], [])
    assert any(s["parentAccounts"] for s in students)
    assert_floor(sim, {"students": 1, "parent-accounts": pages})


async def test_every_pupil_data_field_walks_each_route_once(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    pages = await page_counts(sim, year, [
        "students", *ATTRIBUTE_ROUTES.values(), "prior-attainment", "photos",
        "medical-conditions", "parental-contacts", "parent-accounts"])
    sim.reset()
    before = unplanned()
    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { students { id attributes { code } "
        "prior: attributes(category: PRIOR_ATTAINMENT) { value } send: attributes(category: SEND) { value } "
        "photo medicalConditions contacts { priority student { id } } "
        "parentAccounts { displayName student { id } } } } }", {"y": year}))
    assert len(data["academicYear"]["students"]) >= 200
    assert_floor(sim, pages)
    assert unplanned() == before


async def test_disabled_photos_module_leaves_the_rest_of_the_query(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    students, _ = await upstream(sim, "students", academicYear=year)
    sim.disable_module(DEMO_KEY, "Photos")
    try:
        data = await gateway.gql(
            "query($y: Int) { academicYear(year: $y) { students { id preferredFirstName photo } } }",
            {"y": year})
    finally:
        sim.enable_module(DEMO_KEY, "Photos")  # the simulator is shared: reset() keeps modes
    got = data["data"]["academicYear"]["students"]
    assert [(s["id"], s["preferredFirstName"]) for s in got] == [
        (str(s["id"]), s["preferred_first_name"]) for s in students]
    assert all(s["photo"] is None for s in got)
    [error] = data["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["extensions"]["reason"] == "Module Disabled"
    assert error["extensions"]["count"] == len(students)
    assert error["path"][0:2] == ["academicYear", "students"] and error["path"][-1] == "photo"
