"""Every GET route of the routes table is reached by the graph, and resolvers below the roots are synchronous."""

from __future__ import annotations

import inspect

import pytest

from gateway.graph.schema import schema
from gateway.upstream.routes import GET_ROUTES
from tests.conftest import Gateway

Y = "academicYear"
#: For each GET route, a query whose answer needs it (value-for-value checks live in tests/graph/).
QUERIES: dict[str, str] = {
    "school": "{ school { name } }",
    "markbooks": f"{{ {Y} {{ markbooks {{ id marksheets {{ markslots {{ name }} }} }} }} }}",
    "marksheet-grades": f"{{ {Y} {{ students(yearGroup: \"10\") {{ marksheetGrades {{ grade }} }} }} }}",
    "marks": f"{{ {Y} {{ students(yearGroup: \"10\") {{ marks {{ mark }} }} }} }}",
    "grade-types": f"{{ {Y} {{ gradeTypes(yearGroup: \"11\") {{ name }} }} }}",
    "grades": f"{{ {Y} {{ grades(yearGroup: \"11\") {{ name }} }} }}",
    "exam-results": f"{{ {Y} {{ examResults(yearGroup: \"11\") {{ grade }} }} }}",
    "prior-attainment": f"{{ {Y} {{ students(yearGroup: \"7\") {{ priorAttainment {{ value }} }} }} }}",
    "reports": f"{{ {Y} {{ reports {{ id name }} }} }}",
    "report-attributes": f"{{ {Y} {{ reports {{ attributeValues {{ choice {{ name }} }} }} }} }}",
    "report-grades": f"{{ {Y} {{ reports {{ grades {{ name }} }} }} }}",
    "report-comments": f"{{ {Y} {{ reports {{ comments {{ details }} }} }} }}",
    "attendance-codes": f"{{ {Y} {{ attendanceCodes {{ code aliases {{ code }} }} }} }}",
    "session-marks": f"{{ {Y} {{ sessionMarks(date: \"DAY\") {{ session }} }} }}",
    "lesson-marks": f"{{ {Y} {{ lessonMarks(date: \"DAY\") {{ date }} }} }}",
    "attendance-summary": f"{{ {Y} {{ students(yearGroup: \"8\") {{ attendanceSummary {{ present }} }} }} }}",
    "follow-up-actions": f"{{ {Y} {{ followUpActions {{ name }} }} }}",
    "immediate-actions": f"{{ {Y} {{ immediateActions {{ name }} }} }}",
    "behaviour-classifications": f"{{ {Y} {{ behaviourClassifications {{ name }} }} }}",
    "behaviour-event-types": f"{{ {Y} {{ behaviourEventTypes {{ name }} }} }}",
    "behaviour-events": f"{{ {Y} {{ behaviourEvents(from: \"DAY\") {{ id }} }} }}",
    "parental-contacts": f"{{ {Y} {{ students(yearGroup: \"7\") {{ contacts {{ parentDisplayName }} }} }} }}",
    "parent-accounts": f"{{ {Y} {{ students(yearGroup: \"7\") {{ parentAccounts {{ displayName }} }} }} }}",
    "staff-accounts": f"{{ {Y} {{ staff {{ displayName }} }} }}",
    "students": f"{{ {Y} {{ students {{ id }} }} }}",
    "general-attributes": f"{{ {Y} {{ students(yearGroup: \"7\") {{ attributes(category: GENERAL) {{ value }} }} }} }}",
    "demographic-attributes": f"{{ {Y} {{ students(yearGroup: \"7\") {{ attributes(category: DEMOGRAPHIC) {{ value }} }} }} }}",
    "send-attributes": f"{{ {Y} {{ students(yearGroup: \"7\") {{ attributes(category: SEND) {{ value }} }} }} }}",
    "sensitive-attributes": f"{{ {Y} {{ students(yearGroup: \"7\") {{ attributes(category: SENSITIVE) {{ value }} }} }} }}",
    "education-details": f"{{ {Y} {{ students {{ upn }} }} }}",
    "photos": f"{{ {Y} {{ students(yearGroup: \"7\") {{ photo }} }} }}",
    "medical-conditions": f"{{ {Y} {{ students(yearGroup: \"7\") {{ medicalConditions }} }} }}",
    "departments": f"{{ {Y} {{ departments {{ name }} }} }}",
    "subjects": f"{{ {Y} {{ subjects {{ name }} }} }}",
    "teachers": f"{{ {Y} {{ teachers {{ code }} }} }}",
    "groups": f"{{ {Y} {{ groups {{ code }} }} }}",
    "groups-students": f"{{ {Y} {{ groups {{ students {{ id }} }} }} }}",
    "groups-teachers": f"{{ {Y} {{ groups {{ teachers {{ id }} }} }} }}",
    "timetables": f"{{ {Y} {{ timetables {{ periods {{ name }} }} }} }}",
    "calendar": f"{{ {Y} {{ calendar {{ date dayType }} }} }}",
    "classes": f"{{ {Y} {{ classes {{ id }} }} }}",
    "student-classes": f"{{ {Y} {{ students(yearGroup: \"7\") {{ classes {{ id }} }} }} }}",
}


def test_every_get_route_has_a_query() -> None:
    assert set(QUERIES) == {r.name for r in GET_ROUTES}


async def _open_day(gateway: Gateway) -> str:
    data = await gateway.gql("{ academicYear { calendar { date dayType } } }")
    days = [d["date"] for d in data["data"]["academicYear"]["calendar"] if d["dayType"] == "OPEN"]
    return days[len(days) // 3]


@pytest.mark.parametrize("route", sorted(QUERIES))
async def test_route_is_reached_by_the_graph(gateway: Gateway, route: str) -> None:
    query = QUERIES[route]
    if "DAY" in query:
        query = query.replace("DAY", await _open_day(gateway))
    gateway.sim.reset()
    data = await gateway.gql(query)
    assert "errors" not in data, data["errors"][:2]
    assert gateway.sim.counts[route] >= 1


ROOT_ENTRIES = {("Query", "school"), ("Query", "schools"), ("Query", "academicYear"),
                ("School", "academicYear")}


def test_no_async_resolver_below_the_roots() -> None:
    """Per-object coroutines are what make a Python GraphQL server slow: below the entry
    points (which plan and load a whole selection at once) every resolver is a plain function."""
    offenders = []
    for name, type_ in schema._schema.type_map.items():
        if name.startswith("__") or not hasattr(type_, "fields") or name == "Mutation":
            continue
        for fname, field in type_.fields.items():
            sfield = field.extensions.get("strawberry-definition") if field.extensions else None
            resolver = getattr(sfield, "base_resolver", None)
            if resolver is None or (name, fname) in ROOT_ENTRIES:
                continue
            if inspect.iscoroutinefunction(resolver.wrapped_func) or resolver.is_async:
                offenders.append(f"{name}.{fname}")
    assert not offenders, f"async resolvers below the roots: {offenders}"
