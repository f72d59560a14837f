"""The process's pooled HTTP client and the upstream clients built on it.

The transport is the seam: the network in production, the in-process
simulator (``httpx.ASGITransport``) for the demo school and most tests.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from gateway.upstream.assembly import AssemblyClient
from gateway.upstream.caller import CallPolicy, UpstreamCaller
from gateway.upstream.go4schools import GO4SchoolsClient


@dataclass
class UpstreamConfig:
    go4schools_url: str
    assembly_url: str | None = None
    timeout: float = 15.0
    connect_timeout: float = 5.0
    concurrency: int = 8
    max_pages: int = 2000
    policy: CallPolicy = CallPolicy()


class Upstreams:
    """Owns the one pooled ``httpx.AsyncClient`` and the clients for each upstream."""

    def __init__(self, config: UpstreamConfig, transport: Any = None) -> None:
        limits = httpx.Limits(max_connections=config.concurrency * 2,
                              max_keepalive_connections=config.concurrency)
        timeout = httpx.Timeout(config.timeout, connect=config.connect_timeout)
        self.http = httpx.AsyncClient(transport=transport, limits=limits, timeout=timeout,
                                      follow_redirects=False)
        # One bound for all upstream requests in flight from this process.
        self.semaphore = asyncio.Semaphore(config.concurrency)
        self.config = config
        self.go4schools = GO4SchoolsClient(
            UpstreamCaller(self.http, source="GO4Schools", policy=config.policy,
                           semaphore=self.semaphore),
            config.go4schools_url, max_pages=config.max_pages)
        self.assembly: AssemblyClient | None = None
        if config.assembly_url:
            self.assembly = AssemblyClient(
                UpstreamCaller(self.http, source="Assembly", policy=config.policy,
                               semaphore=self.semaphore),
                config.assembly_url, max_pages=config.max_pages)

    async def aclose(self) -> None:
        await self.http.aclose()


def asgi_transport(app: Any) -> httpx.ASGITransport:
    """A transport that calls an ASGI app in-process (the demo simulator)."""
    return httpx.ASGITransport(app=app)
