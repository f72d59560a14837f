"""/readyz means "can answer": degraded parts keep the replica in service; starting and draining do not.

The drain test runs the real ``go4graph serve`` in a subprocess: SIGTERM makes /readyz 503
while requests are still served, a second SIGTERM hands over to uvicorn's graceful
shutdown, and a request that was in flight (held at a gated upstream, so the overlap is
certain, not a matter of timing) still gets its whole answer.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from gateway import metrics
from gateway.readiness import Readiness
from gateway.simulator import DEMO_KEY, Simulator
from tests.conftest import Gateway, free_port, start_server


def degraded(part: str) -> float | None:
    return metrics.REGISTRY.get_sample_value("go4graph_degraded", {"part": part})


async def test_ready_with_redis_unreachable_and_it_is_listed_as_degraded(
        make_gateway: Callable[..., Gateway]) -> None:
    gw = make_gateway(cache_url=f"redis://127.0.0.1:{free_port()}/0", cache_timeout=0.3)
    data = await gw.gql("{ school { name } }")
    assert "errors" not in data  # answered from the upstream
    ready = await gw.client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body.pop("revokedSchoolKeys", []) == []  # issue 15's report of held school keys
    assert body == {"status": "degraded", "degraded": ["cache"],
                    "checks": {"cache": "unreachable", "upstream": "ok"}}
    text = (await gw.client.get("/metrics")).text
    assert 'go4graph_degraded{part="cache"} 1.0' in text
    assert "go4graph_ready 1.0" in text


async def test_ready_with_the_upstream_circuit_open(make_gateway: Callable[..., Gateway],
                                                    fresh_sim: Simulator) -> None:
    gw = make_gateway(circuit_failures=1, circuit_reset=300, upstream_retries=0)
    fresh_sim.inject(503, times=5, route="school")
    failed = await gw.gql("{ school { name } }")
    assert failed["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    ready = await gw.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["degraded"] == ["upstream"]
    assert ready.json()["checks"]["upstream"] == "circuit-open"
    assert degraded("upstream") == 1


async def test_not_ready_while_starting_or_draining(make_gateway: Callable[..., Gateway]) -> None:
    gw = make_gateway()
    readiness: Readiness = gw.app.state.readiness
    assert (await gw.client.get("/readyz")).status_code == 200  # served without a lifespan
    readiness.starting()
    r = await gw.client.get("/readyz")
    assert r.status_code == 503 and r.json()["status"] == "starting"
    readiness.started()
    r = await gw.client.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready"
    readiness.drain()
    r = await gw.client.get("/readyz")
    assert r.status_code == 503 and r.json()["status"] == "draining"
    assert metrics.REGISTRY.get_sample_value("go4graph_ready") == 0
    data = await gw.gql("{ school { name } }")  # draining still answers what reaches it
    assert "errors" not in data


async def test_the_lifespan_marks_ready_then_draining(make_gateway: Callable[..., Gateway]) -> None:
    gw = make_gateway()
    readiness: Readiness = gw.app.state.readiness
    async with gw.app.router.lifespan_context(gw.app):
        assert readiness.state == "ready"
        assert (await gw.client.get("/readyz")).status_code == 200
    assert readiness.state == "draining"


# --- the real process --------------------------------------------------------------------

class GatedUpstream:
    """The simulator over real HTTP, holding every /school request until released."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.arrived = threading.Event()
        self.release = threading.Event()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/school"):
            self.arrived.set()
            await asyncio.to_thread(self.release.wait, 30)
        await self.sim.app(scope, receive, send)


def _wait_for(predicate: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _refuses(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return False
    except OSError:
        return True


def test_sigterm_drains_then_finishes_the_request_in_flight(fresh_sim: Simulator) -> None:
    gate = GatedUpstream(fresh_sim)
    upstream = start_server(gate)
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GO4GRAPH_")}
    env = {**clean, "GO4GRAPH_UPSTREAM_URL": upstream.url + "/customer/v1",
           "GO4GRAPH_DRAIN_SECONDS": "120", "GO4GRAPH_SHUTDOWN_TIMEOUT": "60"}
    proc = subprocess.Popen([sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    answer: dict[str, Any] = {}
    try:
        _wait_for(lambda: _get(base + "/readyz") == 200, "the gateway to be ready")

        def in_flight() -> None:
            r = httpx.post(base + "/graphql", json={"query": "{ school { name } }"},
                           headers={"authorization": f"Bearer {DEMO_KEY}"}, timeout=60)
            answer["status"], answer["body"] = r.status_code, r.json()

        client = threading.Thread(target=in_flight)
        client.start()
        assert gate.arrived.wait(30), "the request never reached the upstream"

        proc.send_signal(signal.SIGTERM)  # first: drain, still serving
        _wait_for(lambda: _get(base + "/readyz") == 503, "/readyz to answer 503 while draining")
        assert httpx.get(base + "/readyz").json()["status"] == "draining"
        assert _get(base + "/healthz") == 200  # alive, just not taking new work
        assert proc.poll() is None and client.is_alive()

        proc.send_signal(signal.SIGTERM)  # second: uvicorn's graceful shutdown now
        _wait_for(lambda: _refuses(port), "the listener to close")
        assert proc.poll() is None and client.is_alive()  # waiting for the request in flight

        gate.release.set()
        client.join(30)
        assert answer["status"] == 200
        assert answer["body"]["data"]["school"]["name"]
        proc.wait(30)
        assert proc.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it handled
        assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")
    finally:
        gate.release.set()
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        upstream.stop()


def _get(url: str) -> int:
    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.HTTPError:
        return 0


@pytest.fixture(autouse=True)
def _no_leftover_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
