"""Shared fixtures: the simulator (in-process and over real HTTP), gateways on it, and log capture.

Every log record of the whole test session is kept (formatted as the JSON
log line it would be, with its extras) so that ``test_no_secrets_in_logs``,
which runs last, can grep them for every key and token the tests used.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from gateway.app import create_app
from gateway.logs import JsonFormatter
from gateway.settings import load_settings
from gateway.simulator import (
    ASSEMBLY_DEMO_TOKEN,
    ASSEMBLY_SECOND_TOKEN,
    DEMO_KEY,
    SECOND_KEY,
    Simulator,
    SimulatorConfig,
    create_simulator,
)
from tests.cache.redis_server import cache_url, own_redis, redis_server  # noqa: E402,F401  (fixtures)

#: Every secret the suite uses; none may appear in any log line.
SECRETS: set[str] = {DEMO_KEY, SECOND_KEY, ASSEMBLY_DEMO_TOKEN, ASSEMBLY_SECOND_TOKEN}

SMALL_SCHOOL = 240
SMALL_PAGE = 10


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self._fmt = JsonFormatter()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self._fmt.format(record))
        except Exception:  # a record that cannot be formatted is still kept as its raw text
            self.lines.append(repr(record.__dict__))


CAPTURE = _Capture()


def pytest_configure(config: pytest.Config) -> None:
    logging.getLogger().addHandler(CAPTURE)
    logging.getLogger().setLevel(logging.DEBUG)
    for name in ("go4graph", "httpx", "httpcore", "uvicorn", "aiocache", "tenacity"):
        logging.getLogger(name).setLevel(logging.DEBUG)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    # The log audit must see the logs of every other test: run it last.
    last = [i for i in items if i.name == "test_no_secrets_in_logs"]
    items[:] = [i for i in items if i not in last] + last


@pytest.fixture(scope="session")
def captured_logs() -> list[str]:
    return CAPTURE.lines


@pytest.fixture(scope="session")
def secrets() -> set[str]:
    return SECRETS


# --- simulator ---------------------------------------------------------------------

@pytest.fixture(scope="session")
def sim() -> Simulator:
    """A small deterministic school, cursor pages of 10: shared, so tests reset it."""
    return create_simulator(SimulatorConfig(students=SMALL_SCHOOL, second_school_students=60,
                                            page_size=SMALL_PAGE))


@pytest.fixture
def fresh_sim(sim: Simulator) -> Simulator:
    sim.reset()
    sim.config.page_size = SMALL_PAGE
    sim.config.latency_ms = 0
    return sim


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def start_server(app: Any, port: int | None = None) -> LiveServer:
    """Run an ASGI app under uvicorn on a free loopback port, in a thread."""
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    return LiveServer(f"http://127.0.0.1:{port}", server, thread)


@pytest.fixture(scope="session")
def live_sim(sim: Simulator) -> Iterator[LiveServer]:
    """The same simulator over real HTTP on a free port."""
    server = start_server(sim.app)
    yield server
    server.stop()


# --- gateway -----------------------------------------------------------------------

GatewayFactory = Callable[..., "Gateway"]


@dataclass
class Gateway:
    app: Any
    client: httpx.AsyncClient
    sim: Simulator

    async def gql(self, query: str, variables: dict[str, Any] | None = None,
                  headers: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
        payload: dict[str, Any] = {"query": query, **extra}
        if variables is not None:
            payload["variables"] = variables
        response = await self.client.post("/graphql", json=payload, headers=headers or {})
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    @property
    def services(self) -> Any:
        return self.app.state.services


class Gateways:
    """The gateways a fixture made: each driven over ASGI, all closed together at the end."""

    def __init__(self) -> None:
        self.made: list[Gateway] = []

    def add(self, app: Any, sim: Simulator) -> Gateway:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")
        gw = Gateway(app, client, sim)
        self.made.append(gw)
        return gw

    async def aclose(self) -> None:
        for gw in self.made:
            await gw.client.aclose()
            await gw.services.aclose()


@pytest.fixture
async def make_gateway(fresh_sim: Simulator) -> AsyncIterator[Callable[..., Gateway]]:
    """Build gateways in demo mode on the shared simulator; settings overrides as keywords."""
    made = Gateways()

    def make(sim: Simulator | None = None, **overrides: Any) -> Gateway:
        simulator = sim or fresh_sim
        return made.add(create_app(load_settings(**overrides), simulator=simulator), simulator)

    yield make
    await made.aclose()


@pytest.fixture
async def gateway(make_gateway: Callable[..., Gateway]) -> Gateway:
    """A demo-mode gateway on the small simulator school (memory cache)."""
    return make_gateway()


def run(coro: Any) -> Any:
    return asyncio.get_event_loop().run_until_complete(coro)
