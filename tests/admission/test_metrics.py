"""Bounded observability: operation labels from a bounded set; /metrics off the public port."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import httpx

from gateway import metrics
from tests.conftest import Gateway, free_port


def _operations(text: str) -> set[str]:
    return {line.split('operation="', 1)[1].split('"', 1)[0]
            for line in text.splitlines() if line.startswith("go4graph_requests_total{")}


async def test_metrics_stay_bounded_after_thousands_of_random_operation_names(
        make_admission_gateway: Callable[..., Gateway]) -> None:
    gw = make_admission_gateway(metrics_max_operations=20)
    before = len((await gw.client.get("/metrics")).content)
    for n in range(2000):
        name = "op" + secrets.token_hex(8)
        query = (f"query {name} {{ __typename }}" if n % 2 else f"query {name} {{ nope }}")
        r = await gw.client.post("/graphql", json={"query": query, "operationName": name})
        assert r.status_code == 200
    text = (await gw.client.get("/metrics")).text
    # Earlier tests' labels stay; this gateway added at most its 20 names.
    labels = _operations(text)
    ours = {label for label in labels if label.startswith("op")}
    assert len(ours) <= 20
    assert metrics.OTHER in labels
    assert len(text) - before < 20 * 2000  # at most 20 new label sets, not 2,000
    endpoint = gw.services.extras["graphql_endpoint"]
    assert len(endpoint.op_labels) <= 20


async def test_metrics_can_be_switched_off_the_public_port_and_served_on_their_own(
        make_admission_gateway: Callable[..., Gateway]) -> None:
    port = free_port()
    gw = make_admission_gateway(metrics_public=False, metrics_port=port)
    assert (await gw.client.get("/metrics")).status_code == 404
    async with gw.app.router.lifespan_context(gw.app):
        async with httpx.AsyncClient() as client:  # bound before the lifespan starts serving
            r = await client.get(f"http://127.0.0.1:{port}/metrics")
        assert r.status_code == 200 and "go4graph_requests_total" in r.text
