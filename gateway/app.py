"""The ASGI app: / (links), /graphql (GraphiQL on a browser GET), /healthz, /readyz, /metrics."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway import metrics, tracing
from gateway.graph.schema import schema
from gateway.http.answers import error, error_response
from gateway.http.csrf import browser_middleware
from gateway.http.graphiql import graphiql_on, graphiql_page, graphiql_routes
from gateway.http.graphql import GraphQLEndpoint
from gateway.http.landing import landing_route
from gateway.http.write_audit import MutationAudit
from gateway.readiness import Readiness, standard_checks
from gateway.register_app import register_routes
from gateway.services import build_services, on_sighup
from gateway.settings import Settings, load_settings

#: /graphql for any method but GET and POST: a GraphQL error with a code, not plain text.
GRAPHQL_METHOD_NOT_ALLOWED = error_response(
    405, [error("Only GET and POST are allowed on /graphql", "BAD_USER_INPUT")],
    headers={"Allow": "GET, POST"})


def collect_less_often(threshold: int) -> None:
    """Python's cyclic collector, told to wait ``threshold`` allocations between two young
    collections (the other two generations keep Python's ratios). At Python's 700, a pastoral
    answer (~100,000 dicts and lists alive until it is sent) is scanned in ~800 young
    collections per request: a third of the request's CPU (bench/README.md "Garbage
    collection"). Reference counting still frees every acyclic object at once."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(threshold, middle, old)


def create_app(settings: Settings | None = None, *, transport: Any = None,
               simulator: Any = None) -> Starlette:
    """Build the gateway. ``transport`` (an httpx transport) points it at any upstream, for tests."""
    settings = settings or load_settings()
    tracing.configure(settings.otel_endpoint)
    collect_less_often(settings.gc_threshold)
    services = build_services(settings, transport=transport, simulator=simulator)
    services.schema = schema
    services.graphiql_html = graphiql_page() if graphiql_on(settings) else ""
    endpoint = GraphQLEndpoint(services)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    readiness = Readiness(drain_seconds=settings.drain_seconds)
    standard_checks(readiness, services)

    async def readyz(request: Request) -> Response:
        status, body = await readiness.report()
        if services.credentials is not None:  # issue 15: held school keys, re-confirmed when due
            await services.credentials.sweep(services.tenancy.held_tenants())
            # Reported, not a readiness failure: the other schools are still served.
            body["revokedSchoolKeys"] = sorted(services.credentials.revoked.values())
        return JSONResponse(body, status_code=status)

    async def metrics_view(request: Request) -> Response:
        await readiness.report()  # the degraded and ready gauges as of this scrape
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        readiness.starting()
        undo = readiness.install_sigterm(asyncio.get_running_loop())
        hup = on_sighup(services)  # trust mode: SIGHUP re-reads the schools file at once
        metrics_server = start_metrics_server(settings.metrics_port)  # admission control: own port
        await readiness.report()  # opens the cache connection before the first query
        readiness.started()
        try:
            yield
        finally:
            readiness.drain()
            undo()
            hup()
            if metrics_server is not None:
                metrics_server.shutdown()
                metrics_server.server_close()
            await services.aclose()
            metrics.process_exited(os.getpid())

    app = Starlette(routes=[
        Route("/", landing_route(settings), methods=["GET", "HEAD"]),  # a browser's way in: GraphiQL, the register app
        Route("/graphql", endpoint, methods=["GET", "POST"]),
        Route("/graphql", GRAPHQL_METHOD_NOT_ALLOWED),  # an ASGI response, so: every other method
        *graphiql_routes(settings),
        *register_routes(settings),  # the register app at /register/, demo mode only (issue 18)
        Route("/healthz", healthz), Route("/readyz", readyz),
        # /metrics off the public port when GO4GRAPH_METRICS_PUBLIC=false (admission control)
        *([Route("/metrics", metrics_view)] if settings.metrics_public else []),
    ], lifespan=lifespan, middleware=_browser_and_audit(settings, services))
    app.state.services = services
    app.state.readiness = readiness
    return app


def _browser_and_audit(settings: Settings, services: Any) -> list[Middleware]:
    """CORS (answers preflights), the write audit's catch-all, then CSRF prevention (issue 13)."""
    cors, csrf = browser_middleware(settings.cors_origins)
    return [cors, Middleware(MutationAudit, services=services), csrf]


def start_metrics_server(port: int | None) -> Any:
    """/metrics on its own port (GO4GRAPH_METRICS_PORT), for a scraper the public never reaches.

    One server per host: when several worker processes start it, the first binds the port and
    the others say so and go on (admission control, issue 12)."""
    if port is None:
        return None
    from prometheus_client import start_http_server

    try:
        server, _thread = start_http_server(port, registry=metrics.scrape_registry())
    except OSError as exc:
        logging.getLogger("go4graph").warning("metrics port not opened", extra={"port": port,
                                                                                "error": str(exc)})
        return None
    return server
