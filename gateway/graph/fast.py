"""Execution without per-field machinery for plain fields.

A roster answer has ~130,000 fields. graphql-core calls each field's resolver with a
resolve-info object, and strawberry wraps every resolver in its own layers (argument
conversion, an Info object, extension chaining); for a field such as ``Student.id``,
whose resolver is a method of one argument reading ``self.raw``, those layers cost several
times the work itself. Two changes, neither visible in the schema or the answers:

- ``install``: a field whose strawberry resolver is a plain synchronous method of
  ``self`` alone (no arguments, no info, no extensions or permissions), or a plain
  attribute, gets a direct graphql-core resolver calling it with the parent object.
- ``FastExecutor``: leaf fields (scalars and enums) with such a resolver are resolved and
  coerced in the object's own loop, without building a resolve-info object or a path
  (both are built only for an error, or for the rare resolver that returns an awaitable,
  which then completes the usual way). And a value whose whole selection below is made of
  such fields (a roster's students with their groups, subjects and teachers) is completed by
  a builder made once per selection (``fast_builders``): nested dicts and lists straight
  from the resolvers.
  Anything unusual on the way (an error, a null in a non-null field, an awaitable) abandons
  the builder for that value, which is then completed the usual way, so errors are reported
  with graphql-core's own paths and messages. Every other field goes through graphql-core
  as before.

``is_awaitable`` answers from the value's type, remembered, instead of three checks per value.

Written against graphql-core 3.3 (pinned in pyproject.toml): ``FastExecutor`` overrides
``Executor.execute_fields`` and ``complete_value`` and calls ``execute_field``,
``build_resolve_info``, ``complete_awaitable_value``, ``complete_leaf_value``,
``handle_field_error``, ``collect_subfields`` and ``to_nodes``. tests/test_examples.py runs
every example through graphql-core's own executor and this one and compares the bytes.
"""

from __future__ import annotations

import operator
import weakref
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any, Final, Protocol, cast

