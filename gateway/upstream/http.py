"""The process's pooled HTTP client and the upstream clients built on it.

The transport is the seam: the network in production, the in-process
simulator (``httpx.ASGITransport``) for the demo school and most tests.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from typing import Any

import httpx

from gateway.upstream.assembly import AssemblyClient
from gateway.upstream.caller import CallPolicy, UpstreamCaller
from gateway.upstream.gates import PriorityGate
from gateway.upstream.go4schools import GO4SchoolsClient
from gateway.upstream.network import fast_transport


def _remember_sniffio_missing() -> None:
    """httpcore asks ``import sniffio`` on every request and connection; without the package
    (it is optional, and not ours) each ask searched the whole import path again: ~12% of the
    CPU of a request that walks the upstream (issue 19's profile). ``None`` in ``sys.modules``
    is Python's own way to say a module is absent: the import fails at once, as before."""
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


_remember_sniffio_missing()


class _NoCookies(httpx.Cookies):
    """A cookie jar that keeps nothing an upstream answers with (see ``_Client``)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


_NO_COOKIES = _NoCookies()


class _Client(httpx.AsyncClient):
    """httpx's client without a cookie jar. One client serves every school, so a cookie one
    school's answer set must never ride on another school's request (the upstreams
    authenticate by bearer token, not by cookie); and reading every answer's headers for
    cookies cost ~4% of the CPU of a request that walks the upstream (issue 19's profile)."""

    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        if cookies:
            raise ValueError("the upstream client keeps no cookies")


@dataclass
class UpstreamConfig:
    go4schools_url: str
    assembly_url: str | None = None
    timeout: float = 15.0
    connect_timeout: float = 5.0
    concurrency: int = 8
    max_pages: int = 2000
    policy: CallPolicy = CallPolicy()
    #: Upstream requests in flight at once for one tenant (school credential); None: no own bound.
    tenant_concurrency: int | None = None
    #: Tenants whose slots and circuit are remembered at once (least recently used forgotten).
    max_tenants: int = 1000


class Upstreams:
    """Owns the one pooled ``httpx.AsyncClient`` and the clients for each upstream."""

    def __init__(self, config: UpstreamConfig, transport: Any = None) -> None:
        limits = httpx.Limits(max_connections=config.concurrency * 2,
                              max_keepalive_connections=config.concurrency)
        timeout = httpx.Timeout(config.timeout, connect=config.connect_timeout)
        if transport is None:  # the network: httpx's transport on asyncio's streams (network.py)
            transport = fast_transport(limits)
        self.http = _Client(transport=transport, limits=limits, timeout=timeout,
                            follow_redirects=False)
        # One bound for all upstream requests in flight from this process; each tenant
        # also has its own, smaller bound and its own circuit breaker (``TenantGates``).
        self.semaphore = PriorityGate(config.concurrency)
        self.config = config
        per_tenant = dict(tenant_concurrency=config.tenant_concurrency, max_tenants=config.max_tenants)
        self.go4schools = GO4SchoolsClient(
            UpstreamCaller(self.http, source="GO4Schools", policy=config.policy,
                           semaphore=self.semaphore, **per_tenant),  # type: ignore[arg-type]
            config.go4schools_url, max_pages=config.max_pages)
        self.assembly: AssemblyClient | None = None
        if config.assembly_url:
            self.assembly = AssemblyClient(
                UpstreamCaller(self.http, source="Assembly", policy=config.policy,
                               semaphore=self.semaphore, **per_tenant),  # type: ignore[arg-type]
                config.assembly_url, max_pages=config.max_pages)

    async def aclose(self) -> None:
        await self.http.aclose()


class _InProcessTransport(httpx.ASGITransport):
    """``ASGITransport`` that reads an app failing mid-answer as the network would show it.

    Over HTTP, a server whose app fails after starting its answer drops the connection and
    the client sees a transport error; in-process, httpx re-raises the app's own exception.
    Turned into ``httpx.ReadError`` here, both take the same path in ``UpstreamCaller``.
    """

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except httpx.HTTPError:
            raise
        except Exception as exc:
            raise httpx.ReadError(f"the upstream dropped the connection ({type(exc).__name__})",
                                  request=request) from exc


def asgi_transport(app: Any) -> httpx.ASGITransport:
    """A transport that calls an ASGI app in-process (the demo simulator)."""
    return _InProcessTransport(app=app)
