"""Least privilege (issue 17): data categories on tokens, enforced field by field, with no
upstream call for what the caller may not see, and an access log of sensitive reads.

The gateways are real (the simulator over ASGI); a register app's scopes are given either to
the demo's anonymous callers (GO4GRAPH_ANONYMOUS_SCOPES) or to a trust-mode token.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLObjectType

from gateway.audit import MemoryAuditSink
from gateway.graph.schema import schema
from gateway.simulator import DEMO_KEY
from gateway.trust import new_token, token_hash
from tests.conftest import SECRETS, Gateway
from tests.simdata import ok, upstream
from tests.tenancy.conftest import bearer
from tests.writes.support import MANY, TODAY, Facts, row

ROOT = Path(__file__).resolve().parents[2]
REGISTER = (ROOT / "schema" / "examples" / "register.graphql").read_text()
#: A register app's token, as the issue gives it.
REGISTER_SCOPES = "basic,attendance,attendance-write"

SENSITIVE_NO_ARG = """
{
  academicYear {
    students { id preferredFirstName medicalConditions photo attributes(category: SENSITIVE) { code value } }
  }
}"""
SENSITIVE_ROUTES = ("medical-conditions", "photos", "sensitive-attributes")


def _fields(data: dict[str, Any]) -> list[dict[str, Any]]:
    return data["data"]["academicYear"]["students"]  # type: ignore[no-any-return]


@pytest.fixture
def register_gateway(writer: Callable[..., Gateway]) -> Gateway:
    """The demo school, whose anonymous callers have a register app's scopes."""
    return writer(anonymous_scopes=REGISTER_SCOPES)


async def _class_today(gw: Gateway, facts: Facts) -> tuple[str, str]:
    links, _ = await upstream(gw.sim, "student-classes", academicYear=facts.year)
    student = facts.students[0]["student_id"]
    mine = next(link for link in links if link["student_id"] == student)
    return str(mine["classes"][0]["id"]), facts.open_days[TODAY - 2]


async def test_a_register_token_reads_a_class_list_and_writes_a_mark(register_gateway: Gateway,
                                                                     facts: Facts) -> None:
    gw = register_gateway
    class_id, day = await _class_today(gw, facts)
    data = ok(await gw.gql(REGISTER, {"classId": class_id, "date": day}))
    assert data["academicYear"]["class"]["students"], "the class list is read"
    assert data["academicYear"]["attendanceCodes"]
    saved = ok(await gw.gql(MANY, {"inputs": [row(facts, code="L", minutesLate=5)]}))
    [result] = saved["recordSessionAttendances"]
    assert result["error"] is None and result["mark"]["code"]["code"] == "L"


async def test_sensitive_fields_are_forbidden_with_no_upstream_call(register_gateway: Gateway) -> None:
    gw = register_gateway
    gw.sim.reset()
    data = await gw.gql(SENSITIVE_NO_ARG)
    students = _fields(data)
    assert students and all(s["id"] and s["medicalConditions"] is None and s["photo"] is None
                            and s["attributes"] is None for s in students)
    by_field = {e["path"][-1]: e for e in data["errors"]}
    assert set(by_field) == {"medicalConditions", "photo", "attributes"}
    for field, category in (("medicalConditions", "medical"), ("photo", "photos"),
                            ("attributes", "sensitive")):
        error = by_field[field]
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert category in error["extensions"]["reason"]
        assert error["extensions"]["categories"] == [category]
    for route in SENSITIVE_ROUTES:
        assert gw.sim.counts[route] == 0, f"{route} was called for data the caller may not see"
    assert gw.sim.counts["students"] >= 1  # the rest of the query was answered


async def test_an_operation_wholly_outside_the_scopes_is_refused_before_execution(
        register_gateway: Gateway) -> None:
    gw = register_gateway
    gw.sim.reset()
    response = await gw.client.post("/graphql", json={
        "query": "{ academicYear { students { medicalConditions photo } } }"})
    body = response.json()
    assert body.get("data") is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert sum(gw.sim.counts.values()) == 0


