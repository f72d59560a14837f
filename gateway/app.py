"""The ASGI app: /graphql (GraphiQL on a browser GET), /healthz, /readyz, /metrics."""

from __future__ import annotations

import contextlib
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

#: /graphql for any method but GET and POST: a GraphQL error with a code, not plain text.
GRAPHQL_METHOD_NOT_ALLOWED = JSONResponse(
    {"errors": [{"message": "Only GET and POST are allowed on /graphql",
                 "extensions": {"code": "BAD_USER_INPUT"}}]},
    status_code=405, headers={"Allow": "GET, POST"})


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
        try:
            yield
        finally:
            await services.aclose()

    app = Starlette(routes=[
        Route("/graphql", endpoint, methods=["GET", "POST"]),
        Route("/graphql", GRAPHQL_METHOD_NOT_ALLOWED),  # an ASGI response, so: every other method
        *graphiql_routes(settings),
        Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics_view),
    ], lifespan=lifespan)
    app.state.services = services
    return app
