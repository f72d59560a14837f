"""The simulator over real HTTP (uvicorn in a thread of the bench), the gateway in its own
uvicorn process(es), a light HTTP client for both the measurements and the load, and timings."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import uvicorn

from gateway.simulator import DEMO_KEY

ROOT = Path(__file__).resolve().parents[1]
HEADERS = {"authorization": f"Bearer {DEMO_KEY}", "content-type": "application/json"}

#: The bench raises the short TTLs of per-day and marks resources so that a warm phase measures
#: the gateway, not a TTL running out half-way (documented in the output).
BENCH_TTLS = {"today": 900.0, "session-marks": 900.0, "behaviour-events": 900.0,
              "lesson-marks": 900.0, "marks": 900.0, "marksheet-grades": 900.0}

#: The write audit log of the bench's gateways: a real file (each record is fsynced, as in
#: production), in a temporary folder removed when the bench ends.
_AUDIT_DIR = tempfile.mkdtemp(prefix="go4graph-bench-")
AUDIT_LOG = os.path.join(_AUDIT_DIR, "audit.log")
atexit.register(shutil.rmtree, _AUDIT_DIR, True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Thread:
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def serve_in_thread(app: Any) -> Thread:
    """An ASGI app under uvicorn on a free loopback port, in a daemon thread."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off", access_log=False, backlog=4096)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True, name="simulator")
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the simulator did not start")
        time.sleep(0.02)
    return Thread(f"http://127.0.0.1:{port}", server, thread)


class Failure(Exception):
    """A request that did not answer 200 with data and no errors."""


def check(status: int, body: bytes) -> None:
    if status != 200:
        raise Failure(f"HTTP {status}: {body[:300]!r}")
    if not body.startswith(b'{"data"') or body.startswith(b'{"data":null'):
        # The gateway writes "errors" first when there are any.
        raise Failure(f"errors in the answer: {body[:300]!r}")


#: Seconds after which an idle keep-alive connection is not trusted (uvicorn closes them at 5).
IDLE = 2.0


class Connection:
    """One keep-alive HTTP/1.1 connection, spoken by hand: a client this light leaves the
    cores to the server (httpx costs about as much CPU per request as a small query)."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        #: Sent with every request (default: the demo school's key as a bearer token).
        self.headers = {"authorization": HEADERS["authorization"]} if headers is None else headers
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.used = 0.0

    def request(self, path: str, payload: bytes) -> bytes:
        extra = "".join(f"{k}: {v}\r\n" for k, v in self.headers.items())
        head = (f"POST {path} HTTP/1.1\r\nhost: {self.host}:{self.port}\r\n"
                f"content-type: application/json\r\n{extra}"
                f"content-length: {len(payload)}\r\n\r\n")
        return head.encode() + payload

    async def send(self, request: bytes) -> tuple[int, bytes]:
        if self.writer is not None and time.monotonic() - self.used > IDLE:
            await self.close()  # the server may have closed it (uvicorn keeps idle ones 5 s)
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length, close = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        body = await self.reader.readexactly(length)
        self.used = time.monotonic()
        if close:
            await self.close()
        return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None


@dataclass
class Served:
    """``python -m bench.serve``: the gateway (passthrough mode, memory cache) under uvicorn."""

    url: str
    process: subprocess.Popen[bytes]
    workers: int

    @classmethod
    def start(cls, upstream: str, workers: int = 1, *, response_cache: bool = True,
              control: bool = False) -> Served:
        port = free_port()
        env = dict(os.environ)
        env.update({"GO4GRAPH_UPSTREAM_URL": upstream + "/customer/v1",
                    "GO4GRAPH_CACHE_TTLS": orjson.dumps(BENCH_TTLS).decode(),
                    "GO4GRAPH_AUDIT_LOG": AUDIT_LOG,
                    "BENCH_RESPONSE_CACHE": "on" if response_cache else "off",
                    "BENCH_CONTROL": "on" if control else "off"})
        process = subprocess.Popen([sys.executable, "-m", "bench.serve", str(port), str(workers)],
                                   cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
        served = cls(f"http://127.0.0.1:{port}", process, workers)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                err = process.stderr.read().decode(errors="replace") if process.stderr else ""
                raise RuntimeError(f"the gateway server stopped: {err[-2000:]}")
            try:
                if httpx.get(served.url + "/healthz", timeout=1).status_code == 200:
                    return served
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        served.stop()
        raise RuntimeError("the gateway server did not start")

    def stop(self) -> None:
        stop_process(self.process)
        if self.process.stderr:
            self.process.stderr.close()


class Gateway:
    """The bench's client of one gateway process started with its control routes."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self.conn = Connection(served.url)

    async def call(self, document: str, variables: dict[str, Any] | None) -> tuple[float, bytes]:
        """(seconds, body) of one POST /graphql; raises Failure on anything but clean data."""
        request = self.conn.request("/graphql", orjson.dumps({"query": document,
                                                               "variables": variables or {}}))
        started = time.perf_counter()
        status, body = await self.conn.send(request)
        elapsed = time.perf_counter() - started
        check(status, body)
        return elapsed, body

    async def control(self, what: str, ask: dict[str, Any] | None = None) -> Any:
        status, body = await self.conn.send(self.conn.request(f"/__bench/{what}",
                                                              orjson.dumps(ask or {})))
        if status != 200:
            raise RuntimeError(f"/__bench/{what}: HTTP {status}: {body[:500]!r}")
        return orjson.loads(body)

    async def close(self) -> None:
        await self.conn.close()


@dataclass
class Timings:
    seconds: list[float] = field(default_factory=list)

    def add(self, s: float) -> None:
        self.seconds.append(s)

    def pct(self, p: float) -> float:
        """The p-th percentile (nearest rank), in milliseconds."""
        if not self.seconds:
            return math.nan
        ordered = sorted(self.seconds)
        rank = max(1, math.ceil(p / 100 * len(ordered)))
        return ordered[rank - 1] * 1000

    @property
    def p50(self) -> float:
        return self.pct(50)

    @property
    def p95(self) -> float:
        return self.pct(95)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) * 1000 if self.seconds else math.nan

    def summary(self) -> dict[str, Any]:
        return {"p50_ms": round(self.p50, 2), "p95_ms": round(self.p95, 2), "runs": len(self.seconds)}


def stop_process(process: subprocess.Popen[Any]) -> None:
    """Terminate a server process, killing it if it will not stop within 15 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
