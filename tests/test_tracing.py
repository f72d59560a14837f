"""OpenTelemetry spans, when configured: a span per request and per upstream call, no secrets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway import tracing
from gateway.simulator import DEMO_KEY
from tests.conftest import Gateway


@pytest.fixture
def spans(gateway: Gateway) -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.configure(None, exporter=exporter)  # after the gateway is built
    yield exporter
    tracing.configure(None)


async def test_request_and_upstream_spans(gateway: Gateway, spans: InMemorySpanExporter) -> None:
    data = await gateway.gql("query Names { academicYear { students(yearGroup: \"7\") { legalFirstName } } }")
    assert "errors" not in data
    finished = spans.get_finished_spans()
    names = [s.name for s in finished]
    assert "graphql" in names
    assert {"upstream school", "upstream students", "upstream education-details"} <= set(names)
    request = next(s for s in finished if s.name == "graphql")
    assert request.attributes["graphql.operation"] == "Names"
    assert request.attributes["graphql.outcome"] == "ok"
    assert request.attributes["http.status_code"] == 200
    upstream = [s for s in finished if s.name.startswith("upstream ")]
    assert all(s.attributes["upstream.status"] == "200" for s in upstream)
    assert all(s.parent is not None and s.parent.span_id == request.context.span_id for s in upstream)
    text = repr([(s.name, dict(s.attributes or {})) for s in finished])
    assert DEMO_KEY not in text
    first_name = data["data"]["academicYear"]["students"][0]["legalFirstName"]
    assert first_name not in text  # no personal data in spans


async def test_tracing_off_makes_no_spans(gateway: Gateway) -> None:
    with tracing.span("anything") as current:
        assert current is None
