"""Date ranges over the school calendar: validated before any upstream call, fanned out over open days."""

from __future__ import annotations

import datetime as dt

from gateway.graph.base import rk
from gateway.graph.errors import bad_input
from gateway.resources.keys import ResourceKey
from gateway.resources.memo import Resources

OPEN = "Open"


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
