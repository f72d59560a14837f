"""Prometheus metrics: labels are route names, outcomes and kinds, never personal data or keys.

With several worker processes (``go4graph serve --workers N``) the CLI sets
``PROMETHEUS_MULTIPROC_DIR`` to a fresh folder before the workers start: every
process then writes its values there and a scrape of any worker adds up all of them
(prometheus-client's multiprocess mode). One process alone keeps them in memory.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REGISTRY = CollectorRegistry(auto_describe=True)


def multiprocess_dir() -> str | None:
    """The folder the workers share, when this process is one of several."""
    return os.environ.get(MULTIPROC_ENV) or None


def scrape_registry() -> CollectorRegistry:
    """What a scrape reads: this process's registry, or every worker's values added up."""
    if multiprocess_dir() is not None:
        registry = CollectorRegistry()
        _multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus-client is untyped here
        return registry
    return REGISTRY


def render() -> tuple[bytes, str]:
    """The text of a scrape (the public /metrics route and GO4GRAPH_METRICS_PORT alike)."""
    return generate_latest(scrape_registry()), CONTENT_TYPE_LATEST


def process_exited(pid: int) -> None:
    """Drop a dead worker's live gauges (its counters stay: they are totals)."""
    if multiprocess_dir() is not None:
        _multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]

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
                     registry=REGISTRY, multiprocess_mode="livemax")
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
# --- readiness (gateway/readiness.py) -------------------------------------------------------
READY = Gauge("go4graph_ready", "1 while the process takes new requests (0 while starting or draining)",
              registry=REGISTRY, multiprocess_mode="livemin")
DEGRADED = Gauge("go4graph_degraded",
                 "1 while a part (cache, upstream circuit) is down; queries are still answered",
                 ["part"], registry=REGISTRY, multiprocess_mode="livemax")

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
