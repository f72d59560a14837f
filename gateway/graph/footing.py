"""What the /graphql endpoint runs of strawberry, checked when the app is built.

The endpoint (``gateway.http.graphql``) parses, validates and executes every document itself:
graphql-core with the fast executor (``gateway.graph.fast``) under admission control. So
strawberry's own request pipeline, ``strawberry.Schema.execute``, never runs, and neither does
anything that only it runs: schema extensions, a custom ``execution_context_class``, an
overridden ``process_errors``, ``StrawberryConfig.disable_field_suggestions``, and the
validation rule strawberry adds for ``Maybe[T]`` arguments and input fields (an explicit null
refused). Rather than let
such a setting do nothing in silence, ``check`` refuses the schema; ``fast.install`` calls it
when the endpoint is built. What does run: the schema's types and resolvers, with their field
extensions and permission classes (those fields keep strawberry's own resolver).
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.base import StrawberryMaybe, StrawberryOptional


class UnsupportedSchemaFeature(ValueError):
    """The schema relies on a strawberry feature the /graphql endpoint does not run."""


def unrun_features(schema: strawberry.Schema) -> list[str]:
    """What this schema sets that only strawberry's own pipeline would run (empty: none)."""
    found = []
    if schema.extensions:
        names = ", ".join(getattr(e, "__name__", type(e).__name__) for e in schema.extensions)
        found.append(f"schema extensions ({names})")
    if schema.execution_context_class is not StrawberryGraphQLCoreExecutionContext:
        found.append(f"a custom execution_context_class ({schema.execution_context_class.__name__})")
    if type(schema).process_errors is not strawberry.Schema.process_errors:
        found.append(f"an overridden process_errors ({type(schema).__name__})")
    if schema.config.disable_field_suggestions:
        found.append("StrawberryConfig(disable_field_suggestions=True)")
    maybes = _maybe_not_null(schema)
    if maybes:
        found.append(f"Maybe[T] arguments or input fields ({', '.join(maybes)}), whose explicit "
                     "null only strawberry's MaybeNullValidationRule refuses")
    return found


def _refuses_null(definition: Any) -> bool:
    type_ = getattr(definition, "type", None)
    return isinstance(type_, StrawberryMaybe) and not isinstance(type_.of_type, StrawberryOptional)


def _maybe_not_null(schema: strawberry.Schema) -> list[str]:
    """Arguments and input fields typed ``Maybe[T]`` (not ``Maybe[T | None]``), by name."""
    places = []
    for type_ in schema._schema.type_map.values():
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in type_.fields.items():
                for arg_name, arg in field.args.items():
                    if _refuses_null((arg.extensions or {}).get("strawberry-definition")):
                        places.append(f"{type_.name}.{field_name}({arg_name})")
        elif isinstance(type_, GraphQLInputObjectType):
            definition = (type_.extensions or {}).get("strawberry-definition")
            for field in getattr(definition, "fields", ()):
                if _refuses_null(field):
                    places.append(f"{type_.name}.{field.python_name}")
    return places


def check(schema: strawberry.Schema) -> None:
    """Raise ``UnsupportedSchemaFeature`` naming each strawberry feature the endpoint would skip."""
    found = unrun_features(schema)
    if found:
        raise UnsupportedSchemaFeature(
            "The /graphql endpoint parses, validates and executes documents itself (the fast "
            "executor under admission control), not through strawberry.Schema.execute, so this "
            f"schema's {'; '.join(found)} would silently do nothing. Remove it, or do that work "
            "in gateway/http/ (see the README, 'What the endpoint does not run').")


def check_graphql_schema(graphql_schema: Any) -> None:
    """``check`` for the graphql-core schema strawberry built (its ``_strawberry_schema``)."""
    built_by = getattr(graphql_schema, "_strawberry_schema", None)
    if isinstance(built_by, strawberry.Schema):
        check(built_by)
