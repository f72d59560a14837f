"""Apollo Client and urql with automatic persisted queries against real gateway processes.

Each client asks its query twice: the first hash-only request is answered
PersistedQueryNotFound and the client falls back to the text (which registers it); the
second request sends the hash only (a GET). What went over the wire is read from the gateways'
own request logs. Two gateways over one real Redis share the registered hashes: a new client
of the second gateway is answered from the hash alone at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cache.redis_server import RedisServer
from tests.frontend.gateway_process import GatewayProcess, start_gateway
from tests.frontend.tools import run_node

APOLLO_ANSWER = {"school": {"__typename": "School", "name": "Demo Academy", "code": "DEMO"}}

pytestmark = pytest.mark.redis


def _seen(gateway: GatewayProcess, since: int = 0) -> list[tuple[str, str | None, str | None]]:
    """(outcome, how the document was named, HTTP method) of each request, in order."""
    return [(r["outcome"], r.get("document"), r.get("method")) for r in gateway.requests()[since:]]


MISS = ("persisted_query_not_found", None, "GET")
REGISTER = ("ok", "apq-register", "POST")  # Apollo's link sends the text by POST
REGISTER_BY_GET = ("ok", "apq-register", "GET")  # urql's, with preferGetForPersistedQueries
HIT = ("ok", "apq-hit", "GET")


@pytest.fixture
def two_gateways(tmp_path: Path, redis_server: RedisServer) -> Any:
    redis_server.flush()
    a = start_gateway(tmp_path, "a", cache_url=redis_server.url)
    try:
        b = start_gateway(tmp_path, "b", cache_url=redis_server.url)
    except BaseException:
        a.stop()
        raise
    yield a, b
    a.stop()
    b.stop()


def test_apollo_and_urql_fall_back_once_then_send_the_hash_and_replicas_share_it(
        two_gateways: tuple[GatewayProcess, GatewayProcess]) -> None:
    a, b = two_gateways
    apollo = run_node("clients.mjs", "apollo", a.url + "/graphql")
    assert apollo["answers"] == [APOLLO_ANSWER, APOLLO_ANSWER]
    assert _seen(a) == [MISS, REGISTER, HIT]

    urql = run_node("clients.mjs", "urql", a.url + "/graphql")
    [first, second] = urql["answers"]
    assert first == second and isinstance(first["academicYear"]["year"], int)
    assert _seen(a, 3) == [MISS, REGISTER_BY_GET, HIT]

    # The second replica never saw either text: Redis tells it both hashes.
    assert run_node("clients.mjs", "apollo", b.url + "/graphql")["answers"] == [APOLLO_ANSWER] * 2
    assert run_node("clients.mjs", "urql", b.url + "/graphql")["answers"] == [first, first]
    assert _seen(b) == [HIT] * 4
