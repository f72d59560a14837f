"""The ASGI app: /graphql (GraphiQL on a browser GET), /healthz, /readyz, /metrics."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway import metrics, tracing
from gateway.graph.schema import schema
from gateway.http.graphiql import graphiql_page, graphiql_routes
from gateway.http.graphql import GraphQLEndpoint
from gateway.services import build_services
from gateway.settings import Settings, load_settings


def create_app(settings: Settings | None = None, *, transport: Any = None,
               simulator: Any = None) -> Starlette:
    """Build the gateway. ``transport`` (an httpx transport) points it at any upstream, for tests."""
    settings = settings or load_settings()
    tracing.configure(settings.otel_endpoint)
    services = build_services(settings, transport=transport, simulator=simulator)
    services.schema = schema
    services.graphiql_html = graphiql_page() if settings.graphiql else ""
    endpoint = GraphQLEndpoint(services)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        checks: dict[str, str] = {}
        try:
            checks["cache"] = "ok" if await services.cache.ping() else "unreachable"
        except Exception:
            checks["cache"] = "unreachable"
        checks["upstream"] = "circuit-open" if services.upstreams.go4schools.circuit_open else "ok"
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ready" if ready else "not-ready", "checks": checks},
                            status_code=200 if ready else 503)

    async def metrics_view(request: Request) -> Response:
        return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        metrics_server = start_metrics_server(settings.metrics_port)  # admission control: own port
        try:
            yield
        finally:
            if metrics_server is not None:
                metrics_server.shutdown()
                metrics_server.server_close()
            await services.aclose()

    app = Starlette(routes=[
        Route("/graphql", endpoint, methods=["GET", "POST"]), *graphiql_routes(settings),
        Route("/healthz", healthz), Route("/readyz", readyz),
        # /metrics off the public port when GO4GRAPH_METRICS_PUBLIC=false (admission control)
        *([Route("/metrics", metrics_view)] if settings.metrics_public else []),
    ], lifespan=lifespan)
    app.state.services = services
    return app


def start_metrics_server(port: int | None) -> Any:
    """/metrics on its own port (GO4GRAPH_METRICS_PORT), for a scraper the public never reaches.

    One server per host: when several worker processes start it, the first binds the port and
    the others say so and go on (admission control, issue 12)."""
    if port is None:
        return None
    from prometheus_client import start_http_server

    try:
        server, _thread = start_http_server(port, registry=metrics.REGISTRY)
    except OSError as exc:
        logging.getLogger("go4graph").warning("metrics port not opened", extra={"port": port,
                                                                                "error": str(exc)})
        return None
    return server
