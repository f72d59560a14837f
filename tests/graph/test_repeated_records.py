"""A record met again is answered once per request (the builders' memo), and never wrongly.

The same subject under every grade, the same group under each of its students: a builder
keeps the answer of each record it built and gives it again, so a roster builds each group
once. These tests run a small strawberry schema of ``Row`` types through the fast executor
and graphql-core's own executor: the answers must be equal, the repeated records built once,
records that differ by their private values (a grade type's year group) kept apart, and a
value whose build was abandoned (an error) never served from the memo.
"""

from __future__ import annotations

import inspect
from typing import Any

import orjson
import strawberry
from graphql import ExecutionResult, execute, parse

from gateway.graph import fast, fast_builders
from gateway.graph.plan import FieldPlan
from gateway.graph.row import Row
from gateway.graph.schema import schema as gateway_schema
from tests.simdata import ok, unplanned

CALLS: dict[str, int] = {}


def _counted(name: str) -> Any:
    def resolve(self: Row) -> str | None:
        CALLS[name] = CALLS.get(name, 0) + 1
        if self.raw.get("broken") and name == "name":
            raise ValueError("a broken record's name fails")
        return self.raw.get(name)
    return strawberry.field(resolver=resolve)


@strawberry.type
class Thing(Row):
    name: str | None = _counted("name")
    code: str | None = _counted("code")
    colour: str | None = _counted("colour")


@strawberry.type
class Scoped(Row):
    scope: strawberry.Private[str]

    def _label(self) -> str:
        CALLS["label"] = CALLS.get("label", 0) + 1
        return f"{self.raw['name']} ({self.scope})"

    label: str = strawberry.field(resolver=_label)
    name: str | None = _counted("scoped-name")
    code: str | None = _counted("scoped-code")


RED = {"name": "red", "code": "R", "colour": "#f00"}
BLUE = {"name": "blue", "code": "B", "colour": "#00f"}
BROKEN = {"name": "broken", "code": "X", "colour": "?", "broken": True}


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing]:
        rows = [RED, BLUE, RED, RED, BLUE] * 60  # 300 values, 2 records
        return [Thing(raw=r, year=2026, res=RES) for r in rows]

    @strawberry.field
    def scoped(self) -> list[Scoped]:
        return [Scoped(raw=RED, year=2026, res=RES, scope=s) for s in ["9", "10", "9", "10"] * 80]

    @strawberry.field
    def distinct_then_repeats(self) -> list[Thing]:
        rows = [{"name": str(i), "code": str(i), "colour": str(i)} for i in range(300)]
        return [Thing(raw=r, year=2026, res=RES) for r in rows + [rows[0]] * 100]

    @strawberry.field
    def with_broken(self) -> list[Thing | None]:
        return [Thing(raw=r, year=2026, res=RES) for r in [BROKEN, BROKEN, RED, BROKEN] * 70]


class _Res:
    """The school's resources (``Row.res``): only its identity matters here."""


RES = _Res()
SCHEMA = strawberry.Schema(query=Query)
fast.install(SCHEMA._schema)


async def run(document: str, fast_executor: bool) -> tuple[Any, list[Any]]:
    CALLS.clear()
    kwargs: dict[str, Any] = ({"executor_class": fast.FastExecutor, "is_awaitable": fast.is_awaitable}
                              if fast_executor else {})
    result = execute(SCHEMA._schema, parse(document), **kwargs)
    if inspect.isawaitable(result):
        result = await result
    assert isinstance(result, ExecutionResult)
    return result.data, sorted((e.message, e.path) for e in result.errors or ())


async def test_a_record_met_again_is_built_once() -> None:
    document = "{ things { name code colour } }"
    expected = await run(document, fast_executor=False)
    assert CALLS == {"name": 300, "code": 300, "colour": 300}
    got = await run(document, fast_executor=True)
    assert orjson.dumps(got[0]) == orjson.dumps(expected[0]) and got[1] == expected[1] == []
    assert CALLS == {"name": 2, "code": 2, "colour": 2}  # two records, each built once


async def test_records_with_other_private_values_are_kept_apart() -> None:
    document = "{ scoped { label name code } }"
    expected = await run(document, fast_executor=False)
    got = await run(document, fast_executor=True)
    assert orjson.dumps(got[0]) == orjson.dumps(expected[0])
    assert {v["label"] for v in got[0]["scoped"]} == {"red (9)", "red (10)"}
    assert CALLS["label"] == 2


