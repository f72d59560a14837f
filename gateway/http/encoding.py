"""Step 4 of /graphql: the answer (orjson), or a refusal, with metrics, a log line and the
response cache's copy; ``extensions.cost`` when asked for."""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
from graphql import ExecutionResult
from starlette.responses import Response

from gateway import metrics, tracing
from gateway.graph.errors import collapse, format_error
from gateway.http.answers import Refused, cut_error, error_response
from gateway.http.reading import Exchange
from gateway.http.response_cache import ResponseCache

log = logging.getLogger("go4graph.http")


class Encoder:
    def __init__(self, responses: ResponseCache, *, max_cost: int, max_upstream_calls: int) -> None:
        self.responses = responses
        self.max_cost = max_cost
        self.max_upstream_calls = max_upstream_calls

    def answer(self, ex: Exchange, result: ExecutionResult) -> Response:
        context = ex.context
        assert context is not None
        if context.unplanned:
            metrics.UNPLANNED.inc(context.unplanned)
        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = collapse([cut_error(format_error(e, ex.request_id))
                                       for e in result.errors])
        body["data"] = result.data
        cost = self._cost(ex)
        if cost is not None:
            body["extensions"] = cost
        outcome = "ok" if not result.errors else ("partial" if result.data else "error")
        tracing.annotate(**{"graphql.operation": ex.op, "graphql.outcome": outcome,
                            "go4graph.tenants": ",".join(sorted(r.tenant.id
                                                                for r in context.all_resources))})
        observe(ex, outcome)
        encoded = orjson.dumps(body)
        # An answer holding sensitive data is not kept: every read of it leaves its access-log line.
        if ex.kept_as is not None and not result.errors and result.data is not None \
                and not any(r.touched for r in context.all_resources):
            self.responses.put(ex.kept_as, encoded, context)
        return Response(encoded, status_code=200, media_type=ex.media,
                        headers={"x-request-id": ex.request_id})

    def kept(self, ex: Exchange, body: bytes) -> Response:
        """An answer from the response cache."""
        observe(ex, "ok", answer="kept")
        return Response(body, status_code=200, media_type=ex.media,
                        headers={"x-request-id": ex.request_id})

    def refusal(self, ex: Exchange, refused: Refused) -> Response:
        if refused.outcome != "invalid":  # counted where the document failed
            observe(ex, refused.outcome)
        return error_response(refused.status, refused.errors, media=ex.media,
                              headers={"x-request-id": ex.request_id, **refused.headers},
                              data_null=refused.outcome == "limit" and ex.operation is not None,
                              extensions=self._cost(ex))

    def _cost(self, ex: Exchange) -> dict[str, Any] | None:
        if not ex.wants_cost or ex.estimate is None:
            return None
        return {"cost": ex.estimate.as_extension(self.max_cost, self.max_upstream_calls)}


def observe(ex: Exchange, outcome: str, **extra: Any) -> None:
    elapsed = time.perf_counter() - ex.started
    metrics.REQUEST_SECONDS.labels(ex.op).observe(elapsed)
    metrics.REQUESTS.labels(ex.op, outcome).inc()
    tenants = sorted(r.tenant.id for r in ex.context.all_resources) if ex.context else []
    log.info("graphql", extra={"request_id": ex.request_id, "operation": ex.op, "outcome": outcome,
                               "ms": round(elapsed * 1000, 1), "tenants": tenants,
                               "document": ex.source or None, "method": ex.request.method, **extra})
