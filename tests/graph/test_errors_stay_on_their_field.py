"""Errors stay on their field: one failing route or one bad argument nulls that field alone.

DESIGN.md ("Errors"): a field whose value comes from an upstream resource, or from
arguments the gateway validates, is nullable at its own level and carries
``@semanticNonNull``; ``!`` stays on what cannot fail once its parent exists.
The failures are real: the simulator answers 500 on one route (its fault-injection
hook), or the gateway refuses a range before any call.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from graphql import GraphQLNonNull, GraphQLObjectType, build_schema

from gateway.graph import nullability
from gateway.graph.schema import build_schema as build_gateway_schema
from gateway.graph.schema import schema
from tests.conftest import Gateway
from tests.simdata import current_year, ok, upstream

SDL = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"

MIXED = """{
  school { name }
  academicYear { year teachers { id code } subjects { id name } }
}"""


def _no_backoff(make_gateway: Any) -> Gateway:
    # Retries still happen (and are counted below); only their waits are zero. The circuit
    # stays closed, so that the query after the fault clears reaches the upstream again.
    return make_gateway(upstream_backoff=0, upstream_backoff_max=0,  # type: ignore[no-any-return]
                        circuit_failures=1000)


async def test_a_failing_route_nulls_only_its_field(make_gateway: Any) -> None:
    gw = _no_backoff(make_gateway)
    sim = gw.sim
    year = await current_year(sim)
    teachers, _ = await upstream(sim, "teachers", academicYear=year)
    subjects, _ = await upstream(sim, "subjects", academicYear=year)
    school, _ = await upstream(sim, "school")
    sim.reset()
    sim.inject(500, times=1000, route="subjects")

    data = await gw.gql(MIXED)

    assert data["data"]["school"] == {"name": school["name"]}
    ay = data["data"]["academicYear"]
    assert ay["year"] == year
    assert ay["teachers"] == [{"id": str(t["id"]), "code": t["code"]} for t in teachers]
    assert ay["subjects"] is None
    [error] = data["errors"]
    assert error["path"] == ["academicYear", "subjects"]
    assert error["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    # Located at the field in the document (an upstream error names its upstream in `source`,
    # which graphql-core would read as the document's source).
    assert error["locations"] == [{"line": 3, "column": MIXED.splitlines()[2].index("subjects") + 1}]
    assert sim.counts["subjects"] > 1  # retried, then given up: the fault was really met

    # The fault cleared: the next query answers everything.
    sim.reset()
    again = ok(await gw.gql(MIXED))
    assert [s["id"] for s in again["academicYear"]["subjects"]] == [str(s["id"]) for s in subjects]


async def test_a_failing_link_below_a_list_nulls_the_link_of_each_row(make_gateway: Any) -> None:
    gw = _no_backoff(make_gateway)
    sim = gw.sim
    year = await current_year(sim)
    teachers, _ = await upstream(sim, "teachers", academicYear=year)
    sim.reset()
    sim.inject(500, times=1000, route="groups")
    data = await gw.gql("{ academicYear { teachers { id groups { id } } } }")
    rows = data["data"]["academicYear"]["teachers"]
    assert [r["id"] for r in rows] == [str(t["id"]) for t in teachers]
    assert all(r["groups"] is None for r in rows)
    # One error, counted once per row (collapsed), on the link's own path.
    [error] = data["errors"]
    assert error["path"][0:2] == ["academicYear", "teachers"] and error["path"][-1] == "groups"
    assert error["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert error["extensions"].get("count", 1) == len(teachers)


async def test_a_bad_range_fails_its_field_not_the_operation(gateway: Gateway) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    teachers, _ = await upstream(sim, "teachers", academicYear=year)
    start = dt.date(year - 1, 9, 7)
    sim.reset()
    data = await gateway.gql(
        "query($f: Date!, $t: Date) { school { name } academicYear { teachers { id } "
        "behaviourEvents(from: $f, to: $t) { id } } }",
        {"f": start.isoformat(), "t": (start + dt.timedelta(days=93)).isoformat()})
    ay = data["data"]["academicYear"]
    assert data["data"]["school"]["name"]
    assert [t["id"] for t in ay["teachers"]] == [str(t["id"]) for t in teachers]
    assert ay["behaviourEvents"] is None
    [error] = data["errors"]
    assert error["path"] == ["academicYear", "behaviourEvents"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert not any(r.route in ("calendar", "behaviour-events") for r in sim.requests)


async def test_an_unknown_year_nulls_that_year_alone(gateway: Gateway) -> None:
    data = await gateway.gql("{ school { name } academicYear(year: 1999) { year } }")
    assert data["data"]["school"]["name"]
    assert data["data"]["academicYear"] is None
    [error] = data["errors"]
    assert error["path"] == ["academicYear"] and error["extensions"]["code"] == "BAD_USER_INPUT"


# --- the schema says so ---------------------------------------------------------------------

def _fields(sdl: str) -> dict[str, Any]:
    built = build_schema(sdl)
    return {f"{t.name}.{n}": f for t in built.type_map.values()
            if isinstance(t, GraphQLObjectType) and not t.name.startswith("__")
            for n, f in t.fields.items()}


def test_fallible_fields_are_nullable_with_semantic_non_null_in_the_published_schema() -> None:
    text = SDL.read_text()
    assert "directive @semanticNonNull(levels: [Int] = [0]) on FIELD_DEFINITION" in text
    fields = _fields(text)
    for coordinate in ("AcademicYear.subjects", "AcademicYear.teachers", "AcademicYear.students",
                       "AcademicYear.behaviourEvents", "Student.groups", "Group.students",
                       "Mark.markslot", "Student.isLeaver", "Query.school", "Query.academicYear",
                       "Query.schools", "School.academicYear"):
        field = fields[coordinate]
        assert not isinstance(field.type, GraphQLNonNull), coordinate
        assert [d.name.value for d in field.ast_node.directives
                if d.name.value != "category"] == ["semanticNonNull"], coordinate
    # List items keep their `!`: a list loads whole or fails whole.
    assert str(fields["AcademicYear.subjects"].type) == "[Subject!]"
    # What cannot fail once its parent exists keeps its `!` and no directive.
    for coordinate in ("Student.id", "School.name", "Group.code", "AcademicYear.year",
                       "AttendanceCode.aliases", "TimetabledClass.rooms", "Report.gradeTypes"):
        field = fields[coordinate]
        assert isinstance(field.type, GraphQLNonNull), coordinate
        assert not _nullability(field), coordinate
    # A link that may be absent stays plainly nullable: its null is an answer.
    assert not _nullability(fields["Subject.department"])


def _nullability(field: Any) -> list[str]:
    """The field's directives other than its data categories (@category, issue 17)."""
    return [d.name.value for d in field.ast_node.directives if d.name.value != "category"]


def test_every_field_that_reads_the_upstream_is_nullable() -> None:
    for type_ in schema._schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            if nullability.fallible(field):
                assert not isinstance(field.type, GraphQLNonNull), f"{type_.name}.{name}"


def test_the_rule_is_idempotent_across_schema_builds() -> None:
    again = build_gateway_schema()
    assert again.as_str() == schema.as_str()
    assert nullability.apply(again) == []
