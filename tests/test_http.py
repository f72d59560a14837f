"""/graphql over HTTP: status codes, limits, error codes; /healthz, /readyz, /metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import yaml

from gateway.http.trusted import sha256
from gateway.settings import load_settings
from gateway.simulator import DEMO_KEY, SECOND_KEY, Simulator
from tests.conftest import Gateway

GRAPHQL_RESPONSE = "application/graphql-response+json"
ROOT = Path(__file__).resolve().parents[1]


async def _post(gateway: Gateway, body: Any, accept: str = "application/json", **headers: str) -> Any:
    return await gateway.client.post("/graphql", json=body, headers={"accept": accept, **headers})


async def test_first_query_returns_the_demo_school(gateway: Gateway) -> None:
    data = await gateway.gql("{ school { name code academicYears currentAcademicYear } }")
    school = data["data"]["school"]
    assert school["name"] == "Demo Academy" and school["code"] == "DEMO"
    assert school["currentAcademicYear"] in school["academicYears"]


async def test_validation_errors_are_400_for_graphql_response_json(gateway: Gateway) -> None:
    r = await _post(gateway, {"query": "{ school { nope } }"}, GRAPHQL_RESPONSE)
    assert r.status_code == 400
    assert r.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    r = await _post(gateway, {"query": "{ school { nope } }"})
    assert r.status_code == 200 and "errors" in r.json()
    r = await _post(gateway, {"query": "{ school { "}, GRAPHQL_RESPONSE)
    assert r.status_code == 400


async def test_bad_requests_are_400(gateway: Gateway) -> None:
    r = await gateway.client.post("/graphql", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and "not valid JSON" in r.json()["errors"][0]["message"]
    r = await _post(gateway, {"variables": {}})
    assert r.status_code == 400
    r = await _post(gateway, {"query": "{ school { name } }", "variables": [1]})
    assert r.status_code == 400


async def test_get_queries_work_and_mutations_need_post(gateway: Gateway) -> None:
    preflight = {"apollo-require-preflight": "1"}  # CSRF prevention: a GET must prove it is not simple
    r = await gateway.client.get("/graphql", params={"query": "{ school { name } }"}, headers=preflight)
    assert r.status_code == 200 and r.json()["data"]["school"]["name"] == "Demo Academy"
    r = await gateway.client.get("/graphql", params={
        "query": "mutation { recordSessionAttendances(inputs: []) { index } }"}, headers=preflight)
    assert r.status_code == 405


async def test_depth_limit(make_gateway: Any) -> None:
    gw = make_gateway(max_depth=4)
    deep = "{ academicYear { students { groups { subject { department { name } } } } } }"
    data = await gw.gql(deep)
    assert data["errors"][0]["extensions"] == {"code": "LIMIT_EXCEEDED", "limit": "depth", "value": 6, "max": 4}
    assert "depth" in data["errors"][0]["message"]
    assert gw.sim.counts.total() == 0  # refused before any upstream call


async def test_alias_limit(make_gateway: Any) -> None:
    gw = make_gateway(max_aliases=3)
    many = "{ " + " ".join(f"a{i}: school {{ name }}" for i in range(5)) + " }"
    data = await gw.gql(many)
    assert "aliases" in data["errors"][0]["message"].lower()
    assert gw.sim.counts.total() == 0


async def test_token_limit(make_gateway: Any) -> None:
    gw = make_gateway(max_tokens=20)
    data = await gw.gql("{ " + " ".join("school { name code }" for _ in range(5)) + " }")
    assert "tokens" in data["errors"][0]["message"].lower()
    assert gw.sim.counts.total() == 0


async def test_introspection_and_graphiql_can_be_switched_off(make_gateway: Any) -> None:
    gw = make_gateway(introspection=False, graphiql=False)
    data = await gw.gql("{ __schema { types { name } } }")
    assert data["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    r = await gw.client.get("/graphql", headers={"accept": "text/html"})
    assert r.status_code == 404


async def test_graphiql_is_served_to_a_browser(gateway: Gateway) -> None:
    r = await gateway.client.get("/graphql", headers={"accept": "text/html"})
    assert r.status_code == 200 and "graphiql" in r.text.lower()


async def test_invalid_academic_year_is_bad_user_input(gateway: Gateway) -> None:
    data = await gateway.gql("{ academicYear(year: 1999) { year } }")
    [error] = data["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "1999" in error["message"]


async def test_unknown_key_is_unauthenticated_without_the_key(gateway: Gateway) -> None:
    secret = "no-such-school-key-314159"
    r = await _post(gateway, {"query": "{ school { name } }"}, authorization=f"Bearer {secret}")
    body = r.json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert secret not in r.text


async def test_second_demo_key_reads_the_second_school(gateway: Gateway) -> None:
    r = await _post(gateway, {"query": "{ school { code name } }"}, authorization=f"Bearer {SECOND_KEY}")
    assert r.json()["data"]["school"]["code"] == "DEMO2"
    r = await _post(gateway, {"query": "{ school { code } }"}, authorization=f"Bearer {DEMO_KEY}")
    assert r.json()["data"]["school"]["code"] == "DEMO"


async def test_module_disabled_is_forbidden_at_the_field_with_partial_data(
        gateway: Gateway, fresh_sim: Simulator) -> None:
    fresh_sim.disable_module(DEMO_KEY, "Photos")
    try:
        data = await gateway.gql('{ academicYear { students(yearGroup: "7") { legalFirstName photo } } }')
    finally:
        fresh_sim.enable_module(DEMO_KEY, "Photos")
    students = data["data"]["academicYear"]["students"]
    assert students and all(s["legalFirstName"] for s in students)
    assert all(s["photo"] is None for s in students)
    [error] = data["errors"]  # one error, not one per student
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["extensions"]["reason"] == "Module Disabled"
    assert error["extensions"]["count"] == len(students)
    assert error["path"][-1] == "photo"


async def test_rate_limited_upstream_is_rate_limited(make_gateway: Any, fresh_sim: Simulator) -> None:
    gw = make_gateway(upstream_retries=1, upstream_backoff=0.01, upstream_backoff_max=0.05)
    fresh_sim.inject(429, times=5, route="school", retry_after=0.01)
    data = await gw.gql("{ school { name } }")
    error = data["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert "retryAfter" in error["extensions"]


async def test_health_ready_metrics(gateway: Gateway) -> None:
    assert (await gateway.client.get("/healthz")).json() == {"status": "ok"}
    r = await gateway.client.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready"
    await gateway.gql("query Named { school { name } }")
    text = (await gateway.client.get("/metrics")).text
    assert 'go4graph_requests_total{operation="Named",outcome="ok"}' in text
    assert "go4graph_upstream_calls_total" in text
    assert DEMO_KEY not in text


async def test_per_client_rate_limit(make_gateway: Any) -> None:
    gw = make_gateway(rate_limit="3/minute")
    # A key the upstream has not accepted yet counts against the client's address ...
    first = await gw.client.post("/graphql", json={"query": "{ school { name } }"},
                                 headers={"authorization": f"Bearer {SECOND_KEY}"})
    assert "errors" not in first.json()
    # ... as does the demo school's server-held key: two more fill the address's allowance.
    for _ in range(2):
        assert "errors" not in await gw.gql("{ school { name } }")
    r = await gw.client.post("/graphql", json={"query": "{ school { name } }"})
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    assert r.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    # Once the upstream has accepted it, a key has its own allowance.
    other = await gw.client.post("/graphql", json={"query": "{ school { name } }"},
                                 headers={"authorization": f"Bearer {SECOND_KEY}"})
    assert other.status_code == 200


async def test_post_without_content_type_and_non_object_variables_or_extensions(gateway: Gateway) -> None:
    preflight = {"x-go4graph-csrf": "1"}  # past the CSRF rule, to reach the endpoint's own check
    r = await gateway.client.post("/graphql", content=b'{"query": "{ school { name } }"}',
                                  headers=preflight)
    assert r.status_code == 415 and r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    for name in ("variables", "extensions"):
        for value in (0, False, "x", [1], 1.5):
            r = await _post(gateway, {"query": "{ school { name } }", name: value})
            assert r.status_code == 400, (name, value)
            assert r.json()["errors"][0]["message"] == f"{name} must be a JSON object"
    r = await _post(gateway, {"query": "{ school { name } }", "variables": None, "extensions": None})
    assert r.status_code == 200 and r.json()["data"]["school"]["name"] == "Demo Academy"


async def test_the_root_points_a_browser_to_graphiql_and_the_register_app(make_gateway: Any,
                                                                        tmp_path: Any) -> None:
    page = await make_gateway().client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'href="graphql"' in page.text and 'href="register/"' in page.text  # demo mode
    assert "script-src" not in page.headers["content-security-policy"]  # no script at all
    manifest = tmp_path / "manifest.json"
    manifest.write_bytes(orjson.dumps({sha256("{ school { name } }"): "{ school { name } }"}))
    trusted_only = make_gateway(trusted_documents=manifest, trusted_only=True)
    assert 'href="graphql"' not in (await trusted_only.client.get("/")).text
    r = await trusted_only.client.get("/graphql", headers={"accept": "text/html"})
    assert r.status_code == 404  # GraphiQL could run nothing there: off unless switched on
    assert r.json()["errors"][0]["message"] == "GraphiQL is switched off on this gateway"
    assert (await trusted_only.client.get("/graphql/static/graphiql-boot.js")).status_code == 404
    switched_on = make_gateway(trusted_documents=manifest, trusted_only=True, graphiql="on")
    r = await switched_on.client.get("/graphql", headers={"accept": "text/html"})
    assert r.status_code == 200 and "graphiql" in r.text.lower()
    assert load_settings(graphiql="auto").graphiql is None
    assert load_settings(graphiql="off").graphiql is False


def test_graphql_config_points_editors_at_the_schema_and_the_examples() -> None:
    config = yaml.safe_load((ROOT / "graphql.config.yml").read_text())
    schema = ROOT / config["schema"]
    assert schema.is_file() and "type Query" in schema.read_text()
    documents = [config["documents"]] if isinstance(config["documents"], str) else config["documents"]
    matched = [p for pattern in documents for p in ROOT.glob(pattern)]
    assert matched and all(p.suffix == ".graphql" for p in matched)
    assert {p.name for p in matched} >= {"roster.graphql", "register.graphql"}
    for endpoint in config["extensions"]["endpoints"].values():
        assert endpoint["url"].endswith("/graphql")
