"""The critical-path floor of a cold request: its longest chain of dependent upstream walks.

Counted from the simulator's request log of the cold run (what the gateway really walked):

- a **resource** is one GET path without its cursor (a route and its parameters); its
  **pages** are the distinct cursors fetched for it. Cursor pages are sequential (each page's
  cursor is in the page before), so a resource of ``n`` pages is ``n`` round trips;
- the POSTs of a write are one step of one round trip (each row's POST is independent of the
  others), after the resources the write needs;
- ``chain(r) = pages(r) + max(chain(p) for p in the prerequisites of r walked by this
  request)``; the **critical path** is the largest ``chain``, in round trips, and its floor in
  time is that times the configured upstream latency.

A resource's prerequisites are the data its key (or its body) is made from:

- every route under ``/academic-years/{academicYear}`` needs the year: the school entry
  (``GET /school``), one round trip, when the request walked it (the workloads use the
  current year); routes without a year (the school, staff and parent accounts) need nothing;
- a route with another parameter (a date, a year group, a report id) needs nothing more when
  the query names that value itself (it is one of the operation's variables); otherwise the
  value comes from another resource's data: :data:`SOURCES`;
- a write needs what it validates and translates with: :data:`WRITE_NEEDS`.

The table is the bench's own, from the data model, not from the gateway's declarations
(``Relation.static``): a floor taken from the planner being measured would rise with whatever
it waits for needlessly, and hide the gap it is meant to show.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from gateway.upstream.routes import ROUTES

PREFIX = "/customer/v1"

#: Where a parameter's value comes from when the query does not name it: per-day routes need
#: the calendar (the open days of a range), per-year-group routes a student's year group (in
#: their education details), per-report routes the reports of the year.
SOURCES: dict[str, tuple[str, ...]] = {
    "date": ("calendar",),
    "yearGroup": ("education-details",),
    "reportId": ("reports",),
}

#: What a write needs before it can post: each student's UPN (education details), the mark's
#: id (attendance codes) and the school days it may write (calendar).
WRITE_NEEDS: dict[str, tuple[str, ...]] = {
    "record-session-mark": ("education-details", "attendance-codes", "calendar"),
}

YEAR_PARAM = "academicYear"
ENTRY = "school"


@dataclass(frozen=True, slots=True)
class Walk:
    """One resource of a cold request, as the simulator logged it."""

    route: str
    path: str  # without the prefix and the cursor ("POST" steps: the route's template)
    params: tuple[tuple[str, str], ...]
    pages: int


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$")


_PATTERNS = {name: _pattern(route.template) for name, route in ROUTES.items()}


def walks(records: Iterable[Any]) -> list[Walk]:
    """The resources of a request log (``RequestRecord``: route, method, path, query), in the
    order first asked; a GET's pages are its distinct cursors, a route's POSTs one step."""
    cursors: dict[tuple[str, str], set[str | None]] = {}
    posts: dict[str, int] = {}
    for r in records:
        path = r.path.removeprefix(PREFIX)
        if r.method == "GET":
            cursors.setdefault((r.route, path), set()).add(r.query.get("cursor"))
        else:
            posts[r.route] = posts.get(r.route, 0) + 1
    out = []
    for (route, path), seen in cursors.items():
        m = _PATTERNS[route].match(path) if route in _PATTERNS else None
        params = tuple((k, unquote(v)) for k, v in m.groupdict().items()) if m else ()
        out.append(Walk(route, path, params, len(seen)))
    for route in posts:
        template = ROUTES[route].template if route in ROUTES else route
        out.append(Walk(route, f"POST {template}", (), 1))
    return out


def named_values(variables: Any) -> set[str]:
    """Every scalar in an operation's variables, as text (the values the query names)."""
    found: set[str] = set()
    stack = [variables]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
        elif v is not None:
            found.add(str(v))
    return found


def prerequisites(walk: Walk, named: set[str]) -> list[str]:
    """The routes whose data ``walk``'s key or body is made from (walked or not)."""
    needs: list[str] = []
    route = ROUTES.get(walk.route)
    if walk.route != ENTRY and (route is None or YEAR_PARAM in route.params):
        needs.append(ENTRY)
    if walk.path.startswith("POST "):
        needs += WRITE_NEEDS.get(walk.route, ())
    for name, value in walk.params:
        if name != YEAR_PARAM and value not in named:
            needs += SOURCES.get(name, ())
    return needs


def critical_path(records: Sequence[Any], variables: dict[str, Any] | None,
                  latency_ms: float) -> dict[str, Any]:
    """The longest chain of dependent walks of one cold request: round trips, the floor in ms
    (round trips x latency) and the chain itself (each step: resource and pages)."""
    found = walks(records)
    named = named_values(variables or {})
    by_route: dict[str, list[Walk]] = {}
    for w in found:
        by_route.setdefault(w.route, []).append(w)
    memo: dict[Walk, tuple[int, list[Walk]]] = {}

    def chain(w: Walk, seen: frozenset[Walk]) -> tuple[int, list[Walk]]:
        if w in memo:
            return memo[w]
        best: tuple[int, list[Walk]] = (0, [])
        for route in prerequisites(w, named):
            for p in by_route.get(route, ()):
                if p is w or p in seen:
                    continue  # a cycle cannot be: a route never needs itself
                c = chain(p, seen | {w})
                if c[0] > best[0]:
                    best = c
        memo[w] = (best[0] + w.pages, [*best[1], w])
        return memo[w]

    longest: tuple[int, list[Walk]] = (0, [])
    for w in found:
        c = chain(w, frozenset())
        if c[0] > longest[0]:
            longest = c
    trips = longest[0]
    return {"round_trips": trips, "ms": round(trips * latency_ms, 1), "latency_ms": latency_ms,
            "chain": [f"{w.route} x{w.pages}" for w in longest[1]],
            "resources": len(found), "pages": sum(w.pages for w in found)}
