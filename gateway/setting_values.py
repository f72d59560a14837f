"""Constants and parsers of setting values: what ``settings.py`` needs to validate a value.

A leaf module (it imports no other gateway module), so settings are checked without
importing the layers that use them; those layers import their constants and parsers from
here instead (``resources.ttl``, ``resources.seal``, ``http.trusted``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson
from limits import parse as parse_rate

# --- cache TTLs (GO4GRAPH_CACHE_TTLS) ---------------------------------------------------------

HOUR, MINUTE = 3600.0, 60.0

#: Seconds each resource kind is cached, by route name. Every readable route has an entry
#: (a test checks it against the routes table), so these keys are also the kinds an
#: override may name. Reference data changes rarely; rosters during the day; marks and
#: events often.
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
    # Assembly: fresh this long; its list routes are then revalidated with If-Modified-Since
    # (a 304 keeps the cached copy, which is kept STALE_KEPT seconds past its freshness).
    "assembly-year-groups": 10 * MINUTE, "assembly-year-group": 10 * MINUTE,
    "assembly-year-group-students": 10 * MINUTE,
}

#: Per-date resources for today are edited all day: keep them briefly.
TODAY_TTL = 15.0
#: Days long past are rarely corrected: keep them longer.
PAST_TTL = 30 * MINUTE
RECENT_DAYS = 14
#: Resources kept one per day: today's are kept shortest, long-past days longest.
PER_DAY = ("session-marks", "lesson-marks", "behaviour-events")
#: Override names besides route names: the today and long-past bounds of per-day resources.
TODAY, PAST = "today", "past"
MAX_TTL = 7 * 24 * HOUR


def check_ttl_overrides(overrides: dict[str, float]) -> dict[str, float]:
    """Validate GO4GRAPH_CACHE_TTLS: known resource kinds (or today/past), seconds >= 0 (0: never cache)."""
    unknown = sorted(set(overrides) - set(DEFAULT_TTLS) - {TODAY, PAST})
    if unknown:
        raise ValueError(f"unknown resource kind(s) {', '.join(unknown)}; use route names "
                         f"such as marks or students, or today/past")
    bad = sorted(k for k, v in overrides.items() if not 0 <= v <= MAX_TTL)
    if bad:
        raise ValueError(f"TTLs must be 0 to 604800 seconds: {', '.join(bad)}")
    return {k: float(v) for k, v in overrides.items()}


# --- the cache seal's secrets (GO4GRAPH_CACHE_SECRET) -----------------------------------------

MIN_SECRET = 32


def parse_secrets(value: str) -> list[str]:
    """``GO4GRAPH_CACHE_SECRET``: one secret, or comma-separated ones (the first seals).

    Messages never show a secret."""
    secrets = [s.strip() for s in value.split(",") if s.strip()]
    if not secrets:
        raise ValueError("empty")
    for i, s in enumerate(secrets):
        if len(s) < MIN_SECRET:
            raise ValueError(f"secret {i + 1} is shorter than {MIN_SECRET} characters "
                             f"(make one with 'openssl rand -base64 32')")
    return secrets


# --- rate limits (GO4GRAPH_RATE_LIMIT) ----------------------------------------------------------

def check_rate_spec(spec: str) -> str:
    """A limit such as '600/minute'; ValueError when ``limits`` cannot read it."""
    parse_rate(spec)
    return spec


# --- trusted documents (GO4GRAPH_TRUSTED_DOCUMENTS) --------------------------------------------

def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def load_manifest(path: Path) -> dict[str, str]:
    """Documents by sha256, from a JSON manifest or a folder of .graphql files (hashes checked)."""
    if path.is_dir():
        return {sha256(p.read_text()): p.read_text() for p in sorted(path.glob("*.graphql"))}
    data = orjson.loads(path.read_bytes())
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError("a trusted-documents manifest is a JSON object of sha256 -> document")
    documents = {}
    for digest, text in data.items():
        key = str(digest).removeprefix("sha256:").lower()
        if sha256(text) != key:
            raise ValueError(f"manifest entry {key[:12]}… does not match its document's sha256")
        documents[key] = text
    return documents
