"""What the tests compare the gateway with: the simulator's own JSON, fetched directly.

``upstream`` GETs a route (by its name in the routes table) from the simulator over
``httpx.ASGITransport``, walking ``cursor``/``has_more``, so a test can build its
expected values without going through the gateway. The rest are the small checks
and conversions the graph tests share: the current year, the past open days, an
error-free answer's data, the unplanned-load metric and the upstream-call floor.

Call ``sim.reset()`` after fetching and before the gateway query whose calls you count.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from gateway import metrics
from gateway.simulator import DEMO_KEY
from gateway.upstream.routes import ROUTES

PREFIX = "/customer/v1"
LONDON = ZoneInfo("Europe/London")


async def upstream(sim: Any, route: str, *, key: str = DEMO_KEY, **params: Any) -> tuple[Any, int]:
    """The simulator's JSON for a route (every page walked) and the number of pages it took.

    A paged route gives the list of all its pages' items; any other route its JSON as served.
    ``params`` are the route's path parameters by their template names (``academicYear=2027``).
    """
    r = ROUTES[route]
    path = PREFIX + r.path(**params)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app), base_url="http://sim") as client:
        if not r.paged:
            resp = await client.get(path, headers=headers)
            resp.raise_for_status()
            return resp.json(), 1
        items: list[Any] = []
        pages, cursor = 0, None
        while True:
            resp = await client.get(path, headers=headers, params={} if cursor is None else {"cursor": cursor})
            resp.raise_for_status()
            pages += 1
            body = resp.json()
            items.extend(body.get(r.items_key) or [])
            if not body.get("has_more"):
                return items, pages
            cursor = body["cursor"]


async def current_year(sim: Any, key: str = DEMO_KEY) -> int:
    """The school's current academic year, as GET Schools says."""
    school, _ = await upstream(sim, "school", key=key)
    return int(school["current_academic_year"])


async def open_days(sim: Any, year: int) -> list[dt.date]:
    """The calendar's Open days up to yesterday (London), when marks have been taken."""
    calendar, _ = await upstream(sim, "calendar", academicYear=year)
    today = dt.datetime.now(LONDON).date()
    days = sorted(dt.date.fromisoformat(d["date"][:10]) for d in calendar
                  if str(d["day_type_code"]).lower() == "open")
    past = [d for d in days if d < today]
    return past or days


async def page_counts(sim: Any, year: int, routes: list[str]) -> dict[str, int]:
    """Pages each route takes to walk (what one planned load of it must cost)."""
    out = {}
    for route in routes:
        params: dict[str, Any] = {"academicYear": year} if "academicYear" in ROUTES[route].params else {}
        _, out[route] = await upstream(sim, route, **params)
    return out


def ok(data: dict[str, Any]) -> dict[str, Any]:
    """The ``data`` of a gateway answer that must have no errors."""
    assert "errors" not in data, data.get("errors")
    return data["data"]  # type: ignore[no-any-return]


def unplanned() -> float:
    """Loads a resolver awaited because its plan had not loaded them: read before and after a query."""
    return metrics.UNPLANNED._value.get()  # type: ignore[no-any-return]


def assert_floor(sim: Any, expected: dict[str, int]) -> None:
    """Each expected route walked exactly once (its pages), nothing else but GET Schools."""
    counts = Counter({k: v for k, v in sim.counts.items() if v})
    assert counts.pop("school", 0) <= 1
    assert dict(counts) == expected


def sid(value: Any) -> str | None:
    """An upstream id as the graph's ID (None stays None)."""
    return None if value is None else str(value)


def day(value: Any) -> str | None:
    """An upstream date or instant as the graph's Date (yyyy-mm-dd)."""
    return None if not value else str(value)[:10]


def instant(value: Any) -> dt.datetime | None:
    """An upstream '…Z' instant as an aware datetime (empty is None)."""
    return None if not value else dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
