"""The fast executor's builders: a whole selection of direct fields completed in one call.

A builder is made once per selection (a type and its field list) by ``make``, for a
``FastExecutor``: nested dicts and lists straight from the direct resolvers, leaves coerced
as graphql-core coerces them. It raises ``Abandon`` at anything only graphql-core's own
completion reports right (an error, a null in a non-null field, an awaitable); the executor
then completes that value the usual way. ``make`` answers None for a selection with a field
that is not direct (nor bound, for a field with arguments: ``BIND``), streams or defers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from types import CoroutineType, GeneratorType
from typing import Any, NoReturn, Protocol, TypeGuard

from graphql import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    is_leaf_type,
)
from graphql.execution.collect_fields import CollectedFields, FieldDetailsList
from graphql.execution.values import get_argument_values
from graphql.pyutils import Undefined
from graphql.pyutils import is_awaitable as default_is_awaitable

from gateway.graph.row import added_fields

_INF = float("inf")  # a Float is finite

#: The field extension holding a field's direct resolver (set by ``fast.install``).
DIRECT = "go4graph-direct"
#: The field extension of a field with arguments that can be resolved with the parent alone
#: once its arguments are known: ``bind(arguments, context) -> resolver or None`` (set by
#: ``resolvers.install``), so a selection with such a field still has a builder.
BIND = "go4graph-bind"

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

    @property
    def variable_values(self) -> Any: ...

    @property
    def context_value(self) -> Any: ...


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


def _bound(executor: Selections, field_def: GraphQLField, fields: FieldDetailsList) -> Callable[[Any], Any] | None:
    """The one-argument resolver of a field with arguments, for this field node: its
    ``BIND`` extension given the arguments' values (read once, as graphql-core reads them), or
    None (no extension, fragment arguments, or arguments graphql-core would refuse: the usual
    way then reports that)."""
    bind = field_def.extensions.get(BIND)
    first = fields[0]
    if bind is None or first.fragment_variable_values is not None:
        return None
    try:
        args = get_argument_values(field_def, first.node, executor.variable_values)
    except Exception:  # noqa: BLE001  (reported by graphql-core's own path, at the field)
        return None
    return bind(args, executor.context_value)  # type: ignore[no-any-return]


_IDENTITY: dict[type, Callable[[Any], Hashable] | None] = {}
#: Private values compared by value; any other (an owner object, a dict) by identity (it is
#: kept alive with the answer, so its id is not reused).
_VALUES = frozenset({str, int, bool, type(None)})


def identity(kind: type) -> Callable[[Any], Hashable] | None:
    """How to tell two values of ``kind`` that answer every direct field alike, or None.

    A :class:`Row` is its record, its year, its school's resources and the private values its
    class adds (a grade type's year group): its direct fields read nothing else (a field that
    would read more takes the info, and then has no builder; a field's arguments are the same
    for every value of one builder). Remembered per type."""
    if kind in _IDENTITY:
        return _IDENTITY[kind]
    ident: Callable[[Any], Hashable] | None = None
    extra = added_fields(kind)
    if extra is not None:
        if not extra:
            def ident(v: Any) -> Hashable:
                return (id(v.raw), v.year, id(v.res))
        else:
            def ident(v: Any) -> Hashable:
                return (id(v.raw), v.year, id(v.res),
                        *[x if type(x) in _VALUES else id(x) for x in map(v.__dict__.get, extra)])
    _IDENTITY[kind] = ident
    return ident


#: A builder keeps the answers of the records it built (see ``make``) while at least one in
#: ``MEMO_RATIO`` of the first ``MEMO_TRIAL`` values was met before; else it stops asking.
MEMO_TRIAL = 256
MEMO_RATIO = 8
#: Fields (leaves and objects, at every depth) a selection must have to be kept by record.
MEMO_SIZE = 3


def _has_fields(grouped: Any, wanted: int) -> bool:
    """Whether a selection has at least ``wanted`` fields, nested ones included (fragments on
    other types counted too): counted until ``wanted`` is reached."""
    left = [wanted]

    def count(selections: Any) -> bool:
        for node in selections:
            left[0] -= 1
            if left[0] <= 0:
                return True
            inner = getattr(node, "selection_set", None)
            if inner is not None and count(inner.selections):
                return True
        return False

    for fields in grouped.values():
        left[0] -= 1
        if left[0] <= 0:
            return True
        for details in fields:
            selections = details.node.selection_set
            if selections is not None and count(selections.selections):
                return True
    return False


#: Set by tests: a link's kept answer is checked against the answer built afresh, every time.
VERIFY_LINKS = False
#: Answers a link gave from what it kept (counted only while ``VERIFY_LINKS``).
LINK_HITS = [0]


def _linked(resolve: Callable[[Any], Any], link: Callable[[Any], Hashable], child: Builder,
            nullable: bool) -> Callable[[Any], Any]:
    """A link field's answer, built once per linked record: a relation that declares ``link``
    (``relation(..., link="subject_id")``) answers alike for parents with the same link in the
    same year and school (every grade of a subject), so the answer built for the first is the
    answer for the rest. A value that is abandoned (an error, an awaitable) is not kept."""
    kept: dict[Hashable, Any] = {}

    def linked(value: Any) -> Any:
        key = (link(value), value.year, id(value.res))
        found = kept.get(key, kept)
        if found is not kept:
            if VERIFY_LINKS:
                _verify(found, resolve, child, nullable, value)
            return found
        target = resolve(value)
        built = None if target is None and nullable else child(target)
        kept[key] = built
        return built
    return linked


def _verify(kept: Any, resolve: Callable[[Any], Any], child: Builder, nullable: bool, value: Any) -> None:
    target = resolve(value)
    fresh = None if target is None and nullable else child(target)
    if fresh != kept:
        raise AssertionError(f"a link answered {kept!r} for {value!r}, built afresh {fresh!r}")
    LINK_HITS[0] += 1


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
        # A float of a Float field and a 32-bit int of an Int field are their own answer
        # (graphql-core's coercion returns float(v) and int(v), the same value).
        exact: type | None = float if inner is GraphQLFloat else int if inner is GraphQLInt else None
        coerce = inner.coerce_output_value

        def build_leaf(value: Any) -> Any:
            if value is None:
                if non_null:
                    raise Abandon
                return None
            if stringy and type(value) is str:
                return value
            if type(value) is exact:
                number: Any = value
                if (GRAPHQL_MIN_INT <= number <= GRAPHQL_MAX_INT) if exact is int else (-_INF < number < _INF):
                    return number
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
    specs: list[tuple[str, Callable[[Any], Any], Builder | None, bool, bool]] = []
    type_name = inner.name
    for name, child_fields in collected.grouped_field_set.items():
        node = child_fields[0].node
        if node.name.value == "__typename":
            specs.append((name, lambda _value: type_name, None, False, False))
            continue
        field_def = executor.schema.get_field(inner, node.name.value)
        if field_def is None or not field_def.extensions:
            return None
        direct = (field_def.extensions.get(DIRECT) if not node.arguments
                  else _bound(executor, field_def, child_fields))
        if direct is None:
            return None
        child = executor.builder_for(field_def.type, child_fields)
        if child is None:
            return None
        field_type = field_def.type
        nullable = not isinstance(field_type, GraphQLNonNull)
        leaf = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
        link = getattr(direct, "link", None)
        if link is not None:
            specs.append((name, _linked(direct, link, child, nullable), None, False, False))
            continue
        specs.append((name, direct, child, leaf is GraphQLString or leaf is GraphQLID, nullable))

    awaitable_types = _AWAITABLE
    # Answers by record, for the records a request meets again and again (the subject of every
    # grade, the type of every behaviour event, a student's groups in a roster): the same record
    # answers the same selection alike, so it is built once. The answer holds the record, so its
    # id is not reused while kept; an abandoned value is never kept. ``tally``: [asked, found].
    # A selection of one or two leaves costs less to build than to look up: not kept.
    kept: dict[Hashable, tuple[Any, dict[str, Any]]] = {}
    tally = [0 if _has_fields(collected.grouped_field_set, MEMO_SIZE) else -1, 0]

    def build_object(value: Any) -> Any:
        if value is None:
            if non_null:
                raise Abandon
            return None
        kind = type(value)
        known = awaitable_types.get(kind)  # is_awaitable's answer, without the call
        if known or (known is None and is_awaitable(value)):
            awaitable_met(value)
        key = None
        if tally[0] >= 0:
            ident = _IDENTITY[kind] if kind in _IDENTITY else identity(kind)
            if ident is not None:
                key = ident(value)
                found_before = kept.get(key)
                tally[0] += 1
                if found_before is not None:
                    tally[1] += 1
                    return found_before[1]
                if tally[0] == MEMO_TRIAL and tally[1] * MEMO_RATIO < MEMO_TRIAL:
                    tally[0] = -1  # records are not met again here: stop keeping them
                    kept.clear()
                    key = None
        out: dict[str, Any] = {}
        # The child's own answer, without calling it, for the commonest values (build_leaf's
        # first two cases); anything else goes to the child, which meets an awaitable itself.
        for name, resolve, child, stringy, nullable in specs:
            found = resolve(value)
            if child is None:  # __typename, or a link's answer (built once per linked record)
                out[name] = found
                continue
            if found is None:
                if nullable:
                    out[name] = None
                    continue
            elif stringy and type(found) is str:
                out[name] = found
                continue
            out[name] = child(found)
        if key is not None:
            kept[key] = (value, out)
        return out
    return build_object
