"""OpenTelemetry tracing, when configured (GO4GRAPH_OTEL_ENDPOINT); a no-op otherwise.

Spans carry operation names, outcomes, route names, statuses and tenant hashes —
never a key, a token, a query's variables or any personal field. The OpenTelemetry
packages are an optional extra (``pip install 'go4graph[otel]'``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

log = logging.getLogger("go4graph.tracing")

_tracer: Any = None


def configure(endpoint: str | None, service_name: str = "go4graph", exporter: Any = None) -> bool:
    """Install a tracer exporting to an OTLP/HTTP endpoint (or to ``exporter``, for tests)."""
    global _tracer
    if endpoint is None and exporter is None:
        _tracer = None
        return False
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    except ImportError:
        log.warning("GO4GRAPH_OTEL_ENDPOINT is set but OpenTelemetry is not installed: "
                    "pip install 'go4graph[otel]'")
        _tracer = None
        return False
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    _tracer = provider.get_tracer("go4graph")
    return True


@contextlib.contextmanager
def span(name: str, **attributes: Any) -> Iterator[Any]:
    """A span when tracing is configured; nothing (and next to no cost) when it is not."""
    if _tracer is None:
        yield None
        return
    with _tracer.start_as_current_span(name, attributes={k: v for k, v in attributes.items()
                                                         if v is not None}) as current:
        yield current


def annotate(**attributes: Any) -> None:
    """Add attributes to the current span (no-op when tracing is off)."""
    if _tracer is None:
        return
    from opentelemetry import trace

    current = trace.get_current_span()
    for key, value in attributes.items():
        if value is not None:
            current.set_attribute(key, value)
