"""TTLs per resource kind: sensible defaults, per-day resources by age, and GO4GRAPH_CACHE_TTLS."""

from __future__ import annotations

import datetime as dt

import pytest

from gateway.resources.keys import ResourceKey
from gateway.resources.ttl import DEFAULT_TTLS, PAST_TTL, TODAY_TTL, ttl_for
from gateway.settings import SettingsError, load_settings
from gateway.upstream.routes import ROUTES

TODAY = dt.date(2026, 11, 23)


def ttl(route: str, arg: str | None = None, overrides: dict[str, float] | None = None) -> float:
    return ttl_for(ResourceKey(route, 2027, arg), overrides, now=TODAY)


def test_every_readable_route_has_a_default() -> None:
    readable = {n for n, r in ROUTES.items() if r.method == "GET"}
    assert readable == set(DEFAULT_TTLS)


def test_defaults_are_ordered_by_how_often_data_changes() -> None:
    reference = ttl("attendance-codes")
    roster = ttl("students")
    marks = ttl("marks")
    today = ttl("session-marks", TODAY.isoformat())
    assert reference >= 3600
    assert 600 <= roster < reference and 600 <= ttl("groups") < reference
    assert marks <= 60 and ttl("behaviour-events", "2026-11-20") <= 60
    assert today < marks and today == TODAY_TTL


def test_per_day_resources_by_age() -> None:
    assert ttl("session-marks", "2026-11-24") == TODAY_TTL  # the future counts as today
    assert ttl("lesson-marks", "2026-11-16") == DEFAULT_TTLS["lesson-marks"]  # recent: edited
    assert ttl("behaviour-events", "2026-09-01") == PAST_TTL  # long past: kept longer
    assert ttl("session-marks", "not-a-date") == DEFAULT_TTLS["session-marks"]


def test_overrides() -> None:
    assert ttl("marks", overrides={"marks": 5}) == 5
    assert ttl("session-marks", TODAY.isoformat(), {"today": 2}) == 2
    assert ttl("session-marks", "2026-09-01", {"past": 7200}) == 7200
    assert ttl("session-marks", "2026-09-01", {"session-marks": 0}) == 0  # 0: never cached
    assert ttl("students", overrides={"marks": 5}) == DEFAULT_TTLS["students"]


def test_settings_read_ttls_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GO4GRAPH_CACHE_TTLS", '{"marks": 30, "today": 5}')
    assert load_settings().cache_ttls == {"marks": 30.0, "today": 5.0}


@pytest.mark.parametrize(("value", "words"), [
    ('{"mark": 30}', "unknown resource kind(s) mark"),
    ('{"marks": -1}', "0 to 604800"),
    ("marks=30", "not valid JSON"),
])
def test_bad_ttls_are_one_line_naming_the_variable(monkeypatch: pytest.MonkeyPatch, value: str,
                                                   words: str) -> None:
    monkeypatch.setenv("GO4GRAPH_CACHE_TTLS", value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    message = str(err.value)
    assert "GO4GRAPH_CACHE_TTLS" in message and words in message and "\n" not in message
