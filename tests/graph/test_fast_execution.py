"""The fast executor answers exactly what graphql-core's own executor answers.

A small hand-built schema exercises what the fast paths skip or abandon: nested lists
and objects built in one go, enums and ints coerced, aliases and __typename, a null in a
non-null field, a resolver that raises, and a resolver that returns an awaitable (the
gateway's unplanned fallback) — each compared, data and errors with their paths, with
graphql-core's default execution. Then the real schema: plain fields get direct
resolvers, fields with arguments or info keep strawberry's.
"""

from __future__ import annotations

import inspect
from enum import Enum
from typing import Any

import orjson
import pytest
from graphql import (
    ExecutionResult,
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    execute,
    parse,
)

from gateway.graph import fast
from gateway.graph.schema import schema as gateway_schema


class Kind(Enum):
    A = "a"
    B = "b"


class Counter:
    unplanned = 0


class Ctx:
    """Like ``Context``: its resource sets (``all_resources``) count unplanned reads."""

    def __init__(self) -> None:
        self.counter = Counter()
        self.all_resources = [self.counter]


CTX_HOLDER: dict[str, Ctx] = {}


def _late(item: dict) -> Any:
    """Like ``read`` when the plan missed a key: counts, and answers with an awaitable."""
    CTX_HOLDER["ctx"].counter.unplanned += 1

    async def later() -> str:
        return f"late-{item['id']}"
    return later()


def _boom(item: dict) -> Any:
    if item["id"] == 2:
        raise ValueError("no such thing")
    return "fine"


def _links(item: dict) -> Any:
    """Like a link whose resource failed to load: raises for one parent (a nullable list field)."""
    if item["id"] == 2:
        raise ValueError("the upstream failed")
    return item.get("children", [])


#: (Float value, Int value) by item id: finite and not, in and out of 32 bits, bools.
NUMBERS = [(1.5, 2**31 - 1), (float("inf"), -2**31), (float("nan"), 2**31), (2, True),
           (-0.0, -2**31 - 1), (True, 7.0), (1e308, 7.5)]


def _direct(field: GraphQLField, func: Any) -> GraphQLField:
    field.extensions = {**(field.extensions or {}), fast.DIRECT: func}
    field.resolve = lambda source, info: func(source)
    return field


def build() -> GraphQLSchema:
    kind = GraphQLEnumType("Kind", {"A": Kind.A, "B": Kind.B})
    item: GraphQLObjectType = GraphQLObjectType("Item", lambda: {
        "id": _direct(GraphQLField(GraphQLNonNull(GraphQLID)), lambda i: str(i["id"])),
        "name": _direct(GraphQLField(GraphQLString), lambda i: i.get("name")),
        "score": _direct(GraphQLField(GraphQLInt), lambda i: i.get("score")),
        # Numbers the builders pass as they are, and those only graphql-core's coercion
        # answers right (an error for a non-finite float or an int past 32 bits; a bool's 1/0).
        "ratio": _direct(GraphQLField(GraphQLFloat), lambda i: NUMBERS[i["id"] % 7][0]),
        "big": _direct(GraphQLField(GraphQLInt), lambda i: NUMBERS[i["id"] % 7][1]),
        "kind": _direct(GraphQLField(kind), lambda i: i.get("kind")),
        "required": _direct(GraphQLField(GraphQLNonNull(GraphQLString)), lambda i: i.get("name")),
        "boom": _direct(GraphQLField(GraphQLString), _boom),
        "late": _direct(GraphQLField(GraphQLString), _late),
        "tags": _direct(GraphQLField(GraphQLList(GraphQLNonNull(GraphQLString))), lambda i: i.get("tags")),
        "children": _direct(GraphQLField(GraphQLNonNull(GraphQLList(GraphQLNonNull(item)))),
                            lambda i: i.get("children", [])),
        "links": _direct(GraphQLField(GraphQLList(GraphQLNonNull(item))), _links),
        "child": GraphQLField(item, args={"n": GraphQLArgument(GraphQLInt)},
                              resolve=lambda i, info, n=0: (i.get("children") or [None])[n]),
    })
    data = [
        {"id": 1, "name": "one", "score": 3, "kind": Kind.A, "tags": ["x", "y"],
         "children": [{"id": 11, "name": "eleven", "kind": Kind.B, "children": []}]},
        {"id": 2, "name": None, "score": None, "kind": None, "tags": None,
         "children": [{"id": 21, "name": "twenty-one", "children": [{"id": 211, "name": "deep"}]}]},
        {"id": 3, "name": "three", "score": 7, "kind": Kind.B, "tags": [],
         "children": [{"id": 31, "name": None}]},
    ]
    query = GraphQLObjectType("Query", {
        "items": GraphQLField(GraphQLNonNull(GraphQLList(item)), resolve=lambda _s, _i: data),
        "item": GraphQLField(item, args={"id": GraphQLArgument(GraphQLInt)},
                             resolve=lambda _s, _i, id: next(d for d in data if d["id"] == id)),
    })
    return GraphQLSchema(query)


