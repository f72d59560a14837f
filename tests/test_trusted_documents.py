"""Trusted documents: registered operations by sha256; in trusted-only mode nothing else runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from gateway.cli import main
from gateway.http.trusted import sha256
from gateway.settings import SettingsError, load_settings

EXAMPLES = Path(__file__).resolve().parents[1] / "schema" / "examples"
ROSTER = (EXAMPLES / "roster.graphql").read_text()


@pytest.fixture
def manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    main(["manifest", str(EXAMPLES)])
    path = tmp_path / "manifest.json"
    path.write_text(capsys.readouterr().out)
    return path


def test_manifest_holds_every_example_by_its_hash(manifest: Path) -> None:
    data = orjson.loads(manifest.read_bytes())
    assert len(data) == len(list(EXAMPLES.glob("*.graphql")))
    assert data[sha256(ROSTER)] == ROSTER


async def test_trusted_only_runs_registered_documents_alone(make_gateway: Any, manifest: Path) -> None:
    gw = make_gateway(trusted_documents=manifest, trusted_only=True)
    by_id = await gw.client.post("/graphql", json={"documentId": f"sha256:{sha256(ROSTER)}"})
    assert by_id.status_code == 200 and by_id.json()["data"]["academicYear"]["students"]
    apollo = await gw.client.post("/graphql", json={
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256(ROSTER)}}})
    assert apollo.status_code == 200 and "errors" not in apollo.json()
    free = await gw.client.post("/graphql", json={"query": "{ academicYear { students { upn } } }"})
    assert free.status_code == 400 and "trusted documents" in free.json()["errors"][0]["message"]
    unknown = await gw.client.post("/graphql", json={"documentId": "sha256:" + "0" * 64})
    assert unknown.status_code == 400
    gw.sim.reset()
    mismatch = await gw.client.post("/graphql", json={"documentId": f"sha256:{sha256(ROSTER)}",
                                                      "query": "{ school { name } }"})
    assert mismatch.status_code == 400 and gw.sim.counts.total() == 0


async def test_without_trusted_only_free_queries_still_run(make_gateway: Any, manifest: Path) -> None:
    gw = make_gateway(trusted_documents=manifest)
    data = await gw.gql("{ school { name } }")
    assert data["data"]["school"]["name"]


def test_trusted_only_needs_documents_and_a_valid_manifest(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="GO4GRAPH_TRUSTED_DOCUMENTS"):
        load_settings(trusted_only=True)
    bad = tmp_path / "bad.json"
    bad.write_text(orjson.dumps({"0" * 64: "{ school { name } }"}).decode())
    with pytest.raises(SettingsError, match="GO4GRAPH_TRUSTED_DOCUMENTS"):
        load_settings(trusted_documents=bad)


# --- automatic persisted queries (APQ, issue 18) ------------------------------------------------

SCHOOL = "query ApqSchool { school { name code } }"
PREFLIGHT = {"apollo-require-preflight": "true"}  # CSRF rule: a GET that runs must carry one


def _apq(text: str, *, with_text: bool = False, version: int = 1) -> dict[str, Any]:
    body: dict[str, Any] = {"extensions": {"persistedQuery": {"version": version,
                                                              "sha256Hash": sha256(text)}}}
    if with_text:
        body["query"] = text
    return body


async def test_apq_unknown_hash_then_text_then_hash_only_by_post_and_get(make_gateway: Any) -> None:
    gw = make_gateway()
    first = await gw.client.post("/graphql", json=_apq(SCHOOL))
    assert first.status_code == 200
    assert first.json() == {"errors": [{"message": "PersistedQueryNotFound",
                                        "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]}
    assert gw.sim.counts.total() == 0
    registered = await gw.client.post("/graphql", json=_apq(SCHOOL, with_text=True))
    assert registered.status_code == 200
    answer = registered.json()
    assert answer["data"]["school"]["code"] == "DEMO" and "errors" not in answer
    by_post = await gw.client.post("/graphql", json=_apq(SCHOOL))
    assert by_post.status_code == 200 and by_post.json() == answer
    params = {"extensions": orjson.dumps(_apq(SCHOOL)["extensions"]).decode(),
              "operationName": "ApqSchool"}
    by_get = await gw.client.get("/graphql", params=params, headers=PREFLIGHT)
    assert by_get.status_code == 200 and by_get.json() == answer
    cross_site = await gw.client.get("/graphql", params=params)  # no preflight header: CSRF
    assert cross_site.status_code == 400 and "cross-site" in cross_site.json()["errors"][0]["message"]
    scraped = (await gw.client.get("/metrics")).text
    for event in ("not_found", "registered", "hit"):
        assert f'go4graph_persisted_queries_total{{event="{event}"}}' in scraped


async def test_apq_refuses_a_text_that_is_not_the_hash_and_keeps_only_valid_documents(
        make_gateway: Any) -> None:
    gw = make_gateway()
    wrong = _apq(SCHOOL)
    wrong["query"] = "{ school { name } }"
    r = await gw.client.post("/graphql", json=wrong)
    assert r.status_code == 400
    [error] = r.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "does not match" in error["message"]
    invalid = "{ school { nope } }"
    r = await gw.client.post("/graphql", json=_apq(invalid, with_text=True))
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    r = await gw.client.post("/graphql", json=_apq(invalid))  # never stored
    assert r.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    for bad in (_apq(SCHOOL, version=2), {"extensions": {"persistedQuery": {"version": 1,
                                                                            "sha256Hash": "abc"}}},
                {"extensions": {"persistedQuery": "yes"}}):
        r = await gw.client.post("/graphql", json=bad)
        assert r.status_code == 400 and r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert gw.sim.counts.total() == 0


async def test_apq_mutations_still_need_post(make_gateway: Any) -> None:
    gw = make_gateway()
    mutation = "mutation Nothing { recordSessionAttendances(inputs: []) { index } }"
    await gw.client.post("/graphql", json=_apq(mutation, with_text=True))
    params = {"extensions": orjson.dumps(_apq(mutation)["extensions"]).decode()}
    r = await gw.client.get("/graphql", params=params, headers=PREFLIGHT)
    assert r.status_code == 405


async def test_trusted_only_refuses_apq_and_says_why(make_gateway: Any, manifest: Path) -> None:
    gw = make_gateway(trusted_documents=manifest, trusted_only=True)
    for body in (_apq(SCHOOL), _apq(SCHOOL, with_text=True)):
        r = await gw.client.post("/graphql", json=body)
        assert r.status_code == 400
        [error] = r.json()["errors"]
        assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"
        assert "trusted documents" in error["message"] and "automatic persisted queries are off" \
            in error["message"]
    assert gw.sim.counts.total() == 0


async def test_apq_store_is_bounded_in_bytes() -> None:
    from gateway.http.persisted import PersistedQueries, Registration

    store = PersistedQueries(None, max_bytes=8_000)
    texts = [f"query Q{i} {{ school {{ name }} }}" + " " * 500 for i in range(40)]
    for text in texts:
        await store.put(Registration(sha256(text), text))
    assert store.bytes <= 8_000 and 0 < len(store) < 40
    assert await store.get(sha256(texts[-1])) == texts[-1]
    assert await store.get(sha256(texts[0])) is None  # the least recently used went first
    huge = "{ school { name } }" + " " * 2_000  # more than an eighth of the budget: not kept
    await store.put(Registration(sha256(huge), huge))
    assert await store.get(sha256(huge)) is None


@pytest.mark.redis
async def test_apq_replicas_share_hashes_through_redis_sealed(make_gateway: Any,
                                                               redis_server: Any) -> None:
    redis_server.flush()
    one, two = (make_gateway(cache_url=redis_server.url) for _ in range(2))
    r = await one.client.post("/graphql", json=_apq(SCHOOL, with_text=True))
    assert r.json()["data"]["school"]["code"] == "DEMO"
    r = await two.client.post("/graphql", json=_apq(SCHOOL))
    assert r.json()["data"]["school"]["code"] == "DEMO"  # the other replica knew the hash
    client = redis_server.client()
    try:
        values = [client.get(k) or b"" for k in client.scan_iter(count=1000)]
    finally:
        client.close()
    assert values and not any(b"ApqSchool" in v for v in values)  # sealed, not in clear


@pytest.mark.redis
async def test_apq_works_in_process_while_redis_is_down(make_gateway: Any, own_redis: Any) -> None:
    gw = make_gateway(cache_url=own_redis.url, cache_timeout=0.2)
    own_redis.stop()
    r = await gw.client.post("/graphql", json=_apq(SCHOOL))
    assert r.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    r = await gw.client.post("/graphql", json=_apq(SCHOOL, with_text=True))
    assert r.json()["data"]["school"]["code"] == "DEMO"
    r = await gw.client.post("/graphql", json=_apq(SCHOOL))
    assert r.json()["data"]["school"]["code"] == "DEMO"
