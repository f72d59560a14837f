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
  a builder made once per selection: nested dicts and lists straight from the resolvers.
  Anything unusual on the way (an error, a null in a non-null field, an awaitable) abandons
  the builder for that value, which is then completed the usual way, so errors are reported
  with graphql-core's own paths and messages. Every other field goes through graphql-core
  as before.

``is_awaitable`` answers from the value's type, remembered, instead of three checks per value.
"""

from __future__ import annotations

import operator
from collections.abc import Awaitable, Callable
from types import CoroutineType, GeneratorType
from typing import Any, TypeGuard

from graphql import (
    Executor,
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    is_leaf_type,
)
from graphql.execution.executor import to_nodes
from graphql.pyutils import Path, Undefined, gather_with_cancel
from graphql.pyutils import is_awaitable as default_is_awaitable

DIRECT = "go4graph-direct"
_INSTALLED = "_go4graph_fast"


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
    """Give every plain field of a strawberry-built schema a direct resolver; how many (idempotent)."""
    if getattr(schema, _INSTALLED, False):
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
    setattr(schema, _INSTALLED, True)
    return count


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


class _Abandon(Exception):
    """A builder met something only graphql-core's own completion reports right."""


_ABANDONED = object()
_NOT_BUILT = object()
#: Abandoned values after which a builder is not tried again within a request.
GIVE_UP = 3


def _awaitable_met(value: Any) -> None:
    close = getattr(value, "close", None)
    if close is not None and type(value) is CoroutineType:
        close()  # never started: dropped without a "never awaited" warning
    raise _Abandon


class _Entry:
    __slots__ = ("name", "fields", "field_def", "func", "leaf", "non_null", "stringy", "build")

    def __init__(self, name: str, fields: Any, field_def: Any, func: Callable[[Any], Any] | None,
                 direct: Callable[[Any], Any] | None = None,
                 build: Callable[[Any], Any] | None = None) -> None:
        self.name, self.fields, self.field_def, self.func = name, fields, field_def, func
        self.build = None
        if build is not None:
            self.func, self.build = direct, build
        elif func is not None:
            type_ = field_def.type
            self.non_null = isinstance(type_, GraphQLNonNull)
            leaf = type_.of_type if self.non_null else type_
            self.leaf = leaf
            self.stringy = leaf is GraphQLString or leaf is GraphQLID


