"""The process-wide services, opened once in the app's lifespan and shared by every request."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gateway.audit import AuditSink, build_sink
from gateway.http.response_cache import ResponseCache
from gateway.resources.cache import ResourceCache, build_cache
from gateway.resources.freshness import CredentialChecker, FreshCache
from gateway.resources.redis_conn import check_redis
from gateway.resources.seal import CacheSeal, parse_secrets
from gateway.resources.store import ResourceStore
from gateway.settings import Settings
from gateway.tenancy import TenantResolver
from gateway.trust import SchoolsFileWatcher
from gateway.upstream.caller import CallPolicy
from gateway.upstream.http import UpstreamConfig, Upstreams, asgi_transport

DEMO_BASE = "http://demo-school.invalid"

log = logging.getLogger("go4graph.services")


@dataclass
class Services:
    settings: Settings
    upstreams: Upstreams
    cache: ResourceCache
    store: ResourceStore
    tenancy: TenantResolver
    simulator: Any = None  # the in-process demo simulator, when no upstream is configured
    audit: AuditSink | None = None
    #: Where the access log of sensitive reads goes (None: off).
    access: AuditSink | None = None
    schema: Any = None  # the strawberry schema (set by the app)
    graphiql_html: str = ""
    extras: dict[str, Any] = field(default_factory=dict)
    #: Re-confirms keys serving cached data (GO4GRAPH_CREDENTIAL_RECHECK).
    credentials: CredentialChecker | None = None

    async def aclose(self) -> None:
        await self.upstreams.aclose()
        await self.cache.close()


def build_services(settings: Settings, *, transport: Any = None, simulator: Any = None) -> Services:
    """Everything a gateway process needs; ``transport`` lets tests point it at any ASGI app."""
    # Trust mode's schools file first: a bad file stops start-up before anything is opened.
    trust = (SchoolsFileWatcher(settings.schools_file, poll=settings.schools_file_poll)
             if settings.schools_file is not None else None)
    demo_key = None
    demo_assembly: dict[str, str] = {}
    if settings.demo:
        from gateway import simulator as sim_pkg

        if simulator is None:
            simulator = sim_pkg.create_simulator(sim_pkg.SimulatorConfig(
                students=settings.demo_students, page_size=settings.demo_page_size))
        transport = transport or asgi_transport(simulator.app)
        base = DEMO_BASE + sim_pkg.GO4SCHOOLS_PREFIX
        assembly_url: str | None = DEMO_BASE + sim_pkg.ASSEMBLY_PREFIX
        demo_key = sim_pkg.DEMO_KEY
        demo_assembly = {sim_pkg.DEMO_KEY: sim_pkg.ASSEMBLY_DEMO_TOKEN,
                         sim_pkg.SECOND_KEY: sim_pkg.ASSEMBLY_SECOND_TOKEN}
    else:
        assert settings.upstream_url is not None
        base = settings.upstream_url
        assembly_url = settings.assembly_url
    config = UpstreamConfig(
        go4schools_url=base, assembly_url=assembly_url, timeout=settings.upstream_timeout,
        connect_timeout=settings.upstream_connect_timeout,
        concurrency=settings.upstream_concurrency, max_pages=settings.upstream_max_pages,
        tenant_concurrency=min(settings.upstream_tenant_concurrency, settings.upstream_concurrency),
        max_tenants=settings.upstream_max_tenants,
        policy=CallPolicy(retries=settings.upstream_retries, backoff=settings.upstream_backoff,
                          backoff_max=settings.upstream_backoff_max,
                          circuit_failures=settings.circuit_failures,
                          circuit_reset=settings.circuit_reset))
    upstreams = Upstreams(config, transport)
    # Settings refuse a redis:// cache without a secret unless this is the demo school.
    seal = (CacheSeal(parse_secrets(settings.cache_secret.get_secret_value()))
            if settings.cache_secret is not None else CacheSeal.for_demo())
    if settings.cache_url.startswith(("redis://", "rediss://")):
        # A refused password or certificate stops start-up with one line; an outage does not.
        outage = check_redis(settings.cache_url, timeout=max(settings.cache_timeout, 1.0))
        if outage is not None:
            log.warning(outage)
    cache = build_cache(settings.cache_url, timeout=settings.cache_timeout, seal=seal)
    checker = CredentialChecker(upstreams.go4schools, cache, interval=settings.credential_recheck)
    fresh_cache = FreshCache(cache, checker)  # every read of cached data goes through it
    # One store for every route of the routes table, GO4Schools' and Assembly's.
    store = ResourceStore(upstreams.go4schools, fresh_cache,
                          ttl_overrides=dict(settings.cache_ttls),
                          lock_timeout=settings.cache_lock_timeout, assembly=upstreams.assembly)
    tenancy = TenantResolver(settings, demo_key, demo_assembly, trust=trust)
    return Services(settings, upstreams, cache, store, tenancy, simulator,
                    audit=build_sink(settings.audit_log),
                    access=None if settings.access_log == "off" else build_sink(settings.access_log),
                    credentials=checker, extras={"response_cache": ResponseCache(fresh_cache)})


def on_sighup(services: Services) -> Callable[[], None]:
    """In trust mode, re-read the schools file on SIGHUP; returns what removes the handler."""
    watcher = services.tenancy.trust
    if not isinstance(watcher, SchoolsFileWatcher) or not hasattr(signal, "SIGHUP"):
        return lambda: None
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGHUP, watcher.reload)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
        return lambda: None

    def remove() -> None:
        loop.remove_signal_handler(signal.SIGHUP)
    return remove
