"""Depth and alias limits (gateway/http/validation.py) and the answers to hostile documents and methods.

Depth is the number of fields on the path from the operation to the deepest field, so
GO4GRAPH_MAX_DEPTH=12 admits exactly 12 levels. Refusals are LIMIT_EXCEEDED with the
limit, the value and the maximum, before any upstream call. Whatever the document — an
undefined fragment, a cycle, a chain of hundreds of fragments, an exponential fan-out —
the answer is a JSON GraphQL error with a code, never a 500.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from graphql import get_introspection_query, parse, specified_rules, validate

from gateway.graph.schema import schema
from gateway.http.validation import Measurer, depth_and_aliases_rule
from gateway.settings import load_settings
from tests.conftest import Gateway

#: A real path of the schema, one field per level (Department.subjects and Subject.department
#: alternate as deep as needed).
PATH = ["academicYear", 'student(id: "999999")', "groups", "subject"] + ["department", "subjects"] * 10


def nested(levels: int) -> str:
    """A query exactly ``levels`` fields deep along PATH, ending on an ``id``."""
    fields = PATH[:levels - 1]
    return "{ " + " { ".join(fields) + " { id" + " }" * len(fields) + " }"


def measure(document: str) -> list[tuple[int, int]]:
    doc = parse(document)
    return [(m.depth, m.aliases) for _, m in Measurer(doc.definitions).operations(doc.definitions)]


def errors(document: str, max_depth: int = 12, max_aliases: int = 30) -> list[Any]:
    rules = [*specified_rules, depth_and_aliases_rule(max_depth, max_aliases)]
    return validate(schema._schema, parse(document), rules)


def limits(document: str, **kw: int) -> list[dict[str, Any]]:
    return [e.original_error.extensions | {"code": e.original_error.code}
            for e in errors(document, **kw) if e.original_error is not None]


# --- the definition -------------------------------------------------------------------------

def test_depth_counts_fields_on_the_path() -> None:
    assert measure("{ school { name } }") == [(2, 0)]
    assert measure("{ __typename }") == [(1, 0)]
    assert measure("{ a: school { b: name } c: schools { code } }") == [(2, 3)]
    # Fragments, named or inline, add no level of their own.
    assert measure("{ school { ...F ... on School { academicYear { year } } } } "
                   "fragment F on School { name }") == [(3, 0)]
    # A fragment spread twice counts its aliases twice; each operation is measured alone.
    assert measure("query A { school { ...F ...F } } query B { x: __typename } "
                   "fragment F on School { n: name }") == [(2, 2), (1, 1)]
    # Introspection counts as one level.
    assert measure("{ __schema { types { fields { type { ofType { name } } } } } }") == [(1, 0)]


def test_default_depth_admits_exactly_twelve_levels() -> None:
    settings = load_settings()
    assert settings.max_depth == 12
    twelve, thirteen = nested(12), nested(13)
    assert measure(twelve)[0][0] == 12 and measure(thirteen)[0][0] == 13
    assert errors(twelve, settings.max_depth) == []
    assert limits(thirteen, max_depth=settings.max_depth) == [
        {"code": "LIMIT_EXCEEDED", "limit": "depth", "value": 13, "max": 12}]


def test_graphiql_introspection_is_admitted() -> None:
    assert errors(get_introspection_query(descriptions=True)) == []


def test_aliases_at_and_over_the_limit() -> None:
    def aliased(n: int) -> str:
        return "{ " + " ".join(f"a{i}: __typename" for i in range(n)) + " }"
    assert errors(aliased(30)) == []
    assert limits(aliased(31)) == [{"code": "LIMIT_EXCEEDED", "limit": "aliases", "value": 31, "max": 30}]
    # Two operations of 20 aliases each: only one runs, each is within the limit.
    two = ("query A { " + " ".join(f"a{i}: __typename" for i in range(20)) + " } "
           "query B { " + " ".join(f"b{i}: __typename" for i in range(20)) + " }")
    assert errors(two) == []


# --- hostile documents ----------------------------------------------------------------------

HOSTILE = {
    "undefined fragment": "{ school { ...F } }",
    "fragment cycle": "{ school { ...F } } fragment F on School { name ...G } fragment G on School { ...F }",
    "self spread": "fragment F on School { ...F name } { school { ...F } }",
    "duplicate fragment": "{ school { ...F } } fragment F on School { name } fragment F on School { a: code }",
    "wrong type": "{ school { ...F } } fragment F on Query { __typename }",
    "unknown type": "{ school { ...F } } fragment F on Nope { x }",
    "type system definition": "type T { a: Int } { school { name } }",
    "fragments only": "fragment F on School { name }",
    "unknown field deep": "{ school { nope { nope { nope } } } }",
    "inline fragment on a wrong type": "{ school { ... on Query { __typename } } }",
    "undefined variable": "query($a: Int) { academicYear(year: $b) { year } }",
    "subscription": "subscription { school { name } }",
}


@pytest.mark.parametrize("what", sorted(HOSTILE))
def test_invalid_documents_are_reported_not_raised(what: str) -> None:
    found = errors(HOSTILE[what])
    assert found, what
    assert all(e.original_error is None for e in found), what  # graphql-core's own reports


def test_a_fan_out_of_fragments_is_measured_in_linear_time() -> None:
    # Each fragment spreads the next twice: 2**40 aliases described in ~40 lines.
    n = 40
    frags = " ".join(f"fragment F{i} on School {{ a{i}: name ...F{i + 1} ...F{i + 1} }}" for i in range(n))
    document = "{ school { ...F0 } } " + frags + f" fragment F{n} on School {{ code }}"
    started = time.process_time()
    found = limits(document)
    assert time.process_time() - started < 5  # exponential work would never finish
    assert found == [{"code": "LIMIT_EXCEEDED", "limit": "aliases", "value": 2**n - 1, "max": 30}]


def test_a_long_chain_of_fragments_needs_no_recursion() -> None:
    n = 2000
    frags = " ".join(f"fragment F{i} on School {{ name ...F{i + 1} }}" for i in range(n))
    doc = parse("{ school { ...F0 } } " + frags + f" fragment F{n} on School {{ code }}")
    assert [(m.depth, m.aliases) for _, m in Measurer(doc.definitions).operations(doc.definitions)] == [(2, 0)]


# --- over HTTP ------------------------------------------------------------------------------

async def test_depth_boundary_over_http(make_gateway: Any) -> None:
    gw: Gateway = make_gateway(max_depth=12)
    data = await gw.gql(nested(12))
    assert "errors" not in data, data["errors"]
    assert data["data"]["academicYear"]["student"] is None
    gw.sim.reset()
    data = await gw.gql(nested(13))
    [error] = data["errors"]
    assert error["extensions"] == {"code": "LIMIT_EXCEEDED", "limit": "depth", "value": 13, "max": 12}
    assert "depth" in error["message"] and "data" not in data
    assert gw.sim.counts.total() == 0  # refused before any upstream call


async def test_refusals_are_400_for_graphql_response_clients(make_gateway: Any) -> None:
    gw: Gateway = make_gateway(max_aliases=2)
    r = await gw.client.post("/graphql", json={"query": "{ a: __typename b: __typename c: __typename }"},
                             headers={"Accept": "application/graphql-response+json"})
    assert r.status_code == 400
    assert r.json()["errors"][0]["extensions"] == {"code": "LIMIT_EXCEEDED", "limit": "aliases",
                                                   "value": 3, "max": 2}


@pytest.mark.parametrize("what", sorted(HOSTILE))
async def test_hostile_documents_answer_json_errors_with_codes(gateway: Gateway, what: str) -> None:
    r = await gateway.client.post("/graphql", json={"query": HOSTILE[what]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["errors"] and all(e["extensions"]["code"] == "BAD_USER_INPUT" for e in body["errors"])


async def test_a_deep_fragment_chain_over_http_is_an_error_not_a_500(gateway: Gateway) -> None:
    n = 300  # within the token limit, past graphql-core's fragment nesting guard
    frags = " ".join(f"fragment F{i} on School {{ name ...F{i + 1} }}" for i in range(n))
    r = await gateway.client.post("/graphql", json={
        "query": "{ school { ...F0 } } " + frags + f" fragment F{n} on School {{ code }}"})
    assert r.status_code == 200, r.text
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO"])
async def test_other_methods_get_a_json_405_with_allow(gateway: Gateway, method: str) -> None:
    r = await gateway.client.request(method, "/graphql", json={"query": "{ __typename }"})
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, POST"
    assert r.headers["content-type"].startswith("application/json")
    [error] = r.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    # GET (with a CSRF-prevention header, as any GET must carry) and POST still work.
    assert (await gateway.client.get("/graphql", params={"query": "{ __typename }"},
                                     headers={"apollo-require-preflight": "true"})).status_code == 200
