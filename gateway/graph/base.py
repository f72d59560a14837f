"""Helpers every graph domain uses: upstream values as ids, numbers, text, dates and instants."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry

from gateway.graph.errors import bad_input
from gateway.resources.keys import ResourceKey, key


def rk(route: str, year: int | None = None, arg: object = None) -> ResourceKey:
    return key(route, year, arg)


def to_id(value: Any) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


def to_int(value: Any) -> int | None:
    """An upstream integer (or numeric string); None when absent, boolean or unreadable."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def to_text(value: Any) -> str | None:
    """An upstream value as text; None stays None."""
    return None if value is None else str(value)


def parse_id(value: Any, what: str = "id") -> int:
    """An ``ID`` argument as the upstream integer; a clear BAD_USER_INPUT otherwise."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise bad_input(f"{what} must be a whole number, not {str(value)[:40]!r}") from None


def to_date(value: Any) -> dt.date | None:
    """'2005-01-31T00:00:00Z' or '2005-01-31' -> date (None when absent or unreadable)."""
    if not value or not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def to_datetime(value: Any) -> dt.datetime | None:
    """An upstream UTC instant ('…Z') as an aware datetime."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed
