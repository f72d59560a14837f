"""resources/writer.py: the POST and the invalidation of what it changed, below the graph."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.resources.cache import MemoryResourceCache
from gateway.resources.keys import key
from gateway.resources.memo import Resources
from gateway.resources.store import ResourceStore
from gateway.resources.table import Table
from gateway.resources.tenant import Tenant
from gateway.resources.writer import ResourceWriter
from gateway.shared.secrets import Credential
from gateway.upstream.errors import (
    UpstreamBadRequest,
    UpstreamError,
    UpstreamOutcomeUnknown,
    UpstreamServerError,
)

TENANT = Tenant(Credential("writer-test-key"), school_code="W1")
DAY, YEAR = "2026-11-24", 2027
MARKS, SUMMARY = key("session-marks", YEAR, DAY), key("attendance-summary", YEAR)
OTHER_DAY = key("session-marks", YEAR, "2026-11-23")
BODY = {"student_upn": "A123", "date": DAY, "session": "AM", "session_mark_id": 1}


class Upstream:
    def __init__(self, fail: UpstreamError | None = None) -> None:
        self.fail = fail
        self.posts: list[tuple[str, dict[str, Any], dict[str, Any]]] = []

    async def post(self, route: str, credential: Credential, params: dict[str, Any],
                   body: dict[str, Any]) -> None:
        assert credential is TENANT.credential
        self.posts.append((route, dict(params), dict(body)))
        if self.fail is not None:
            raise self.fail


async def _cached(fail: UpstreamError | None) -> tuple[ResourceStore, Resources, Upstream]:
    upstream = Upstream(fail)
    cache = MemoryResourceCache()
    store = ResourceStore(upstream, cache)  # type: ignore[arg-type]
    for k in (MARKS, SUMMARY, OTHER_DAY):
        await cache.set(TENANT, k, None, Table([{"id": 1}]), 600)
    return store, Resources(store, TENANT), upstream


async def _left(store: ResourceStore) -> set[Any]:
    return {k for k in (MARKS, SUMMARY, OTHER_DAY) if await store.cache.get(TENANT, k) is not None}


async def test_a_save_posts_once_and_drops_the_day_and_the_summary() -> None:
    store, res, upstream = await _cached(None)
    await ResourceWriter(store).record_session_mark(res, YEAR, BODY)
    assert upstream.posts == [("record-session-mark", {"academicYear": YEAR}, BODY)]
    assert await _left(store) == {OTHER_DAY}  # only what the write changed


@pytest.mark.parametrize("fail", [UpstreamOutcomeUnknown("no answer", route="record-session-mark"),
                                  UpstreamServerError("500", route="record-session-mark")])
async def test_an_unknown_outcome_invalidates_too(fail: UpstreamError) -> None:
    store, res, upstream = await _cached(fail)
    with pytest.raises(type(fail)):
        await ResourceWriter(store).record_session_mark(res, YEAR, BODY)
    assert len(upstream.posts) == 1  # never retried here
    assert await _left(store) == {OTHER_DAY}  # it may have been saved: read it back


async def test_a_refusal_changes_nothing_cached() -> None:
    store, res, upstream = await _cached(UpstreamBadRequest("bad", route="record-session-mark"))
    with pytest.raises(UpstreamBadRequest):
        await ResourceWriter(store).record_session_mark(res, YEAR, BODY)
    assert await _left(store) == {MARKS, SUMMARY, OTHER_DAY}
