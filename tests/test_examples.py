"""Every operation in schema/examples/ runs against the simulator at the upstream-call floor,
and answers, byte for byte, what graphql-core's own executor answers.

The floor: one walk per distinct resource key the operation touches (each page fetched
once, never twice), and no resolver awaiting a resource its plan had not loaded.

The same answer: the endpoint executes with its own executor (``gateway.graph.fast``: direct
resolvers, builders, under ``http.execution``'s field budget). Each example, and the roster
reshaped and with a failing upstream, also runs through graphql-core's stock ``Executor`` over
a schema built afresh (strawberry's own resolvers, nothing installed); the encoded answers must
be the same bytes.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
import strawberry
from graphql import ExecutionResult, Executor, execute, parse

from gateway.graph import fast, fast_builders
from gateway.graph.context import Context
from gateway.graph.errors import collapse, format_error
from gateway.graph.schema import build_schema
from gateway.simulator import Simulator
from tests.conftest import Gateway
from tests.simdata import current_year, unplanned, upstream

EXAMPLES = Path(__file__).resolve().parents[1] / "schema" / "examples"


async def _variables(sim: Simulator, name: str) -> dict[str, Any]:
    year = await current_year(sim)
    calendar, _ = await upstream(sim, "calendar", academicYear=year)
    today = dt.date.today().isoformat()
    open_days = [d["date"][:10] for d in calendar if d["day_type_code"] == "Open"]
    past = [d for d in open_days if d <= today] or open_days
    if name == "register":
        classes, _ = await upstream(sim, "classes", academicYear=year)
        return {"classId": str(classes[3]["id"]), "date": past[-1]}
    if name == "take_register":
        edu, _ = await upstream(sim, "education-details", academicYear=year)
        on_roll = [e for e in edu if not e.get("deleted_from_source")][:30]
        return {"inputs": [{"studentId": str(e["student_id"]), "date": past[-1], "session": "AM",
                            "code": "/"} for e in on_roll]}
    if name == "pastoral":
        start = dt.date.fromisoformat(past[len(past) // 2])
        return {"yearGroup": "9", "from": start.isoformat(),
                "to": (start + dt.timedelta(days=13)).isoformat()}
    if name == "marks_grid":
        groups, _ = await upstream(sim, "groups", academicYear=year)
        return {"groupCode": next(g["code"] for g in groups if g["code"].startswith("10/"))}
    if name == "student_report":
        reports, _ = await upstream(sim, "reports", academicYear=year)
        report = next(r for r in reports if r.get("enable_comments") and r.get("prepared_at"))
        comments, _ = await upstream(sim, "report-comments", academicYear=year, reportId=report["id"])
        return {"reportId": str(report["id"]), "studentId": str(comments[0]["student_id"])}
    return {}


#: The upstream routes each example must touch (and no others).
EXPECTED = {
    "register": {"school", "classes", "timetables", "teachers", "student-classes", "students",
                 "education-details", "calendar", "session-marks", "attendance-codes"},
    "take_register": {"school", "calendar", "attendance-codes", "education-details", "students",
                      "record-session-mark"},
    "pastoral": {"school", "students", "education-details", "attendance-summary", "calendar",
                 "behaviour-events", "behaviour-event-types", "behaviour-classifications",
                 "immediate-actions", "follow-up-actions", "grades", "grade-types", "subjects"},
    "marks_grid": {"school", "groups", "subjects", "markbooks", "groups-teachers", "teachers",
                   "groups-students", "students", "marks"},
    "student_report": {"school", "reports", "students", "education-details", "report-grades",
                       "report-attributes", "report-comments", "subjects"},
    "roster": {"school", "students", "education-details", "groups-students", "groups", "subjects",
               "groups-teachers", "teachers"},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_example_runs_at_the_floor(gateway: Gateway, name: str) -> None:
    sim = gateway.sim
    document = (EXAMPLES / f"{name}.graphql").read_text()
    variables = await _variables(sim, name)
    sim.reset()
    before = unplanned()
    data = await gateway.gql(document, variables)
    assert "errors" not in data, data["errors"][:3]
    assert data["data"], name
    assert unplanned() == before, "a resolver awaited an unplanned resource"
    routes = {r.route for r in sim.requests}
    assert routes == EXPECTED[name]
    pages = Counter((r.path, r.query.get("cursor")) for r in sim.requests if r.method == "GET")
    repeated = [p for p, n in pages.items() if n > 1]
    assert not repeated, f"fetched twice: {repeated}"


async def test_every_example_is_tested() -> None:
    assert {p.stem for p in EXAMPLES.glob("*.graphql")} == set(EXPECTED)


# --- the same bytes from graphql-core's own executor ---------------------------------------------

#: The roster reshaped: aliases, __typename, fragments, @include/@skip over the roster's fields,
#: which the fast executor completes in its builders and graphql-core field by field.
ROSTER_RESHAPED = """
query RosterReshaped($withTeachers: Boolean = true) {
  academicYear {
    __typename
    pupils: students {
      __typename
      ...Who
      key: id
      groups { code ...GroupBits teachers @include(if: $withTeachers) { id code __typename } }
      yearGroup @skip(if: true)
    }
    students { id groups { id } }
  }
}
fragment Who on Student { id legalFirstName legalLastName yearGroup }
fragment GroupBits on Group { id name subject { name id } }
"""

#: A class's students with two ranges of session marks, aliased (fields with arguments inside a
#: builder's selection: each field node binds its own arguments).
REGISTER_TWO_RANGES = """
query TwoRanges($classId: ID!, $date: Date!, $from: Date!) {
  academicYear {
    class(id: $classId) {
      students { id today: sessionMarks(from: $date) { session code { code } }
                 week: sessionMarks(from: $from, to: $date) { date session } }
    }
  }
}
"""

#: What runs through both executors: every example, the reshaped roster, the roster with the
#: teachers' route failing (errors and nulls where the fast executor abandons its builders), two
#: argument ranges in one selection, and pastoral with a range that ends before it starts (an
#: error at every student's field with arguments).
PARITY = [*sorted(EXPECTED), "roster-reshaped", "roster-teachers-failing", "register-two-ranges",
          "pastoral-bad-range"]


@pytest.fixture(scope="module")
def stock_schema() -> strawberry.Schema:
    """The gateway's schema built afresh: strawberry's own resolvers, no direct ones installed."""
    return build_schema()


def _encode(result: ExecutionResult) -> bytes:
    """The answer's bytes as the endpoint encodes them (``http.graphql``'s encoding step)."""
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = collapse([format_error(e, "stock") for e in result.errors])
    body["data"] = result.data
    return orjson.dumps(body)


async def _stock(gateway: Gateway, schema: strawberry.Schema, document: str,
                 variables: dict[str, Any]) -> tuple[bytes, int]:
    """graphql-core's own ``Executor`` over ``schema``, with a context as the endpoint builds it."""
    services = gateway.services
    resolved = services.tenancy.resolve({})
    context = Context(settings=services.settings, services=services, store=services.store,
                      request_id="stock", tenants=resolved.tenants, auth_problem=resolved.problem)
    result = execute(schema._schema, parse(document), None, context, variables,
                     executor_class=Executor)
    if not isinstance(result, ExecutionResult):
        result = await result
    return _encode(result), context.unplanned


