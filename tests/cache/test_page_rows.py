"""A paged route's rows normalised page by page during its walk (``PageRows``) are exactly
the rows of normalising the whole walk at its end, for every cursor-paged route, on the
simulator's data cut into pages at arbitrary places; and the store uses it with the memory
cache only."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gateway.resources.cache import MemoryResourceCache
from gateway.resources.keys import key as rk
from gateway.resources.normalise import PageRows, normalise, row_wise
from gateway.resources.store import ResourceStore
from gateway.resources.table import Table
from gateway.resources.tenant import Tenant
from gateway.shared.secrets import Credential
from gateway.simulator import DEMO_KEY, Simulator
from gateway.upstream.caller import CallPolicy
from gateway.upstream.http import UpstreamConfig, Upstreams, asgi_transport
from gateway.upstream.routes import GO4SCHOOLS, ROUTES

PAGED = sorted(r.name for r in ROUTES.values() if r.paged and r.source == GO4SCHOOLS)


def _upstreams(sim: Simulator) -> Upstreams:
    return Upstreams(UpstreamConfig(go4schools_url="http://sim/customer/v1",
                                    policy=CallPolicy(retries=0)), asgi_transport(sim.app))


async def _params(ups: Upstreams, name: str, year: int, today: str) -> dict[str, Any]:
    key = Credential(DEMO_KEY)
    params: dict[str, Any] = {"academicYear": year}
    if "yearGroup" in ROUTES[name].params:
        params["yearGroup"] = "9"
    if "date" in ROUTES[name].params:
        days = (await ups.go4schools.fetch("calendar", key, {"academicYear": year})).data
        params["date"] = [d["date"][:10] for d in days
                          if d["day_type_code"] == "Open" and d["date"][:10] < today][-1]
    if "reportId" in ROUTES[name].params:
        reports = (await ups.go4schools.fetch("reports", key, {"academicYear": year})).data
        params["reportId"] = next(r["id"] for r in reports if r["enable_comments"] and r["prepared_at"])
    return params


@pytest.mark.parametrize("name", PAGED)
async def test_rows_page_by_page_are_the_rows_of_the_whole_walk(fresh_sim: Simulator,
                                                                 name: str) -> None:
    assert row_wise(name), f"{name}: a paged route should be normalised row by row"
    ups = _upstreams(fresh_sim)
    try:
        year = (await ups.go4schools.fetch("school", Credential(DEMO_KEY))).data["current_academic_year"]
        raw = (await ups.go4schools.fetch(name, Credential(DEMO_KEY),
                                          await _params(ups, name, year,
                                                        fresh_sim.today().isoformat()))).data
    finally:
        await ups.aclose()
    assert raw, f"{name}: the simulator should have rows for it"
    whole = normalise(name, copy.deepcopy(raw)).rows
    for size in (1, 7, len(raw)):
        rows = PageRows(name)
        pages = copy.deepcopy(raw)
        for start in range(0, len(pages), size):
            rows.add(pages[start:start + size])
        assert rows.table().rows == whole


def test_routes_with_more_than_rows_are_not_cut_into_pages() -> None:
    for name in ("school", "markbooks", "attendance-codes", "report-grades", "timetables"):
        assert not row_wise(name)
        with pytest.raises(ValueError):
            PageRows(name)


async def test_the_store_normalises_during_the_walk_with_the_memory_cache_only(
        fresh_sim: Simulator) -> None:
    ups = _upstreams(fresh_sim)
    tenant = Tenant(Credential(DEMO_KEY))

    class DataCache(MemoryResourceCache):
        keeps_tables = False  # as a cache that keeps the upstream's data (Redis)

    try:
        year = (await ups.go4schools.fetch("school", Credential(DEMO_KEY))).data["current_academic_year"]
        key = rk("education-details", year)
        by_pages = ResourceStore(ups.go4schools, MemoryResourceCache())
        whole = ResourceStore(ups.go4schools, DataCache())
        assert by_pages._pager(key) is not None and whole._pager(key) is None
        assert by_pages._pager(rk("students", year)) is None  # not paged
        a, b = await by_pages.load(tenant, key), await whole.load(tenant, key)
    finally:
        await ups.aclose()
    assert a.pages == b.pages > 1
    assert a.table.rows == b.table.rows


def test_indexes_used_on_a_routes_table_are_built_page_by_page_next_time() -> None:
    rows = [{"id": i, "student_id": i % 7 or None, "tags": [i % 3, 9]} for i in range(50)]
    used: set[tuple[str, str]] = set()
    first = PageRows("education-details", used)
    first.add(copy.deepcopy(rows))
    table = first.table()
    expected_group = table.group("student_id")
    expected_tags = table.group("tags")
    expected_unique = table.unique("student_id")
    assert used == {("g", "student_id"), ("g", "tags"), ("u", "student_id")}

    again = PageRows("education-details", used)
    for start in range(0, len(rows), 9):
        again.add(copy.deepcopy(rows[start:start + 9]))
    built = again.table()
    assert set(built._indexes) == used  # ready before anything asks for them
    assert built.group("student_id") == expected_group
    assert list(built.group("student_id")) == list(expected_group)  # the same order too
    assert built.group("tags") == expected_tags
    assert built.unique("student_id") == expected_unique
    # Each preset index is the one a fresh build over the table's own rows gives.
    fresh = Table(built.rows)
    assert fresh.group("student_id") == built.group("student_id")
    assert all(a is b for a, b in zip(fresh.unique("student_id").values(),
                                      built.unique("student_id").values(), strict=True))
