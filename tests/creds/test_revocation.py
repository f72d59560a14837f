"""A revoked key stops reading cached data within GO4GRAPH_CREDENTIAL_RECHECK, on every replica.

Two gateway processes (own local caches, own response caches) share one real Redis. The
simulator revokes the key; the test moves the shared clock instead of waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gateway import metrics
from gateway.simulator import DEMO_KEY, SECOND_KEY
from tests.cache.redis_server import RedisServer
from tests.conftest import Gateway
from tests.creds.conftest import SECRET_A, Clock, bearer

pytestmark = pytest.mark.redis

QUERY = "{ school { code } academicYear { students { id upn dateOfBirth } } }"
INTERVAL = 60.0


def codes(data: dict[str, Any]) -> set[str]:
    return {e["extensions"]["code"] for e in data.get("errors", [])}


def checks(outcome: str, mode: str = "passthrough") -> float:
    return metrics.REGISTRY.get_sample_value(
        "go4graph_credential_checks_total", {"mode": mode, "outcome": outcome}) or 0.0



def no_data(answer: dict[str, Any]) -> bool:
    """Nothing read: ``data`` null, or (errors stay on their field) every root field null."""
    data = answer.get("data")
    return data is None or all(value is None for value in data.values())

@pytest.fixture
def replicas(make_replica: Callable[..., Gateway], shared_redis: RedisServer) -> list[Gateway]:
    return [make_replica(cache_url=shared_redis.url, cache_secret=SECRET_A,
                         credential_recheck=INTERVAL) for _ in range(2)]


async def test_a_revoked_key_stops_reading_within_the_interval_on_both_replicas(
        replicas: list[Gateway], clock: Clock) -> None:
    one, two = replicas
    sim = one.sim
    try:
        first = await one.gql(QUERY, headers=bearer(DEMO_KEY))
        assert "errors" not in first, first
        assert len(first["data"]["academicYear"]["students"]) == 240
        sim.reset()
        # The other replica reads the shared cache: no upstream call, the confirmation is shared.
        assert await two.gql(QUERY, headers=bearer(DEMO_KEY)) == first
        assert sim.requests == []

        sim.revoke(DEMO_KEY)
        clock.advance(INTERVAL - 1)  # still inside the interval: cached reads go on (the bound)
        assert await one.gql(QUERY, headers=bearer(DEMO_KEY)) == first
        assert await two.gql(QUERY, headers=bearer(DEMO_KEY)) == first
        assert sim.requests == []

        clock.advance(1)  # the interval is up: the next cached read re-confirms, and is refused
        before = checks("refused")
        data = await two.gql(QUERY, headers=bearer(DEMO_KEY))
        assert codes(data) == {"UNAUTHENTICATED"}, data
        assert no_data(data)
        assert checks("refused") == before + 1
        assert [r.route for r in sim.requests][0] == "school"  # the one cheap check call
        assert all(r.status == 401 for r in sim.requests)
        # The first replica, whose local copy and kept answer were confirmed an
        # interval ago, refuses too, without serving either.
        data = await one.gql(QUERY, headers=bearer(DEMO_KEY))
        assert codes(data) == {"UNAUTHENTICATED"}, data
        assert no_data(data)
        assert "upn" not in str(data)
    finally:
        sim.revoke(DEMO_KEY, False)


async def test_one_check_per_key_per_interval_shared_by_replicas(
        replicas: list[Gateway], clock: Clock) -> None:
    one, two = replicas
    sim = one.sim
    warm = await one.gql(QUERY, headers=bearer(DEMO_KEY))
    assert "errors" not in warm
    assert "errors" not in await one.gql(QUERY, headers=bearer(SECOND_KEY))
    accepted = checks("accepted")
    for _ in range(3):
        clock.advance(INTERVAL + 1)
        sim.reset()
        for gw in (one, two, one, two):
            assert await gw.gql(QUERY, headers=bearer(DEMO_KEY)) == warm
            assert "errors" not in await gw.gql(QUERY, headers=bearer(SECOND_KEY))
        # One GET Schools per key per interval, whichever replica asked first; nothing else.
        assert sorted((r.route, r.school) for r in sim.requests) == [
            ("school", "DEMO"), ("school", "DEMO2")]
    assert checks("accepted") == accepted + 6


async def test_the_redis_record_names_no_key(replicas: list[Gateway], clock: Clock,
                                             shared_redis: RedisServer) -> None:
    one, _ = replicas
    await one.gql(QUERY, headers=bearer(DEMO_KEY))
    stored = shared_redis.dump()
    creds = [k for k in stored if k.startswith(b"go4graph:v1:cred:")]
    assert len(creds) == 1
    for k in stored:
        assert DEMO_KEY.encode() not in k
    # Sealed: the confirmation time cannot be forged to keep a revoked key reading.
    raw = shared_redis.client().get(creds[0])
    assert raw[:1] == b"\x01" and len(raw) > 30


async def test_a_failed_check_revokes_nothing(replicas: list[Gateway], clock: Clock) -> None:
    one, _ = replicas
    sim = one.sim
    warm = await one.gql(QUERY, headers=bearer(DEMO_KEY))
    clock.advance(INTERVAL + 1)
    sim.inject(503, times=10, route="school")  # the upstream cannot say: cached data still served
    failed = checks("failed")
    try:
        assert await one.gql(QUERY, headers=bearer(DEMO_KEY)) == warm
    finally:
        sim.reset()
    assert checks("failed") == failed + 1
    assert await one.gql(QUERY, headers=bearer(DEMO_KEY)) == warm
    assert sim.requests == []  # and it is not retried before the next interval


async def test_a_revoked_school_key_is_reported_on_readyz_and_in_metrics(
        make_replica: Callable[..., Gateway], shared_redis: RedisServer, clock: Clock,
        tmp_path: Any) -> None:
    from tests.tenancy.conftest import write_schools

    tokens = write_schools(tmp_path / "schools.json", {"a": ["DEMO"], "b": ["DEMO2"]})
    gw = make_replica(schools_file=tmp_path / "schools.json", cache_url=shared_redis.url,
                      cache_secret=SECRET_A, credential_recheck=INTERVAL)
    sim = gw.sim
    ask = "query($c: String) { school(code: $c) { academicYear { students { id } } } }"

    def gauge() -> float:
        return metrics.REGISTRY.get_sample_value("go4graph_revoked_school_keys") or 0.0

    ready = (await gw.client.get("/readyz")).json()
    assert ready["revokedSchoolKeys"] == []
    warm = await gw.gql(ask, {"c": "DEMO"}, headers=bearer(tokens["a"]))
    assert "errors" not in warm
    try:
        sim.revoke(DEMO_KEY)
        clock.advance(INTERVAL)
        response = await gw.client.get("/readyz")
        # Reported, and the replica stays ready: the trust's other schools are still served.
        assert response.status_code == 200
        assert response.json()["revokedSchoolKeys"] == ["DEMO"]
        assert gauge() == 1
        assert DEMO_KEY not in response.text
        data = await gw.gql(ask, {"c": "DEMO"}, headers=bearer(tokens["a"]))
        assert codes(data) == {"UNAUTHENTICATED"}
        other = await gw.gql(ask, {"c": "DEMO2"}, headers=bearer(tokens["b"]))
        assert "errors" not in other
    finally:
        sim.revoke(DEMO_KEY, False)
    clock.advance(INTERVAL)
    assert (await gw.client.get("/readyz")).json()["revokedSchoolKeys"] == []
    assert gauge() == 0
    assert "errors" not in await gw.gql(ask, {"c": "DEMO"}, headers=bearer(tokens["a"]))


async def test_readyz_checks_a_refused_school_key_once_per_interval(
        make_replica: Callable[..., Gateway], clock: Clock, tmp_path: Any) -> None:
    from tests.tenancy.conftest import write_schools

    write_schools(tmp_path / "schools.json", {"a": ["DEMO"]})
    gw = make_replica(schools_file=tmp_path / "schools.json", credential_recheck=INTERVAL)
    sim = gw.sim
    try:
        sim.revoke(DEMO_KEY)
        sim.reset()
        for _ in range(3):  # probes every few seconds: one check for the interval
            assert (await gw.client.get("/readyz")).json()["revokedSchoolKeys"] == ["DEMO"]
        clock.advance(INTERVAL)
        assert (await gw.client.get("/readyz")).json()["revokedSchoolKeys"] == ["DEMO"]
        assert [(r.route, r.school) for r in sim.requests if r.school == "DEMO"] == [
            ("school", "DEMO")] * 2
    finally:
        sim.revoke(DEMO_KEY, False)


async def test_a_revoked_server_key_is_reported_and_refused(
        make_replica: Callable[..., Gateway], clock: Clock) -> None:
    gw = make_replica(api_key=DEMO_KEY, allow_anonymous=True, credential_recheck=INTERVAL)
    sim = gw.sim
    warm = await gw.gql(QUERY)
    assert "errors" not in warm
    try:
        sim.revoke(DEMO_KEY)
        assert await gw.gql(QUERY) == warm  # inside the interval
        clock.advance(INTERVAL)
        assert (await gw.client.get("/readyz")).json()["revokedSchoolKeys"] == ["(server key)"]
        data = await gw.gql(QUERY)
        assert codes(data) == {"UNAUTHENTICATED"} and no_data(data)
        assert checks("refused", "server-key") >= 1
    finally:
        sim.revoke(DEMO_KEY, False)


async def test_a_request_without_budget_for_the_check_gets_no_cached_data(clock: Clock) -> None:
    """The check is an upstream call of the request: with no calls left it cannot be made, and
    the key must not count as confirmed (a revoked key could otherwise spend its budget on
    401s and then read the cache)."""
    from gateway.resources.cache import MemoryResourceCache
    from gateway.resources.freshness import CredentialChecker
    from gateway.resources.tenant import Tenant
    from gateway.shared.secrets import Credential
    from gateway.upstream.budget import RequestBudget, bound, current

    class BudgetedClient:  # charges the request's budget as the upstream caller does
        calls = 0

        async def fetch(self, route: str, credential: Any, params: Any = None) -> None:
            budget = current()
            if budget is not None:
                budget.charge(route)
            self.calls += 1

    client = BudgetedClient()
    checker = CredentialChecker(client, MemoryResourceCache(), interval=INTERVAL,  # type: ignore[arg-type]
                                clock=clock)
    tenant = Tenant(Credential(DEMO_KEY), caller="passthrough:x")
    with bound(RequestBudget(max_calls=0)):
        assert await checker.confirm(tenant) is False
    assert client.calls == 0 and not checker.fresh(tenant)
    assert checks("skipped") >= 1
    with bound(RequestBudget(max_calls=1)):
        assert await checker.confirm(tenant) is True
    assert client.calls == 1 and checker.fresh(tenant)
