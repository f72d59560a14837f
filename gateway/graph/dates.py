"""Date ranges over the school calendar: validated before any upstream call, fanned out over open days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from gateway.graph.base import read, rk
from gateway.graph.errors import bad_input
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


def calendar_key(year: int) -> ResourceKey:
    return rk("calendar", year)


def open_days(res: Resources, year: int, start: dt.date, end: dt.date) -> list[dt.date]:
    """The days in [start, end] the (loaded) calendar says are Open."""
    by_date = res.get(calendar_key(year)).unique("date")
    return [d for d in days(start, end)
            if (by_date.get(d.isoformat()) or {}).get("day_type_code", "").lower() == OPEN.lower()]


async def open_day_keys(res: Resources, year: int, route: str, start: dt.date,
                        end: dt.date | None, max_days: int) -> list[ResourceKey]:
    """Keys of a per-date route for the open days of a validated range (loads the calendar)."""
    start, end = check_range(year, start, end, max_days)
    await res.load(calendar_key(year))
    return [rk(route, year, d.isoformat()) for d in open_days(res, year, start, end)]


def read_open_days(res: Resources, year: int, route: str, start: dt.date, end: dt.date,
                   build: Callable[[list[dt.date]], T]) -> T:
    """``build(open days)`` once the calendar and the route's tables for those days are loaded.

    At once when the plan loaded them (the normal case); else an awaitable that loads the
    calendar, then the open days, first (counted in ``res.unplanned``, like ``read``)."""
    calendar = calendar_key(year)
    if res.has(calendar):
        opened = open_days(res, year, start, end)
        return read(res, [rk(route, year, d.isoformat()) for d in opened], lambda: build(opened))
    res.unplanned += 1

    async def later() -> T:
        await res.load(calendar)
        opened = open_days(res, year, start, end)
        await res.load_many([rk(route, year, d.isoformat()) for d in opened])
        return build(opened)

    return later()  # type: ignore[return-value]


def max_days(scope_or_info: Any) -> int:
    """The configured longest range, from a plan ``Scope`` or a resolver's ``info``."""
    context = getattr(scope_or_info, "context", scope_or_info)
    return int(context.settings.max_date_span_days)


def open_day_needs(route: str) -> Callable[..., Any]:
    """A ``needs`` for a ``(from, to)`` field over a per-date route: the open days' keys.

    The range is checked before the calendar is loaded, so a bad range costs no upstream call
    (the planner swallows the error; the resolver raises it again at the field)."""

    async def needs(scope: Any, parents: list[Any], args: dict[str, Any]) -> list[ResourceKey]:
        return await open_day_keys(scope.resources, scope.year, route, args["from"],
                                   args.get("to"), max_days(scope))

    return needs


def open_day_expand(build: Callable[[Any, list[dt.date]], list[Any]]) -> Callable[..., list[Any]]:
    """An ``expand`` for a ``(from, to)`` field: ``build(parent, open days)`` for each parent."""

    def expand(scope: Any, parents: list[Any], args: dict[str, Any]) -> list[Any]:
        start, end = check_range(scope.year, args["from"], args.get("to"), max_days(scope))
        opened = open_days(scope.resources, scope.year, start, end)
        return [child for parent in parents for child in build(parent, opened)]

    return expand
