"""How long each kind of resource may be served from the cross-request cache (seconds)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from gateway import clock
from gateway.resources.keys import ResourceKey
from gateway.setting_values import (
    DEFAULT_TTLS,
    MINUTE,
    PAST,
    PAST_TTL,
    PER_DAY,
    RECENT_DAYS,
    TODAY,
    TODAY_TTL,
)

__all__ = ["DEFAULT_TTLS", "PAST_TTL", "TODAY_TTL", "today", "ttl_for"]

LONDON = ZoneInfo("Europe/London")
#: How long a conditional route's copy is kept past its freshness, to be revalidated.
STALE_KEPT = 24 * 3600.0

def today() -> dt.date:
    """Today in Europe/London (school days are London days, not UTC days), by ``gateway.clock``."""
    return dt.datetime.fromtimestamp(clock.now(), LONDON).date()


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
