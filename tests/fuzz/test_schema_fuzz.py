"""A schema fuzzer against the gateway on the simulator: no request, however hostile, gets a 500.

Generated from the published contract (schema/schema.graphql) with hypothesis-graphql:

- valid documents (queries and mutations, arguments of every kind) and invalid ones (one
  schema violation each), plus token soup: fragments undefined or cyclic, stray
  punctuation, directives and variables where they do not belong;
- hostile variable values for every argument of every field (any JSON value, dates that
  are not dates, numbers past every bound, huge strings);
- hostile envelopes: any JSON value in query, variables, operationName, extensions and
  documentId, bodies that are not JSON, every content type, any method.

Every answer must be below 500, JSON (the GraphiQL page aside), and every error must
carry an ``extensions.code`` from DESIGN.md's set, never INTERNAL; afterwards the gateway
still answers ``{ __typename }``. A valid document that is not executed must have been
refused for a limit, nothing else.

The suite runs a bounded number of examples (550 in all); a long run takes the total from
GO4GRAPH_FUZZ_EXAMPLES, shared among the tests in the same proportions (README:
``GO4GRAPH_FUZZ_EXAMPLES=5000 .venv/bin/pytest -rP tests/fuzz``; ``-rP`` shows how many
examples each test ran).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, mutations, nodes, queries

from gateway.app import create_app
from gateway.settings import load_settings
from gateway.simulator import Simulator, SimulatorConfig, create_simulator

SDL = (Path(__file__).resolve().parents[2] / "schema" / "schema.graphql").read_text()
SCHEMA = graphql.build_schema(SDL)

#: DESIGN.md, "Errors": the only codes a client may ever see.
CODES = {"UNAUTHENTICATED", "FORBIDDEN", "BAD_USER_INPUT", "NOT_FOUND", "RATE_LIMITED",
         "UPSTREAM_UNAVAILABLE", "LIMIT_EXCEEDED", "PERSISTED_QUERY_NOT_FOUND", "INTERNAL"}

LONG_RUN = int(os.environ.get("GO4GRAPH_FUZZ_EXAMPLES", "0") or 0)
#: Examples per test in the normal suite; a long run scales them to GO4GRAPH_FUZZ_EXAMPLES in all.
NORMAL = {"valid": 100, "invalid": 60, "soup": 120, "variables": 120, "envelopes": 150}


def examples(test: str) -> int:
    if not LONG_RUN:
        return NORMAL[test]
    return -(-LONG_RUN * NORMAL[test] // sum(NORMAL.values()))  # rounded up: at least the total


def fuzz_settings(test: str) -> Callable[[Any], Any]:
    return settings(max_examples=examples(test), deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# --- the gateway, on its own event loop -----------------------------------------------------

class Harness:
    """The app on a small simulated school, driven over ASGI from synchronous hypothesis tests."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.sim: Simulator = create_simulator(SimulatorConfig(students=30, second_school_students=10,
                                                               page_size=7))
        self.app = create_app(load_settings(), simulator=self.sim)
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app),
                                        base_url="http://gateway", timeout=60)
        self.seen: dict[str, int] = {}
        self.requests = 0

    def request(self, method: str, **kwargs: Any) -> httpx.Response:
        # A hang is a failure too: every answer within a minute even on a loaded machine.
        self.requests += 1
        return self.loop.run_until_complete(
            asyncio.wait_for(self.client.request(method, "/graphql", **kwargs), 60))

    def post(self, payload: Any) -> httpx.Response:
        return self.request("POST", content=json.dumps(payload),
                            headers={"content-type": "application/json"})

    def check(self, response: httpx.Response, method: str = "POST") -> dict[str, Any] | None:
        """The answer is no 5xx, JSON, and every error has a public code; its body."""
        assert response.status_code < 500, (response.status_code, response.text[:2000])
        if method == "HEAD":
            return None
        ctype = response.headers.get("content-type", "")
        if ctype.startswith("text/html"):
            assert method == "GET" and response.status_code == 200, response.text[:500]
            return None  # the GraphiQL page, for a browser's GET
        assert "json" in ctype, (ctype, response.text[:500])
        body = response.json()
        assert isinstance(body, dict) and ("errors" in body or "data" in body), body
        for error in body.get("errors") or ():
            code = (error.get("extensions") or {}).get("code")
            assert code in CODES, error
            assert code != "INTERNAL", error
            self.seen[code] = self.seen.get(code, 0) + 1
        return body

    def still_answers(self, test: str | None = None, before: int = 0) -> None:
        if test is not None:
            ran = self.requests - before
            print(f"fuzz {test}: {ran} requests (examples asked: {examples(test)}); codes so far: {self.seen}")
        response = self.post({"query": "{ __typename }"})
        assert response.status_code == 200
        assert response.json() == {"data": {"__typename": "Query"}}

    def close(self) -> None:
        async def shut() -> None:
            await self.client.aclose()
            await self.app.state.services.aclose()
        self.loop.run_until_complete(shut())
        self.loop.close()


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    made = Harness()
    made.still_answers()
    yield made
    made.close()


# --- documents from the schema ----------------------------------------------------------------

def _iso(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


SCALARS = {
    # Real dates around the simulated years, and anything else that parses as one.
    "Date": st.one_of(st.dates(), st.dates(min_value=dt.date(2023, 1, 1), max_value=dt.date(2028, 12, 31))
                      ).map(lambda d: nodes.String(d.isoformat())),
    "DateTime": st.datetimes(timezones=st.just(dt.UTC)).map(lambda d: nodes.String(_iso(d))),
}


class _Anchor(graphql.Visitor):
    """Drops the school code and year arguments, so the document reaches the school's graph."""

    def enter_field(self, node: graphql.FieldNode, *_args: Any) -> Any:
        if node.name.value in ("school", "academicYear") and node.arguments:
            kept = tuple(a for a in node.arguments if a.name.value not in ("code", "year"))
            return graphql.FieldNode(alias=node.alias, name=node.name, arguments=kept,
                                     directives=node.directives, selection_set=node.selection_set)
        return None


@st.composite
def valid_documents(draw: st.DrawFn) -> str:
    kind = queries if draw(st.integers(0, 3)) else mutations  # mostly reads: the graph is wide
    document = draw(kind(SCHEMA, custom_scalars=SCALARS, print_ast=lambda d: d))
    if draw(st.integers(0, 3)):  # mostly the real school and year; now and then random ones
        document = graphql.visit(document, _Anchor())
    return graphql.print_ast(document)


def _reached(data: Any) -> bool:
    """Whether an answer holds some of the school's data below its roots."""
    return isinstance(data, dict) and any(
        isinstance(v, dict) and any(x is not None for x in v.values()) for v in data.values())


def test_valid_documents(harness: Harness) -> None:
    reached = [0]

    @fuzz_settings("valid")
    @given(valid_documents())
    def run(document: str) -> None:
        body = harness.check(harness.post({"query": document}))
        assert body is not None
        reached[0] += _reached(body.get("data"))
        if "data" not in body:
            # A valid document is executed unless a limit refused it.
            codes = {e["extensions"]["code"] for e in body["errors"]}
            assert codes == {"LIMIT_EXCEEDED"} or any(
                "tokens" in e["message"] for e in body["errors"]), body

    before = harness.requests
    run()
    harness.still_answers("valid", before)
    print(f"fuzz valid: {reached[0]} answers with data below the roots")
    # The fuzz reaches the graph, not only the roots (random documents nest lists, so the
    # estimated-cost limit refuses many of them before execution: a refusal is a right answer).
    assert reached[0] > examples("valid") // 8


def test_invalid_documents(harness: Harness) -> None:
    @fuzz_settings("invalid")
    @given(from_schema(SCHEMA, custom_scalars=SCALARS, mode=Mode.NEGATIVE))
    def run(document: str) -> None:
        harness.check(harness.post({"query": document}))

    before = harness.requests
    run()
    harness.still_answers("invalid", before)


NAMES = sorted({name for t in SCHEMA.type_map.values() if isinstance(t, graphql.GraphQLObjectType)
                for name in t.fields} | {"school", "academicYear", "students", "__typename", "__schema",
                                         "__type", "types", "fields", "name", "ofType"})
PUNCTUATION = ["{", "}", "(", ")", "[", "]", ":", "!", "$", "=", "|", "&", "@", "...", ",", "\n",
               '"', '"""', "#", "\\u0000", "\u0000", "1", "-1", "1e999", "0x1", "true", "null"]
KEYWORDS = ["query", "mutation", "subscription", "fragment", "on", "F", "G", "Query", "School",
            "Student", "AcademicYear", "@skip(if: true)", "@include(if: $v)", "@defer", "@stream",
            "@semanticNonNull", "$v", "$v: Int", "...F", "...G", "... on School",
            "fragment F on School { name ...G }", "fragment G on School { ...F }",
            "fragment F on Query { __typename }", "query Q", "query Q", "extend type Query { x: Int }",
            "directive @d on FIELD", "schema { query: Query }"]


@st.composite
def soup(draw: st.DrawFn) -> str:
    """Token soup around real field names: mostly unparsable, sometimes valid, often odd."""
    base = draw(st.sampled_from(["{ school { name } }", "{ school { ...F } }", "", "{", "query Q { __typename }",
                                 "{ academicYear { year students { id ...F } } }"]))
    parts = draw(st.lists(st.one_of(st.sampled_from(NAMES), st.sampled_from(PUNCTUATION),
                                    st.sampled_from(KEYWORDS), st.text(max_size=8)), max_size=40))
    where = draw(st.integers(0, len(base)))
    return base[:where] + " ".join(parts) + base[where:]


def test_token_soup(harness: Harness) -> None:
    @fuzz_settings("soup")
    @given(soup())
    @example("{ school { ...F } }")  # found before: strawberry's depth rule raised KeyError
    def run(document: str) -> None:
        harness.check(harness.post({"query": document}))

    before = harness.requests
    run()
    harness.still_answers("soup", before)


# --- hostile variable values, per argument ----------------------------------------------------

def _prefixes() -> dict[str, list[str]]:
    """For every object type, a path of argument-free fields from Query that reaches it."""
    found: dict[str, list[str]] = {"Query": []}
    queue = ["Query"]
    while queue:
        name = queue.pop(0)
        type_ = SCHEMA.type_map[name]
        assert isinstance(type_, graphql.GraphQLObjectType)
        for fname, field in type_.fields.items():
            target = graphql.get_named_type(field.type)
            required = any(isinstance(a.type, graphql.GraphQLNonNull) for a in field.args.values())
            if (isinstance(target, graphql.GraphQLObjectType) and target.name not in found
                    and not required and target.name != "Mutation"):
                found[target.name] = [*found[name], fname]
                queue.append(target.name)
    return found


PREFIXES = _prefixes()
TARGETS = sorted((tname, fname) for tname, path in PREFIXES.items()
                 for fname, field in SCHEMA.type_map[tname].fields.items()  # type: ignore[union-attr]
                 if field.args)
TARGETS += [("Mutation", fname) for fname in SCHEMA.mutation_type.fields] if SCHEMA.mutation_type else []

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=20)
HOSTILE = st.one_of(
    JSON_VALUES,
    st.sampled_from(["2026-02-30", "2026-13-01", "0000-00-00", "9999-12-31", "1900-01-01", "2026-1-1",
                     "yesterday", "2026-09-01T00:00:00Z", "", " ", "1", "-1", "1e9", "99999999999999999999",
                     "0x10", "NaN", "null", "AM", "PM", "GENERAL", "x" * 10_000, "\u0000", "😀" * 100,
                     "1234567890123", "A123456789012"]),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.dates().map(str),
    st.lists(st.dates().map(str), max_size=3),
)


