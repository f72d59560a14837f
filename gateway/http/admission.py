"""Step 2 of /graphql: admission, all before any upstream call.

In order: the document the request runs (its text, a trusted document or an automatic
persisted query, gateway/http/persisted.py); the per-client rate limit (by verified identity,
gateway/http/ratelimit.py); parsing and validation (cached, gateway/http/documents.py); the
operation (GET runs queries only); the caller's data categories (issue 17: an operation of
which the token may read nothing is refused here, gateway/graph/scopes.py); the estimated cost
and upstream calls (gateway/http/cost.py).

With ``Accept: application/graphql-response+json`` a document that fails to parse or validate
(or is refused for its cost) is a 400; with ``application/json`` it is a 200 with ``errors``
(GraphQL over HTTP).
"""

from __future__ import annotations

from graphql import GraphQLSchema, OperationDefinitionNode, OperationType, get_operation_ast
from starlette.requests import Request

from gateway import metrics
from gateway.graph import scopes
from gateway.graph.context import Context
from gateway.graph.errors import format_error
from gateway.http.answers import Refused
from gateway.http.cost import CostEstimator, SchoolSizes
from gateway.http.documents import ParsedDocuments
from gateway.http.persisted import DocumentResolver
from gateway.http.ratelimit import ClientRateLimiter, client_address
from gateway.http.reading import Exchange
from gateway.services import Services


class Admission:
    def __init__(self, services: Services, schema: GraphQLSchema, resolver: DocumentResolver,
                 limiter: ClientRateLimiter | None, sizes: SchoolSizes) -> None:
        settings = self.settings = services.settings
        self.services = services
        self.schema = schema
        self.resolver = resolver
        self.limiter = limiter
        self.documents = ParsedDocuments(
            schema, max_depth=settings.max_depth, max_aliases=settings.max_aliases,
            max_tokens=settings.max_tokens, introspection=settings.introspection,
            max_bytes=settings.document_cache_bytes)
        self.cost = CostEstimator(schema, sizes)
        self.op_labels = metrics.OperationLabels(settings.metrics_max_operations)

    async def admit(self, ex: Exchange) -> None:
        """Fills ``ex`` (text, context, document, operation, estimate) or raises ``Refused``."""
        ex.query, ex.registration, ex.source = await self.resolver.resolve(ex.envelope)
        ex.context = context = self.build_context(ex.request, ex.request_id)
        await self._rate_limit(ex, context)
        document, problems = self.documents.get(ex.query)
        if problems:
            metrics.REQUESTS.labels(metrics.OTHER, "invalid").inc()
            raise Refused.invalid(400 if ex.wants_graphql_response else 200,
                                  [format_error(e, ex.request_id) for e in problems])
        assert document is not None
        if ex.registration is not None:  # an automatic persisted query that validates: kept
            await self.resolver.apq.put(ex.registration)
        operation = get_operation_ast(document, ex.operation_name)
        if operation is None:
            raise Refused(400, "Unknown or ambiguous operation name", "BAD_USER_INPUT")
        ex.document, ex.operation = document, operation
        ex.op = self.op_labels.label(ex.operation_name or _name(operation))
        if ex.request.method == "GET" and operation.operation != OperationType.QUERY:
            raise Refused(405, "Only queries may be sent with GET; use POST", "BAD_USER_INPUT")
        self._within_scopes(ex, context)
        self._within_cost(ex, context)

    def _within_scopes(self, ex: Exchange, context: Context) -> None:
        """Refused (FORBIDDEN) when, for every school it reads, the token may read none of what
        the operation asks for; a partly allowed one runs and its other fields are FORBIDDEN."""
        assert ex.document is not None
        refusals = [scopes.refusal(self.schema, ex.document, tenant.categories)
                    for tenant in context.tenants.values()]
        if refusals and all(r is not None for r in refusals):
            first = refusals[0]
            assert first is not None
            refused = Refused(400 if ex.wants_graphql_response else 200, first.message, first.code,
                              **first.extensions)
            refused.outcome = "forbidden"
            raise refused

    def _within_cost(self, ex: Exchange, context: Context) -> None:
        assert ex.document is not None and ex.operation is not None
        s = self.settings
        estimate = ex.estimate = self.cost.estimate(
            ex.document, ex.operation, ex.variables, [t.id for t in context.tenants.values()])
        status = 400 if ex.wants_graphql_response else 200
        if estimate.cost > s.max_cost:
            raise Refused.limit(
                status, f"This operation's estimated cost ({round(estimate.cost)}) is over the "
                f"limit of {s.max_cost}: select fewer fields under lists, or filter them",
                "cost", round(estimate.cost), s.max_cost)
        if estimate.upstream_calls > s.max_upstream_calls:
            raise Refused.limit(
                status, f"This operation needs at least {estimate.upstream_calls} upstream calls, "
                f"over the limit of {s.max_upstream_calls}: ask for fewer days or "
                "fewer date-range fields", "upstreamCalls", estimate.upstream_calls,
                s.max_upstream_calls)

    async def _rate_limit(self, ex: Exchange, context: Context) -> None:
        if self.limiter is None:
            return
        request = ex.request
        address = client_address(request.headers, request.client, self.settings.trusted_proxy_hops)
        callers = [t.caller for t in context.tenants.values() if t.caller]
        who = self.limiter.identity(callers, trusted=self.services.tenancy.mode == "trust",
                                    address=address)
        wait = await self.limiter.retry_after(who)
        if wait is not None:
            refused = Refused(429, "Too many requests from this client; try again later",
                              "RATE_LIMITED", retryAfter=round(wait, 1))
            refused.headers["retry-after"] = str(max(int(wait + 0.999), 1))
            refused.outcome = "rate_limited"
            raise refused

    def build_context(self, request: Request, request_id: str) -> Context:
        resolved = self.services.tenancy.resolve(request.headers)
        fresh = "no-cache" in request.headers.get("cache-control", "")
        return Context(settings=self.settings, services=self.services,
                       store=self.services.store, request_id=request_id,
                       tenants=resolved.tenants, auth_problem=resolved.problem, fresh=fresh,
                       request=request)


def _name(operation: OperationDefinitionNode) -> str | None:
    return operation.name.value if operation.name else None

