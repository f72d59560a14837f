"""Date ranges over the school calendar: validated before any upstream call, fanned out over open days.

A ``(from, to)`` field over a per-date route (GET Session Marks, GET Behaviour Events…) is one
``@relation`` with these two pieces:

    @relation(dates.open_day_reads(keys.SESSION_MARKS), description="…")
    def session_marks(self, scope: Scope, from_: FromArg, to: ToArg = None) -> list[SessionMark]:
        days = dates.open_days_of(scope, self.year, from_, to)
        return [m for d in days for m in rows_where(self.res, keys.SESSION_MARKS(self.year, d), …)]

``open_day_reads`` checks the range (BAD_USER_INPUT, no upstream call) and names the calendar and
the route's key for each open day; ``open_days_of`` gives the same open days to the function.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from typing import Any, TypeVar

from gateway.graph import keys, scopes
from gateway.graph.errors import bad_input
from gateway.graph.keys import KeyList
from gateway.resources.keys import ResourceKey
from gateway.resources.memo import Resources

OPEN = "Open"

T = TypeVar("T")


def year_bounds(year: int) -> tuple[dt.date, dt.date]:
    """An academic year is named by the calendar year it ends in: 2026 = Aug 2025 to Jul 2026."""
    return dt.date(year - 1, 8, 1), dt.date(year, 7, 31)


def year_of(day: dt.date) -> int:
    """The academic year a date falls in."""
    return day.year + 1 if day.month >= 8 else day.year


def check_range(year: int, start: dt.date, end: dt.date | None, max_days: int) -> tuple[dt.date, dt.date]:
    """(from, to) once valid: ``to`` defaults to ``from``; BAD_USER_INPUT otherwise."""
    end = start if end is None else end
    if end < start:
        raise bad_input(f"'to' ({end}) is before 'from' ({start})")
    span = (end - start).days + 1
    if span > max_days:
        raise bad_input(f"a date range may cover at most {max_days} days; this one covers {span}",
                        maxDays=max_days)
    first, last = year_bounds(year)
    if start < first or end > last:
        raise bad_input(f"{start} to {end} is not within academic year {year} "
                        f"({first} to {last})")
    return start, end


def check_day(year: int, day: dt.date) -> dt.date:
    return check_range(year, day, day, 1)[0]


def days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(n) for n in range((end - start).days + 1)]


def open_days(res: Resources, year: int, start: dt.date, end: dt.date) -> list[dt.date]:
    """The days in [start, end] the (loaded) calendar says are Open: a slice of the calendar's
    open days (sorted once per calendar table; every student of a range field asks)."""
    opened: list[dt.date] = res.get(keys.CALENDAR(year)).derived("open-days", _open_days)
    return opened[bisect.bisect_left(opened, start):bisect.bisect_right(opened, end)]


def _open_days(table: Any) -> list[dt.date]:
    out = []
    for row in table.rows:
        if str(row.get("day_type_code") or "").lower() == OPEN.lower():
            try:
                out.append(dt.date.fromisoformat(str(row.get("date"))[:10]))
            except ValueError:
                continue
    return sorted(set(out))


def max_days(scope_or_info: Any) -> int:
    """The configured longest range, from a plan ``Scope`` or a resolver's ``info``."""
    context = getattr(scope_or_info, "context", scope_or_info)
    return int(context.settings.max_date_span_days)


_limit_of = max_days  # the function, where a parameter is named max_days


def _resources(scope_or_res: Any) -> Resources:
    return scope_or_res if isinstance(scope_or_res, Resources) else scope_or_res.resources


def open_days_of(scope_or_res: Any, year: int, from_: dt.date, to: dt.date | None,
                 max_days: int | None = None) -> list[dt.date]:
    """The open days of a ``(from, to)`` range, once the calendar is loaded (a relation's
    function calls it: its reads, :func:`open_day_reads`, loaded the calendar first).

    ``scope_or_res``: the plan ``Scope`` a relation gives a parameter named ``scope`` (the
    longest range is then read from its settings), or the ``Resources`` with ``max_days``."""
    limit = max_days if max_days is not None else _limit_of(scope_or_res)
    start, end = check_range(year, from_, to, limit)
    return open_days(_resources(scope_or_res), year, start, end)


def open_day_reads(route: keys.ArgRoute, *, from_arg: str = "from_", to_arg: str = "to") -> keys.Keyed:
    """What a ``(from, to)`` field over a per-date route reads: the calendar and the route's key
    for each open day of the range (``from_arg``/``to_arg``: the field's Python parameter names).

    The range is checked first (``check_range``: BAD_USER_INPUT before any upstream call). The
    keys come at once when the calendar is loaded, else as an awaitable that loads it first.
    They follow from the year and the arguments alone (the calendar is a year resource), so a
    plan starts them at once (``static``); both routes are named, so the field's data categories
    follow from its declaration (graph/scopes.py), and a caller outside the route's category is
    refused (FORBIDDEN) before the calendar is loaded."""

    needed = scopes.of_reads([route])

    def of(scope: Any, parents: Sequence[Any], args: dict[str, Any]) -> KeyList:
        year = scope.year
        start, end = check_range(year, args[from_arg], args.get(to_arg), max_days(scope))
        res: Resources = scope.resources
        if res.allowed is not None:
            # A caller who may not read the route costs not even the calendar (issue 17).
            scopes.require(res.allowed, needed)
        calendar = keys.CALENDAR(year)

        def found() -> list[ResourceKey]:
            return [calendar, *(route(year, d) for d in open_days(res, year, start, end))]

        if res.has(calendar):
            return found()

        async def later() -> list[ResourceKey]:
            await res.load(calendar)
            return found()

        return later()

    return keys.Keyed(of, static=True, routes=(route.route, keys.CALENDAR.route))
