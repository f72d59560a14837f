"""One declaration per field: what a field reads and how it finds its value, said once.

    @relation(keys.SUBJECTS, description="The subjects that belong to this department.")
    def subjects(self) -> list[Subject]:
        return rows_where(self.res, keys.SUBJECTS(self.year), "department_id", self.raw.get("id"))

From that one function :func:`relation` makes

- the planner's entry: the keys for a batch of parents (from the declared reads) and the
  child objects (the same function applied to each parent), so the plan loads the resources
  and descends into the children before any resolver runs;
- the resolver: the function's value once its keys are loaded, at once when the plan loaded
  them (the normal case), else after loading them (counted in ``res.unplanned``);
- the wrapping: a function may return upstream records (dicts); they become objects of the
  field's type (a :class:`~gateway.graph.row.Row`) with the parent's year and resources, so a
  domain module never imports another's types to link to them.

The function's parameters after ``self`` are the field's GraphQL arguments (strawberry reads
them from its signature as usual); a parameter named ``info`` gets the resolver's info, and
one named ``scope`` the plan's :class:`~gateway.graph.plan.Scope`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import strawberry
from strawberry.types.base import StrawberryList, StrawberryOptional
from strawberry.types.lazy_type import LazyType

from gateway import access_log
from gateway.categories import Category
from gateway.graph import scopes
from gateway.graph.keys import KeyList, PerParent, Reads, SchoolRoute, YearRoute
from gateway.graph.plan import PLAN_ATTR, FieldPlan, Scope
from gateway.graph.relation_plan import RESERVED as _RESERVED
from gateway.graph.relation_plan import PlanEntry
from gateway.graph.row import Row, added_fields
from gateway.resources.keys import ResourceKey
from gateway.resources.memo import NotLoaded, Resources

_MISSING = object()
#: Whether a type's objects are their record, year and resources alone (so one record's
#: relation values are the same whichever path reached it), by type.
_PLAIN: dict[type, bool] = {}


def _by_record(kind: type) -> bool:
    plain = _PLAIN.get(kind)
    if plain is None:
        plain = _PLAIN[kind] = added_fields(kind) == ()
    return plain
#: A relation keeps asking its per-record memo while at least one in ``MEMO_RATIO`` of its
#: values was there, judged after ``MEMO_TRIAL`` values (process-wide).
MEMO_TRIAL = 1024
MEMO_RATIO = 8
#: The arguments of a field that has none (shared: the resolver's direct path never adds any).
_NO_ARGUMENTS: dict[str, Any] = {}


class Relation(PlanEntry):
    """The pieces :func:`relation` builds from one function (kept on the resolver for tests)."""

    def __init__(self, fn: Callable[..., Any], reads: Sequence[Reads],
                 check: Callable[..., None] | None = None,
                 category: Category | Iterable[Category] | None = None) -> None:
        self.fn = fn
        self.reads = tuple(reads)
        self.check = check
        if isinstance(category, Category):
            category = (category,)
        #: The data categories this field says it reveals (issue 17), else None: then those of
        #: the routes it actually reads, call by call (an argument may choose the route).
        self.explicit: frozenset[Category] | None = None if category is None else frozenset(category)
        #: Every category the field can reveal (the contract's @category).
        self.categories: frozenset[Category] = self.explicit or scopes.of_reads(self.reads)
        self.sensitive = access_log.sensitive(self.categories)
        #: When every read is a route keyed by the year alone, or keys a parent names itself,
        #: and nothing else is checked: the resolver's fast path finds one parent's keys directly.
        self._direct = check is None and all(isinstance(r, YearRoute | SchoolRoute | PerParent)
                                             for r in self.reads)
        #: The one year-keyed route of a relation that reads only that (the commonest case).
        self._one: Any = (self.reads[0] if self._direct and len(self.reads) == 1
                          and isinstance(self.reads[0], YearRoute | SchoolRoute) else None)
        self.field: Any = None
        params = inspect.signature(fn).parameters
        self.wants_info = "info" in params
        self.wants_scope = "scope" in params
        self._target: Any = False
        #: What the value depends on, besides the year and the school (``relation``'s ``link``).
        self.link: Callable[[Any], Any] | None = None
        #: [values asked of the per-record memo, values it had]; asked < 0: memo off for good.
        self.tally = [0, 0]

    # --- keys ----------------------------------------------------------------------------

    def keys(self, scope: Scope, parents: Sequence[Any], args: dict[str, Any]) -> tuple[list[ResourceKey], list[Any]]:
        """(keys known now, awaitables of the rest); bad arguments and data outside the caller's
        categories fail here, before any call (the planner then skips the field)."""
        allowed = scope.resources.allowed
        if allowed is not None and self.explicit is not None:
            scopes.require(allowed, self.explicit)
        if self.check is not None:
            self.check(**{k: v for k, v in args.items() if k not in _RESERVED})
        now: list[ResourceKey] = []
        later: list[Any] = []
        for reads in self.reads:
            found: KeyList = reads.keys(scope, parents, args)
            if inspect.isawaitable(found):
                later.append(found)
            else:
                now.extend(found)
        if allowed is not None:
            self.permitted(allowed, now)
        return now, later

    def permitted(self, allowed: frozenset[Category] | None, keys: Iterable[ResourceKey]) -> None:
        """FORBIDDEN unless ``allowed`` covers what reading ``keys`` reveals."""
        if allowed is not None and self.explicit is None:
            scopes.require(allowed, scopes.of_keys(keys))

    async def all_keys(self, res: Resources, now: list[ResourceKey], later: list[Any]) -> list[ResourceKey]:
        """``now`` and the awaited rest, checked against the caller's categories."""
        for pending in later:
            more = list(await pending)
            self.permitted(res.allowed, more)
            now.extend(more)
        return now

    def parent_keys(self, parent: Any) -> list[ResourceKey]:
        """One parent's keys, for a relation whose reads are all direct (see ``_direct``)."""
        year = parent.year
        out: list[ResourceKey] = []
        for reads in self.reads:
            if type(reads) is YearRoute:
                out.append(reads(year))
            elif type(reads) is PerParent:
                out.extend(reads.of(parent))
            else:
                out.append(reads(year))  # type: ignore[operator]  # SchoolRoute ignores the year
        return out

    @property
    def static(self) -> bool:
        """Whether every key follows from the year and the arguments alone."""
        return all(r.static for r in self.reads)

    # --- values --------------------------------------------------------------------------

    def target(self) -> type[Row] | None:
        """The Row type a record becomes (None: values are returned as they are)."""
        if self._target is False:
            t = self.field.type
            while True:
                if isinstance(t, (StrawberryList, StrawberryOptional)):
                    t = t.of_type
                elif isinstance(t, LazyType):
                    t = t.resolve_type()
                else:
                    break
            self._target = t if isinstance(t, type) and issubclass(t, Row) else None
        return self._target  # type: ignore[no-any-return]

    def value(self, parent: Any, kwargs: dict[str, Any]) -> Any:
        return self.wrap(parent, self.fn(parent, **kwargs) if kwargs else self.fn(parent))

    def wrap(self, parent: Any, found: Any) -> Any:
        """The function's answer with its records made objects of the field's type."""
        target = self._target
        if target is False:
            target = self.target()
        if target is None:
            return found
        kind = type(found)
        if kind is dict:
            return target(raw=found, year=parent.year, res=parent.res)
        if kind is list:
            year, res = parent.year, parent.res
            return [target(raw=r, year=year, res=res) if type(r) is dict else r for r in found]
        return found

    def answer(self, parent: Any, kwargs: dict[str, Any], keys: list[ResourceKey]) -> Any:
        """The value for the client (a sensitive read is noted for the access log)."""
        if not self.sensitive:
            return self.remembered(parent, kwargs) if self.tally[0] >= 0 else self.value(parent, kwargs)
        found = self.value(parent, kwargs)
        read = self.explicit or scopes.of_keys(keys)
        if sensitive := access_log.sensitive(read):
            access_log.touch(parent.res, sensitive, parent, found)
        return found

    # --- the resolver --------------------------------------------------------------------

    def plain_resolver(self) -> Callable[[Any], Any]:
        """The resolver of a field without arguments, info or scope (the fast executor calls it
        with the parent alone, for every object of a list).

        With nothing to check, nothing sensitive and no categories to enforce, the function is
        simply called: its reads are loaded (the plan did it), and if one is not, the look-up
        raises ``NotLoaded`` and the field takes the usual way, which works out its keys and
        loads them (counted as unplanned). A resource that failed raises its error either way.
        A plain record's value may be in the request's memo already (the plan's expansion
        put it there)."""
        resolve, fn, wrap, remembered, plain = self.resolve, self.fn, self.wrap, self.remembered, _PLAIN
        if self.check is not None or self.sensitive:
            def resolver(parent: Any) -> Any:
                return resolve(parent, None, _NO_ARGUMENTS)
            return resolver

        def direct(parent: Any) -> Any:
            if parent.res.allowed is not None:
                return resolve(parent, None, _NO_ARGUMENTS)
            try:
                if self.tally[0] >= 0 and plain.get(type(parent)) is not False:
                    return remembered(parent, _NO_ARGUMENTS)
                return wrap(parent, fn(parent))
            except NotLoaded:
                return resolve(parent, None, _NO_ARGUMENTS)
        if self.link is not None:
            # read by the builders (fast_builders._linked)
            direct.link = self.link  # type: ignore[attr-defined]
        return direct

    def remembered(self, parent: Any, kwargs: dict[str, Any]) -> Any:
        """The value, worked out once per record and request for a plain record met again (the
        same group under every one of its students). Relations whose records are not met
        again (``MEMO_TRIAL``, ``tally``) stop asking the memo."""
        kind = type(parent)
        plain = _PLAIN.get(kind)
        if plain is None:
            plain = _by_record(kind)
        if not plain:
            return self.value(parent, kwargs)
        tally = self.tally
        answers = parent.res.answers
        memo: Any = (self, id(parent.raw), parent.year)
        if kwargs:  # the same arguments (a date range), whatever scope or info came with them
            memo = (*memo, *[(k, v) for k, v in kwargs.items() if k not in _RESERVED])
        try:
            found = answers.get(memo, _MISSING)
        except TypeError:  # an argument that cannot be a key (a list of inputs)
            return self.value(parent, kwargs)
        tally[0] += 1
        if found is _MISSING:
            found = answers[memo] = self.value(parent, kwargs)
            if tally[0] >= MEMO_TRIAL and tally[1] * MEMO_RATIO < tally[0]:
                tally[0] = -1
        else:
            tally[1] += 1
        return found

    def resolve(self, parent: Any, info: Any, kwargs: dict[str, Any], context: Any = None) -> Any:
        """The field's value for ``parent`` (an awaitable when its keys are not loaded yet);
        ``context``: the request's, when there is no ``info`` (a builder's call)."""
        res: Resources = parent.res
        if self._direct and res.allowed is None:
            # The common case, on the hot path: routes keyed by the year or named by the parent,
            # no check, no categories to enforce: its keys are loaded (the plan did it) -> the value.
            one = self._one
            keys = None if one is not None else self.parent_keys(parent)
            if res.has(one(parent.year)) if keys is None else all(res.has(key) for key in keys):
                if self.sensitive:
                    return self.answer(parent, kwargs, keys or self.parent_keys(parent))
                if self.tally[0] < 0:
                    return self.value(parent, kwargs)
                return self.remembered(parent, kwargs)
        scope = Scope(context if info is None else info.context, res, parent.year, info=info)
        if self.wants_scope:
            kwargs["scope"] = scope
        if self.wants_info:
            kwargs["info"] = info
        now, later = self.keys(scope, (parent,), kwargs)
        if not later and all(res.has(k) for k in now):
            return self.answer(parent, kwargs, now)
        res.unplanned += 1

        async def load_then_value() -> Any:
            keys = await self.all_keys(res, now, later)
            await res.load_many(keys)
            return self.answer(parent, kwargs, keys)

        return load_then_value()


