"""How long each kind of resource may be served from the cross-request cache (seconds)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from gateway.resources.keys import ResourceKey
from gateway.upstream.routes import ROUTES

LONDON = ZoneInfo("Europe/London")

HOUR, MINUTE = 3600.0, 60.0

#: Reference data changes rarely; rosters during the day; marks and events often.
DEFAULT_TTLS: dict[str, float] = {
    "school": 6 * HOUR,
    "attendance-codes": 6 * HOUR, "calendar": 6 * HOUR, "timetables": 6 * HOUR,
    "departments": 6 * HOUR, "subjects": 6 * HOUR, "grade-types": 6 * HOUR,
    "behaviour-classifications": 6 * HOUR, "behaviour-event-types": 6 * HOUR,
    "immediate-actions": 6 * HOUR, "follow-up-actions": 6 * HOUR, "markbooks": HOUR,
    "reports": HOUR,
    "students": 30 * MINUTE, "education-details": 30 * MINUTE, "groups": 30 * MINUTE,
    "groups-students": 30 * MINUTE, "groups-teachers": 30 * MINUTE, "teachers": 30 * MINUTE,
    "classes": 30 * MINUTE, "student-classes": 30 * MINUTE, "staff-accounts": 30 * MINUTE,
    "parent-accounts": 30 * MINUTE, "parental-contacts": 30 * MINUTE, "photos": HOUR,
    "medical-conditions": 30 * MINUTE, "general-attributes": 30 * MINUTE,
    "demographic-attributes": HOUR, "send-attributes": 30 * MINUTE,
    "sensitive-attributes": 30 * MINUTE, "prior-attainment": 6 * HOUR,
    "exam-results": HOUR,
    "marks": MINUTE, "marksheet-grades": MINUTE, "grades": 5 * MINUTE,
    "report-grades": 5 * MINUTE, "report-attributes": 5 * MINUTE, "report-comments": 5 * MINUTE,
    "attendance-summary": 30 * MINUTE,
    "session-marks": MINUTE, "lesson-marks": MINUTE, "behaviour-events": MINUTE,
}

#: Per-date resources for today are edited all day: keep them briefly.
TODAY_TTL = 15.0
#: Days long past are rarely corrected: keep them longer.
PAST_TTL = 30 * MINUTE
RECENT_DAYS = 14


def today() -> dt.date:
    """Today in Europe/London (school days are London days, not UTC days)."""
    return dt.datetime.now(LONDON).date()


#: Resources kept one per day: today's are kept shortest, long-past days longest.
PER_DAY = ("session-marks", "lesson-marks", "behaviour-events")
#: Override names besides route names: the today and long-past bounds of per-day resources.
TODAY, PAST = "today", "past"


def check_overrides(overrides: dict[str, float]) -> dict[str, float]:
    """Validate GO4GRAPH_CACHE_TTLS: known route names (or today/past), seconds >= 0 (0: never cache)."""
    readable = {name for name, route in ROUTES.items() if route.method == "GET"}
    unknown = sorted(set(overrides) - readable - {TODAY, PAST})
    if unknown:
        raise ValueError(f"unknown resource kind(s) {', '.join(unknown)}; use route names "
                         f"such as marks or students, or today/past")
    bad = sorted(k for k, v in overrides.items() if not 0 <= v <= 7 * 24 * HOUR)
    if bad:
        raise ValueError(f"TTLs must be 0 to 604800 seconds: {', '.join(bad)}")
    return {k: float(v) for k, v in overrides.items()}


def ttl_for(key: ResourceKey, overrides: dict[str, float] | None = None,
            now: dt.date | None = None) -> float:
    """Seconds to keep ``key``; 0 means it is never cached."""
    overrides = overrides or {}
    base = overrides.get(key.route, DEFAULT_TTLS.get(key.route, MINUTE))
    if key.route in PER_DAY and key.arg and base > 0:
        try:
            day = dt.date.fromisoformat(key.arg)
        except ValueError:
            return base
        current = now or today()
        if day >= current:
            return overrides[TODAY] if TODAY in overrides else min(base, TODAY_TTL)
        if (current - day).days > RECENT_DAYS:
            return overrides[PAST] if PAST in overrides else max(base, PAST_TTL)
    return base
