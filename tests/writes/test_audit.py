"""The write audit (issue 13): fails closed, records every attempt and refusal, holds no personal data."""

from __future__ import annotations

import hashlib
import hmac
import logging
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from gateway.app import create_app
from gateway.audit import MemoryAuditSink
from gateway.metrics import REGISTRY
from gateway.settings import load_settings
from gateway.simulator import DEMO_KEY, SECOND_KEY, Simulator
from tests.conftest import Gateway
from tests.simdata import upstream
from tests.tenancy.conftest import write_schools
from tests.writes.support import MANY, ONE, READ, TODAY, Facts, facts, gateway, records, row, writer

__all__ = ["facts", "gateway", "writer"]


REGISTER = Path(__file__).resolve().parents[2] / "schema" / "examples" / "take_register.graphql"


def failures(stage: str) -> float:
    return REGISTRY.get_sample_value("go4graph_audit_failures_total", {"stage": stage}) or 0.0


class FailingOn(MemoryAuditSink):
    """Writes records, except those of the given outcomes (as a full disk would refuse them)."""

    def __init__(self, outcomes: set[str]) -> None:
        super().__init__()
        self.outcomes = outcomes

    def write(self, record: dict[str, Any]) -> None:
        if record["outcome"] in self.outcomes:
            raise OSError(28, "No space left on device")
        super().write(record)


@pytest.mark.parametrize("where", ["/dev/full", "under-a-file"])
async def test_an_unwritable_audit_log_means_nothing_is_posted(
        make_gateway: Any, facts: Facts, tmp_path: Path, where: str) -> None:
    if where == "under-a-file":
        (tmp_path / "plain").write_text("not a folder")
        where = str(tmp_path / "plain" / "audit.log")
    gw = make_gateway(audit_log=where)  # the real file sink, as GO4GRAPH_AUDIT_LOG configures it
    gw.services.extras["today"] = lambda: facts.today
    before = failures("attempt")
    one = await gw.gql(ONE, {"input": row(facts)})
    assert one["data"] is None
    [error] = one["errors"]
    assert error["extensions"] == {"code": "INTERNAL", "reason": "Audit Unavailable"}
    assert "audit log cannot be written" in error["message"] and "not saved" in error["message"]
    many = await gw.gql(MANY, {"inputs": [row(facts, n) for n in range(3)]})
    results = many["data"]["recordSessionAttendances"]
    assert [r["mark"] for r in results] == [None] * 3
    assert {r["error"]["code"] for r in results} == {"INTERNAL"}
    assert gw.sim.counts["record-session-mark"] == 0 and gw.sim.posted == []
    assert failures("attempt") == before + 4


async def test_an_outcome_record_that_fails_still_reports_saved_and_invalidates(
        writer: Any, facts: Facts, caplog: pytest.LogCaptureFixture) -> None:
    gw = writer()
    gw.services.audit = sink = FailingOn({"saved"})
    day = facts.open_days[TODAY - 1]
    student = str(facts.students[0]["student_id"])
    warm = await gw.gql(READ, {"date": day})  # the day's marks now cached
    assert "errors" not in warm
    before = failures("outcome")
    with caplog.at_level(logging.ERROR, logger="go4graph.audit"):
        data = await gw.gql(ONE, {"input": row(facts, 0, date=day, code="N")})
    assert "errors" not in data, data  # the truth: it was saved
    assert data["data"]["recordSessionAttendance"]["code"] == {"id": str(facts.codes["N"]["id"]), "code": "N"}
    assert len(gw.sim.posted) == 1
    assert failures("outcome") == before + 1
    assert any(r.getMessage() == "audit record not written" for r in caplog.records)
    assert [r["outcome"] for r in sink.records] == ["attempt"]
    after = await gw.gql(READ, {"date": day})
    mine = [m for m in after["data"]["academicYear"]["sessionMarks"]
            if m["student"]["id"] == student and m["session"] == "AM"]
    assert [m["code"]["code"] for m in mine] == ["N"]  # the cached day was dropped


# --- every refusal kind leaves a record ----------------------------------------------------------

async def _trust_gateway(fresh_sim: Simulator, tmp_path: Path, facts: Facts) -> tuple[Gateway, dict[str, str]]:
    tokens = write_schools(tmp_path / "schools.json", {"one": ["DEMO"], "both": ["DEMO", "DEMO2"]})
    settings = load_settings(upstream_url="http://sim/customer/v1", schools_file=tmp_path / "schools.json",
                             write_window_days=10)
    app = create_app(settings, transport=httpx.ASGITransport(app=fresh_sim.app))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")
    gw = Gateway(app, client, fresh_sim)
    gw.services.extras["today"] = lambda: facts.today
    gw.services.audit = MemoryAuditSink()
    return gw, tokens


