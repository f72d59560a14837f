"""Plan a selection's resources before its objects are resolved, then load them in one gather.

Fields declare what they read with ``@planned(needs=..., expand=...)``:

- ``needs(scope, parents, args)`` returns the resource keys the field reads
  for these parent objects (or an awaitable of them, for fields whose keys
  depend on another resource, such as date ranges that need the calendar);
- ``expand(scope, parents, args)`` returns the field's child objects for those
  parents (synchronously, from resources already loaded), so that the plan can
  descend and ask the children's fields in turn.

``prefetch`` walks the query's AST below a field (fragments, @skip/@include
and variables honoured), level by level: one gather per level, whatever the
number of students or groups. Resolvers below then read loaded tables
synchronously. Args are keyed by their GraphQL (camelCase) names.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLSkipDirective,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.values import get_argument_values, get_directive_values

from gateway.resources.keys import ResourceKey
from gateway.resources.memo import Resources

if TYPE_CHECKING:
    from gateway.graph.context import Context

Needs = Callable[["Scope", list[Any], dict[str, Any]], Iterable[ResourceKey] | Awaitable[Iterable[ResourceKey]]]
Expand = Callable[["Scope", list[Any], dict[str, Any]], list[Any]]

PLAN_ATTR = "__go4graph_plan__"


@dataclass(frozen=True, slots=True)
class FieldPlan:
    needs: Needs | None = None
    expand: Expand | None = None
    #: The keys follow from the year and the arguments alone (not from parents or loaded data).
    static: bool = False
    #: Raises when the field's arguments are bad (the field will report it): the plan then
    #: starts nothing below it.
    check: Callable[[Scope, dict[str, Any]], None] | None = None
    #: ``needs`` in two parts, for a static field: (keys known now, an awaitable of the rest or
    #: None); raises at once for bad arguments or data outside the caller's categories.
    split: Callable[[Scope, list[Any], dict[str, Any]], tuple[list[ResourceKey], Awaitable[list[ResourceKey]] | None]] | None = None
    #: Keys from what the query says of every parent (hints, see ``_static_keys``), or None.
    hinted: Callable[[Scope, dict[str, Any]], list[ResourceKey] | None] | None = None
    #: What the query says of every child, from the field's arguments: ``hints(scope, args)``.
    hints: Callable[[Scope, dict[str, Any]], dict[str, Any]] | None = None
    #: The children are what the parent is as far as the hints go (a year-9 student's grades
    #: are year 9's): the hints pass down.
    keeps_hints: bool = False


def planned(*, needs: Needs | None = None, expand: Expand | None = None) -> Callable[[Any], Any]:
    """Mark a resolver function with what it reads and what objects it leads to."""

    def mark(func: Any) -> Any:
        setattr(func, PLAN_ATTR, FieldPlan(needs, expand))
        return func

    return mark


@dataclass(slots=True)
class Scope:
    """What a plan knows: the request context, the school's resources and the year planned."""

    context: Context | None
    resources: Resources
    year: int
    #: The resolver's info where there is one (a plan started from a field).
    info: Any = None

    @property
    def schema(self) -> Any:
        """The strawberry schema (to convert a field's GraphQL arguments to Python values)."""
        info = self.info
        raw = getattr(info, "_raw_info", info)
        graphql_schema = getattr(raw, "schema", None)
        return getattr(graphql_schema, "_strawberry_schema", None)


def resolver_function(field_def: Any) -> Any:
    """The function a strawberry-built graphql-core field resolves with (None: a plain
    attribute); what declarations hang on it (a plan, a relation, a category) is read here."""
    sfield = (field_def.extensions or {}).get("strawberry-definition")
    resolver = getattr(sfield, "base_resolver", None)
    return None if resolver is None else resolver.wrapped_func


def field_plan(field_def: Any) -> FieldPlan | None:
    """The FieldPlan of a graphql-core field built by strawberry (None for plain fields)."""
    cached = field_def.extensions.get("go4graph-plan", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return]
    plan = getattr(resolver_function(field_def), PLAN_ATTR, None)
    field_def.extensions["go4graph-plan"] = plan
    return plan


