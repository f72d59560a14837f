"""The write window: the days attendance may be recorded for (today and
``GO4GRAPH_WRITE_WINDOW_DAYS`` school days back, never the future, never another academic year)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gateway.graph import keys
from gateway.graph.attendance_audit import refuse
from gateway.graph.context import Context
from gateway.graph.dates import OPEN, year_bounds, year_of
from gateway.resources.memo import Resources
from gateway.resources.ttl import today as london_today


@dataclass(frozen=True)
class Window:
    """The days attendance may be written for: ``first`` to ``last`` (today), in ``year``."""

    first: dt.date | None
    last: dt.date
    year: int
    days_back: int
    #: The academic years the school has data for (GET Schools).
    school_years: frozenset[int] = frozenset()

    def describe(self) -> str:
        if self.first is None:
            return (f"nothing can be recorded today ({self.last}): the school has no calendar for "
                    f"academic year {self.year}")
        return (f"attendance can be recorded from {self.first} to {self.last} (today and the "
                f"{self.days_back} school days before it, within academic year {self.year})")

    def check(self, day: dt.date) -> None:
        if day > self.last:
            raise refuse("future-date", f"{day} is in the future: {self.describe()}",
                          window=self._ext())
        if year_of(day) != self.year:
            raise refuse("other-academic-year", f"{day} is in academic year {year_of(day)}, not "
                          f"today's: {self.describe()}", window=self._ext())
        if self.first is None or day < self.first:
            raise refuse("before-window", f"{day} is before the write window: {self.describe()}",
                          window=self._ext())

    def _ext(self) -> dict[str, Any]:
        return {"from": self.first.isoformat() if self.first else None, "to": self.last.isoformat()}


def today(ctx: Context) -> dt.date:
    """Today in Europe/London; ``services.extras["today"]`` (a callable) sets the clock in tests."""
    clock: Callable[[], dt.date] | None = ctx.services.extras.get("today")
    return clock() if clock is not None else london_today()


def write_window(ctx: Context, res: Resources, school_years: frozenset[int]) -> Window:
    now = today(ctx)
    year = year_of(now)
    back = ctx.settings.write_window_days
    if year not in school_years:
        return Window(None, now, year, back, school_years)
    first_day = year_bounds(year)[0]
    calendar = res.get(keys.CALENDAR(year)).unique("date")
    opened = sorted((d for d, row in calendar.items()
                     if str(row.get("day_type_code", "")).lower() == OPEN.lower()
                     and first_day.isoformat() <= str(d)[:10] < now.isoformat()), reverse=True)
    if back == 0:
        first = now
    elif len(opened) >= back:
        first = dt.date.fromisoformat(str(opened[back - 1])[:10])
    else:
        first = first_day
    return Window(first, now, year, back, school_years)