async def test_every_refusal_kind_is_audited(fresh_sim: Simulator, tmp_path: Path, facts: Facts,
                                             writer: Any) -> None:
    gw, tokens = await _trust_gateway(fresh_sim, tmp_path, facts)
    try:
        inputs = {"inputs": [row(facts)]}
        bearer = {"authorization": f"Bearer {tokens['one']}"}
        cases: list[tuple[dict[str, str], str, dict[str, Any], str]] = [
            ({}, MANY, inputs, "authentication"),  # no credential
            ({"authorization": "Bearer not-a-token-of-this-gateway"}, MANY, inputs, "authentication"),
            (bearer, MANY.replace("inputs: $inputs,", "inputs: $inputs, school: \"DEMO2\","), inputs,
             "school-not-granted"),  # a trust token writing to a school it is not granted
            (bearer, MANY, {"inputs": [row(facts)] * 201}, "too-many-rows"),
            (bearer, MANY, {"inputs": [row(facts, date="2026-13-45")]}, "malformed-input"),
            (bearer, MANY, {"inputs": [row(facts, code="ZZ")]}, "unknown-mark"),
            (bearer, MANY, {"inputs": [row(facts, date=facts.open_days[TODAY + 1])]}, "future-date"),
            (bearer, "mutation { recordSessionAttendances(inputs: [] { index } }", {}, "invalid-request"),
        ]
        for headers, query, variables, problem in cases:
            before = len(records(gw))
            r = await gw.client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
            assert r.status_code in (200, 400), r.text
            new = records(gw)[before:]
            assert [(x["outcome"], x["problem"]) for x in new] == [("refused", problem)], (problem, new)
        assert gw.sim.posted == []
    finally:
        await gw.client.aclose()
        await gw.services.aclose()
    # A wrong (or revoked) school key passed through: GO4Schools answers 401.
    demo = writer()
    data = await demo.gql(MANY, {"inputs": [row(facts)]}, headers={"authorization": "Bearer wrong-key-0000"})
    assert data["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert [(x["outcome"], x["problem"]) for x in records(demo)] == [("refused", "authentication")]
    # Limits: the per-client rate limit refuses before execution.
    limited = writer(rate_limit="1/minute")
    await limited.gql(MANY, {"inputs": []})
    r = await limited.client.post("/graphql", json={"query": MANY, "variables": {"inputs": [row(facts)]}})
    assert r.status_code == 429
    assert records(limited)[-1]["problem"] == "rate-limited" and records(limited)[-1]["code"] == "RATE_LIMITED"
    assert limited.sim.posted == []


# --- what a record may hold --------------------------------------------------------------------

async def test_no_record_holds_a_upn_a_name_or_an_unbounded_caller_string(
        writer: Any, facts: Facts, fresh_sim: Simulator) -> None:
    secret = "audit-secret-for-tests"
    gw = writer(audit_secret=secret)
    other = (await upstream(fresh_sim, "education-details", key=SECOND_KEY, academicYear=facts.year))[0]
    other_upn = next(e["upn"] for e in other if e.get("upn"))
    fresh_sim.reset()
    name = facts.names[0]
    rows = [row(facts, 0),
            row(facts, 1, code="X" * 20_000),  # far past any bound, inside the 64 KiB variables limit
            {**row(facts, 2), "studentId": None, "studentUpn": other_upn},  # another school's child
            {**row(facts, 3), "studentId": None, "studentUpn": facts.students[3]["upn"], "notes": f"{name} was ill"},
            row(facts, 4, studentId="A" * 5000),
            row(facts, 5, code="/", aliasCode=name * 100)]
    caller_id = "abc-123\n" + "<script>" * 1000
    r = await gw.client.post("/graphql", json={"query": MANY, "variables": {"inputs": rows}},
                             headers={"x-request-id": caller_id})
    results = r.json()["data"]["recordSessionAttendances"]
    assert [bool(x["mark"]) for x in results] == [True, False, False, True, False, False]
    log = records(gw)
    assert len(log) == 2 * 2 + 4  # attempt + saved for two rows, a refusal for four
    text = orjson.dumps(log).decode()
    upns = {s["upn"] for s in facts.students if s.get("upn")} | {other_upn}
    assert not [u for u in upns if u in text]
    assert not [n for n in facts.names if n in text]
    hashes = {"upn_hmac", "idempotency_key_sha256"}
    for entry in log:
        for field, value in entry.items():
            if isinstance(value, str) and field not in hashes:
                assert len(value) <= 64, (field, value[:80])
    # The server's own request id, the caller's sanitised beside it.
    assert {e["request_id"] for e in log} == {log[0]["request_id"]}
    assert log[0]["request_id"] != caller_id and log[0]["caller_request_id"] == ("abc-123" + "script" * 1000)[:64]
    # The UPN actually posted, as a keyed hash an auditor with the key can match.
    saved = [e for e in log if e["outcome"] == "saved"]
    posted = {p["student_upn"] for p in gw.sim.posted}
    assert {e["upn_hmac"] for e in saved} == {
        hmac.new(secret.encode(), u.encode(), hashlib.sha256).hexdigest() for u in posted}
    assert DEMO_KEY not in text


async def test_the_server_request_id_is_the_answers_and_the_records(writer: Any, facts: Facts) -> None:
    gw = writer()
    r = await gw.client.post("/graphql", json={"query": MANY, "variables": {"inputs": [row(facts, 7)]}})
    ids = {e["request_id"] for e in records(gw)}
    assert ids == {r.headers["x-request-id"]}  # an operator can follow one request through both logs
    assert all(e["caller_request_id"] is None for e in records(gw))


async def test_a_trusted_document_mutation_refused_before_its_resolver_is_audited(
        writer: Any, facts: Facts, tmp_path: Path) -> None:
    from gateway.http.trusted import manifest_for, sha256

    register = REGISTER
    manifest = tmp_path / "manifest.json"
    manifest.write_bytes(orjson.dumps(manifest_for([register])))
    gw = writer(trusted_documents=manifest, trusted_only=True)
    r = await gw.client.post("/graphql", json={
        "documentId": f"sha256:{sha256(register.read_text())}",
        "variables": {"inputs": [row(facts, date="2026-02-30")]}})  # no such day: coercion refuses it
    assert r.status_code == 200 and r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    [entry] = records(gw)
    assert (entry["outcome"], entry["problem"], entry["rows"]) == ("refused", "malformed-input", 1)
    assert gw.sim.posted == []
