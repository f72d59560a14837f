"""CSRF prevention and CORS (issue 13): no simple cross-site request runs an operation."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tests.conftest import Gateway
from tests.writes.support import ONE, Facts, facts, gateway, records, row, writer

__all__ = ["facts", "gateway", "writer"]

EVIL = "https://evil.example"


def _body(facts: Facts) -> bytes:
    return orjson.dumps({"query": ONE, "variables": {"input": row(facts, code="N")}})


@pytest.mark.parametrize("headers", [
    {"content-type": "text/plain"},
    {"content-type": "text/plain;charset=UTF-8"},
    {"content-type": "application/x-www-form-urlencoded"},
    {"content-type": "multipart/form-data; boundary=x"},
    {},  # no content type at all
], ids=["text-plain", "text-plain-charset", "form", "multipart", "none"])
async def test_a_simple_cross_site_mutation_is_refused_and_nothing_posted(
        gateway: Gateway, facts: Facts, headers: dict[str, str]) -> None:
    r = await gateway.client.post("/graphql", content=_body(facts), headers={"origin": EVIL, **headers})
    assert r.status_code == 400
    [error] = r.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "cross-site request forgery" in error["message"]
    assert gateway.sim.counts.total() == 0  # not even validation's reads
    assert gateway.sim.posted == []
    [record] = records(gateway)  # the refusal is audited
    assert record["outcome"] == "refused" and record["problem"] == "cross-site-request"


async def test_the_same_mutation_as_json_works(gateway: Gateway, facts: Facts) -> None:
    r = await gateway.client.post("/graphql", content=_body(facts),
                                  headers={"content-type": "application/json"})
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    assert len(gateway.sim.posted) == 1


@pytest.mark.parametrize("header", ["apollo-require-preflight", "x-apollo-operation-name",
                                    "x-go4graph-csrf"])
async def test_a_non_simple_header_lets_a_text_plain_request_through(
        gateway: Gateway, facts: Facts, header: str) -> None:
    r = await gateway.client.post("/graphql", content=_body(facts),
                                  headers={"content-type": "text/plain", header: "1"})
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    assert len(gateway.sim.posted) == 1


async def test_get_needs_the_header_and_never_runs_a_mutation(gateway: Gateway, facts: Facts) -> None:
    query = {"query": "{ school { name } }"}
    r = await gateway.client.get("/graphql", params=query)
    assert r.status_code == 400 and "cross-site" in r.json()["errors"][0]["message"]
    r = await gateway.client.get("/graphql", params=query, headers={"apollo-require-preflight": ""})
    assert r.status_code == 400  # an empty value proves nothing (Apollo's rule)
    r = await gateway.client.get("/graphql", params=query, headers={"apollo-require-preflight": "1"})
    assert r.status_code == 200 and r.json()["data"]["school"]["name"] == "Demo Academy"
    mutation = {"query": ONE, "variables": orjson.dumps({"input": row(facts)}).decode()}
    r = await gateway.client.get("/graphql", params=mutation, headers={"apollo-require-preflight": "1"})
    assert r.status_code == 405
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert gateway.sim.posted == []
    [record] = records(gateway)
    assert record["problem"] == "mutation-over-get" and record["outcome"] == "refused"


async def test_graphiql_page_is_still_served_to_a_browser(gateway: Gateway) -> None:
    r = await gateway.client.get("/graphql", headers={"accept": "text/html"})
    assert r.status_code == 200 and "<html" in r.text.lower()


def _preflight(origin: str) -> dict[str, str]:
    return {"origin": origin, "access-control-request-method": "POST",
            "access-control-request-headers": "content-type, authorization"}


async def test_preflight_only_for_configured_origins(writer: Any) -> None:
    allowed = "https://register.example.org"
    gw = writer(cors_origins=[allowed])
    ok = await gw.client.options("/graphql", headers=_preflight(allowed))
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == allowed
    assert "POST" in ok.headers["access-control-allow-methods"]
    assert "content-type" in ok.headers["access-control-allow-headers"].lower()
    other = await gw.client.options("/graphql", headers=_preflight(EVIL))
    assert other.status_code >= 400
    assert "access-control-allow-origin" not in other.headers
    # An actual request from the allowed origin gets its CORS header; another origin's gets none.
    r = await gw.client.post("/graphql", json={"query": "{ school { name } }"}, headers={"origin": allowed})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == allowed
    r = await gw.client.post("/graphql", json={"query": "{ school { name } }"}, headers={"origin": EVIL})
    assert "access-control-allow-origin" not in r.headers


async def test_no_origin_is_allowed_by_default(gateway: Gateway) -> None:
    r = await gateway.client.options("/graphql", headers=_preflight("https://register.example.org"))
    assert r.status_code >= 400 and "access-control-allow-origin" not in r.headers


async def test_graphiqls_own_request_shape_passes(gateway: Gateway, facts: Facts) -> None:
    # GraphiQL.createFetcher POSTs JSON with these headers (the browser adds Origin on same-origin POSTs).
    r = await gateway.client.post("/graphql", content=_body(facts), headers={
        "content-type": "application/json", "accept": "application/json, multipart/mixed",
        "origin": "http://gateway"})
    assert r.status_code == 200 and "errors" not in r.json(), r.text
