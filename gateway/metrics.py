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

# --- cached personal data (issue 15): sealed values and credential re-checks -------------
CACHE_REJECTED = Counter("go4graph_cache_rejected", "Cache values dropped as unreadable: reason "
                         "seal (failed authentication: forged, moved, replayed or another secret's) "
                         "or format", ["backend", "reason"], registry=REGISTRY)
CREDENTIAL_CHECKS = Counter("go4graph_credential_checks", "Upstream re-confirmations of a key "
                            "serving cached data, by mode and outcome (accepted, refused, failed, skipped: no budget left)",
                            ["mode", "outcome"], registry=REGISTRY)
REVOKED_SCHOOL_KEYS = Gauge("go4graph_revoked_school_keys", "School keys held by this gateway "
                            "(server key or schools file) that the upstream refused at their "
                            "last check", registry=REGISTRY)
