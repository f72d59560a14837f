"""The shared reads of ``(from, to)`` fields over a per-date route (graph/dates.py), against the
simulator: the range is checked before any upstream call; the keys are the calendar and the
route's key for each open day, at once when the calendar is loaded, else after loading it;
``open_days_of`` gives the relation's function the same open days.
"""

from __future__ import annotations

import datetime as dt
import inspect
from typing import Any

import pytest

from gateway.categories import Category
from gateway.graph import dates, keys, scopes
from gateway.graph.context import Context
from gateway.graph.errors import GatewayError
from gateway.graph.plan import Scope
from tests.simdata import current_year, upstream


def scope_of(gateway: Any, year: int) -> Scope:
    """A plan scope for the demo school, as a request would make it."""
    services = gateway.services
    resolved = services.tenancy.resolve({})
    ctx = Context(settings=services.settings, services=services, store=services.store,
                  request_id="test-dates", tenants=resolved.tenants)
    return Scope(ctx, ctx.resources_for(resolved.tenants[None]), year)


async def calendar_open_days(sim: Any, year: int) -> list[dt.date]:
    calendar, _ = await upstream(sim, "calendar", academicYear=year)
    return sorted(dt.date.fromisoformat(d["date"][:10]) for d in calendar
                  if str(d["day_type_code"]).lower() == "open")


async def test_open_day_reads_name_the_calendar_and_each_open_day(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    opened = await calendar_open_days(sim, year)
    start, end = opened[10] - dt.timedelta(days=3), opened[10] + dt.timedelta(days=20)
    wanted = [d for d in opened if start <= d <= end]
    assert 5 < len(wanted) < 24  # the range holds closed days (weekends) too
    scope = scope_of(gateway, year)
    reads = dates.open_day_reads(keys.SESSION_MARKS)
    assert reads.static
    sim.reset()
    found = reads.keys(scope, [], {"from_": start, "to": end})
    assert inspect.isawaitable(found)  # the calendar is not loaded yet: it is loaded first
    expected = [keys.CALENDAR(year), *(keys.SESSION_MARKS(year, d) for d in wanted)]
    assert await found == expected
    assert sim.counts.get("calendar") and not sim.counts.get("session-marks")
    # Loaded: the same keys at once.
    assert reads.keys(scope, [], {"from_": start, "to": end}) == expected
    assert dates.open_days_of(scope, year, start, end) == wanted
    assert dates.open_days_of(scope.resources, year, start, end, max_days=30) == wanted
    # 'to' defaults to 'from'; other parameter names can be given.
    one = dates.open_day_reads(keys.LESSON_MARKS, from_arg="day", to_arg="until")
    assert one.keys(scope, [], {"day": wanted[0]}) == [keys.CALENDAR(year), keys.LESSON_MARKS(year, wanted[0])]
    assert dates.open_days_of(scope, year, wanted[0], None) == [wanted[0]]


def test_open_day_reads_name_their_routes_for_the_data_categories() -> None:
    reads = dates.open_day_reads(keys.BEHAVIOUR_EVENTS)
    assert reads.routes == ("behaviour-events", "calendar")
    assert scopes.of_reads([reads]) == {Category.BEHAVIOUR, Category.BASIC}


@pytest.mark.parametrize(("shift_from", "shift_to", "message"), [
    (5, 0, "before"),            # backwards
    (0, 400, "at most"),         # longer than the configured span
    (-400, -399, "not within"),  # outside the academic year
])
async def test_a_bad_range_fails_before_any_upstream_call(gateway: Any, shift_from: int,
                                                          shift_to: int, message: str) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    first, _ = dates.year_bounds(year)
    base = first + dt.timedelta(days=40)
    scope = scope_of(gateway, year)
    sim.reset()
    with pytest.raises(GatewayError) as failed:
        dates.open_day_reads(keys.BEHAVIOUR_EVENTS).keys(
            scope, [], {"from_": base + dt.timedelta(days=shift_from), "to": base + dt.timedelta(days=shift_to)})
    assert failed.value.code == "BAD_USER_INPUT" and message in str(failed.value)
    assert not any(sim.counts.values())
    with pytest.raises(GatewayError):
        dates.open_days_of(scope, year, base + dt.timedelta(days=shift_from), base + dt.timedelta(days=shift_to))


async def test_a_caller_outside_the_routes_category_costs_not_even_the_calendar(
        make_gateway: Any) -> None:
    gateway = make_gateway(anonymous_scopes="basic")
    sim = gateway.sim
    year = await current_year(sim)
    first, _ = dates.year_bounds(year)
    scope = scope_of(gateway, year)
    assert scope.resources.allowed == {Category.BASIC}
    sim.reset()
    with pytest.raises(GatewayError) as failed:
        dates.open_day_reads(keys.SESSION_MARKS).keys(
            scope, [], {"from_": first + dt.timedelta(days=40), "to": first + dt.timedelta(days=50)})
    assert failed.value.code == "FORBIDDEN" and "attendance" in str(failed.value)
    assert not any(sim.counts.values())
