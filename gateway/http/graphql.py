"""POST/GET /graphql: GraphQL over HTTP, lean on the hot path, under admission control.

One request goes through four steps, each of which may end it with an error answer built in
one place (``_refusal``):

1. **reading**: the body is read as it streams in and refused (413) past
   ``GO4GRAPH_MAX_BODY_BYTES`` without reading further (a larger ``Content-Length`` is refused
   before the first byte); variables past ``GO4GRAPH_MAX_VARIABLES_BYTES`` likewise;
2. **admission**: rate limit (by verified identity, ``ratelimit``), parsing and validation
   (cached by the document's sha256, bounded in bytes; failures are never kept), the operation,
   the estimated cost and upstream calls (``cost``): all before any upstream call;
3. **execution**: under a ``RequestBudget`` (deadline ``GO4GRAPH_REQUEST_TIMEOUT`` and upstream
   calls, honoured by the upstream layer), a budget of completed fields (``execution``), and
   cancelled at once when the client disconnects or the deadline passes;
4. **encoding**: orjson; ``extensions.cost`` when asked for.

With ``Accept: application/graphql-response+json`` a document that fails to parse or validate
(or is refused for its cost) is a 400; with ``application/json`` it is a 200 with ``errors``
(GraphQL over HTTP). Every refusal is a GraphQL error with ``extensions.code``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
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
from gateway.http.cost import CostEstimator, Estimate, SchoolSizes
from gateway.http.execution import METER, BoundedExecutor, FieldMeter
from gateway.http.graphiql import PAGE_HEADERS
from gateway.http.ratelimit import ClientRateLimiter, client_address, storage_for
from gateway.http.response_cache import ResponseCache
from gateway.http.trusted import TrustedDocumentError, TrustedDocuments, load_manifest
from gateway.http.validation import depth_and_aliases_rule
from gateway.services import Services
from gateway.upstream import budget as request_budget

log = logging.getLogger("go4graph.http")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
#: Longest piece of a message that may echo what the caller sent.
MAX_MESSAGE = 300
#: Estimated memory of a parsed and validated document per character of its text outside
#: comments (measured with tracemalloc on schema/examples: 245-420 bytes); the text itself is
#: kept too (the AST's locations hold it), comments included.
AST_BYTES_PER_CHAR = 400
_COMMENT = re.compile(r"#[^\n\r]*")
#: Asks for the cost estimate in ``extensions.cost``: this header, or ``extensions.cost`` true.
COST_HEADER = "x-go4graph-cost"


class Refused(Exception):
    """An answer made of errors: the request stops here."""

    def __init__(self, status: int, message: str, code: str, **extensions: Any) -> None:
        super().__init__(message)
        self.status = status
        self.errors = [{"message": _cut(message), "extensions": {"code": code, **extensions}}]
        self.headers: dict[str, str] = {}
        self.outcome = "refused"

    @classmethod
    def limit(cls, status: int, message: str, limit: str, value: Any, max: Any) -> Refused:
        refused = cls(status, message, "LIMIT_EXCEEDED", limit=limit, value=value, max=max)
        refused.outcome = "limit"
        return refused


class _ClientGone(Exception):
    """The client disconnected: nobody to answer."""


class _Documents:
    """Parsed and validated documents by the sha256 of their text, bounded by estimated bytes.

    Only documents that parse and validate are kept: a failure is cheap to find again and
    must not take room (nor let a caller fill memory with junk)."""

    def __init__(self, services: Services) -> None:
        s = services.settings
        self._schema = services.schema._schema  # type: ignore[attr-defined]
        self._rules = [*specified_rules, depth_and_aliases_rule(s.max_depth, s.max_aliases)]
        if not s.introspection:
            self._rules.append(NoSchemaIntrospectionCustomRule)
        self._max_tokens = s.max_tokens
        self.max_bytes = s.document_cache_bytes
        self.bytes = 0
        self._cache: OrderedDict[bytes, tuple[DocumentNode, int]] = OrderedDict()

    def get(self, text: str) -> tuple[DocumentNode | None, list[GraphQLError]]:
        key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit[0], []
        try:
            document = parse(text, max_tokens=self._max_tokens)
        except GraphQLError as exc:
            return None, [exc]
        problems = validate(self._schema, document, self._rules)
        if problems:
            return document, problems
        weight = len(text) + AST_BYTES_PER_CHAR * len(_COMMENT.sub("", text))
        if weight <= self.max_bytes // 8:  # one document never takes more than an eighth
            self._cache[key] = (document, weight)
            self.bytes += weight
            while self.bytes > self.max_bytes and self._cache:
                _, (_, old) = self._cache.popitem(last=False)
                self.bytes -= old
        return document, []

    def __len__(self) -> int:
        return len(self._cache)


@dataclass
class _Request:
    """What one request carries from step to step."""

    request: Request
    request_id: str
    media: str
    wants_graphql_response: bool
    budget: request_budget.RequestBudget
    started: float = field(default_factory=time.perf_counter)
    op: str = metrics.OTHER
    payload: dict[str, Any] = field(default_factory=dict)
    query: str = ""
    operation_name: str | None = None
    variables: dict[str, Any] | None = None
    context: Context | None = None
    document: DocumentNode | None = None
    operation: OperationDefinitionNode | None = None
    estimate: Estimate | None = None
    wants_cost: bool = False
    kept_as: Any = None


class GraphQLEndpoint:
    """The /graphql ASGI endpoint."""

    def __init__(self, services: Services) -> None:
        self.services = services
        settings = self.settings = services.settings
        self.documents = _Documents(services)
        self.trusted = TrustedDocuments(
            load_manifest(settings.trusted_documents) if settings.trusted_documents else {},
            only=settings.trusted_only)
        self.limiter = (ClientRateLimiter(settings.rate_limit, storage=storage_for(settings.cache_url))
                        if settings.rate_limit else None)
        self._schema = services.schema._schema  # type: ignore[attr-defined]
        fast.install(self._schema)  # direct resolvers for plain fields (idempotent)
        self.responses = ResponseCache()
        self.sizes = SchoolSizes()
        self.cost = CostEstimator(self._schema, self.sizes)
        self.op_labels = metrics.OperationLabels(settings.metrics_max_operations)
        services.extras["response_cache"] = self.responses
        services.extras["graphql_endpoint"] = self

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        with tracing.span("graphql", **{"http.method": request.method}) as current:
            try:
                response = await self.handle(request, receive)
            except _ClientGone:
                log.info("graphql", extra={"outcome": "client-gone"})
                return
            if current is not None:
                current.set_attribute("http.status_code", response.status_code)
        await response(scope, receive, send)

    # --- the steps ------------------------------------------------------------------------

    async def handle(self, request: Request, receive: Any = None) -> Response:
        accept = request.headers.get("accept", "")
        if request.method == "GET" and "text/html" in accept and "query" not in request.query_params:
            if not self.settings.graphiql:
                return _json({"errors": [{"message": "GraphiQL is switched off on this gateway"}]}, 404)
            return HTMLResponse(self.services.graphiql_html, headers=PAGE_HEADERS)
        wants = GRAPHQL_RESPONSE in accept
        req = _Request(request=request,
                       # The server's own id (the write audit's middleware made it): a caller's
                       # X-Request-Id never names our records; the audit keeps it apart, sanitised.
                       request_id=request.scope.get("state", {}).get("go4graph_request_id")
                       or uuid.uuid4().hex[:16],
                       media=GRAPHQL_RESPONSE if wants else JSON, wants_graphql_response=wants,
                       budget=request_budget.RequestBudget(timeout=self.settings.request_timeout,
                                                           max_calls=self.settings.max_upstream_calls))
        receive = receive or request.receive
        try:
            async with asyncio.timeout(self.settings.request_timeout):
                await self._read(req, receive)
            await self._admit(req)
            kept = await self._kept_answer(req)
            if kept is not None:
                return kept
            result = await self._execute(req, receive)
            return self._encode(req, result)
        except Refused as refused:
            return self._refusal(req, refused)
        except TimeoutError:
            return self._refusal(req, self._deadline())

    async def _read(self, req: _Request, receive: Any) -> None:
        """Step 1: the payload, within the size limits, as plain values of the right types."""
        request = req.request
        limit = self.settings.max_body_bytes
        if request.method == "GET":
            if len(request.scope.get("query_string", b"")) > limit:
                raise Refused.limit(413, "The query string is too large", "bodyBytes",
                                    len(request.scope.get("query_string", b"")), limit)
            payload = self._get_payload(request)
        elif request.method == "POST":
            body = await _read_body(request, receive, limit)
            payload = self._post_payload(request, body)
        else:
            raise Refused(405, "Use GET or POST", "BAD_USER_INPUT")
        try:
            query = self.trusted.resolve(payload)
        except TrustedDocumentError as exc:
            raise Refused(400, str(exc), "BAD_USER_INPUT") from None
        operation_name = payload.get("operationName")
        variables = payload.get("variables") or None
        if not isinstance(query, str) or not query.strip():
            raise Refused(400, "No GraphQL query found in the request", "BAD_USER_INPUT")
        if operation_name is not None and not isinstance(operation_name, str):
            raise Refused(400, "operationName must be a string", "BAD_USER_INPUT")
        if variables is not None:
            if not isinstance(variables, dict):
                raise Refused(400, "variables must be a JSON object", "BAD_USER_INPUT")
            size = len(orjson.dumps(variables))
            if size > self.settings.max_variables_bytes:
                raise Refused.limit(413, "The variables are too large", "variablesBytes", size,
                                    self.settings.max_variables_bytes)
        extensions = payload.get("extensions")
        req.payload, req.query, req.operation_name, req.variables = payload, query, operation_name, variables
        req.wants_cost = (request.headers.get(COST_HEADER, "").lower() in ("1", "true", "yes")
                          or (isinstance(extensions, dict) and extensions.get("cost") is True))

    async def _admit(self, req: _Request) -> None:
        """Step 2: rate limit, document, operation, estimated cost; nothing upstream yet."""
        request = req.request
        req.context = context = self.build_context(request, req.request_id)
        await self._rate_limit(req, context)
        document, problems = self.documents.get(req.query)
        if problems:
            metrics.REQUESTS.labels(metrics.OTHER, "invalid").inc()
            refused = Refused(400 if req.wants_graphql_response else 200, "", "BAD_USER_INPUT")
            refused.errors = [_cut_error(format_error(e, req.request_id)) for e in problems]
            refused.outcome = "invalid"
            raise refused
        assert document is not None
        operation = get_operation_ast(document, req.operation_name)
        if operation is None:
            raise Refused(400, "Unknown or ambiguous operation name", "BAD_USER_INPUT")
        req.document, req.operation = document, operation
        req.op = self.op_labels.label(req.operation_name or _name(operation))
        if request.method == "GET" and operation.operation != OperationType.QUERY:
            raise Refused(405, "Only queries may be sent with GET; use POST", "BAD_USER_INPUT")
        estimate = req.estimate = self.cost.estimate(
            document, operation, req.variables, [t.id for t in context.tenants.values()])
        status = 400 if req.wants_graphql_response else 200
        if estimate.cost > self.settings.max_cost:
            raise Refused.limit(
                status, f"This operation's estimated cost ({round(estimate.cost)}) is over the "
                f"limit of {self.settings.max_cost}: select fewer fields under lists, or filter them",
                "cost", round(estimate.cost), self.settings.max_cost)
        if estimate.upstream_calls > self.settings.max_upstream_calls:
            raise Refused.limit(
                status, f"This operation needs at least {estimate.upstream_calls} upstream calls, "
                f"over the limit of {self.settings.max_upstream_calls}: ask for fewer days or "
                "fewer date-range fields", "upstreamCalls", estimate.upstream_calls,
                self.settings.max_upstream_calls)

    async def _rate_limit(self, req: _Request, context: Context) -> None:
        if self.limiter is None:
            return
        request = req.request
        address = client_address(request.headers, request.client, self.settings.trusted_proxy_hops)
        callers = [t.caller for t in context.tenants.values() if t.caller]
        who = self.limiter.identity(callers, trusted=self.services.tenancy.mode == "trust",
                                    address=address)
        wait = await self.limiter.retry_after(who)
        if wait is not None:
            refused = Refused(429, "Too many requests from this client; try again later", "RATE_LIMITED",
                              retryAfter=round(wait, 1))
            refused.headers["retry-after"] = str(max(int(wait + 0.999), 1))
            refused.outcome = "rate_limited"
            raise refused

    async def _kept_answer(self, req: _Request) -> Response | None:
        assert req.operation is not None and req.context is not None
        if req.operation.operation != OperationType.QUERY or req.wants_cost:
            return None
        key = self.responses.key(req.context, req.query, req.operation_name, req.variables)
        req.kept_as = key
        kept = None if key is None else await self.responses.get(key, self.services.store)
        if kept is None:
            return None
        self._observe(req, "ok", answer="kept")
        return Response(kept, status_code=200, media_type=req.media,
                        headers={"x-request-id": req.request_id})

    async def _execute(self, req: _Request, receive: Any) -> ExecutionResult:
        """Step 3: execution as a task, stopped by the deadline, the field budget or a disconnect."""
        assert req.document is not None and req.context is not None
        meter = FieldMeter(self.settings.max_fields)
        document, context = req.document, req.context

        async def run() -> ExecutionResult:
            meter.fields, meter.exceeded = 0, False
            METER.set(meter)
            with request_budget.bound(req.budget):
                result = execute(self._schema, document, None, context, req.variables,
                                 req.operation_name, executor_class=BoundedExecutor,
                                 is_awaitable=fast.is_awaitable)
                if not isinstance(result, ExecutionResult):
                    result = await result
                return result

        watcher = asyncio.ensure_future(_disconnected(receive))
        try:
            task = asyncio.ensure_future(run())
            done, _ = await asyncio.wait({task, watcher}, timeout=req.budget.remaining(),
                                         return_when=asyncio.FIRST_COMPLETED)
            if task not in done:
                await _stop(task, context)
                if watcher in done and watcher.result():
                    raise _ClientGone
                raise self._deadline()
            # A load shared with another request (single-flight) that was stopped with that
            # request is led again by a waiter (resources/flight.py): never cancelled here.
        finally:
            watcher.cancel()
        result = task.result()
        self._learn(context)
        if meter.exceeded:
            _release(context)
            raise Refused.limit(200, f"The answer passed the limit of {meter.max_fields} fields; "
                                "ask for less (fewer fields under lists, or filters)",
                                "fields", meter.fields, meter.max_fields)
        return result

    def _encode(self, req: _Request, result: ExecutionResult) -> Response:
        """Step 4: the answer, with metrics, a log line and the kept copy."""
        context = req.context
        assert context is not None
        if context.unplanned:
            metrics.UNPLANNED.inc(context.unplanned)
        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = collapse([_cut_error(format_error(e, req.request_id)) for e in result.errors])
        body["data"] = result.data
        if req.wants_cost and req.estimate is not None:
            body["extensions"] = {"cost": req.estimate.as_extension(self.settings.max_cost,
                                                                    self.settings.max_upstream_calls)}
        outcome = "ok" if not result.errors else ("partial" if result.data else "error")
        tracing.annotate(**{"graphql.operation": req.op, "graphql.outcome": outcome,
                            "go4graph.tenants": ",".join(sorted(r.tenant.id for r in context.all_resources))})
        self._observe(req, outcome)
        encoded = orjson.dumps(body)
        kept_as = req.kept_as
        if kept_as is not None and not result.errors and result.data is not None:
            self.responses.put(kept_as, encoded, context)
        return Response(encoded, status_code=200, media_type=req.media,
                        headers={"x-request-id": req.request_id})

    def _refusal(self, req: _Request, refused: Refused) -> Response:
        """The one builder of error answers."""
        if refused.outcome != "invalid":  # counted where the document failed
            self._observe(req, refused.outcome)
        body: dict[str, Any] = {"errors": refused.errors}
        if refused.outcome == "limit" and req.operation is not None:
            body["data"] = None
        if req.wants_cost and req.estimate is not None:
            body["extensions"] = {"cost": req.estimate.as_extension(self.settings.max_cost,
                                                                    self.settings.max_upstream_calls)}
        return Response(orjson.dumps(body), status_code=refused.status, media_type=req.media,
                        headers={"x-request-id": req.request_id, **refused.headers})

    def _deadline(self) -> Refused:
        timeout = self.settings.request_timeout
        return Refused.limit(200, f"The request ran past its deadline of {timeout:g} s and was stopped",
                             "deadline", timeout, timeout)

    # --- helpers ------------------------------------------------------------------------------

    def _observe(self, req: _Request, outcome: str, **extra: Any) -> None:
        elapsed = time.perf_counter() - req.started
        metrics.REQUEST_SECONDS.labels(req.op).observe(elapsed)
        metrics.REQUESTS.labels(req.op, outcome).inc()
        tenants = sorted(r.tenant.id for r in req.context.all_resources) if req.context else []
        log.info("graphql", extra={"request_id": req.request_id, "operation": req.op, "outcome": outcome,
                                   "ms": round(elapsed * 1000, 1), "tenants": tenants, **extra})

    def _learn(self, context: Context) -> None:
        """What execution taught: credentials the upstream accepted, and the schools' sizes."""
        for res in context.all_resources:
            tables = res.tables()
            if tables and self.limiter is not None and res.tenant.caller:
                self.limiter.verified.add(res.tenant.caller)
            for rkey, table in tables:
                if rkey.arg is None:
                    self.sizes.note(res.tenant.id, rkey.route, len(table))

    def build_context(self, request: Request, request_id: str) -> Context:
        resolved = self.services.tenancy.resolve(request.headers)
        fresh = "no-cache" in request.headers.get("cache-control", "")
        return Context(settings=self.settings, services=self.services,
                       store=self.services.store, request_id=request_id,
                       tenants=resolved.tenants, auth_problem=resolved.problem, fresh=fresh,
                       request=request)

    def _get_payload(self, request: Request) -> dict[str, Any]:
        params = request.query_params
        payload: dict[str, Any] = {"query": params.get("query"),
                                   "operationName": params.get("operationName"),
                                   "documentId": params.get("documentId")}
        for name in ("variables", "extensions"):
            if params.get(name):
                try:
                    payload[name] = orjson.loads(params[name])
                except orjson.JSONDecodeError:
                    raise Refused(400, f"{name} is not valid JSON", "BAD_USER_INPUT") from None
        return payload

    def _post_payload(self, request: Request, body: bytes) -> dict[str, Any]:
        ctype = request.headers.get("content-type", "")
        if "application/graphql" in ctype and "json" not in ctype:
            return {"query": body.decode("utf-8", "replace")}
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise Refused(400, "The request body is not valid JSON", "BAD_USER_INPUT") from None
        if not isinstance(payload, dict):
            raise Refused(400, "The request body must be a JSON object (batches are not supported)",
                          "BAD_USER_INPUT")
        return payload


