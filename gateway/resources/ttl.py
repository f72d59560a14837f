"""How long each kind of resource may be served from the cross-request cache (seconds)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from gateway.resources.keys import ResourceKey

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


def ttl_for(key: ResourceKey, overrides: dict[str, float] | None = None,
            now: dt.date | None = None) -> float:
    base = (overrides or {}).get(key.route, DEFAULT_TTLS.get(key.route, MINUTE))
    if key.route in ("session-marks", "lesson-marks", "behaviour-events") and key.arg:
        try:
            day = dt.date.fromisoformat(key.arg)
        except ValueError:
            return base
        current = now or today()
        if day >= current:
            return min(base, TODAY_TTL)
        if (current - day).days > RECENT_DAYS:
            return max(base, PAST_TTL)
    return base