class FastExecutor(Executor):
    """graphql-core's executor with leaf fields of direct resolvers resolved inline."""

    def _entries(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> list[_Entry]:
        plans = self.__dict__.get("_go4graph_plans")
        if plans is None:
            plans = self.__dict__["_go4graph_plans"] = {}
        key = (parent_type, id(grouped_field_set))
        found = plans.get(key)
        if found is not None:
            return found[1]  # type: ignore[no-any-return]
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
                    build = self._builder(type_, fields)
            entries.append(_Entry(name, fields, field_def, func, direct, build))
        plans[key] = (grouped_field_set, entries)  # the set kept alive: its id is not reused
        return entries

    def execute_fields(self, parent_type: GraphQLObjectType, source_value: Any, path: Path | None,
                       grouped_field_set: Any, position_context: Any) -> Any:
        results: dict[str, Any] = {}
        is_awaitable_ = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for entry in self._entries(parent_type, grouped_field_set):
                func = entry.func
                if entry.build is not None:
                    if not self._given_up(entry.build):
                        built = self._run(entry.build, func, source_value)
                        if built is not _ABANDONED:
                            results[entry.name] = built
                            continue
                    func = None  # the usual way: resolved again, errors reported where they are
                if func is None:
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

    def _gather_fields(self, results: dict[str, Any], awaitable_fields: list[str]) -> Any:
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

    def complete_value(self, return_type: Any, field_details_list: Any, info: Any, path: Any,
                       result: Any, position_context: Any) -> Any:
        build = self._builder(return_type, field_details_list)
        if build is not None and not self._given_up(build):
            built = self._run(build, None, result)
            if built is not _ABANDONED:
                return built
        return super().complete_value(return_type, field_details_list, info, path, result,
                                      position_context)

    def _run(self, build: Callable[[Any], Any], resolve: Callable[[Any], Any] | None,
             source: Any) -> Any:
        """``build(resolve(source))`` (or ``build(source)``), or _ABANDONED with no trace left:
        the unplanned-read counts of resolvers it ran are put back, as they will run again."""
        resources = getattr(self.context_value, "_resources", None)
        counts = [(r, r.unplanned) for r in resources.values()] if resources else ()
        try:
            if resolve is None:
                return build(source)
            value = resolve(source)
            if value is not None and is_awaitable(value):
                _awaitable_met(value)
            return build(value)
        except Exception:
            for res, count in counts:
                res.unplanned = count
            failures = self.__dict__.setdefault("_go4graph_failures", {})
            failures[build] = failures.get(build, 0) + 1
            return _ABANDONED

    def _given_up(self, build: Callable[[Any], Any]) -> bool:
        """After a few abandoned values (a failing resource under a long list, say), a builder
        is not tried again in this request: its values go the usual way at once."""
        failures = self.__dict__.get("_go4graph_failures")
        return failures is not None and failures.get(build, 0) >= GIVE_UP

    def _builder(self, return_type: Any, field_details_list: Any) -> Callable[[Any], Any] | None:
        builders = self.__dict__.get("_go4graph_builders")
        if builders is None:
            builders = self.__dict__["_go4graph_builders"] = {}
        key = (return_type, id(field_details_list))
        found = builders.get(key, _NOT_BUILT)
        if found is _NOT_BUILT:
            built = self._make_builder(return_type, field_details_list)
            builders[key] = found = built
            self.__dict__.setdefault("_go4graph_kept", []).append(field_details_list)
        return found  # type: ignore[no-any-return]

    def _make_builder(self, return_type: Any, fields: Any) -> Callable[[Any], Any] | None:
        non_null = isinstance(return_type, GraphQLNonNull)
        inner = return_type.of_type if non_null else return_type
        if isinstance(inner, GraphQLList):
            if any(d.name.value == "stream" for f in fields for d in f.node.directives or ()):
                return None
            item = self._builder(inner.of_type, fields)
            if item is None:
                return None

            def build_list(value: Any) -> Any:
                if value is None:
                    if non_null:
                        raise _Abandon
                    return None
                if type(value) is not list and (isinstance(value, str | bytes | dict)
                                                 or not hasattr(value, "__iter__")):
                    raise _Abandon
                return [item(x) for x in value]
            return build_list
        if is_leaf_type(inner):
            stringy = inner is GraphQLString or inner is GraphQLID
            coerce = inner.coerce_output_value

            def build_leaf(value: Any) -> Any:
                if value is None:
                    if non_null:
                        raise _Abandon
                    return None
                if stringy and type(value) is str:
                    return value
                if is_awaitable(value):
                    _awaitable_met(value)
                if isinstance(value, Exception):
                    raise _Abandon
                coerced = coerce(value)
                if coerced is None or coerced is Undefined:
                    raise _Abandon
                return coerced
            return build_leaf
        if not isinstance(inner, GraphQLObjectType) or inner.is_type_of is not None:
            return None
        grouped, defer_usages, *_ = self.collect_subfields(inner, fields)
        if defer_usages:
            return None
        specs: list[tuple[str, Callable[[Any], Any] | None, Callable[[Any], Any]]] = []
        type_name = inner.name
        for name, child_fields in grouped.items():
            node = child_fields[0].node
            if node.name.value == "__typename":
                specs.append((name, None, lambda _value: type_name))
                continue
            field_def = self.schema.get_field(inner, node.name.value)
            if field_def is None or node.arguments or not field_def.extensions:
                return None
            direct = field_def.extensions.get(DIRECT)
            if direct is None:
                return None
            child = self._builder(field_def.type, child_fields)
            if child is None:
                return None
            specs.append((name, direct, child))

        def build_object(value: Any) -> Any:
            if value is None:
                if non_null:
                    raise _Abandon
                return None
            if is_awaitable(value):
                _awaitable_met(value)
            out = {}
            for name, resolve, child in specs:
                if resolve is None:
                    out[name] = type_name
                    continue
                found = resolve(value)
                if found is not None and is_awaitable(found):
                    _awaitable_met(found)
                out[name] = child(found)
            return out
        return build_object
