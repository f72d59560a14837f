"""Rate limits on verified identity: random keys share their address's bucket; Redis shares it."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest

from gateway.http.ratelimit import client_address
from gateway.simulator import SECOND_KEY
from tests.admission.conftest import upstream_calls
from tests.cache.redis_server import RedisServer
from tests.conftest import Gateway

QUERY = {"query": "{ school { name } }"}


async def test_random_bearer_keys_cannot_bypass_the_limit(make_admission_gateway: Callable[..., Gateway]) -> None:
    gw = make_admission_gateway(rate_limit="5/minute")
    statuses = []
    for _ in range(50):
        r = await gw.client.post("/graphql", json=QUERY,
                                 headers={"authorization": f"Bearer {secrets.token_hex(16)}"})
        statuses.append(r.status_code)
        if r.status_code == 429:
            assert r.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert statuses.count(429) == 45
    assert upstream_calls(gw.sim) <= 5  # only the admitted five reached the upstream (and failed)


async def test_an_accepted_key_is_counted_by_itself(make_admission_gateway: Callable[..., Gateway]) -> None:
    gw = make_admission_gateway(rate_limit="2/minute")
    key = {"authorization": f"Bearer {SECOND_KEY}"}
    assert "errors" not in (await gw.client.post("/graphql", json=QUERY, headers=key)).json()
    # The address's allowance is spent by strangers ...
    await gw.client.post("/graphql", json=QUERY, headers={"authorization": "Bearer nope"})
    r = await gw.client.post("/graphql", json=QUERY, headers={"authorization": "Bearer nope2"})
    assert r.status_code == 429
    # ... the key the upstream accepted has its own.
    for _ in range(2):
        assert (await gw.client.post("/graphql", json=QUERY, headers=key)).status_code == 200
    assert (await gw.client.post("/graphql", json=QUERY, headers=key)).status_code == 429


def test_the_client_address_trusts_only_the_configured_proxy_hops() -> None:
    class Peer:
        host = "10.0.0.9"

    headers = {"x-forwarded-for": "6.6.6.6, 203.0.113.7, 10.0.0.2"}
    assert client_address(headers, Peer(), 0) == "10.0.0.9"  # nothing forwarded is trusted
    assert client_address(headers, Peer(), 1) == "10.0.0.2"
    assert client_address(headers, Peer(), 2) == "203.0.113.7"
    assert client_address(headers, Peer(), 5) == "6.6.6.6"
    assert client_address({}, Peer(), 1) == "10.0.0.9"


async def test_forged_forwarded_for_does_not_open_buckets(make_admission_gateway: Callable[..., Gateway]) -> None:
    gw = make_admission_gateway(rate_limit="3/minute", trusted_proxy_hops=1)
    codes = []
    for n in range(10):  # the client forges the left part; the trusted proxy appended the real one
        r = await gw.client.post("/graphql", json=QUERY,
                                 headers={"x-forwarded-for": f"1.2.3.{n}, 198.51.100.4"})
        codes.append(r.status_code)
    assert codes.count(429) == 7
    r = await gw.client.post("/graphql", json=QUERY, headers={"x-forwarded-for": "198.51.100.5"})
    assert r.status_code == 200  # another client behind the proxy


@pytest.mark.redis
async def test_two_replicas_over_one_redis_share_the_limit(
        make_admission_gateway: Callable[..., Gateway], redis_server: RedisServer) -> None:
    redis_server.flush()
    a = make_admission_gateway(rate_limit="5/minute", cache_url=redis_server.url)
    b = make_admission_gateway(rate_limit="5/minute", cache_url=redis_server.url)
    codes = []
    for n in range(10):
        gw = a if n % 2 else b
        codes.append((await gw.client.post("/graphql", json=QUERY)).status_code)
    assert codes == [200] * 5 + [429] * 5
    assert b"go4graph-ratelimit" in redis_server.command("KEYS", "*")
    redis_server.flush()  # the windows are lists: leave nothing for tests that read every key


def test_buckets_are_verified_callers_or_else_the_address() -> None:
    from gateway.http.ratelimit import ClientRateLimiter

    limiter = ClientRateLimiter("5/minute")
    assert limiter.identity(["passthrough:abc"], trusted=False, address="1.2.3.4") == "address:1.2.3.4"
    limiter.verified.add("passthrough:abc")  # the upstream accepted the key
    assert limiter.identity(["passthrough:abc"], trusted=False, address="1.2.3.4") == "caller:passthrough:abc"
    # A token the schools file matched is verified by the gateway itself.
    assert limiter.identity(["token:t1"], trusted=True, address="1.2.3.4") == "caller:token:t1"
    # A server-held key says nothing about who calls: every user is not one bucket.
    for shared in ("server-key", "demo:f00"):
        limiter.verified.add(shared)
        assert limiter.identity([shared], trusted=False, address="5.6.7.8") == "address:5.6.7.8"
