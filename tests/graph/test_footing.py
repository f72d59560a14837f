"""A schema that relies on strawberry's own pipeline is refused when the app is built.

The /graphql endpoint executes with the fast executor, never through
``strawberry.Schema.execute``: a schema extension (or a custom execution context, an overridden
``process_errors``, hidden field suggestions, ``Maybe[T]``'s null check) would do nothing there, so building the app with
such a schema must fail with an error that says so.
"""

from __future__ import annotations

from typing import Any

import pytest
import strawberry
from graphql import Executor, GraphQLError
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.schema.config import StrawberryConfig

import gateway.app
from gateway.app import create_app
from gateway.graph import fast, footing
from gateway.graph.schema import build_schema, schema
from gateway.settings import load_settings
from gateway.simulator import Simulator


@strawberry.type
class Query:
    answer: int = 42


@strawberry.input
class Filter:
    name: strawberry.Maybe[str]
    note: strawberry.Maybe[str | None]  # null allowed: no rule needed


@strawberry.type
class MaybeQuery:
    @strawberry.field
    def count(self, limit: strawberry.Maybe[int] = None, filter: Filter | None = None,
              since: strawberry.Maybe[int | None] = None) -> int:
        return 0


class Counting(SchemaExtension):
    def on_execute(self) -> Any:
        yield


class LoudSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        pass


class OwnContext(Executor):  # type: ignore[type-arg]
    pass


def test_the_gateway_schema_relies_on_nothing_the_endpoint_skips() -> None:
    assert footing.unrun_features(schema) == []
    footing.check(build_schema())


@pytest.mark.parametrize(("make", "named"), [
    (lambda: strawberry.Schema(query=Query, extensions=[Counting, MaskErrors]),
     "schema extensions (Counting, MaskErrors)"),
    (lambda: strawberry.Schema(query=Query, execution_context_class=OwnContext),
     "a custom execution_context_class (OwnContext)"),
    (lambda: LoudSchema(query=Query), "an overridden process_errors (LoudSchema)"),
    (lambda: strawberry.Schema(query=Query, config=StrawberryConfig(disable_field_suggestions=True)),
     "StrawberryConfig(disable_field_suggestions=True)"),
    (lambda: strawberry.Schema(query=MaybeQuery),
     "Maybe[T] arguments or input fields (MaybeQuery.count(limit), Filter.name)"),
])
def test_each_skipped_feature_is_named(make: Any, named: str) -> None:
    built = make()
    with pytest.raises(footing.UnsupportedSchemaFeature) as raised:
        fast.install(built._schema)
    message = str(raised.value)
    assert named in message
    assert "would silently do nothing" in message and "What the endpoint does not run" in message


def test_building_the_app_with_schema_extensions_fails_loudly(
        fresh_sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gateway.app, "schema", strawberry.Schema(query=Query, extensions=[MaskErrors]))
    with pytest.raises(footing.UnsupportedSchemaFeature, match=r"schema extensions \(MaskErrors\)"):
        create_app(load_settings(), simulator=fresh_sim)


def test_a_plain_schema_is_installed() -> None:
    assert fast.install(strawberry.Schema(query=Query)._schema) == 1  # Query.answer: direct
