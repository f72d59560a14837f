"""The estimated cost and upstream calls: over-limit operations refused before any upstream call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from graphql import get_operation_ast, parse

from gateway.graph.dates import year_bounds, year_of
from gateway.graph.schema import schema
from gateway.http.cost import CostEstimator
from gateway.settings import load_settings
from gateway.simulator.calendar import london_today
from tests.admission.conftest import upstream_calls
from tests.conftest import Gateway

EXAMPLES = sorted(Path(__file__).parents[2].joinpath("schema", "examples").glob("*.graphql"))
FAN_OUT = "{ academicYear { students { groups { students { groups { id } } } } } }"
TODAY = london_today()
WEEK = {"from": (TODAY - dt.timedelta(6)).isoformat(), "to": TODAY.isoformat()}
EXAMPLE_VARIABLES = {"pastoral": {"yearGroup": "9", **WEEK}, "register": {"classId": "1", "date": WEEK["to"]}}


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_passes_with_headroom_on_declared_sizes(path: Path) -> None:
    """With nothing known of the school (a large one assumed), every example fits 3 times over."""
    settings = load_settings()
    document = parse(path.read_text())
    operation = get_operation_ast(document)
    assert operation is not None
    estimate = CostEstimator(schema._schema).estimate(  # type: ignore[attr-defined]
        document, operation, EXAMPLE_VARIABLES.get(path.stem, {}), [])
    assert 0 < estimate.cost * 3 <= settings.max_cost
    assert estimate.upstream_calls * 3 <= settings.max_upstream_calls


async def test_the_fan_out_query_is_refused_before_any_upstream_call(gateway: Gateway) -> None:
    r = await gateway.client.post("/graphql", json={"query": FAN_OUT})
    body = r.json()
    assert body["data"] is None
    ext = body["errors"][0]["extensions"]
    assert ext["code"] == "LIMIT_EXCEEDED" and ext["limit"] == "cost"
    assert ext["value"] > ext["max"] == gateway.services.settings.max_cost
    assert upstream_calls(gateway.sim) == 0
    r = await gateway.client.post("/graphql", json={"query": FAN_OUT},
                                  headers={"accept": "application/graphql-response+json"})
    assert r.status_code == 400


async def test_the_roster_passes_and_shows_its_estimate_when_asked(gateway: Gateway) -> None:
    roster = (Path(__file__).parents[2] / "schema" / "examples" / "roster.graphql").read_text()
    r = await gateway.client.post("/graphql", json={"query": roster}, headers={"x-go4graph-cost": "1"})
    body = r.json()
    assert "errors" not in body and body["data"]["academicYear"]["students"]
    cost = body["extensions"]["cost"]
    assert 0 < cost["estimated"] * 3 < cost["max"]
    assert 0 < cost["upstreamCalls"] < cost["maxUpstreamCalls"]
    # ... or asked through the request's extensions; not shown otherwise.
    r = await gateway.client.post("/graphql", json={"query": "{ school { name } }",
                                                     "extensions": {"cost": True}})
    assert r.json()["extensions"]["cost"]["estimated"] == 1  # one object: the school
    r = await gateway.client.post("/graphql", json={"query": "{ school { name } }"})
    assert "extensions" not in r.json()


async def test_what_the_gateway_saw_of_the_school_replaces_the_declared_size(gateway: Gateway) -> None:
    query = "{ academicYear { students { id } } }"
    first = await gateway.client.post("/graphql", json={"query": query}, headers={"x-go4graph-cost": "1"})
    seen = len(first.json()["data"]["academicYear"]["students"])
    assert first.json()["extensions"]["cost"]["estimated"] == 1 + 2000  # declared: 2,000 students
    again = await gateway.client.post("/graphql", json={"query": query}, headers={"x-go4graph-cost": "1"})
    assert again.json()["extensions"]["cost"]["estimated"] == 1 + seen  # this school's count


def _amplification(aliases: int, days: int) -> str:
    """``aliases`` date-range fields over distinct windows of ``days`` days of this year."""
    start, _ = year_bounds(year_of(TODAY))
    fields = []
    routes = ("sessionMarks", "lessonMarks", "behaviourEvents")
    for n in range(aliases):
        begin = start + dt.timedelta(days * (n // 3))
        end = begin + dt.timedelta(days - 1)
        fields.append(f"a{n}: {routes[n % 3]}(from: \"{begin}\", to: \"{end}\") {{ __typename }}")
    return ("{ academicYear { students(registrationGroup: \"7A\") { id " + " ".join(fields) + " } } }")


async def test_an_alias_range_amplification_over_the_upstream_budget_is_refused(
        make_admission_gateway: Callable[..., Gateway]) -> None:
    gw = make_admission_gateway()
    query = _amplification(26, 30)
    r = await gw.client.post("/graphql", json={"query": query}, headers={"cache-control": "no-cache"})
    ext = r.json()["errors"][0]["extensions"]
    assert ext["code"] == "LIMIT_EXCEEDED" and ext["limit"] == "upstreamCalls"
    assert ext["value"] >= 26 * 30 and ext["max"] == 500
    assert upstream_calls(gw.sim) == 0
    # The same shape is admitted where the budget allows it, and shows its estimate.
    small = make_admission_gateway(max_upstream_calls=26 * 30 + 50)
    r = await small.client.post("/graphql", json={"query": query}, headers={"x-go4graph-cost": "1"})
    assert r.json()["extensions"]["cost"]["upstreamCalls"] >= 26 * 30
    assert not any(e["extensions"]["code"] == "LIMIT_EXCEEDED" for e in r.json().get("errors", []))