async def test_a_write_needs_attendance_write(writer: Callable[..., Gateway], facts: Facts) -> None:
    gw = writer(anonymous_scopes="basic,attendance")
    gw.sim.reset()
    data = await gw.gql(MANY, {"inputs": [row(facts, code="L", minutesLate=5)]})
    assert data["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "attendance-write" in data["errors"][0]["extensions"]["reason"]
    assert not [r for r in gw.sim.requests if r.method == "POST"]


async def test_a_full_scope_caller_reads_them_and_the_access_log_has_one_line(
        writer: Callable[..., Gateway], facts: Facts) -> None:
    gw = writer()
    gw.services.access = MemoryAuditSink()
    answer = await gw.gql(SENSITIVE_NO_ARG)
    ok(answer)
    students = _fields(answer)
    assert any(s["photo"] for s in students) and any(s["medicalConditions"] for s in students)
    [line] = gw.services.access.records
    assert line["type"] == "access"
    assert line["categories"] == ["medical", "photos", "sensitive"]
    assert line["students"] == len(students)
    assert line["caller"].startswith("demo:")
    text = json.dumps(line)
    for value in [s["photo"] for s in students if s["photo"]][:5] + facts.names[:50]:
        assert value not in text, "the access log holds no personal value"
    # A request reading nothing sensitive leaves no line.
    ok(await gw.gql("{ academicYear { students { id preferredFirstName } } }"))
    assert len(gw.services.access.records) == 1


async def test_a_trust_token_carries_its_scopes(make_upstream_gateway: Callable[..., Gateway],
                                                tmp_path: Path) -> None:
    register, full = new_token(), new_token()
    SECRETS.update((register, full))
    (tmp_path / "schools.json").write_text(json.dumps({"schools": [{
        "code": "DEMO", "api_key": DEMO_KEY,
        "tokens": [{"hash": token_hash(register), "scopes": REGISTER_SCOPES.split(",")},
                   token_hash(full)]}]}))
    gw = make_upstream_gateway(schools_file=tmp_path / "schools.json")
    gw.sim.reset()
    limited = await gw.gql(SENSITIVE_NO_ARG, headers=bearer(register))
    assert {e["extensions"]["code"] for e in limited["errors"]} == {"FORBIDDEN"}
    assert all(gw.sim.counts[r] == 0 for r in SENSITIVE_ROUTES)
    everything = ok(await gw.gql(SENSITIVE_NO_ARG, headers=bearer(full)))
    assert any(s["photo"] for s in _fields({"data": everything}))


def test_a_schools_file_with_an_unknown_category_is_refused(tmp_path: Path) -> None:
    from gateway.settings import SettingsError
    from gateway.trust import load_schools

    (tmp_path / "s.json").write_text(json.dumps({"schools": [{
        "code": "A", "api_key": "k", "tokens": [{"hash": token_hash(new_token()), "scopes": ["medicl"]}]}]}))
    with pytest.raises(SettingsError, match="medicl"):
        load_schools(tmp_path / "s.json")


def test_every_field_of_the_exported_schema_has_a_category() -> None:
    sdl = (ROOT / "schema" / "schema.graphql").read_text()
    gql = schema._schema
    missing = []
    for type_ in gql.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            if "@category(" not in _printed_field(sdl, type_.name, name):
                missing.append(f"{type_.name}.{name}")
            assert field.extensions.get("go4graph-categories"), f"{type_.name}.{name}"
    assert missing == []


def _printed_field(sdl: str, type_name: str, field: str) -> str:
    """The line of the exported SDL that ends ``type_name.field``'s definition (its type and
    directives: the field's own line, or the ``)`` closing its arguments)."""
    lines = sdl.split(f"\ntype {type_name} ", 1)[1].split("\n}\n", 1)[0].splitlines()
    for i, line in enumerate(lines):
        if line.startswith(f"  {field}:") or line.startswith(f"  {field}("):
            if not line.rstrip().endswith("("):
                return line
            return next(later for later in lines[i + 1:] if later.startswith("  )"))
    raise AssertionError(f"{type_name}.{field} not in the exported schema")


def test_go4graph_scopes_prints_what_the_register_needs() -> None:
    out = subprocess.run([sys.executable, "-m", "gateway.cli", "scopes",
                          str(ROOT / "schema" / "examples" / "register.graphql")],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "attendance,basic"



def test_go4graph_manifest_records_what_each_document_reveals(tmp_path: Path) -> None:
    out = tmp_path / "categories.json"
    run = subprocess.run([sys.executable, "-m", "gateway.cli", "manifest", "schema/examples",
                          "--categories", str(out)], capture_output=True, text=True, check=True, cwd=ROOT)
    manifest = json.loads(run.stdout)
    record = json.loads(out.read_text())
    assert set(record) == set(manifest)  # the manifest is unchanged; the record is beside it
    by_file = {Path(v["file"]).name: v["categories"] for v in record.values()}
    assert by_file["register.graphql"] == ["attendance", "basic"]
    assert by_file["take_register.graphql"] == ["attendance", "attendance-write", "basic"]
    assert by_file["student_report.graphql"] == ["basic", "reports"]