class _Walk:
    def __init__(self, raw_info: Any) -> None:
        self.schema = raw_info.schema
        self.fragments = raw_info.fragments
        self.variables = raw_info.variable_values
        self._below: dict[tuple[str, tuple[int, ...]], bool] = {}

    def _included(self, node: Any) -> bool:
        if not node.directives:
            return True
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include and include.get("if") is False)

    def plans_below(self, type_: GraphQLObjectType, selection_sets: list[SelectionSetNode | None]) -> bool:
        """Whether any field selected on ``type_`` needs its parents to plan: a plan whose keys
        are not static (they depend on the parents), or a static one leading to such a field.
        Static keys below were started with the plan already (``_static_keys``), so objects
        whose fields read only those need not be built to be asked (a marks grid's marks)."""
        memo = (type_.name, tuple(id(s) for s in selection_sets))
        found = self._below.get(memo)
        if found is None:
            found = False
            for name, nodes in self.collect(type_, selection_sets).items():
                field_def = type_.fields.get(name)
                plan = None if field_def is None else field_plan(field_def)
                if plan is None:
                    continue
                child = get_named_type(field_def.type)
                if not plan.static or (plan.expand is not None and isinstance(child, GraphQLObjectType)
                                       and self.plans_below(child, [n.selection_set for n in nodes])):
                    found = True
                    break
            self._below[memo] = found
        return found

    def collect(self, type_: GraphQLObjectType, selection_sets: Iterable[SelectionSetNode | None],
                out: dict[str, list[FieldNode]] | None = None) -> dict[str, list[FieldNode]]:
        """Field nodes by field name, fragments flattened (same-name fields merged)."""
        out = {} if out is None else out
        for selection_set in selection_sets:
            if selection_set is None:
                continue
            for sel in selection_set.selections:
                if not self._included(sel):
                    continue
                if isinstance(sel, FieldNode):
                    out.setdefault(sel.name.value, []).append(sel)
                elif isinstance(sel, InlineFragmentNode):
                    if sel.type_condition is None or sel.type_condition.name.value == type_.name:
                        self.collect(type_, [sel.selection_set], out)
                elif isinstance(sel, FragmentSpreadNode):
                    frag = self.fragments.get(sel.name.value)
                    if frag is not None and frag.type_condition.name.value == type_.name:
                        self.collect(type_, [frag.selection_set], out)
        return out


async def prefetch(scope: Scope, raw_info: Any, type_: GraphQLObjectType, parents: list[Any],
                   selection_sets: Iterable[SelectionSetNode | None]) -> None:
    """Load everything the selections below ``parents`` (objects of ``type_``) will read."""
    if scope.info is None:
        scope.info = raw_info
    walk = _Walk(raw_info)
    sets = list(selection_sets)
    # Critical path: every resource whose key follows from the query alone (year-scoped routes,
    # keys named by arguments) starts loading now; only keys that depend on loaded data wait
    # for the level above (issue 19). Loads in flight are shared, so each key is walked once.
    ready, waiting = await _static_keys(scope, walk, type_, sets)
    early = [scope.resources.load_many(keys) for keys in ready]
    # Keys that need a year resource first (a range's open days need the calendar) start as
    # soon as it is in, each on its own: none waits for another's prerequisite.
    early += [_load_when_known(scope, pending) for pending in waiting]
    started = [asyncio.ensure_future(job) for job in early]
    try:
        await _level(scope, walk, type_, parents, sets)
    finally:
        if started:
            await asyncio.gather(*started, return_exceptions=True)


async def _load_when_known(scope: Scope, pending: Awaitable[Iterable[ResourceKey]]) -> None:
    await scope.resources.load_many(await pending)


