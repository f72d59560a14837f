"""The fast executor's builders: a whole selection of direct fields completed in one call.

A builder is made once per selection (a type and its field list) by ``make``, for a
``FastExecutor``: nested dicts and lists straight from the direct resolvers, leaves coerced
as graphql-core coerces them. It raises ``Abandon`` at anything only graphql-core's own
completion reports right (an error, a null in a non-null field, an awaitable); the executor
then completes that value the usual way. ``make`` answers None for a selection with a field
that is not direct, has arguments, streams or defers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import CoroutineType, GeneratorType
from typing import Any, NoReturn, Protocol, TypeGuard

from graphql import (
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    is_leaf_type,
)
from graphql.execution.collect_fields import CollectedFields, FieldDetailsList
from graphql.pyutils import Undefined
from graphql.pyutils import is_awaitable as default_is_awaitable

#: The field extension holding a field's direct resolver (set by ``fast.install``).
DIRECT = "go4graph-direct"

#: A builder: completes one value of a selection (nested dicts and lists) in one call.
Builder = Callable[[Any], Any]


class Abandon(Exception):
    """A builder met something only graphql-core's own completion reports right."""


class Selections(Protocol):
    """What a builder needs of its executor (``FastExecutor``)."""

    @property
    def schema(self) -> GraphQLSchema: ...

    def builder_for(self, return_type: GraphQLOutputType,
                    field_details_list: FieldDetailsList) -> Builder | None: ...

    def collect_subfields(self, return_type: GraphQLObjectType,
                          field_details_list: FieldDetailsList) -> CollectedFields: ...


_AWAITABLE: dict[type, bool] = {}


def is_awaitable(value: Any) -> TypeGuard[Awaitable[Any]]:
    """graphql-core's predicate, decided once per type (generators still per value)."""
    kind = type(value)
    known = _AWAITABLE.get(kind)
    if known is None:
        if kind is GeneratorType:
            return default_is_awaitable(value)
        known = _AWAITABLE[kind] = kind is CoroutineType or hasattr(kind, "__await__")
    return known


def awaitable_met(value: Any) -> NoReturn:
    """Abandon at an awaitable, closing it if it is a coroutine that never started."""
    close = getattr(value, "close", None)
    if close is not None and type(value) is CoroutineType:
        close()  # never started: dropped without a "never awaited" warning
    raise Abandon


def make(executor: Selections, return_type: GraphQLOutputType,
         fields: FieldDetailsList) -> Builder | None:
    """A new builder for this selection, or None if it cannot have one."""
    non_null = isinstance(return_type, GraphQLNonNull)
    inner = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
    if isinstance(inner, GraphQLList):
        if any(d.name.value == "stream" for f in fields for d in f.node.directives or ()):
            return None
        item = executor.builder_for(inner.of_type, fields)
        if item is None:
            return None

        def build_list(value: Any) -> Any:
            if value is None:
                if non_null:
                    raise Abandon
                return None
            if type(value) is not list:
                if is_awaitable(value):
                    awaitable_met(value)
                if isinstance(value, str | bytes | dict) or not hasattr(value, "__iter__"):
                    raise Abandon
            return [item(x) for x in value]
        return build_list
    if is_leaf_type(inner):
        stringy = inner is GraphQLString or inner is GraphQLID
        coerce = inner.coerce_output_value

        def build_leaf(value: Any) -> Any:
            if value is None:
                if non_null:
                    raise Abandon
                return None
            if stringy and type(value) is str:
                return value
            if is_awaitable(value):
                awaitable_met(value)
            if isinstance(value, Exception):
                raise Abandon
            coerced = coerce(value)
            if coerced is None or coerced is Undefined:
                raise Abandon
            return coerced
        return build_leaf
    if not isinstance(inner, GraphQLObjectType) or inner.is_type_of is not None:
        return None
    collected = executor.collect_subfields(inner, fields)
    if collected.new_defer_usages:
        return None
    # (response name, resolver or None for __typename, child builder, what a value may skip
    # the child for: a str of a String/ID field is its own answer, and a None of a nullable one)
    specs: list[tuple[str, Callable[[Any], Any] | None, Builder, bool, bool]] = []
    type_name = inner.name
    for name, child_fields in collected.grouped_field_set.items():
        node = child_fields[0].node
        if node.name.value == "__typename":
            specs.append((name, None, lambda _value: type_name, False, False))
            continue
        field_def = executor.schema.get_field(inner, node.name.value)
        if field_def is None or node.arguments or not field_def.extensions:
            return None
        direct = field_def.extensions.get(DIRECT)
        if direct is None:
            return None
        child = executor.builder_for(field_def.type, child_fields)
        if child is None:
            return None
        field_type = field_def.type
        nullable = not isinstance(field_type, GraphQLNonNull)
        leaf = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
        specs.append((name, direct, child, leaf is GraphQLString or leaf is GraphQLID, nullable))

    awaitable_types = _AWAITABLE

    def build_object(value: Any) -> Any:
        if value is None:
            if non_null:
                raise Abandon
            return None
        known = awaitable_types.get(type(value))  # is_awaitable's answer, without the call
        if known or (known is None and is_awaitable(value)):
            awaitable_met(value)
        out: dict[str, Any] = {}
        # The child's own answer, without calling it, for the commonest values (build_leaf's
        # first two cases); anything else goes to the child, which meets an awaitable itself.
        for name, resolve, child, stringy, nullable in specs:
            if resolve is None:
                out[name] = type_name
                continue
            found = resolve(value)
            if found is None:
                if nullable:
                    out[name] = None
                    continue
            elif stringy and type(found) is str:
                out[name] = found
                continue
            out[name] = child(found)
        return out
    return build_object
