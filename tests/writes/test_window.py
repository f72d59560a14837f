"""The write window (issue 13): today and GO4GRAPH_WRITE_WINDOW_DAYS school days back, today's year only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.writes.support import ONE, TODAY, Facts, facts, records, row, writer

__all__ = ["facts", "writer"]


@pytest.mark.parametrize("which, words", [
    ("future", "in the future"),
    ("before", "before the write window"),
    ("previous-year", "not today's"),
])
async def test_dates_outside_the_window_are_refused(writer: Any, facts: Facts, which: str, words: str) -> None:
    gw = writer(write_window_days=5)  # today is open day TODAY: the window is open days TODAY-5..TODAY
    day = {"future": facts.open_days[TODAY + 1],
           "before": facts.open_days[TODAY - 6],
           "previous-year": f"{facts.year - 1}-03-10"}[which]
    data = await gw.gql(ONE, {"input": row(facts, date=day)})
    [error] = data["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert words in error["message"]
    window = f"from {facts.open_days[TODAY - 5]} to {facts.open_days[TODAY]}"
    assert window in error["message"], error["message"]  # the window is in the message
    assert error["extensions"]["window"] == {"from": facts.open_days[TODAY - 5], "to": facts.open_days[TODAY]}
    assert gw.sim.counts["record-session-mark"] == 0
    assert records(gw)[-1]["outcome"] == "refused"


async def test_today_and_the_first_day_of_the_window_are_writable(writer: Any, facts: Facts) -> None:
    gw = writer(write_window_days=5)
    for day in (facts.open_days[TODAY], facts.open_days[TODAY - 5]):
        data = await gw.gql(ONE, {"input": row(facts, date=day)})
        assert "errors" not in data, data
    assert gw.sim.counts["record-session-mark"] == 2


async def test_a_window_of_zero_is_today_only_and_far_future_is_refused(writer: Any, facts: Facts) -> None:
    gw = writer(write_window_days=0)
    yesterday = await gw.gql(ONE, {"input": row(facts, date=facts.open_days[TODAY - 1])})
    assert "before the write window" in yesterday["errors"][0]["message"]
    far = (facts.today + dt.timedelta(days=210)).isoformat()  # seven months ahead
    future = await gw.gql(ONE, {"input": row(facts, date=far)})
    assert "in the future" in future["errors"][0]["message"]
    assert gw.sim.counts["record-session-mark"] == 0


def test_the_default_window_is_five_school_days() -> None:
    from gateway.settings import load_settings

    assert load_settings().write_window_days == 5