async def _static_keys(scope: Scope, walk: _Walk, type_: GraphQLObjectType,
                       selection_sets: list[SelectionSetNode | None], hints: dict[str, Any] | None = None,
                       ) -> tuple[list[Iterable[ResourceKey]], list[Awaitable[Iterable[ResourceKey]]]]:
    """The keys of every static field selected below ``type_`` (whatever the parents): those
    known now, and awaitables of those that need a year resource loaded first.

    ``hints``: what the query says of every object of ``type_`` (the students of
    ``students(yearGroup: "9")`` are in year 9): a field whose keys follow from them (a
    student's grades: year 9's) starts too, instead of waiting for the parents' data."""
    found: list[Iterable[ResourceKey]] = []
    waiting: list[Awaitable[Iterable[ResourceKey]]] = []
    for name, nodes in walk.collect(type_, selection_sets).items():
        field_def = type_.fields.get(name)
        plan = None if field_def is None or name.startswith("__") else field_plan(field_def)
        if plan is None:
            continue
        valid: list[tuple[Any, dict[str, Any]]] = []
        for node in nodes:
            args = get_argument_values(field_def, node, walk.variables)
            try:
                if plan.check is not None:
                    plan.check(scope, args)
                if plan.static and plan.split is not None:
                    now, rest = plan.split(scope, [], args)
                    found.append(now)
                    if rest is not None:
                        waiting.append(rest)
                elif plan.static and plan.needs is not None:
                    keys = plan.needs(scope, [], args)
                    found.append(await keys if inspect.isawaitable(keys) else keys)
                elif hints and plan.hinted is not None:
                    found.append(plan.hinted(scope, hints) or [])
                below = (plan.hints(scope, args) if plan.hints is not None
                         else hints if plan.keeps_hints else None) or {}
            except Exception:
                continue  # the field reports it at its own path; nothing below it starts
            valid.append((node, below))
        child = get_named_type(field_def.type)
        if valid and plan.expand is not None and isinstance(child, GraphQLObjectType):
            # Aliases of one field with other arguments: only what all of them say holds below.
            first = valid[0][1]
            below = first if all(b == first for _, b in valid) else {}
            more, later = await _static_keys(scope, walk, child, [n.selection_set for n, _ in valid], below)
            found.extend(more)
            waiting.extend(later)
    return found, waiting


async def _level(scope: Scope, walk: _Walk, type_: GraphQLObjectType, parents: list[Any],
                 selection_sets: list[SelectionSetNode | None]) -> None:
    if not parents:
        return
    jobs = []
    for name, nodes in walk.collect(type_, selection_sets).items():
        if name.startswith("__"):
            continue
        field_def = type_.fields.get(name)
        if field_def is None:
            continue
        plan = field_plan(field_def)
        child_type = get_named_type(field_def.type)
        children_sets = [n.selection_set for n in nodes if n.selection_set is not None]
        # Same field asked several times with different arguments (aliases): plan each.
        by_args: dict[str, tuple[dict[str, Any], list[SelectionSetNode | None]]] = {}
        for node in nodes:
            args = get_argument_values(field_def, node, walk.variables)
            sig = repr(sorted(args.items()))
            entry = by_args.setdefault(sig, (args, []))
            entry[1].append(node.selection_set)
        for args, sets in by_args.values():
            jobs.append(_field(scope, walk, plan, parents, args,
                               child_type if children_sets else None, sets))
    if len(jobs) == 1:
        await jobs[0]  # one field: no gather (and no task) around it
    elif jobs:
        await asyncio.gather(*jobs)


async def _field(scope: Scope, walk: _Walk, plan: FieldPlan | None, parents: list[Any],
                 args: dict[str, Any], child_type: Any,
                 sets: list[SelectionSetNode | None]) -> None:
    if plan is None:
        return
    if plan.needs is not None:
        try:
            keys = plan.needs(scope, parents, args)
            if inspect.isawaitable(keys):
                keys = await keys
        except Exception:
            # Bad arguments or a failed prerequisite: the field reports it when resolved,
            # at its own path, and the rest of the query goes on.
            return
        await scope.resources.load_many(keys)
    if plan.expand is not None and isinstance(child_type, GraphQLObjectType):
        if not walk.plans_below(child_type, sets):
            return  # nothing below reads a resource: no need to build the children to ask them
        try:
            children = plan.expand(scope, parents, args)
        except Exception:
            # The field itself will report the error when it is resolved.
            return
        await _level(scope, walk, child_type, _unique(children), sets)


def _unique(objects: Iterable[Any]) -> list[Any]:
    seen: dict[Any, Any] = {}
    for obj in objects:
        if obj is None:
            continue
        seen.setdefault(getattr(obj, "plan_id", id(obj)), obj)
    return list(seen.values())
