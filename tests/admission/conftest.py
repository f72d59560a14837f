"""Admission-control fixtures: gateways on the simulator, and an upstream that waits on a gate."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import load_settings
from gateway.simulator import Simulator
from tests.conftest import Gateway, Gateways


class GatedTransport(httpx.AsyncBaseTransport):
    """The simulator's transport, holding every upstream request until ``release`` is set.

    ``started`` is set by the first request; ``cancelled`` counts requests abandoned while
    held (a cancelled execution), ``sent`` those that reached the simulator."""

    def __init__(self, app: Any) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.held = self.cancelled = self.sent = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.held += 1
        self.started.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.held -= 1
        self.sent += 1
        return await self._inner.handle_async_request(request)


@pytest.fixture
async def make_admission_gateway(fresh_sim: Simulator) -> AsyncIterator[Callable[..., Gateway]]:
    """Gateways in demo mode on the shared simulator; ``transport=`` to put a gate in between."""
    made = Gateways()

    def make(transport: Any = None, **overrides: Any) -> Gateway:
        app = create_app(load_settings(**overrides), simulator=fresh_sim, transport=transport)
        return made.add(app, fresh_sim)

    yield make
    await made.aclose()


def upstream_calls(sim: Simulator) -> int:
    return len(sim.control.requests)


def post_scope() -> dict[str, Any]:
    """The ASGI scope of a JSON POST to /graphql, for tests that drive the app's receive/send."""
    return {"type": "http", "method": "POST", "path": "/graphql", "raw_path": b"/graphql",
            "query_string": b"", "headers": [(b"content-type", b"application/json")],
            "client": ("127.0.0.1", 1234), "server": ("gateway", 80), "scheme": "http",
            "http_version": "1.1", "root_path": ""}


def sent_to(sent: list[dict[str, Any]]) -> Callable[[dict[str, Any]], Awaitable[None]]:
    """An ASGI send that keeps every message in ``sent``."""
    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
    return send
