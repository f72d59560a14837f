"""POST/GET /graphql: GraphQL over HTTP, lean on the hot path, under admission control.

One request goes through four steps, each a unit of its own, and any of them may end it with
a refusal (``answers.Refused``) that the one error builder (``answers.error_response``) turns
into the answer:

1. **reading** (``reading``): the envelope, within the size limits, of the right types;
2. **admission** (``admission``): the document (text, trusted document or automatic persisted
   query: ``persisted``), the rate limit, parsing and validation, the operation, the estimated
   cost and upstream calls: all before any upstream call; then the response cache
   (``response_cache``) may answer a repeated query at once;
3. **execution** (``running``): under the request's deadline, upstream-call and field
   budgets, cancelled at once when the client disconnects or the deadline passes;
4. **encoding** (``encoding``): orjson, metrics and the log line; ``extensions.cost`` when
   asked for.

This endpoint runs graphql-core's ``execute`` with the fast executor itself rather than
strawberry's pipeline, so a ``strawberry.Schema(extensions=[...])`` would not run here.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from graphql import GraphQLSchema, OperationType
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send

from gateway import access_log, metrics, tracing
from gateway.graph import fast
from gateway.http.admission import Admission
from gateway.http.answers import GRAPHQL_RESPONSE, JSON, ClientGone, Refused, error, error_response
from gateway.http.cost import SchoolSizes
from gateway.http.documents import ParsedDocuments
from gateway.http.encoding import Encoder
from gateway.http.graphiql import PAGE_HEADERS, graphiql_on
from gateway.http.persisted import DocumentResolver, PersistedQueries
from gateway.http.ratelimit import ClientRateLimiter, storage_for
from gateway.http.reading import Exchange, read_envelope, wants_cost
from gateway.http.response_cache import ResponseCache
from gateway.http.running import Runner, past_deadline
from gateway.http.trusted import TrustedDocuments, load_manifest
from gateway.services import Services
from gateway.upstream import budget as request_budget

log = logging.getLogger("go4graph.http")

#: In-process memory budget of automatic persisted queries (texts by hash; LRU).
APQ_BYTES = 16 * 1024 * 1024


class GraphQLEndpoint:
    """The /graphql ASGI endpoint."""

    def __init__(self, services: Services) -> None:
        self.services = services
        settings = self.settings = services.settings
        schema: GraphQLSchema = services.schema._schema
        fast.install(schema)  # direct resolvers for plain fields (idempotent)
        self.trusted = TrustedDocuments(
            load_manifest(settings.trusted_documents) if settings.trusted_documents else {},
            only=settings.trusted_only)
        shared = services.cache if services.cache.name == "redis" else None
        self.persisted = PersistedQueries(shared, max_bytes=APQ_BYTES)
        self.limiter = (ClientRateLimiter(settings.rate_limit, storage=storage_for(settings.cache_url))
                        if settings.rate_limit else None)
        self.sizes = SchoolSizes()
        self.admission = Admission(services, schema, DocumentResolver(self.trusted, self.persisted),
                                   self.limiter, self.sizes)
        self.runner = Runner(schema, max_fields=settings.max_fields, timeout=settings.request_timeout,
                             limiter=self.limiter, sizes=self.sizes)
        self.responses: ResponseCache = services.extras["response_cache"]  # build_services made it
        self.encoder = Encoder(self.responses, max_cost=settings.max_cost,
                               max_upstream_calls=settings.max_upstream_calls)
        services.extras["graphql_endpoint"] = self

    @property
    def documents(self) -> ParsedDocuments:
        return self.admission.documents

    @property
    def op_labels(self) -> metrics.OperationLabels:
        return self.admission.op_labels

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        with tracing.span("graphql", **{"http.method": request.method}) as current:
            try:
                response = await self.handle(request, receive)
            except ClientGone:
                log.info("graphql", extra={"outcome": "client-gone"})
                return
            if current is not None:
                current.set_attribute("http.status_code", response.status_code)
        await response(scope, receive, send)

    async def handle(self, request: Request, receive: Receive | None = None) -> Response:
        accept = request.headers.get("accept", "")
        if request.method == "GET" and "text/html" in accept and "query" not in request.query_params:
            return self.graphiql()
        wants = GRAPHQL_RESPONSE in accept
        settings = self.settings
        ex = Exchange(request=request,
                      # The server's own id (the write audit's middleware made it): a caller's
                      # X-Request-Id never names our records; the audit keeps it apart, sanitised.
                      request_id=request.scope.get("state", {}).get("go4graph_request_id")
                      or uuid.uuid4().hex[:16],
                      media=GRAPHQL_RESPONSE if wants else JSON, wants_graphql_response=wants,
                      budget=request_budget.RequestBudget(timeout=settings.request_timeout,
                                                          max_calls=settings.max_upstream_calls))
        receive = receive or request.receive
        try:
            async with asyncio.timeout(settings.request_timeout):
                ex.envelope = await read_envelope(request, receive, max_body=settings.max_body_bytes,
                                                  max_variables=settings.max_variables_bytes)
            ex.wants_cost = wants_cost(request, ex.envelope)
            await self.admission.admit(ex)
            kept = await self._kept(ex)
            if kept is not None:
                return kept
            result = await self.runner.run(ex, receive)
            await self._log_access(ex)
            return self.encoder.answer(ex, result)
        except Refused as refused:
            return self.encoder.refusal(ex, refused)
        except TimeoutError:
            return self.encoder.refusal(ex, past_deadline(settings.request_timeout))
        finally:
            if ex.context is not None:
                ex.context.release()

    async def _log_access(self, ex: Exchange) -> None:
        """One access-log line per school whose sensitive data the answer holds (issue 17); the
        answer is withheld when the line cannot be written."""
        assert ex.context is not None
        records = access_log.lines(ex.request_id, [(r.tenant, r.touched) for r in ex.context.all_resources])
        try:
            await access_log.write(self.services.access, records)
        except access_log.AccessLogUnavailable:
            refused = Refused(503, "The access log of sensitive data could not be written, so the "
                                   "answer was withheld; try again later", "INTERNAL",
                              requestId=ex.request_id)
            refused.outcome = "access-log-unavailable"
            raise refused from None

    def graphiql(self) -> Response:
        if not graphiql_on(self.settings):
            return error_response(404, [error("GraphiQL is switched off on this gateway", "NOT_FOUND")])
        return HTMLResponse(self.services.graphiql_html, headers=PAGE_HEADERS)

    async def _kept(self, ex: Exchange) -> Response | None:
        """A repeated read query's answer from the response cache, while its sources hold."""
        assert ex.operation is not None and ex.context is not None
        if ex.operation.operation != OperationType.QUERY or ex.wants_cost:
            return None
        key = self.responses.key(ex.context, ex.query, ex.operation_name, ex.variables)
        ex.kept_as = key
        kept = None if key is None else await self.responses.get(key)
        return None if kept is None else self.encoder.kept(ex, kept)