async def _case(sim: Simulator, name: str) -> tuple[str, dict[str, Any], str | None]:
    """The document, its variables and the upstream route to fail (None: all well)."""
    if name == "roster-reshaped":
        return ROSTER_RESHAPED, {}, None
    if name == "roster-teachers-failing":
        return (EXAMPLES / "roster.graphql").read_text(), {}, "teachers"
    if name == "register-two-ranges":
        variables = await _variables(sim, "register")
        start = dt.date.fromisoformat(variables["date"]) - dt.timedelta(days=6)
        return REGISTER_TWO_RANGES, {**variables, "from": start.isoformat()}, None
    if name == "pastoral-bad-range":
        variables = await _variables(sim, "pastoral")
        return ((EXAMPLES / "pastoral.graphql").read_text(),
                {**variables, "from": variables["to"], "to": variables["from"]}, None)
    return (EXAMPLES / f"{name}.graphql").read_text(), await _variables(sim, name), None


#: The cases whose answer has errors.
WITH_ERRORS = {"roster-teachers-failing", "pastoral-bad-range"}


@pytest.mark.parametrize("name", PARITY)
async def test_same_bytes_as_graphql_cores_own_executor(
        make_gateway: Any, stock_schema: strawberry.Schema, name: str) -> None:
    # Each its own cold store, so both do the same upstream work; a failure is not retried.
    ours, theirs = make_gateway(upstream_retries=0), make_gateway(upstream_retries=0)
    sim = ours.sim
    document, variables, failing = await _case(sim, name)
    answers: dict[str, bytes] = {}
    before = unplanned()
    for who in ("stock", "ours"):
        if failing:
            sim.clear_faults()
            sim.inject_fault("status", status=500, route=failing, times=1000)
        if who == "stock":
            answers[who], missed = await _stock(theirs, stock_schema, document, variables)
            assert missed == 0, "a resolver awaited an unplanned resource"
        else:
            payload = {"query": document, "variables": variables}
            response = await ours.client.post("/graphql", json=payload)
            assert response.status_code == 200, response.text
            answers[who] = response.content
    sim.clear_faults()
    assert unplanned() == before, "a resolver awaited an unplanned resource"
    stock = orjson.loads(answers["stock"])
    assert stock["data"], stock
    assert ("errors" in stock) == (name in WITH_ERRORS), stock.get("errors", [])[:3]
    assert answers["ours"] == answers["stock"]


async def test_the_fast_executor_is_what_the_endpoint_runs(gateway: Gateway) -> None:
    # Guard against a vacuous comparison: the endpoint's schema has direct resolvers installed
    # and the stock one not, so the two sides above really run different code.
    gql = gateway.services.schema._schema
    assert fast.install(gql) == 0  # installed when the endpoint was built
    assert fast.DIRECT in gql.type_map["Student"].fields["legalFirstName"].extensions
    assert fast.DIRECT not in build_schema()._schema.type_map["Student"].fields["id"].extensions
    # Fields with arguments are bound by the builders (register-two-ranges, pastoral-bad-range).
    assert fast_builders.BIND in gql.type_map["Student"].fields["sessionMarks"].extensions
    assert fast_builders.BIND in gql.type_map["Student"].fields["behaviourEvents"].extensions
