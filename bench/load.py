"""Throughput: closed-loop clients against the gateway served by uvicorn in its own processes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from bench.servers import Connection, Failure, Timings, check


@dataclass
class Level:
    clients: int
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    timings: Timings = field(default_factory=Timings)
    first_error: str | None = None

    def summary(self) -> dict[str, Any]:
        return {"clients": self.clients, "requests": self.requests, "errors": self.errors,
                "throughput_rps": round(self.requests / self.seconds, 1) if self.seconds else 0.0,
                "p50_ms": round(self.timings.p50, 1), "p95_ms": round(self.timings.p95, 1),
                "p99_ms": round(self.timings.pct(99), 1),
                "wall_s": round(self.seconds, 2), "first_error": self.first_error}


async def run_level(url: str, document: str, variables: dict[str, Any], clients: int,
                    duration: float, headers: dict[str, str] | None = None) -> Level:
    """``clients`` concurrent clients, each on its own keep-alive connection, sending its next
    request as soon as it has the last answer, for ``duration`` seconds (each sends at least one).
    ``headers``: sent with every request instead of the demo school's key."""
    import time

    level = Level(clients)
    payload = orjson.dumps({"query": document, "variables": variables})
    started = time.perf_counter()
    deadline = started + duration

    async def one_client() -> None:
        conn = Connection(url, headers)
        request = conn.request("/graphql", payload)
        sent = 0
        try:
            while sent == 0 or time.perf_counter() < deadline:
                sent += 1
                t0 = time.perf_counter()
                try:
                    status, body = await conn.send(request)
                    check(status, body)
                except (Failure, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    level.errors += 1
                    level.first_error = level.first_error or f"{type(exc).__name__}: {str(exc)[:200]}"
                    await conn.close()
                level.timings.add(time.perf_counter() - t0)
                level.requests += 1
        finally:
            await conn.close()

    await asyncio.gather(*(one_client() for _ in range(clients)))
    level.seconds = time.perf_counter() - started
    return level


async def warm(url: str, document: str, variables: dict[str, Any], workers: int,
               upstream_calls: Callable[[], int]) -> int:
    """Load the resources in every worker: rounds of concurrent requests on new connections
    until a whole round makes no upstream call (at most 12 rounds); the rounds it took."""
    payload = orjson.dumps({"query": document, "variables": variables})
    rounds = 0
    for rounds in range(1, 13):
        before = upstream_calls()
        conns = [Connection(url) for _ in range(4 * workers)]
        try:
            answers = await asyncio.gather(*(c.send(c.request("/graphql", payload)) for c in conns))
        finally:
            for c in conns:
                await c.close()
        for status, body in answers:
            check(status, body)
        if rounds > 1 and upstream_calls() == before:
            break
    return rounds
