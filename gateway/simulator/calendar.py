"""An English school year: terms, half-terms, bank holidays, INSET days and the two-week timetable cycle.

A GO4Schools academic year is named by the calendar year it ends in (2027 is
September 2026 to July 2027). The simulator's year runs from 1 August, so that
the day the "current year" rolls over (1 August) is also the first day of
that year's calendar.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
DayType = Literal["Open", "Closed", "Training", "Unknown"]
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


def london_today() -> dt.date:
    """Today in Europe/London (school days are London days, not UTC days)."""
    return dt.datetime.now(LONDON).date()


def academic_year_of(day: dt.date) -> int:
    """The academic year a date belongs to: from 1 August on, the next one."""
    return day.year + 1 if day.month >= 8 else day.year


def year_bounds(year: int) -> tuple[dt.date, dt.date]:
    """First and last calendar day of an academic year (1 August to 31 July)."""
    return dt.date(year - 1, 8, 1), dt.date(year, 7, 31)


def iso_day(day: dt.date) -> str:
    """The reference's date spelling: midnight UTC, ``2019-01-31T00:00:00Z``."""
    return f"{day.isoformat()}T00:00:00Z"


def utc_instant(day: dt.date, hour: int, minute: int, second: int = 0) -> str:
    """A London wall-clock time on ``day`` as the UTC instant the upstream spells with Z."""
    local = dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=LONDON)
    return local.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_day(text: str) -> dt.date | None:
    """A ``yyyy-mm-dd`` date (a trailing time is tolerated); None when malformed or impossible."""
    if len(text) < 10 or (len(text) > 10 and text[10] not in "T "):
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class SchoolDay:
    date: dt.date
    day_type: DayType
    week: int | None  # 1 or 2 on open days: the week of the two-week timetable


def easter_sunday(year: int) -> dt.date:
    """Easter Sunday (the anonymous Gregorian computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _monday_on_or_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def _weekday_on_or_after(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _weekday_on_or_before(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def _week_of(day: dt.date) -> list[dt.date]:
    monday = day - dt.timedelta(days=day.weekday())
    return [monday + dt.timedelta(days=i) for i in range(5)]


def _span(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def build_calendar(year: int) -> list[SchoolDay]:
    """Every day of the academic year with its day type, and the timetable week on open days."""
    first, last = year_bounds(year)
    autumn = year - 1
    closed: set[dt.date] = set()
    training: set[dt.date] = set()

    # Autumn term: two INSET days on the first weekdays of September, pupils in on the third.
    inset1 = _weekday_on_or_after(dt.date(autumn, 9, 1))
    inset2 = _weekday_on_or_after(inset1 + dt.timedelta(days=1))
    training |= {inset1, inset2}
    october = _week_of(dt.date(autumn, 10, 28))  # the last full week of October, in most LAs
    closed |= set(october)
    training.add(october[0] - dt.timedelta(days=3))  # the Friday before half-term
    autumn_end = dt.date(autumn, 12, 19)
    while autumn_end.weekday() != 4:
        autumn_end -= dt.timedelta(days=1)
    spring_start = _monday_on_or_after(dt.date(year, 1, 3))
    closed |= set(_span(autumn_end + dt.timedelta(days=1), spring_start - dt.timedelta(days=1)))
    training.add(spring_start)

    feb = _monday_on_or_after(dt.date(year, 2, 15))  # the third Monday of February
    closed |= set(_week_of(feb))
    easter = easter_sunday(year)
    closed |= set(_span(easter - dt.timedelta(days=6), easter + dt.timedelta(days=5)))
    closed.add(_monday_on_or_after(dt.date(year, 5, 1)))  # early May bank holiday
    may = dt.date(year, 5, 31)
    while may.weekday() != 0:
        may -= dt.timedelta(days=1)
    closed |= set(_week_of(may))  # spring bank holiday week
    training.add(may + dt.timedelta(days=7))
    summer_end = _weekday_on_or_before(dt.date(year, 7, 22))

    days: list[SchoolDay] = []
    school_weeks = 0
    last_week_seen: dt.date | None = None
    for day in _span(first, last):
        kind: DayType
        if day > summer_end + dt.timedelta(days=4) and day.month == 7:
            kind = "Unknown"  # GO has had no feed for the very end of July
        elif day < inset1 or day > summer_end or day.weekday() >= 5 or day in closed:
            kind = "Closed"
        elif day in training:
            kind = "Training"
        else:
            kind = "Open"
        week: int | None = None
        if kind == "Open":
            monday = day - dt.timedelta(days=day.weekday())
            if monday != last_week_seen:  # the cycle turns over only on weeks pupils are in
                school_weeks += 1
                last_week_seen = monday
            week = 1 if school_weeks % 2 == 1 else 2
        days.append(SchoolDay(day, kind, week))
    return days
