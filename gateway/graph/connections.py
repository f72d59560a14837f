"""Cursor connections (Relay) over the graph's big lists, declared from the lists themselves.

    @relation(keys.by_args(_list_reads, …), description="The students …")
    def students(self, year_group: …, …) -> list[Student]:
        return filtered_students(…)

    students_connection: Connection[Student] = connection(students)

:func:`connection` makes ``studentsConnection(yearGroup: …, first:, after:, last:, before:)``
from the list's own declaration: the same arguments, the same check, the same reads (so the
same upstream calls, whatever the page) and the same function; the whole list is found as the
list field finds it, then sliced. ``Connection[T]`` is the Relay shape
(``edges { cursor node }``, ``pageInfo``, ``totalCount``); its ``edges`` and their ``node``
tell the planner how to reach the page's objects, so their fields are planned as a list's are.

A cursor is opaque to clients: base64url of a version, a tag of the list (the field and its
non-paging arguments), a tag of the parent object, the item's position and a tag of the item,
with a checksum. A cursor that is malformed, tampered with, of another version or of another
list (another field, or other arguments) is BAD_USER_INPUT before any upstream call; one of the
same list under another parent, or whose item has left the list, is BAD_USER_INPUT once the
list is loaded. When items were added or removed between two pages, a cursor still finds its
item by its tag, so paging goes on from the right place.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from strawberry.utils.str_converters import to_camel_case

from gateway.graph.errors import bad_input
from gateway.graph.keys import KeyList, Reads
from gateway.graph.plan import PLAN_ATTR, FieldPlan
from gateway.graph.relation import Relation, relation

T = TypeVar("T")

#: The most items one page may ask for (``first`` or ``last``).
MAX_PAGE = 1000
#: The page size when neither ``first`` nor ``last`` is given.
DEFAULT_PAGE = 100
#: The paging arguments, by their Python names (the list's own arguments are the rest).
PAGING = ("first", "after", "last", "before")
_VERSION = "c1"


def _leads_to(children: Callable[[Any], Sequence[Any]]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Tell the planner the objects a field leads to (it reads nothing itself)."""

    def expand(scope: Any, parents: list[Any], args: dict[str, Any]) -> list[Any]:
        return [child for parent in parents for child in children(parent)]

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        setattr(fn, PLAN_ATTR, FieldPlan(expand=expand))
        return fn

    return mark


# --- the types ----------------------------------------------------------------------------------

@strawberry.type(description="Where a page of a connection stands in its whole list (Relay's PageInfo).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether the list has items after this page.")
    has_previous_page: bool = strawberry.field(description="Whether the list has items before this page.")
    start_cursor: str | None = strawberry.field(description="The cursor of the page's first item (null for an empty page).")
    end_cursor: str | None = strawberry.field(description="The cursor of the page's last item (null for an empty page): pass it as `after` for the next page.")


@strawberry.type(description="One item of a connection's page, with its cursor.")
class Edge(Generic[T]):
    item: strawberry.Private[Any]
    cursor: str = strawberry.field(description="An opaque cursor for this item: pass it as `after` (or `before`) to page from here.")

    @strawberry.field(description="The item.")
    @_leads_to(lambda edge: (edge.item,))
    def node(self) -> T:
        return self.item  # type: ignore[no-any-return]


@_leads_to(lambda conn: conn.items)
def _edges(self: Connection[T]) -> list[Edge[T]]:
    return self.items


@strawberry.type(description="A page of a list, in the Relay cursor connection shape.")
class Connection(Generic[T]):
    items: strawberry.Private[list[Edge[T]]]
    edges: list[Edge[T]] = strawberry.field(resolver=_edges, description="The page's items, in the list's order, each with its cursor.")
    page_info: PageInfo = strawberry.field(description="Where this page stands in the whole list.")
    total_count: int = strawberry.field(description="The number of items in the whole list (every page).")


# --- cursors ------------------------------------------------------------------------------------

def _tag(value: Any) -> str:
    return hashlib.blake2b(repr(value).encode(), digest_size=4).hexdigest()


def _item_tag(item: Any) -> str:
    return _tag(getattr(item, "plan_id", None))


def _list_tag(coordinate: str, args: dict[str, Any]) -> str:
    """The list a cursor belongs to: its field and its arguments (those given), not the paging."""
    return _tag((coordinate, sorted((k, v) for k, v in args.items() if v is not None and k not in PAGING)))


def _encode(list_tag: str, parent_tag: str, position: int, item_tag: str) -> str:
    payload = f"{_VERSION}:{list_tag}:{parent_tag}:{position}:{item_tag}"
    text = f"{payload}:{_tag(payload)}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@dataclass(frozen=True, slots=True)
class Cursor:
    list_tag: str
    parent_tag: str
    position: int
    item_tag: str


