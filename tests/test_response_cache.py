"""The response cache: a repeated read is answered without execution, and never once stale.

An answer is kept with the tables it was built from; it is served again only while each
of them is still the table the resource cache holds. A write, an invalidation, a
``Cache-Control: no-cache`` request, other variables or another school's key each get
a fresh execution; answers with errors and mutations are never kept.
"""

from __future__ import annotations

from collections.abc import Callable

from gateway.graph.base import rk
from gateway.simulator import DEMO_KEY, SECOND_KEY
from tests.conftest import Gateway
from tests.simdata import current_year

ROSTER = "query Roster { academicYear { year students { id yearGroup groups { code } } } }"
ONE = "query One($id: ID!) { academicYear { student(id: $id) { id legalLastName yearGroup } } }"
BEHAVIOUR = ("query B($d: Date!) { academicYear { behaviourEventTypes { name } "
             "behaviourEvents(from: $d) { id } } }")


def kept(gw: Gateway) -> object:
    return gw.services.extras["response_cache"]


def calls(gw: Gateway) -> int:
    return sum(gw.sim.counts.values())


async def test_a_repeat_is_answered_from_the_kept_answer(gateway: Gateway) -> None:
    cache = kept(gateway)
    first = await gateway.gql(ROSTER)
    assert "errors" not in first and len(first["data"]["academicYear"]["students"]) > 100
    gateway.sim.reset()
    hits = cache.hits  # type: ignore[attr-defined]
    again = await gateway.gql(ROSTER)
    assert again == first
    assert cache.hits == hits + 1  # type: ignore[attr-defined]
    assert calls(gateway) == 0


async def test_a_changed_resource_is_never_served_stale(gateway: Gateway) -> None:
    cache = kept(gateway)
    year = await current_year(gateway.sim)
    await gateway.gql(ROSTER)
    # The students resource is dropped from the shared cache (as a write or a TTL would):
    # the next identical request executes again and walks it again.
    tenant = next(iter(gateway.services.tenancy.resolve({"authorization": f"Bearer {DEMO_KEY}"})
                       .tenants.values()))
    await gateway.services.store.invalidate(tenant, rk("students", year))
    gateway.sim.reset()
    hits = cache.hits  # type: ignore[attr-defined]
    await gateway.gql(ROSTER, headers={"authorization": f"Bearer {DEMO_KEY}"})
    assert cache.hits == hits  # type: ignore[attr-defined]
    assert gateway.sim.counts["students"] == 1


async def test_variables_no_cache_and_schools_are_kept_apart(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway()
    cache = kept(gateway)
    roster = await gateway.gql(ROSTER)
    ids = [s["id"] for s in roster["data"]["academicYear"]["students"][:2]]
    a = await gateway.gql(ONE, {"id": ids[0]})
    b = await gateway.gql(ONE, {"id": ids[1]})
    assert a["data"]["academicYear"]["student"]["id"] == ids[0]
    assert b["data"]["academicYear"]["student"]["id"] == ids[1]
    hits = cache.hits  # type: ignore[attr-defined]
    gateway.sim.reset()
    fresh = await gateway.gql(ROSTER, headers={"Cache-Control": "no-cache"})
    assert fresh == roster and gateway.sim.counts["students"] == 1
    assert cache.hits == hits  # type: ignore[attr-defined]
    other = await gateway.gql(ROSTER, headers={"authorization": f"Bearer {SECOND_KEY}"})
    assert "errors" not in other
    assert other != roster  # the second school's own students, not the first school's answer
    assert cache.hits == hits  # type: ignore[attr-defined]


async def test_answers_with_errors_are_not_kept(gateway: Gateway) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    day = f"{year - 1}-11-03"
    sim.disable_module(DEMO_KEY, "Behaviour")
    try:
        refused = await gateway.gql(BEHAVIOUR, {"d": day})
    finally:
        sim.enable_module(DEMO_KEY, "Behaviour")
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    answered = await gateway.gql(BEHAVIOUR, {"d": day})
    assert "errors" not in answered, answered["errors"]
    assert answered["data"]["academicYear"]["behaviourEventTypes"]


async def test_an_answer_with_a_field_error_is_executed_each_time(gateway: Gateway) -> None:
    cache = kept(gateway)
    size, hits = len(cache), cache.hits  # type: ignore[arg-type, attr-defined]
    first = await gateway.gql(ONE, {"id": "not-a-number"})
    second = await gateway.gql(ONE, {"id": "not-a-number"})
    assert first["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert second == first
    assert len(cache) == size and cache.hits == hits  # type: ignore[arg-type, attr-defined]


async def test_an_answer_dropped_or_replaced_while_it_is_checked_is_not_served() -> None:
    """The check of a kept answer's sources awaits the resource cache; another request may
    drop the answer (a source changed) or keep a newer one meanwhile. A controlled fake
    cache holds the check until the test has replaced the answer."""
    import asyncio
    import weakref
    from types import SimpleNamespace

    from gateway.http.response_cache import ResponseCache, _Kept
    from gateway.resources.table import Table
    from gateway.resources.tenant import Tenant
    from gateway.shared.secrets import Credential

    tenant = Tenant(Credential("response-race-key"), school_code="R")
    table = Table([{"id": 1}])
    checking, release = asyncio.Event(), asyncio.Event()

    async def get(t: Tenant, key: object) -> Table:
        checking.set()
        await asyncio.wait_for(release.wait(), 10)
        return table  # the source is unchanged as far as this check saw

    responses = ResponseCache(SimpleNamespace(get=get))  # type: ignore[arg-type]
    key = ((("R", tenant.id),), "{ x }", "", b"")
    responses._kept[key] = _Kept(b"old", ((tenant, rk("students", 2027), weakref.ref(table)),))
    check = asyncio.ensure_future(responses.get(key))
    await asyncio.wait_for(checking.wait(), 10)
    newer = _Kept(b"newer", ())
    responses._drop(key)
    responses._kept[key] = newer  # another request kept a newer answer meanwhile
    release.set()
    assert await asyncio.wait_for(check, 10) is None
    assert responses._kept[key] is newer  # and this check did not drop it