def _variable_type(arg: graphql.GraphQLArgument) -> str:
    return str(arg.type)


@st.composite
def argument_probe(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    tname, fname = draw(st.sampled_from(TARGETS))
    field = (SCHEMA.mutation_type if tname == "Mutation" else SCHEMA.type_map[tname]).fields[fname]  # type: ignore[union-attr]
    args = list(field.args.items())
    variables: dict[str, Any] = {}
    decls, uses = [], []
    for i, (aname, arg) in enumerate(args):
        if draw(st.booleans()) or isinstance(arg.type, graphql.GraphQLNonNull):
            decls.append(f"$v{i}: {_variable_type(arg)}")
            uses.append(f"{aname}: $v{i}")
            if draw(st.integers(0, 9)):  # now and then the variable is left out
                variables[f"v{i}"] = draw(HOSTILE)
    target = graphql.get_named_type(field.type)
    selection = " { __typename }" if isinstance(target, graphql.GraphQLObjectType) else ""
    call = f"{fname}({', '.join(uses)}){selection}" if uses else f"{fname}{selection}"
    path = [] if tname == "Mutation" else PREFIXES[tname]
    body = call
    for step in reversed(path):
        body = f"{step} {{ {body} }}"
    kind = "mutation" if tname == "Mutation" else "query"
    header = f"{kind} Probe({', '.join(decls)})" if decls else f"{kind} Probe"
    return f"{header} {{ {body} }}", variables


def test_hostile_variables_for_every_argument(harness: Harness) -> None:
    # Every field with arguments, on every type, is reached by an argument-free path.
    assert set(TARGETS) == {(t.name, f) for t in SCHEMA.type_map.values()
                            if isinstance(t, graphql.GraphQLObjectType) and not t.name.startswith("__")
                            for f, field in t.fields.items() if field.args}

    @fuzz_settings("variables")
    @given(argument_probe())
    def run(probe: tuple[str, dict[str, Any]]) -> None:
        document, variables = probe
        harness.check(harness.post({"query": document, "variables": variables}))

    before = harness.requests
    run()
    harness.still_answers("variables", before)


# --- hostile envelopes ---------------------------------------------------------------------------

VALID = ["{ __typename }", "{ school { name } }", "query A { __typename } query B { school { code } }",
         "query($y: Int) { academicYear(year: $y) { year } }"]
MEMBER = st.one_of(JSON_VALUES, st.sampled_from(VALID), st.sampled_from(["A", "B", "", "Probe"]))
ENVELOPE = st.one_of(
    JSON_VALUES,
    st.fixed_dictionaries({}, optional={"query": MEMBER, "variables": MEMBER, "operationName": MEMBER,
                                        "extensions": MEMBER, "documentId": MEMBER, "id": MEMBER}),
    st.fixed_dictionaries({"query": st.sampled_from(VALID)},
                          optional={"variables": MEMBER, "operationName": MEMBER, "extensions": MEMBER}),
)
CONTENT_TYPES = st.sampled_from([
    "application/json", "application/graphql", "application/graphql-response+json",
    "application/json; charset=latin-1", "text/plain", "multipart/form-data; boundary=x",
    "application/x-www-form-urlencoded", "", "application/graphql+json", "*/*"])
ACCEPTS = st.sampled_from(["application/json", "application/graphql-response+json", "text/html",
                           "*/*", "", "text/html, application/json", "image/png"])


@st.composite
def request_case(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    method = draw(st.sampled_from(["POST", "POST", "POST", "GET", "GET", "PUT", "DELETE", "PATCH",
                                   "HEAD", "OPTIONS"]))
    headers = {"accept": draw(ACCEPTS)}
    if method == "GET":
        params = {}
        for name in ("query", "variables", "operationName", "extensions", "documentId"):
            if draw(st.booleans()):
                value = draw(MEMBER)
                params[name] = value if isinstance(value, str) else json.dumps(value)
        return method, {"params": params, "headers": headers}
    if draw(st.integers(0, 4)):
        content: bytes = json.dumps(draw(ENVELOPE)).encode()
    else:
        content = draw(st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode),
                                 st.sampled_from([b"{", b"[]", b'{"query": "{ __typename }"', b"\xff\xfe",
                                                  b'{"query": "{ __typename }"}' * 2])))
    ctype = draw(CONTENT_TYPES)
    if ctype:
        headers["content-type"] = ctype
    return method, {"content": content, "headers": headers}


def test_hostile_envelopes(harness: Harness) -> None:
    @fuzz_settings("envelopes")
    @given(request_case())
    # Found before: a non-string operationName with an invalid document (a metrics label).
    @example(("POST", {"content": b'{"query": "{ nope }", "operationName": 5}',
                       "headers": {"content-type": "application/json"}}))
    @example(("GET", {"params": {"query": "{ nope }", "operationName": "[1]"}, "headers": {}}))
    def run(case: tuple[str, dict[str, Any]]) -> None:
        method, kwargs = case
        harness.check(harness.request(method, **kwargs), method)

    before = harness.requests
    run()
    harness.still_answers("envelopes", before)
    # Guard against a vacuous run: the fuzzer reached the refusals it is about.
    assert harness.seen.get("BAD_USER_INPUT", 0) > 0
