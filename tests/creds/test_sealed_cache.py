"""Everything written to Redis is sealed: a forged, moved or foreign value is a miss, the
right data comes from the upstream, and a write after it posts the right child's UPN."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from typing import Any

import orjson
import pytest

from gateway import metrics
from gateway.resources.cache import RAW, STAMP_LEN, cache_key
from gateway.resources.keys import ResourceKey
from gateway.resources.seal import CacheSeal, SealError
from gateway.resources.tenant import Tenant
from gateway.shared.secrets import Credential
from gateway.simulator import DEMO_KEY, SECOND_KEY
from tests.cache.redis_server import RedisServer
from tests.conftest import Gateway
from tests.creds.conftest import SECRET_A, SECRET_B, bearer
from tests.simdata import current_year, upstream

WRITE = """
mutation One($input: SessionAttendanceInput!) {
  recordSessionAttendance(input: $input) { student { id upn } }
}"""
READ = "{ academicYear { students { id upn dateOfBirth } } }"


def rejected() -> float:
    return metrics.REGISTRY.get_sample_value(
        "go4graph_cache_rejected_total", {"backend": "redis", "reason": "seal"}) or 0.0


async def open_day(sim: Any, year: int) -> str:
    calendar, _ = await upstream(sim, "calendar", academicYear=year)
    return [d["date"][:10] for d in calendar if d["day_type_code"] == "Open"][3]


# --- the seal itself ---------------------------------------------------------------------------

def test_a_value_opens_only_under_its_own_key_and_secret() -> None:
    seal = CacheSeal([SECRET_A])
    sealed = seal.seal(b'{"upn": "A123"}', b"key-1")
    assert b"A123" not in sealed
    assert seal.open(sealed, b"key-1") == b'{"upn": "A123"}'
    flipped = bytearray(sealed)
    flipped[-20] ^= 1
    for bad, aad in ((bytes(flipped), b"key-1"), (sealed, b"key-2"), (b"", b"key-1"),
                     (RAW + b'{"upn": "B"}', b"key-1")):
        with pytest.raises(SealError):
            seal.open(bad, aad)
    with pytest.raises(SealError):
        CacheSeal([SECRET_B]).open(sealed, b"key-1")


def test_rotation_the_first_secret_seals_every_secret_opens() -> None:
    old, rotating, new = CacheSeal([SECRET_A]), CacheSeal([SECRET_B, SECRET_A]), CacheSeal([SECRET_B])
    assert rotating.open(old.seal(b"x", b"k"), b"k") == b"x"
    written = rotating.seal(b"y", b"k")
    assert new.open(written, b"k") == b"y"
    with pytest.raises(SealError):
        old.open(written, b"k")


def test_a_replayed_value_past_its_time_to_live_fails() -> None:
    now = [1000.0]
    seal = CacheSeal([SECRET_A], clock=lambda: now[0])
    sealed = seal.seal(b"x", b"k", ttl=60)
    now[0] += 60 + 29
    assert seal.open(sealed, b"k") == b"x"  # within the allowed clock skew
    now[0] += 2
    with pytest.raises(SealError):
        seal.open(sealed, b"k")


# --- through the gateway ------------------------------------------------------------------------

@pytest.fixture
def pair(make_replica: Callable[..., Gateway], shared_redis: RedisServer) -> list[Gateway]:
    return [make_replica(cache_url=shared_redis.url, cache_secret=SECRET_A) for _ in range(2)]


@pytest.mark.redis
async def test_redis_holds_no_personal_field_in_clear(pair: list[Gateway],
                                                      shared_redis: RedisServer) -> None:
    one, _ = pair
    client = shared_redis.client()
    client.flushdb()  # only what this query writes: other tests plant clear values on purpose
    data = await one.gql(READ, headers=bearer(DEMO_KEY))
    students = data["data"]["academicYear"]["students"]
    raw = b"".join(client.get(k) or b"" for k in client.scan_iter(match="go4graph:*"))
    assert len(raw) > 1000
    for s in students[:50]:
        assert s["upn"].encode() not in raw
        assert s["dateOfBirth"][:10].encode() not in raw  # the day, as the upstream spells it too
    # ...and the test's own reader, with the gateway's secret, finds them.
    opened = b"".join(shared_redis.dump(CacheSeal([SECRET_A])).values())
    assert students[0]["upn"].encode() in opened


@pytest.mark.redis
@pytest.mark.parametrize("attack", ["rewritten-in-clear", "bit-flipped", "moved-from-another-school"])
async def test_a_tampered_value_is_refetched_and_the_write_posts_the_right_upn(
        pair: list[Gateway], shared_redis: RedisServer, attack: str) -> None:
    one, two = pair
    sim = one.sim
    year = await current_year(sim)
    day = await open_day(sim, year)
    edu = [e for e in (await upstream(sim, "education-details", academicYear=year))[0]
           if not e.get("deleted_from_source") and e.get("upn")]
    first, second = edu[0], edu[1]
    row = {"studentId": str(first["student_id"]), "date": day, "session": "AM", "code": "/"}
    for gateway in pair:  # the write window is relative to today: make the test's day today
        gateway.services.extras["today"] = lambda: date.fromisoformat(day)
    warm = await one.gql(WRITE, {"input": row}, headers=bearer(DEMO_KEY))  # caches what it read
    assert "errors" not in warm, warm
    assert sim.posted[-1]["student_upn"] == first["upn"]

    client = shared_redis.client()
    key = cache_key(Tenant(Credential(DEMO_KEY)), ResourceKey("education-details", year))
    stored = client.get(key)
    assert stored is not None
    if attack == "rewritten-in-clear":
        # The attack: the first child given the second child's UPN, in the old format.
        forged = [dict(e) for e in edu]
        forged[0]["upn"] = second["upn"]
        client.set(key, os.urandom(8).hex().encode() + RAW + orjson.dumps(forged), keepttl=True)
    elif attack == "bit-flipped":
        flipped = bytearray(stored)
        flipped[len(flipped) // 2] ^= 0x40
        client.set(key, bytes(flipped), keepttl=True)
    else:
        await one.gql(READ, headers=bearer(SECOND_KEY))
        other = cache_key(Tenant(Credential(SECOND_KEY)), ResourceKey("education-details", year))
        assert client.get(other) is not None
        client.set(key, client.get(other), keepttl=True)

    sim.reset()
    before = rejected()
    written = await two.gql(WRITE, {"input": row}, headers=bearer(DEMO_KEY))
    assert "errors" not in written, written
    assert written["data"]["recordSessionAttendance"]["student"]["upn"] == first["upn"]
    assert sim.posted[-1]["student_upn"] == first["upn"]
    assert rejected() == before + 1
    # Refetched from the upstream, and the shared cache healed with a sealed value.
    assert "education-details" in [r.route for r in sim.requests]
    assert client.get(key)[STAMP_LEN:STAMP_LEN + 1] == b"\x01"


@pytest.mark.redis
async def test_a_gateway_with_another_secret_or_none_cannot_read_the_values(
        make_replica: Callable[..., Gateway], make_gateway: Callable[..., Gateway],
        shared_redis: RedisServer) -> None:
    owner = make_replica(cache_url=shared_redis.url, cache_secret=SECRET_A)
    warm = await owner.gql(READ, headers=bearer(DEMO_KEY))
    sim = owner.sim
    # During a rotation, a replica with both secrets reads the old values without a call.
    rotating = make_replica(cache_url=shared_redis.url, cache_secret=f"{SECRET_B},{SECRET_A}")
    sim.reset()
    assert await rotating.gql(READ, headers=bearer(DEMO_KEY)) == warm
    assert sim.requests == []
    # A replica with another secret, or none, reads nothing of it.
    stranger = make_replica(cache_url=shared_redis.url, cache_secret=SECRET_B)
    demo = make_gateway(cache_url=shared_redis.url)  # no secret: the demo mode's public key
    for gw in (stranger, demo):
        sim.reset()
        before = rejected()
        assert await gw.gql(READ, headers=bearer(DEMO_KEY)) == warm  # right, from the upstream
        assert "students" in [r.route for r in sim.requests]
        assert rejected() > before
        await owner.gql(READ, headers=bearer(DEMO_KEY))  # the owner re-seals what it reads


def test_an_upstream_with_redis_and_no_secret_refuses_to_start(shared_redis: RedisServer) -> None:
    from gateway.settings import SettingsError, load_settings

    with pytest.raises(SettingsError) as err:
        load_settings(upstream_url="http://sim/customer/v1", cache_url=shared_redis.url)
    message = str(err.value)
    assert message.startswith("invalid configuration: GO4GRAPH_CACHE_SECRET: ") and "\n" not in message
    with pytest.raises(SettingsError) as err:
        load_settings(cache_secret="too-short")
    assert "too-short" not in str(err.value)
