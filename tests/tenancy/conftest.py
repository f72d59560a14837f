"""Gateways in trust mode (a schools file in tmp_path) and in passthrough/server-key modes,
all over the shared simulator as a real (non-demo) upstream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import load_settings
from gateway.simulator import DEMO_KEY, SECOND_KEY, Simulator
from gateway.trust import new_token, token_hash
from tests.conftest import SECRETS, Gateway, Gateways

UPSTREAM = "http://sim/customer/v1"
KEYS = {"DEMO": DEMO_KEY, "DEMO2": SECOND_KEY}
#: The cache secret of these gateways (a redis:// cache with an upstream needs one).
CACHE_SECRET = "tenancy-tests-cache-secret-0123456789abcdef"
SECRETS.add(CACHE_SECRET)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def write_schools(path: Path, grants: dict[str, list[str]], **extra: Any) -> dict[str, str]:
    """A schools file granting each named token its school codes; returns name -> token."""
    tokens = {name: new_token() for name in grants}
    SECRETS.update(tokens.values())  # the log audit checks every token the suite used
    schools = [{"code": code, "name": f"School {code}", "api_key": key,
                "tokens": [token_hash(tokens[n]) for n, codes in grants.items() if code in codes]}
               for code, key in KEYS.items()]
    path.write_text(json.dumps({"schools": schools, **extra}))
    return tokens


@pytest.fixture
async def make_upstream_gateway(fresh_sim: Simulator) -> AsyncIterator[Callable[..., Gateway]]:
    """A gateway with GO4GRAPH_UPSTREAM_URL set (not demo mode), its upstream the simulator."""
    made = Gateways()

    def make(**overrides: Any) -> Gateway:
        overrides.setdefault("cache_secret", CACHE_SECRET)
        settings = load_settings(upstream_url=UPSTREAM, **overrides)
        return made.add(create_app(settings, transport=httpx.ASGITransport(app=fresh_sim.app)), fresh_sim)

    yield make
    await made.aclose()