async def test_an_abandoned_value_is_not_kept() -> None:
    # A record whose build fails is never served from the memo: every time it is met, it
    # reports its error at its own path, exactly as graphql-core's executor does.
    document = "{ withBroken { name code colour } }"
    expected = await run(document, fast_executor=False)
    got = await run(document, fast_executor=True)
    assert orjson.dumps(got[0]) == orjson.dumps(expected[0]) and got[1] == expected[1]
    assert len(got[1]) == 210 and got[1][0] == ("a broken record's name fails", ["withBroken", 0, "name"])
    assert got[0]["withBroken"][:3] == [{"name": None, "code": "X", "colour": "?"}] * 2 + [
        {"name": "red", "code": "R", "colour": "#f00"}]


async def test_a_small_selection_is_not_kept() -> None:
    # One or two leaves cost less to build than to look up.
    await run("{ things { name code } }", fast_executor=True)
    assert CALLS == {"name": 300, "code": 300}


async def test_records_that_are_not_met_again_stop_the_memo() -> None:
    # 300 distinct records, then the first again 100 times: after MEMO_TRIAL values with no
    # record met again the builder stops keeping answers, so the repeats are built again
    # (the answers are the same either way).
    document = "{ distinctThenRepeats { name code colour } }"
    expected = await run(document, fast_executor=False)
    got = await run(document, fast_executor=True)
    assert orjson.dumps(got[0]) == orjson.dumps(expected[0])
    assert fast_builders.MEMO_TRIAL < 300
    assert CALLS == {"name": 400, "code": 400, "colour": 400}


async def test_a_relation_whose_plan_missed_its_resource_still_answers(gateway: Any) -> None:
    # The direct path calls a relation's function at once; when the plan did not load what
    # it reads (a planner bug), the look-up's NotLoaded sends the field the usual way: loaded
    # then, counted as unplanned, and the answer is the same.
    document = "{ academicYear { subjects { id department { id name } } } }"
    expected = ok(await gateway.gql(document))
    assert any(s["department"] for s in expected["academicYear"]["subjects"])
    field = gateway_schema._schema.type_map["Subject"].fields["department"]
    saved = field.extensions["go4graph-plan"]
    field.extensions["go4graph-plan"] = FieldPlan()  # plans nothing for this field
    gateway.services.extras["response_cache"].enabled = False
    try:
        before = unplanned()
        assert ok(await gateway.gql(document)) == expected
        assert unplanned() > before
    finally:
        field.extensions["go4graph-plan"] = saved


async def _verified_examples(gateway: Any) -> list[str]:
    """Every example read (not the write) with VERIFY_LINKS on: the links' mismatches."""
    from tests.test_examples import EXAMPLES, _variables

    gateway.services.extras["response_cache"].enabled = False
    fast_builders.VERIFY_LINKS, fast_builders.LINK_HITS[0] = True, 0
    failures: list[str] = []
    original = fast_builders._verify

    def verify(*args: Any) -> None:
        try:
            original(*args)
        except AssertionError as exc:
            failures.append(str(exc)[:300])
            raise
    fast_builders._verify = verify
    try:
        for path in sorted(EXAMPLES.glob("*.graphql")):
            if path.stem != "take_register":
                ok(await gateway.gql(path.read_text(), await _variables(gateway.sim, path.stem)))
    finally:
        fast_builders.VERIFY_LINKS = False
        fast_builders._verify = original
    return failures


async def test_every_declared_link_answers_as_built_afresh(make_gateway: Any) -> None:
    # A relation's ``link=`` says what its value depends on (the subject of a grade: its
    # subject_id); the builders then build each linked record's answer once. With
    # VERIFY_LINKS every kept answer is built afresh too and compared: no answer of any
    # example may differ, and links must really be met.
    assert await _verified_examples(make_gateway()) == []
    assert fast_builders.LINK_HITS[0] > 1000  # grades' subjects and types, marks' markslots…


async def test_a_wrong_link_is_caught(make_gateway: Any) -> None:
    # Guard against a vacuous check: a link that says every grade has the same subject.
    direct = gateway_schema._schema.type_map["HeadlineGrade"].fields["subject"].extensions[fast.DIRECT]
    saved = direct.link
    direct.link = lambda grade: 0
    try:
        failures = await _verified_examples(make_gateway())
    finally:
        direct.link = saved
    assert failures and "a link answered" in failures[0]