def decode(cursor: str, argument: str, list_tag: str) -> Cursor:
    """The cursor's parts, once it is known to be one of this list's (else BAD_USER_INPUT)."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, ltag, ptag, position, itag, check = text.split(":")
        payload = text.rsplit(":", 1)[0]
        valid = check == _tag(payload) and position.isdigit()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        valid, version = False, ""
    if not valid:
        raise bad_input(f"'{argument}' is not a cursor this gateway gave (it is malformed or was changed)",
                        argument=argument)
    if version != _VERSION:
        raise bad_input(f"'{argument}' is a cursor of an older version: start again from the first page",
                        argument=argument)
    if ltag != list_tag:
        raise bad_input(f"'{argument}' is a cursor of another list (another field, or the same field "
                        "with other arguments)", argument=argument)
    return Cursor(ltag, ptag, int(position), itag)


def _check_size(argument: str, value: int | None) -> None:
    if value is not None and not 0 <= value <= MAX_PAGE:
        raise bad_input(f"'{argument}' must be between 0 and {MAX_PAGE}; it is {value}",
                        argument=argument, max=MAX_PAGE)


def _position(items: list[Any], cursor: Cursor, argument: str) -> int:
    """Where the cursor's item is now: at its position, else wherever it moved (BAD_USER_INPUT
    when it is no longer in the list)."""
    if cursor.position < len(items) and _item_tag(items[cursor.position]) == cursor.item_tag:
        return cursor.position
    for index, item in enumerate(items):
        if _item_tag(item) == cursor.item_tag:
            return index
    raise bad_input(f"The item of the '{argument}' cursor is no longer in the list: start again from the "
                    "first page", argument=argument)


def page(items: list[Any], list_tag: str, parent: Any, paging: dict[str, Any]) -> Connection[Any]:
    """The page of ``items`` the paging arguments ask for (Relay's algorithm: ``after`` and
    ``before`` cut the list, then ``first`` keeps the head and ``last`` the tail)."""
    parent_tag = _tag(getattr(parent, "plan_id", None))
    start, end = 0, len(items)
    for argument in ("after", "before"):
        if paging.get(argument) is None:
            continue
        cursor = decode(paging[argument], argument, list_tag)
        if cursor.parent_tag != parent_tag:
            raise bad_input(f"'{argument}' is a cursor of the same list under another object", argument=argument)
        at = _position(items, cursor, argument)
        start, end = (max(start, at + 1), end) if argument == "after" else (start, min(end, at))
    end = max(start, end)
    first, last = paging.get("first"), paging.get("last")
    if first is None and last is None:
        first = DEFAULT_PAGE
    if first is not None:
        end = min(end, start + first)
    if last is not None:
        start = max(start, end - last)
    edges: list[Edge[Any]] = [Edge(item=item, cursor=_encode(list_tag, parent_tag, i, _item_tag(item)))
                              for i, item in enumerate(items[start:end], start)]
    info = PageInfo(has_next_page=end < len(items), has_previous_page=start > 0,
                    start_cursor=edges[0].cursor if edges else None,
                    end_cursor=edges[-1].cursor if edges else None)
    return Connection(items=edges, page_info=info, total_count=len(items))


# --- the field ----------------------------------------------------------------------------------

First = Annotated[int | None, strawberry.argument(description=f"The number of items after `after` (0 to {MAX_PAGE}); {DEFAULT_PAGE} when neither first nor last is given.")]
After = Annotated[str | None, strawberry.argument(description="A cursor of this list: the page starts after its item.")]
Last = Annotated[int | None, strawberry.argument(description=f"The number of items before `before` (0 to {MAX_PAGE}): the page is the tail of what is left.")]
Before = Annotated[str | None, strawberry.argument(description="A cursor of this list: the page ends before its item.")]
_PAGING_PARAMS = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
                  for name, annotation in zip(PAGING, (First, After, Last, Before), strict=True)]


@dataclass(frozen=True, slots=True)
class _Unpaged:
    """A list's reads, asked without the paging arguments (its keys never depend on the page)."""

    inner: Reads

    @property
    def static(self) -> bool:
        return self.inner.static

    @property
    def route(self) -> str | None:
        return getattr(self.inner, "route", None)

    @property
    def routes(self) -> tuple[str, ...]:
        return getattr(self.inner, "routes", ())

    def keys(self, scope: Any, parents: Sequence[Any], args: dict[str, Any]) -> KeyList:
        return self.inner.keys(scope, parents, {k: v for k, v in args.items() if k not in PAGING})


def connection(listing: Any) -> Any:
    """A connection field over the list field ``listing`` (a ``@relation`` of the same class):
    ``xs_connection: Connection[X] = connection(xs)``."""
    rel: Relation = listing.base_resolver.wrapped_func.relation
    if rel.sensitive:
        # The access log counts the students of a list's records; a page is not a list.
        raise TypeError(f"{rel.fn.__qualname__}: no connections over sensitive data")
    coordinate = rel.fn.__qualname__
    name = listing.graphql_name or to_camel_case(rel.fn.__name__)
    params = list(inspect.signature(rel.fn).parameters.values())

    def check(**args: Any) -> None:
        _check_size("first", args.get("first"))
        _check_size("last", args.get("last"))
        tag = _list_tag(coordinate, args)
        for argument in ("after", "before"):
            if args.get(argument) is not None:
                decode(args[argument], argument, tag)
        if rel.check is not None:
            rel.check(**{k: v for k, v in args.items() if k not in PAGING})

    def paged(self: Any, **args: Any) -> Connection[Any]:
        paging = {k: args.pop(k, None) for k in PAGING}
        items = rel.value(self, args)
        listed = {k: v for k, v in args.items() if k not in ("info", "scope")}
        return page(items, _list_tag(coordinate, listed), self, paging)

    paged.__signature__ = inspect.Signature([*params, *_PAGING_PARAMS])  # type: ignore[attr-defined]
    paged.__annotations__ = {p.name: p.annotation for p in [*params[1:], *_PAGING_PARAMS]}
    paged.__module__ = rel.fn.__module__  # the list's annotations are names of its module
    paged.__name__ = paged.__qualname__ = f"{rel.fn.__name__}_connection"
    description = (f"`{name}` in pages: a Relay cursor connection over the same items in the same order, "
                   f"read from the same upstream resources whatever the page. {listing.description}")
    return relation(*(_Unpaged(r) for r in rel.reads), description=description, check=check,
                    category=rel.explicit)(paged)
