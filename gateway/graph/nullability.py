"""Errors stay on their field: the schema's nullability rule, applied in one place.

DESIGN.md ("Errors"): a field whose value comes from an upstream resource, or from
arguments the gateway validates, is nullable at its own level, so that its failure
nulls that field alone instead of propagating up to ``data: null``; ``!`` stays where
a value cannot fail once its parent exists (ids, a row's own attributes). Such fields
carry ``@semanticNonNull`` (the GraphQL nullability working group's directive, read by
Relay and Apollo Kotlin), so typed clients still know they are null only on error.

The rule is read from the code rather than listed by hand, so that a field added later
follows it without anyone remembering to:

- a field with a plan that ``needs`` resources (``@planned(needs=...)``) reads the
  upstream, so it can fail;
- a field declared with ``directives=[semantic_non_null()]`` (the roots, which load the
  school and check a year or school code) can fail too.

Either kind, when its Python type is not optional, becomes nullable at its own level in
the GraphQL schema and gets ``@semanticNonNull`` (list items keep their ``!``: a list
either loads whole or fails whole). A fallible field whose type is already optional (a
link that may be absent, such as ``Subject.department``) is left alone: its null is a
real answer, not only an error. Resolvers keep their non-optional Python types: they
never return null, they raise.
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLNonNull, GraphQLObjectType
from strawberry.schema_directive import Location
from strawberry.types.unset import UNSET

from gateway.graph.plan import field_plan

DEFINITION = "strawberry-definition"


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION], name="semanticNonNull",
    description="Indicates that a position is semantically non null: it is only null if there is a "
                "matching error in the `errors` array. In all other cases, the position is non-null.\n\n"
                "Tools doing code generation may use this information to generate the position as "
                "non-null if field errors are handled out of band.\n\n"
                "`levels` are zero indexed: 0 is the field itself, 1 the items of a list field, and so on.")
class SemanticNonNull:
    levels: list[int | None] | None = strawberry.field(
        default=(0,), description="The levels of the field's type that are semantically non null.")  # type: ignore[assignment]


def semantic_non_null() -> SemanticNonNull:
    """The directive as fields carry it: the default level (the field itself), printed bare."""
    return SemanticNonNull(levels=UNSET)


def _marked(sfield: Any) -> bool:
    return any(isinstance(d, SemanticNonNull) for d in sfield.directives or ())


def fallible(field: Any) -> bool:
    """Whether a graphql-core field built by strawberry can fail: it reads the upstream, or says so."""
    sfield = field.extensions.get(DEFINITION) if field.extensions else None
    if sfield is None:
        return False
    if _marked(sfield):
        return True
    plan = field_plan(field)
    return plan is not None and plan.needs is not None


def apply(schema: strawberry.Schema) -> list[str]:
    """Make every fallible non-null field of ``schema`` nullable with ``@semanticNonNull``.

    Returns the coordinates (``Type.field``) it changed. Idempotent, and safe when several
    schemas are built from the same strawberry types (the directive is added once).
    """
    changed: list[str] = []
    graphql_schema = schema._schema
    for type_ in graphql_schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            if not fallible(field):
                continue
            sfield = field.extensions[DEFINITION]
            if isinstance(field.type, GraphQLNonNull):
                field.type = field.type.of_type
                changed.append(f"{type_.name}.{name}")
            elif not _marked(sfield):
                continue  # optional by nature: its null is an answer, not only an error
            if not _marked(sfield):
                sfield.directives = [*sfield.directives, semantic_non_null()]
    return changed
