"""Credential modes besides trust: passthrough (the client's school key goes upstream),
a server-held key, and the demo default."""

from __future__ import annotations

from collections.abc import Callable

from gateway.simulator import DEMO_KEY, SECOND_KEY
from tests.conftest import Gateway
from tests.tenancy.conftest import bearer

QUERY = "{ school { code } academicYear { students { id } } }"


async def test_passthrough_sends_the_clients_key_upstream(
        make_upstream_gateway: Callable[..., Gateway], cache_url: str) -> None:
    gw = make_upstream_gateway(cache_url=cache_url)
    assert gw.services.tenancy.mode == "passthrough"
    gw.sim.reset()
    missing = await gw.gql(QUERY)
    assert missing["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert gw.sim.requests == []
    a = await gw.gql(QUERY, headers=bearer(DEMO_KEY))
    b = await gw.gql(QUERY, headers=bearer(SECOND_KEY))
    assert a["data"]["school"]["code"] == "DEMO" and len(a["data"]["academicYear"]["students"]) == 240
    assert b["data"]["school"]["code"] == "DEMO2" and len(b["data"]["academicYear"]["students"]) == 60
    gw.sim.reset()
    bad = await gw.gql(QUERY, headers=bearer("not-a-school-key"))
    assert bad["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert all(not r.key_ok for r in gw.sim.requests)


async def test_a_server_held_key_serves_its_school(
        make_upstream_gateway: Callable[..., Gateway]) -> None:
    gw = make_upstream_gateway(api_key=SECOND_KEY, allow_anonymous=True)
    assert gw.services.tenancy.mode == "server-key"
    data = await gw.gql(QUERY)
    assert data["data"]["school"]["code"] == "DEMO2"
    assert len(data["data"]["academicYear"]["students"]) == 60


async def test_demo_mode_needs_no_key_and_passes_a_clients_key_through(
        make_gateway: Callable[..., Gateway]) -> None:
    gw = make_gateway()
    assert gw.services.tenancy.mode == "demo"
    assert (await gw.gql(QUERY))["data"]["school"]["code"] == "DEMO"
    assert (await gw.gql(QUERY, headers=bearer(SECOND_KEY)))["data"]["school"]["code"] == "DEMO2"
