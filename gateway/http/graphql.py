"""POST/GET /graphql: GraphQL over HTTP, lean on the hot path.

Parsing and validation are cached per document text; execution calls
graphql-core directly on strawberry's schema (no per-field extensions);
responses are encoded with orjson. With ``Accept: application/graphql-response+json``
a document that fails to parse or validate is a 400; with ``application/json``
it is a 200 with ``errors`` (GraphQL over HTTP).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import OrderedDict
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    execute,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from gateway import metrics, tracing
from gateway.graph import fast
from gateway.graph.context import Context
from gateway.graph.errors import collapse, format_error
from gateway.http.graphiql import PAGE_HEADERS
from gateway.http.ratelimit import ClientRateLimiter
from gateway.http.response_cache import ResponseCache
from gateway.http.trusted import TrustedDocumentError, TrustedDocuments, load_manifest
from gateway.http.validation import depth_and_aliases_rule
from gateway.services import Services

log = logging.getLogger("go4graph.http")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


class _Documents:
    """An LRU of parsed and validated documents by their text."""

    def __init__(self, services: Services, size: int = 512) -> None:
        s = services.settings
        self._schema = services.schema._schema  # type: ignore[attr-defined]
        self._rules = [*specified_rules, depth_and_aliases_rule(s.max_depth, s.max_aliases)]
        if not s.introspection:
            self._rules.append(NoSchemaIntrospectionCustomRule)
        self._max_tokens = s.max_tokens
        self._size = size
        self._cache: OrderedDict[str, tuple[DocumentNode | None, list[GraphQLError]]] = OrderedDict()

    def get(self, text: str) -> tuple[DocumentNode | None, list[GraphQLError]]:
        hit = self._cache.get(text)
        if hit is not None:
            self._cache.move_to_end(text)
            return hit
        try:
            document: DocumentNode | None = parse(text, max_tokens=self._max_tokens)
        except GraphQLError as exc:
            result: tuple[DocumentNode | None, list[GraphQLError]] = (None, [exc])
        else:
            assert document is not None
            result = (document, validate(self._schema, document, self._rules))
        self._cache[text] = result
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return result


class GraphQLEndpoint:
    """The /graphql ASGI endpoint."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.documents = _Documents(services)
        settings = services.settings
        self.trusted = TrustedDocuments(
            load_manifest(settings.trusted_documents) if settings.trusted_documents else {},
            only=settings.trusted_only)
        self.limiter = ClientRateLimiter(settings.rate_limit) if settings.rate_limit else None
        self._schema = services.schema._schema  # type: ignore[attr-defined]
        fast.install(self._schema)  # direct resolvers for plain fields (idempotent)
        self.responses = ResponseCache()
        services.extras["response_cache"] = self.responses

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        with tracing.span("graphql", **{"http.method": request.method}) as current:
            response = await self.handle(request)
            if current is not None:
                current.set_attribute("http.status_code", response.status_code)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        accept = request.headers.get("accept", "")
        if request.method == "GET" and "text/html" in accept and "query" not in request.query_params:
            if not self.services.settings.graphiql:
                return _json({"errors": [{"message": "GraphiQL is switched off on this gateway"}]}, 404)
            return HTMLResponse(self.services.graphiql_html, headers=PAGE_HEADERS)
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex[:16]
        wants_graphql_response = GRAPHQL_RESPONSE in accept
        media = GRAPHQL_RESPONSE if wants_graphql_response else JSON
        try:
            payload = await self._payload(request)
        except ValueError as exc:
            return _json({"errors": [{"message": str(exc), "extensions": {"code": "BAD_USER_INPUT"}}]},
                         400, media, request_id)
        try:
            query = self.trusted.resolve(payload)
        except TrustedDocumentError as exc:
            return _json({"errors": [{"message": str(exc), "extensions": {"code": "BAD_USER_INPUT"}}]},
                         400, media, request_id)
        operation_name = payload.get("operationName")
        variables = payload.get("variables") or None
        if not isinstance(query, str) or not query.strip():
            return _json({"errors": [{"message": "No GraphQL query found in the request",
                                      "extensions": {"code": "BAD_USER_INPUT"}}]}, 400, media, request_id)
        if variables is not None and not isinstance(variables, dict):
            return _json({"errors": [{"message": "variables must be a JSON object",
                                      "extensions": {"code": "BAD_USER_INPUT"}}]}, 400, media, request_id)
        document, problems = self.documents.get(query)
        if problems:
            invalid = {"errors": [format_error(e, request_id) for e in problems]}
            metrics.REQUESTS.labels(_op_label(operation_name), "invalid").inc()
            return _json(invalid, 400 if wants_graphql_response else 200, media, request_id)
        assert document is not None
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return _json({"errors": [{"message": "Unknown or ambiguous operation name",
                                      "extensions": {"code": "BAD_USER_INPUT"}}]}, 400, media, request_id)
        if request.method == "GET" and operation.operation != OperationType.QUERY:
            return _json({"errors": [{"message": "Only queries may be sent with GET; use POST",
                                      "extensions": {"code": "BAD_USER_INPUT"}}]}, 405, media, request_id)
        context = self.build_context(request, request_id)
        if self.limiter is not None:
            client = next((t.caller for t in context.tenants.values()), "") or (
                request.client.host if request.client else "unknown")
            wait = await self.limiter.retry_after(client)
            if wait is not None:
                metrics.REQUESTS.labels(_op_label(operation_name), "rate_limited").inc()
                response = _json({"errors": [{"message": "Too many requests from this client; try again later",
                                              "extensions": {"code": "RATE_LIMITED", "retryAfter": round(wait, 1)}}]},
                                 429, media, request_id)
                response.headers["retry-after"] = str(max(int(wait + 0.999), 1))
                return response
        started = time.perf_counter()
        kept_as = None
        if operation.operation == OperationType.QUERY:
            kept_as = self.responses.key(context, query, operation_name, variables)
            kept = None if kept_as is None else await self.responses.get(kept_as, self.services.store)
            if kept is not None:
                op = _op_label(operation_name or _name(operation))
                elapsed = time.perf_counter() - started
                metrics.REQUEST_SECONDS.labels(op).observe(elapsed)
                metrics.REQUESTS.labels(op, "ok").inc()
                log.info("graphql", extra={"request_id": request_id, "operation": op, "outcome": "ok",
                                           "ms": round(elapsed * 1000, 1), "answer": "kept",
                                           "tenants": sorted(t.id for t in context.tenants.values())})
                return Response(kept, status_code=200, media_type=media,
                                headers={"x-request-id": request_id})
        result = execute(self._schema, document, None, context, variables, operation_name,
                         executor_class=fast.FastExecutor, is_awaitable=fast.is_awaitable)
        if not isinstance(result, ExecutionResult):
            result = await result
        elapsed = time.perf_counter() - started
        if context.unplanned:
            metrics.UNPLANNED.inc(context.unplanned)
        op = _op_label(operation_name or _name(operation))
        metrics.REQUEST_SECONDS.labels(op).observe(elapsed)
        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = collapse([format_error(e, request_id) for e in result.errors])
        body["data"] = result.data
        outcome = "ok" if not result.errors else ("partial" if result.data else "error")
        tracing.annotate(**{"graphql.operation": op, "graphql.outcome": outcome,
                            "go4graph.tenants": ",".join(sorted(r.tenant.id for r in context.all_resources))})
        metrics.REQUESTS.labels(op, outcome).inc()
        log.info("graphql", extra={"request_id": request_id, "operation": op, "outcome": outcome,
                                   "ms": round(elapsed * 1000, 1),
                                   "tenants": sorted(r.tenant.id for r in context.all_resources)})
        status = 200
        if result.data is None and result.errors and wants_graphql_response:
            status = 200  # execution errors keep 200 (GraphQL over HTTP)
        encoded = orjson.dumps(body)
        if kept_as is not None and not result.errors and result.data is not None:
            self.responses.put(kept_as, encoded, context)
        return Response(encoded, status_code=status, media_type=media,
                        headers={"x-request-id": request_id})

    def build_context(self, request: Request, request_id: str) -> Context:
        resolved = self.services.tenancy.resolve(request.headers)
        fresh = "no-cache" in request.headers.get("cache-control", "")
        return Context(settings=self.services.settings, services=self.services,
                       store=self.services.store, request_id=request_id,
                       tenants=resolved.tenants, auth_problem=resolved.problem, fresh=fresh,
                       request=request)

    async def _payload(self, request: Request) -> dict[str, Any]:
        if request.method == "GET":
            params = request.query_params
            payload: dict[str, Any] = {"query": params.get("query"),
                                       "operationName": params.get("operationName"),
                                       "documentId": params.get("documentId")}
            for name in ("variables", "extensions"):
                if params.get(name):
                    try:
                        payload[name] = orjson.loads(params[name])
                    except orjson.JSONDecodeError:
                        raise ValueError(f"{name} is not valid JSON") from None
            return payload
        if request.method != "POST":
            raise ValueError("Use GET or POST")
        ctype = request.headers.get("content-type", "")
        body = await request.body()
        if "application/graphql" in ctype and "json" not in ctype:
            return {"query": body.decode("utf-8", "replace")}
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise ValueError("The request body is not valid JSON") from None
        if not isinstance(payload, dict):
            raise ValueError("The request body must be a JSON object (batches are not supported)")
        return payload


def _name(operation: OperationDefinitionNode) -> str | None:
    return operation.name.value if operation.name else None


def _op_label(name: str | None) -> str:
    # Operation names label metrics: keep them short and bounded to safe characters.
    if not name or not isinstance(name, str):  # any JSON value may come as operationName
        return "anonymous"
    cleaned = "".join(c for c in name if c.isalnum() or c in "_-")[:64]
    return cleaned or "anonymous"


def _json(body: Any, status: int = 200, media: str = JSON, request_id: str | None = None) -> Response:
    headers = {"x-request-id": request_id} if request_id else None
    return Response(orjson.dumps(body), status_code=status, media_type=media, headers=headers)