def _link_of(link: str | Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
    if not isinstance(link, str):
        return link

    def of_record(parent: Any) -> Any:
        return parent.raw.get(link)
    return of_record


def relation(*reads: Reads, description: str, check: Callable[..., None] | None = None,
             category: Category | Iterable[Category] | None = None,
             link: str | Callable[[Any], Any] | None = None,
             hints: Callable[..., dict[str, Any]] | None = None, keeps_hints: bool = False,
             **field_options: Any) -> Callable[[Callable[..., Any]], Any]:
    """Declare a field by what it reads (``reads``) and the function that finds its value.

    ``check(**arguments)`` validates the arguments before any key is asked for, so that a bad
    argument costs no upstream call (the field then reports it at its own path). ``category``
    names the data categories the field reveals when its routes' categories are not right
    (or not known, for keys computed by a function). ``link``: what the value depends on
    besides the year and the school, a key of the parent's record (``"subject_id"``) or a
    function of the parent (hashable): the fast executor then builds the answer once per link
    (the subject of every grade); tests check every kept answer against a fresh one.
    ``hints(**arguments)``: what the field's arguments say of every object it returns (a
    plan then starts the keys that follow from it below: ``keys.Hints``); ``keeps_hints``:
    the objects it returns are what their parent is as far as hints go."""

    def declare(fn: Callable[..., Any]) -> Any:
        rel = Relation(fn, reads, check, category)
        rel.link = _link_of(link)
        sig = inspect.signature(fn)
        params = [p for p in sig.parameters.values() if p.name not in _RESERVED]
        info_param = inspect.Parameter("info", inspect.Parameter.KEYWORD_ONLY, annotation=strawberry.Info)

        resolver: Callable[..., Any]
        if len(params) == 1 and not (rel.wants_info or rel.wants_scope):
            # No arguments and no info: a plain one-argument resolver, which the fast executor
            # calls directly (graph/fast.py); its reads then need no request context.
            resolver = rel.plain_resolver()
            resolver.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
        else:
            def resolver(self: Any, info: Any, **kwargs: Any) -> Any:
                return rel.resolve(self, info, kwargs)
            resolver.__signature__ = sig.replace(parameters=[*params, info_param])  # type: ignore[attr-defined]
        functools.update_wrapper(resolver, fn, updated=())
        del resolver.__wrapped__  # type: ignore[attr-defined,union-attr]
        resolver.__annotations__ = {k: v for k, v in fn.__annotations__.items() if k not in _RESERVED}
        if len(params) != 1 or rel.wants_info or rel.wants_scope:
            resolver.__annotations__["info"] = strawberry.Info
        resolver.relation = rel  # type: ignore[attr-defined,union-attr]
        setattr(resolver, PLAN_ATTR, FieldPlan(needs=rel.needs, expand=rel.expand, static=rel.static,
                                               check=rel.plan_check if check is not None else None,
                                               split=rel.split, hinted=rel.hinted,
                                               hints=rel.child_hints(hints), keeps_hints=keeps_hints))
        field = strawberry.field(resolver=resolver, description=description, **field_options)
        rel.field = field
        return field

    return declare
