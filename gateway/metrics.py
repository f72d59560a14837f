"""Prometheus metrics: labels are route names, outcomes and kinds, never personal data or keys."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter("go4graph_requests", "GraphQL requests by operation and outcome",
                   ["operation", "outcome"], registry=REGISTRY)
REQUEST_SECONDS = Histogram("go4graph_request_seconds", "GraphQL request latency",
                            ["operation"], registry=REGISTRY,
                            buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30))
UPSTREAM_CALLS = Counter("go4graph_upstream_calls", "Upstream HTTP calls by route and status",
                         ["source", "route", "status"], registry=REGISTRY)
UPSTREAM_SECONDS = Histogram("go4graph_upstream_seconds", "Upstream call latency", ["source", "route"],
                             registry=REGISTRY,
                             buckets=(.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30))
UPSTREAM_RETRIES = Counter("go4graph_upstream_retries", "Upstream retries by route and cause",
                           ["source", "route", "cause"], registry=REGISTRY)
CIRCUIT_OPEN = Gauge("go4graph_circuit_open", "1 while an upstream's circuit is open", ["source"],
                     registry=REGISTRY)
CACHE_EVENTS = Counter("go4graph_cache", "Resource cache events by kind and result",
                       ["kind", "result"], registry=REGISTRY)
CACHE_ERRORS = Counter("go4graph_cache_errors", "Cache backend failures (served from upstream instead)",
                       ["backend"], registry=REGISTRY)
REVALIDATIONS = Counter("go4graph_revalidations", "Conditional requests answered 304", ["source", "route"],
                        registry=REGISTRY)
UNPLANNED = Counter("go4graph_unplanned_loads",
                    "Resolver reads of a resource its query plan had not loaded (each is a per-object await)",
                    registry=REGISTRY)


# --- bounded operation labels (admission control, issue 12) --------------------------------

#: Label of requests whose document did not validate, and of names past the cap.
OTHER = "other"
ANONYMOUS = "anonymous"


class OperationLabels:
    """Operation names as metric labels, from a bounded set.

    Only names of documents that validated are ever offered (the HTTP layer's job); the first
    ``limit`` distinct names are kept as labels, every later one is counted as ``other``, so no
    caller can grow /metrics (or the process) by inventing names.
    """

    def __init__(self, limit: int = 100) -> None:
        self.limit = limit
        self._known: set[str] = set()

    def label(self, name: object) -> str:
        if not isinstance(name, str) or not name:
            return ANONYMOUS
        cleaned = "".join(c for c in name[:64] if c.isalnum() or c in "_-")
        if not cleaned:
            return ANONYMOUS
        if cleaned in self._known:
            return cleaned
        if len(self._known) >= self.limit:
            return OTHER
        self._known.add(cleaned)
        return cleaned

    def __len__(self) -> int:
        return len(self._known)