async def _read_body(request: Request, receive: Any, limit: int) -> bytes:
    """The body, refused (413) as soon as it is known to pass ``limit``; no byte more is read."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise Refused.limit(413, f"The request body is larger than {limit} bytes", "bodyBytes",
                            int(declared), limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise Refused.limit(413, f"The request body is larger than {limit} bytes", "bodyBytes",
                                size, limit)
        if chunk:
            chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _disconnected(receive: Any) -> bool:
    """True once the client has gone (the body is already read, so only a disconnect comes)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return True


async def _stop(task: asyncio.Future[Any], context: Context) -> None:
    """Cancel an execution and the upstream loads it started; its memory goes with it."""
    task.cancel()
    _release(context)
    with contextlib.suppress(BaseException):
        await task


def _release(context: Context) -> None:
    # The request's resource loads run as their own (shielded) tasks: stop them too.
    for res in context.all_resources:
        for pending in list(getattr(res, "_pending", {}).values()):
            pending.cancel()


def _name(operation: OperationDefinitionNode) -> str | None:
    return operation.name.value if operation.name else None


def _cut(message: str, limit: int = MAX_MESSAGE) -> str:
    return message if len(message) <= limit else message[:limit] + "…"


def _cut_error(error: dict[str, Any]) -> dict[str, Any]:
    if isinstance(error.get("message"), str):
        error["message"] = _cut(error["message"])
    return error


def _json(body: Any, status: int = 200, media: str = JSON, request_id: str | None = None) -> Response:
    headers = {"x-request-id": request_id} if request_id else None
    return Response(orjson.dumps(body), status_code=status, media_type=media, headers=headers)