from graphql import (
    Executor,
    GraphQLField,
    GraphQLID,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLString,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.execution.executor import to_nodes
from graphql.pyutils import AwaitableOrValue, Path, Undefined, gather_with_cancel

from gateway.graph import fast_builders, footing
from gateway.graph.fast_builders import DIRECT, Builder, awaitable_met, is_awaitable

__all__ = ["ABANDONED", "DIRECT", "GIVE_UP", "Abandoned", "Builder", "FastExecutor", "install",
           "is_awaitable"]

#: The schemas ``install`` has given direct resolvers.
_INSTALLED: weakref.WeakSet[GraphQLSchema] = weakref.WeakSet()


def _direct(field: Any) -> Callable[[Any], Any] | None:
    """The one-argument function a field can be resolved with, or None to leave it to strawberry."""
    sfield = field.extensions.get("strawberry-definition") if field.extensions else None
    if sfield is None or sfield.extensions or getattr(sfield, "permission_classes", None):
        return None
    if sfield.arguments or field.args:
        return None
    resolver = sfield.base_resolver
    if resolver is None:
        return operator.attrgetter(sfield.python_name) if sfield.is_basic_field else None
    if (resolver.is_async or resolver.info_parameter is not None or resolver.root_parameter is not None
            or resolver.parent_parameter is not None or resolver.self_parameter is None
            or resolver.arguments):
        return None
    func = resolver.wrapped_func
    if not callable(func) or isinstance(func, staticmethod | classmethod) or hasattr(func, "__self__"):
        return None
    return func  # type: ignore[no-any-return]


def _resolver(func: Callable[[Any], Any]) -> Callable[..., Any]:
    def resolve(source: Any, info: Any) -> Any:
        return func(source)

    return resolve


def install(schema: GraphQLSchema) -> int:
    """Give every plain field of a strawberry-built schema a direct resolver; how many (idempotent).

    Raises ``footing.UnsupportedSchemaFeature`` first if the schema relies on a strawberry
    feature that the endpoint, executing with ``FastExecutor``, would not run."""
    footing.check_graphql_schema(schema)
    if schema in _INSTALLED:
        return 0
    count = 0
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for field in type_.fields.values():
            func = _direct(field)
            if func is None:
                continue
            field.extensions = {**(field.extensions or {}), DIRECT: func}
            field.resolve = _resolver(func)
            count += 1
    _INSTALLED.add(schema)
    return count


class Abandoned(Enum):
    """``FastExecutor.run_builder``'s answer when its builder met something unusual."""

    ABANDONED = "abandoned"


ABANDONED: Final = Abandoned.ABANDONED
_NOT_BUILT: Final = object()
#: Abandoned values after which a builder is not tried again within a request.
GIVE_UP = 3


class _Entry:
    """How one response name of a selection is executed: inline (``func``, a leaf), by a
    builder (``build`` over ``func``) or, with neither, the usual way."""

    __slots__ = ("name", "fields", "field_def", "func", "leaf", "non_null", "stringy", "build")

    name: str
    fields: FieldDetailsList
    field_def: GraphQLField | None
    func: Callable[[Any], Any] | None
    leaf: Any
    non_null: bool
    stringy: bool
    build: Builder | None

    def __init__(self, name: str, fields: FieldDetailsList, field_def: GraphQLField | None,
                 func: Callable[[Any], Any] | None, direct: Callable[[Any], Any] | None = None,
                 build: Builder | None = None) -> None:
        self.name, self.fields, self.field_def, self.func = name, fields, field_def, func
        self.build = None
        self.leaf, self.non_null, self.stringy = None, False, False
        if build is not None:
            self.func, self.build = direct, build
        elif func is not None and field_def is not None:
            type_ = field_def.type
            self.non_null = isinstance(type_, GraphQLNonNull)
            leaf = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
            self.leaf = leaf
            self.stringy = leaf is GraphQLString or leaf is GraphQLID


class FastExecutor(Executor[Any]):
    """graphql-core's executor with leaf fields of direct resolvers resolved inline.

    Its state for one request is in the attributes below, set in ``__init__``. Subclasses
    (``gateway.http.execution.BoundedExecutor``) use the builder API: ``builder_for``,
    ``make_builder`` (the hook to override), ``run_builder`` and ``builder_given_up``.
    """

    #: Per selection (its parent type and the grouped field set's id): the set, kept alive
    #: so that its id is not reused, and how each of its fields is executed.
    _plans: dict[tuple[GraphQLObjectType, int], tuple[GroupedFieldSet, list[_Entry]]]
    #: Per selection (its type and the field list's id): its builder, or None if it has none.
    _builders: dict[tuple[GraphQLOutputType, int], Builder | None]
    #: The field lists keyed by id in ``_builders``, kept alive so their ids are not reused.
    _kept: list[FieldDetailsList]
    #: Abandoned values per builder (see ``GIVE_UP``).
    _failures: dict[Builder, int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans = {}
        self._builders = {}
        self._kept = []
        self._failures = {}

    def release(self) -> None:
        """Forget this request's builders and their kept answers (they hold the request's
        objects; graphql-core's executor is itself a reference cycle, which the cyclic
        collector frees later: the objects should not wait for it)."""
        self._plans.clear()
        self._builders.clear()
        self._kept.clear()
        self._failures.clear()

    def _entries(self, parent_type: GraphQLObjectType,
                 grouped_field_set: GroupedFieldSet) -> list[_Entry]:
        key = (parent_type, id(grouped_field_set))
        found = self._plans.get(key)
        if found is not None:
            return found[1]
        entries = []
        for name, fields in grouped_field_set.items():
            node = fields[0].node
            field_def = self.schema.get_field(parent_type, node.name.value)
            func = build = direct = None
            if field_def is not None and not node.arguments and self.middleware_manager is None:
                direct = field_def.extensions.get(DIRECT) if field_def.extensions else None
                type_ = field_def.type
                leaf = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
                if direct is not None and is_leaf_type(leaf):
                    func = direct
                elif direct is not None:
                    build = self.builder_for(type_, fields)
            entries.append(_Entry(name, fields, field_def, func, direct, build))
        self._plans[key] = (grouped_field_set, entries)
        return entries

    def execute_fields(self, parent_type: GraphQLObjectType, source_value: Any, path: Path | None,
                       grouped_field_set: GroupedFieldSet,
                       position_context: Any) -> AwaitableOrValue[dict[str, Any]]:
        results: dict[str, Any] = {}
        is_awaitable_ = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for entry in self._entries(parent_type, grouped_field_set):
                func = entry.func
                if entry.build is not None:
                    if not self.builder_given_up(entry.build):
                        built = self.run_builder(entry.build, source_value, resolve=func)
                        if built is not ABANDONED:
                            results[entry.name] = built
                            continue
                    func = None  # the usual way: resolved again, errors reported where they are
                if func is None or entry.field_def is None:
                    result = self.execute_field(parent_type, source_value, entry.fields,
                                                Path(path, entry.name, parent_type.name),
                                                position_context)
                    if result is not Undefined:
                        results[entry.name] = result
                        if is_awaitable_(result):
                            awaitable_fields.append(entry.name)
                    continue
                try:
                    value = func(source_value)
                    if value is None:
                        if entry.non_null:
                            raise TypeError("Cannot return null for non-nullable field"
                                            f" {parent_type.name}.{entry.fields[0].node.name.value}.")
                        results[entry.name] = None
                    elif entry.stringy and type(value) is str:
                        results[entry.name] = value
                    elif is_awaitable_(value):  # a resolver's unplanned fallback: the usual way
                        field_path = Path(path, entry.name, parent_type.name)
                        info = self.build_resolve_info(entry.field_def, to_nodes(entry.fields),
                                                       parent_type, field_path)
                        results[entry.name] = self.complete_awaitable_value(
                            entry.field_def.type, entry.fields, info, field_path, value, position_context)
                        awaitable_fields.append(entry.name)
                    else:
                        if isinstance(value, Exception):
                            raise value
                        results[entry.name] = self.complete_leaf_value(entry.leaf, value)
                except Exception as raw_error:
                    self.handle_field_error(raw_error, entry.field_def.type, entry.fields,
                                            Path(path, entry.name, parent_type.name))
                    results[entry.name] = None
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[f] for f in awaitable_fields])
            raise

        if not awaitable_fields:
            return results

        return self._gather_fields(results, awaitable_fields)

    def _gather_fields(self, results: dict[str, Any],
                       awaitable_fields: list[str]) -> Awaitable[dict[str, Any]]:
        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[f] for f in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    # --- builders: whole selections of direct fields completed without graphql-core's chain ---

    def complete_value(self, return_type: GraphQLOutputType, field_details_list: FieldDetailsList,
                       info: GraphQLResolveInfo[Any], path: Path, result: Any,
                       position_context: Any) -> AwaitableOrValue[Any]:
        build = self.builder_for(return_type, field_details_list)
        if build is not None and not self.builder_given_up(build):
            built = self.run_builder(build, result)
            if built is not ABANDONED:
                return built
        return super().complete_value(return_type, field_details_list, info, path, result,
                                      position_context)

    def run_builder(self, build: Builder, source: Any,
                    resolve: Callable[[Any], Any] | None = None) -> Any:
        """``build(resolve(source))`` (or ``build(source)``), or ``ABANDONED`` with no trace left:
        the unplanned-read counts of resolvers it ran are put back, as they will run again."""
        counts = [(r, r.unplanned) for r in _resources(self.context_value)]
        try:
            if resolve is None:
                return build(source)
            value = resolve(source)
            if value is not None and is_awaitable(value):
                awaitable_met(value)
            return build(value)
        except Exception:
            for res, count in counts:
                res.unplanned = count
            self._failures[build] = self._failures.get(build, 0) + 1
            return ABANDONED

    def builder_given_up(self, build: Builder) -> bool:
        """After a few abandoned values (a failing resource under a long list, say), a builder
        is not tried again in this request: its values go the usual way at once."""
        return self._failures.get(build, 0) >= GIVE_UP

    def builder_for(self, return_type: GraphQLOutputType,
                    field_details_list: FieldDetailsList) -> Builder | None:
        """The builder of this selection (made once per request), or None if it has none."""
        key = (return_type, id(field_details_list))
        found = self._builders.get(key, _NOT_BUILT)
        if found is _NOT_BUILT:
            found = self._builders[key] = self.make_builder(return_type, field_details_list)
            self._kept.append(field_details_list)
        return cast("Builder | None", found)

    def make_builder(self, return_type: GraphQLOutputType,
                     fields: FieldDetailsList) -> Builder | None:
        """A new builder for this selection, or None if any field below is not direct (or it
        streams or defers). Called once per selection by ``builder_for``; the hook to wrap."""
        return fast_builders.make(self, return_type, fields)


class _CountsUnplanned(Protocol):
    unplanned: int


def _resources(context: Any) -> list[_CountsUnplanned]:
    """The request's resource sets (``Context.all_resources``): each counts unplanned reads."""
    found = getattr(context, "all_resources", None)
    return list(found) if found else []
