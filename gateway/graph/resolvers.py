"""Relation fields with arguments, resolved without strawberry's per-call layers.

strawberry converts a field's GraphQL arguments to Python values, builds an ``Info`` and runs
its extension chain on every call: for a student's ``sessionMarks(from:)`` that is once per
student, for the same arguments. ``install`` gives each such relation field

- a graphql-core resolver that converts its arguments once per field node and request (the
  same conversion strawberry makes, kept on the ``Context``), then lets the relation answer;
- a ``fast_builders.BIND`` extension, so that a selection holding such a field still has a
  builder: the builder reads the field node's arguments once and gets the relation's resolver
  of the parent alone.

(Fields without arguments are called directly by the fast executor already: ``fast.install``.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strawberry.types.arguments import convert_arguments

from gateway.graph.fast_builders import BIND
from gateway.graph.plan import resolver_function
from gateway.graph.relation import Relation


def install(schema: Any) -> int:
    """Install both on every relation field with arguments; how many fields (idempotent)."""
    count = 0
    for type_ in schema.type_map.values():
        for field in getattr(type_, "fields", {}).values() if not type_.name.startswith("__") else ():
            rel = getattr(resolver_function(field), "relation", None)
            if rel is None or not field.args or getattr(field.resolve, "relation", None) is rel:
                continue
            field.resolve = graphql_resolver(rel, schema)
            bind = binder(rel, schema)
            if bind is not None:
                field.extensions = {**(field.extensions or {}), BIND: bind}
            count += 1
    return count


def _converter(schema: Any) -> tuple[Any, Any]:
    strawberry_schema = schema._strawberry_schema
    return strawberry_schema.schema_converter.scalar_registry, strawberry_schema.config


def graphql_resolver(rel: Relation, schema: Any) -> Callable[..., Any]:
    """A graphql-core resolver for ``rel``'s field, its arguments converted once per request."""
    registry, config = _converter(schema)
    arguments = rel.field.arguments
    mutable = rel.wants_scope or rel.wants_info

    def resolve(source: Any, info: Any, **args: Any) -> Any:
        converted = info.context.arguments
        memo = (rel, id(info.field_nodes[0]))
        kwargs = converted.get(memo)
        if kwargs is None:
            kwargs = converted[memo] = convert_arguments(args, arguments, scalar_registry=registry,
                                                         config=config)
        # resolve() adds the scope or info to the arguments of a function that asks for them,
        # per object: those get their own copy; the others share the converted arguments.
        return rel.resolve(source, info, dict(kwargs) if mutable else kwargs)

    resolve.relation = rel  # type: ignore[attr-defined]
    return resolve


def binder(rel: Relation, schema: Any) -> Callable[[dict[str, Any], Any], Callable[[Any], Any] | None] | None:
    """For the fast executor's builders (``BIND``): given one field node's GraphQL arguments and
    the request context, the resolver of ``rel``'s field with the parent alone; None for a field
    whose function asks for the info."""
    if rel.wants_info:
        return None
    registry, config = _converter(schema)
    arguments, resolve, scoped = rel.field.arguments, rel.resolve, rel.wants_scope

    def bind(args: dict[str, Any], context: Any) -> Callable[[Any], Any] | None:
        try:
            kwargs = convert_arguments(args, arguments, scalar_registry=registry, config=config)
        except Exception:  # noqa: BLE001  (the usual way reports it, at the field)
            return None

        def resolver(parent: Any) -> Any:
            # resolve() adds the scope to the arguments of a function that asks for it.
            return resolve(parent, None, dict(kwargs) if scoped else kwargs, context)
        return resolver
    return bind
