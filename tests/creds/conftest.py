"""Gateways with a real upstream (the simulator) on one shared, real Redis, with a cache secret
and a clock the test moves (no test waits on a real clock)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import load_settings
from gateway.simulator import Simulator
from tests.cache.redis_server import RedisServer
from tests.conftest import SECRETS, Gateway, Gateways

UPSTREAM = "http://sim/customer/v1"
SECRET_A = "creds-tests-cache-secret-A-0123456789abcdef"
SECRET_B = "creds-tests-cache-secret-B-fedcba9876543210"
SECRETS.update({SECRET_A, SECRET_B})


@dataclass
class Clock:
    """Wall-clock time as the test says: replicas share it, as they share real time."""

    now: float = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def make_replica(fresh_sim: Simulator, clock: Clock) -> AsyncIterator[Callable[..., Gateway]]:
    """A gateway process of its own (own local caches), upstream the shared simulator, its
    credential checks on the test's clock. Settings overrides as keywords."""
    made = Gateways()

    def make(**overrides: Any) -> Gateway:
        overrides.setdefault("upstream_url", UPSTREAM)
        settings = load_settings(**overrides)
        gw = made.add(create_app(settings, transport=httpx.ASGITransport(app=fresh_sim.app)), fresh_sim)
        gw.services.credentials.clock = clock
        return gw

    yield make
    await made.aclose()


@pytest.fixture
def shared_redis(redis_server: RedisServer) -> RedisServer:
    redis_server.flush()
    return redis_server