SCHEMA = build()


async def run(document: str, executor: Any) -> tuple[Any, list[tuple[str, Any]], int]:
    ctx = CTX_HOLDER["ctx"] = Ctx()
    kwargs = {"executor_class": fast.FastExecutor, "is_awaitable": fast.is_awaitable} if executor else {}
    result = execute(SCHEMA, parse(document), None, ctx, None, None, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    assert isinstance(result, ExecutionResult)
    errors = sorted((e.message, e.path) for e in result.errors or ())
    return result.data, errors, ctx.counter.unplanned


QUERIES = {
    "plain": "{ items { id name score kind tags children { id name kind children { id name } } } }",
    "numbers": "{ items { id ratio big children { id ratio big children { id ratio big } } } }",
    "aliases and typename": "{ items { __typename key: id id again: name name children { __typename id } } }",
    "null in a non-null field": "{ items { id required children { id required } } }",
    "a resolver raises": "{ items { id boom children { id boom } } }",
    "an awaitable answer": "{ items { id late children { id late children { late } } } }",
    "a nullable list raises": "{ items { id links { id name links { id } } } }",
    "arguments below": "{ items { id child(n: 0) { id name children { id } } } }",
    "one item": "{ item(id: 2) { id name boom children { id name required } } }",
}


@pytest.mark.parametrize("name", sorted(QUERIES))
async def test_same_answer_as_graphql_core(name: str) -> None:
    document = QUERIES[name]
    expected = await run(document, executor=None)
    got = await run(document, executor=fast.FastExecutor)
    assert got == expected
    assert orjson.dumps(got[0]) == orjson.dumps(expected[0])  # the same keys in the same order


async def test_the_cases_do_what_they_say() -> None:
    # Guard against a vacuous comparison: the cases really produce errors and awaitables.
    data, errors, unplanned = await run(QUERIES["null in a non-null field"], fast.FastExecutor)
    assert ("Cannot return null for non-nullable field Item.required.", ["items", 1]) in [
        (m, p[:2]) for m, p in errors]
    assert data["items"][1] is None and data["items"][0]["required"] == "one"
    data, errors, _ = await run(QUERIES["a resolver raises"], fast.FastExecutor)
    assert errors == [("no such thing", ["items", 1, "boom"])]
    assert data["items"][1]["boom"] is None and data["items"][0]["boom"] == "fine"
    data, errors, _ = await run(QUERIES["a nullable list raises"], fast.FastExecutor)
    assert errors == [("the upstream failed", ["items", 1, "links"])]
    assert data["items"][1] == {"id": "2", "links": None}  # the row stands, its link is null
    assert data["items"][0]["links"] == [{"id": "11", "name": "eleven", "links": []}]
    data, errors, unplanned = await run(QUERIES["an awaitable answer"], fast.FastExecutor)
    assert not errors and data["items"][0]["late"] == "late-1"
    assert data["items"][1]["children"][0]["children"][0]["late"] == "late-211"
    assert unplanned == 3 + 3 + 1  # once per resolution: an abandoned build is not counted twice


def test_plain_fields_of_the_gateway_schema_get_direct_resolvers() -> None:
    gql = gateway_schema._schema
    fast.install(gql)
    assert fast.install(gql) == 0  # idempotent
    student = gql.type_map["Student"]
    assert fast.DIRECT in student.fields["id"].extensions
    assert fast.DIRECT in student.fields["groups"].extensions
    assert fast.DIRECT in student.fields["yearGroup"].extensions
    # Arguments or info: strawberry's resolver, untouched.
    assert fast.DIRECT not in student.fields["sessionMarks"].extensions
    assert fast.DIRECT not in gql.type_map["AcademicYear"].fields["students"].extensions
    assert fast.DIRECT not in gql.type_map["Query"].fields["academicYear"].extensions
