"""A relation's side that the planner calls (graph/plan.py's ``FieldPlan``): its keys for a
batch of parents, in two parts for a static field, from hints, its argument check, and the
children it leads to. Mixed into :class:`~gateway.graph.relation.Relation`, which provides
what is declared here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from strawberry.types.arguments import convert_arguments

from gateway.categories import Category
from gateway.graph import scopes
from gateway.graph.keys import SchoolRoute, YearRoute
from gateway.graph.plan import Scope
from gateway.resources.keys import ResourceKey
from gateway.resources.memo import Resources

#: Function parameters that are not GraphQL arguments.
RESERVED = ("info", "scope")
_RESERVED = RESERVED


class PlanEntry:
    """What the planner asks of a relation (see the module's docstring)."""

    reads: tuple[Any, ...]
    field: Any
    check: Callable[..., None] | None
    explicit: frozenset[Category] | None
    sensitive: frozenset[Category]
    wants_scope: bool
    wants_info: bool
    tally: list[int]

    # Provided by Relation.
    def keys(self, scope: Scope, parents: Sequence[Any], args: dict[str, Any]) -> tuple[list[ResourceKey], list[Any]]:
        raise NotImplementedError

    def permitted(self, allowed: frozenset[Category] | None, keys: Iterable[ResourceKey]) -> None:
        raise NotImplementedError

    async def all_keys(self, res: Resources, now: list[ResourceKey], later: list[Any]) -> list[ResourceKey]:
        raise NotImplementedError

    def value(self, parent: Any, kwargs: dict[str, Any]) -> Any:
        raise NotImplementedError

    def remembered(self, parent: Any, kwargs: dict[str, Any]) -> Any:
        raise NotImplementedError

    def _kwargs(self, scope: Scope, args: dict[str, Any]) -> dict[str, Any]:
        schema = scope.schema
        if self.field.arguments and schema is not None:
            kwargs = convert_arguments(args, self.field.arguments,
                                       scalar_registry=schema.schema_converter.scalar_registry,
                                       config=schema.config)
        else:
            kwargs = {}
        if self.wants_scope:
            kwargs["scope"] = scope
        if self.wants_info:
            kwargs["info"] = scope.info
        return kwargs

    def plan_check(self, scope: Scope, args: dict[str, Any]) -> None:
        """The field's argument check, for a plan (GraphQL-named arguments)."""
        if self.check is not None:
            kwargs = self._kwargs(scope, args)
            self.check(**{k: v for k, v in kwargs.items() if k not in _RESERVED})

    async def needs(self, scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[ResourceKey]:
        now, later = self.keys(scope, parents, self._kwargs(scope, args))
        return await self.all_keys(scope.resources, now, later)

    def hinted(self, scope: Scope, hints: dict[str, Any]) -> list[ResourceKey] | None:
        """The keys from what the query says of every parent (``keys.Hints``), or None when a
        read cannot tell from them; checked against the caller's categories like ``keys``."""
        out: list[ResourceKey] = []
        for reads in self.reads:
            hinted = getattr(reads, "hinted", None)
            if hinted is not None:
                found = hinted(scope.year, hints)
                if found is None:
                    return None
                out.extend(found)
            elif isinstance(reads, YearRoute | SchoolRoute):
                out.append(reads(scope.year))
            else:
                return None
        allowed = scope.resources.allowed
        if allowed is not None and self.explicit is not None:
            scopes.require(allowed, self.explicit)
        self.permitted(allowed, out)
        return out

    def child_hints(self, hints: Callable[..., dict[str, Any]] | None) -> Callable[[Scope, dict[str, Any]], dict[str, Any]] | None:
        """The plan's ``hints(scope, graphql_arguments)`` from a declaration's ``hints``."""
        if hints is None:
            return None

        def of(scope: Scope, args: dict[str, Any]) -> dict[str, Any]:
            return hints(**{k: v for k, v in self._kwargs(scope, args).items() if k not in _RESERVED})
        return of

    def split(self, scope: Scope, parents: list[Any], args: dict[str, Any]) -> tuple[list[ResourceKey], Any]:
        """``needs`` as (the keys known now, an awaitable of the rest or None): the plan starts
        the first at once and each rest on its own, so a range's keys (after the calendar)
        hold up no other field's."""
        now, later = self.keys(scope, parents, self._kwargs(scope, args))
        return now, (self.all_keys(scope.resources, [], later) if later else None)

    def expand(self, scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[Any]:
        kwargs = self._kwargs(scope, args)
        # What the plan finds for each plain record is kept in the request's memo (by record
        # and arguments): the resolver, asked next for the same records, answers from there.
        value = self.remembered if self.tally[0] >= 0 and not self.sensitive else self.value
        out: list[Any] = []
        for parent in parents:
            found = value(parent, kwargs)
            if isinstance(found, list):
                out.extend(found)
            elif found is not None:
                out.append(found)
        return out
