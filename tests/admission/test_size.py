"""Body and document size: refused before parsing, before any upstream call."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.admission.conftest import post_scope, sent_to, upstream_calls
from tests.conftest import Gateway


def _limit(body: dict[str, Any]) -> dict[str, Any]:
    error = body["errors"][0]
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED", error
    return error["extensions"]  # type: ignore[no-any-return]


async def test_a_declared_body_over_the_limit_is_413_before_reading(
        make_admission_gateway: Callable[..., Gateway]) -> None:
    gw = make_admission_gateway(max_body_bytes=4096)
    query = "{ school { name } }" + "#" * 5000
    r = await gw.client.post("/graphql", json={"query": query})
    assert r.status_code == 413
    ext = _limit(r.json())
    assert ext["limit"] == "bodyBytes" and ext["max"] == 4096 and ext["value"] > 4096
    assert upstream_calls(gw.sim) == 0


async def test_a_streamed_body_is_refused_as_soon_as_it_passes_the_limit(
        make_admission_gateway: Callable[..., Gateway]) -> None:
    """No Content-Length: the body is counted as it arrives and no chunk past the limit is read."""
    gw = make_admission_gateway(max_body_bytes=4096)
    chunks = [b'{"query": "{ school { name } }', *([b"#" * 1000] * 100), b'"}']
    read = 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": chunks[read - 1], "more_body": read < len(chunks)}

    sent: list[dict[str, Any]] = []
    send = sent_to(sent)
    scope = post_scope()
    await gw.app(scope, receive, send)
    assert sent[0]["status"] == 413
    assert read == 6  # 30 + 4 x 1000 bytes fit; the fifth 1000 passes 4096: nothing more is read
    ext = _limit(json.loads(sent[1]["body"]))
    assert ext["limit"] == "bodyBytes" and ext["max"] == 4096
    assert upstream_calls(gw.sim) == 0


async def test_variables_over_the_limit_are_refused(make_admission_gateway: Callable[..., Gateway]) -> None:
    gw = make_admission_gateway(max_variables_bytes=1024)
    r = await gw.client.post("/graphql", json={
        "query": "query($y: String) { academicYear { students(yearGroup: $y) { id } } }",
        "variables": {"y": "x" * 2000}})
    assert r.status_code == 413
    ext = _limit(r.json())
    assert ext["limit"] == "variablesBytes" and ext["max"] == 1024 and ext["value"] > 2000
    assert upstream_calls(gw.sim) == 0


async def test_the_document_cache_keeps_no_failures_and_stays_in_its_budget(
        make_admission_gateway: Callable[..., Gateway]) -> None:
    gw = make_admission_gateway(document_cache_bytes=2_000_000)
    endpoint = gw.services.extras["graphql_endpoint"]
    for n in range(20):  # unauthenticated junk: a big comment, then an invalid document
        r = await gw.client.post("/graphql", json={"query": f"{{ nope{n} }}\n#" + "c" * 20_000})
        assert r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert len(endpoint.documents) == 0 and endpoint.documents.bytes == 0
    for n in range(200):  # valid documents, each distinct: kept within the byte budget
        r = await gw.client.post("/graphql", json={"query": f"query Q{n} {{ __typename }}\n#" + "c" * 5000})
        assert r.json() == {"data": {"__typename": "Query"}}
    assert 0 < endpoint.documents.bytes <= 2_000_000
    assert len(endpoint.documents) < 200  # the oldest went


async def test_error_messages_echo_caller_input_cut_short(gateway: Gateway) -> None:
    name = "f" + "x" * 5000
    r = await gateway.client.post("/graphql", json={"query": f"{{ school {{ {name} }} }}"})
    message = r.json()["errors"][0]["message"]
    assert len(message) <= 301 and message.endswith("…")


async def test_a_non_string_operation_name_is_bad_input_not_a_500(gateway: Gateway) -> None:
    for query in ("{ school { nope } }", "{ school { "):
        r = await gateway.client.post("/graphql", json={"query": query, "operationName": {"a": 1}})
        assert r.status_code == 400
        assert r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_kept_answers_count_their_keys_bytes(gateway: Gateway) -> None:
    """A kept answer's budget counts its key: the query text and the variables' JSON."""
    cache = gateway.services.extras["response_cache"]
    big = "9" + " " * 30_000  # a large variable that still selects year 9
    query = "query($y: String) { academicYear { students(yearGroup: $y) { id } } }"
    r = await gateway.client.post("/graphql", json={"query": query, "variables": {"y": big}})
    assert "errors" not in r.json() and len(cache) == 1
    assert cache.bytes >= 30_000 + len(r.content)


async def test_a_variable_echoed_in_an_execution_error_is_cut_short(gateway: Gateway) -> None:
    r = await gateway.client.post("/graphql", json={
        "query": "query($n: Int) { academicYear(year: $n) { students { id } } }",
        "variables": {"n": "z" * 20_000}})
    message = r.json()["errors"][0]["message"]
    assert "zzz" in message and len(message) <= 301
