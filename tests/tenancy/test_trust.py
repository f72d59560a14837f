"""Trust mode: a schools file of server-held keys and the gateway tokens allowed to read each school.

The simulator serves DEMO_KEY as school DEMO (240 students) and SECOND_KEY as
DEMO2 (60). Token "a" reads DEMO, "b" reads DEMO2, "ab" reads both.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.simulator import DEMO_KEY, SECOND_KEY
from gateway.trust import new_token, token_hash
from tests.conftest import SECRETS, Gateway
from tests.tenancy.conftest import bearer, write_schools

GRANTS = {"a": ["DEMO"], "b": ["DEMO2"], "ab": ["DEMO", "DEMO2"]}
SCHOOLS = "{ schools { code name } }"
STUDENTS = """query($code: String) { school(code: $code) { code academicYear { students { id } } } }"""


@pytest.fixture
def trust(make_upstream_gateway: Callable[..., Gateway], tmp_path: Path,
          cache_url: str) -> tuple[Gateway, dict[str, str]]:
    tokens = write_schools(tmp_path / "schools.json", GRANTS)
    gw = make_upstream_gateway(schools_file=tmp_path / "schools.json", cache_url=cache_url)
    assert gw.services.tenancy.mode == "trust"
    return gw, tokens


def codes(data: dict[str, Any]) -> list[str]:
    assert "errors" not in data, data
    return sorted(s["code"] for s in data["data"]["schools"])


def error_code(data: dict[str, Any]) -> str:
    return str(data["errors"][0]["extensions"]["code"])


async def test_a_token_sees_exactly_its_schools(trust: tuple[Gateway, dict[str, str]]) -> None:
    gw, tokens = trust
    assert codes(await gw.gql(SCHOOLS, headers=bearer(tokens["a"]))) == ["DEMO"]
    assert codes(await gw.gql(SCHOOLS, headers=bearer(tokens["b"]))) == ["DEMO2"]
    both = await gw.gql(SCHOOLS, headers=bearer(tokens["ab"]))
    assert codes(both) == ["DEMO", "DEMO2"]
    names = {s["code"]: s["name"] for s in both["data"]["schools"]}
    assert names == {"DEMO": gw.sim.school_for(DEMO_KEY).name,
                     "DEMO2": gw.sim.school_for(SECOND_KEY).name}


async def test_a_token_for_school_a_asking_for_school_b_is_forbidden_without_an_upstream_call(
        trust: tuple[Gateway, dict[str, str]]) -> None:
    gw, tokens = trust
    gw.sim.reset()
    for code in ("DEMO2", "NOPE"):
        data = await gw.gql(STUDENTS, {"code": code}, headers=bearer(tokens["a"]))
        assert error_code(data) == "FORBIDDEN"
        assert data["data"] == {"school": None}  # the refused school's field alone (nullable)
        assert code in data["errors"][0]["message"]
    assert gw.sim.requests == []
    # ...while its own school answers.
    own = await gw.gql(STUDENTS, {"code": "DEMO"}, headers=bearer(tokens["a"]))
    assert len(own["data"]["school"]["academicYear"]["students"]) == 240
    assert {r.school for r in gw.sim.requests} == {"DEMO"}


async def test_unknown_or_missing_tokens_are_unauthenticated_without_an_upstream_call(
        trust: tuple[Gateway, dict[str, str]]) -> None:
    gw, _ = trust
    gw.sim.reset()
    for headers in ({}, bearer("g4g_not-a-token"), bearer(DEMO_KEY), {"Authorization": "Basic eA=="}):
        data = await gw.gql(SCHOOLS, headers=headers)
        assert error_code(data) == "UNAUTHENTICATED", headers
        data = await gw.gql("{ school { code } }", headers=headers)
        assert error_code(data) == "UNAUTHENTICATED"
    assert gw.sim.requests == []


async def test_a_one_school_token_needs_no_code(trust: tuple[Gateway, dict[str, str]]) -> None:
    gw, tokens = trust
    data = await gw.gql("{ school { code } academicYear { students { id } } }",
                        headers=bearer(tokens["b"]))
    assert data["data"]["school"]["code"] == "DEMO2"
    assert len(data["data"]["academicYear"]["students"]) == 60


async def test_a_several_school_token_must_choose(trust: tuple[Gateway, dict[str, str]]) -> None:
    gw, tokens = trust
    gw.sim.reset()
    data = await gw.gql("{ academicYear { students { id } } }", headers=bearer(tokens["ab"]))
    assert error_code(data) == "BAD_USER_INPUT"
    assert gw.sim.requests == []


async def test_one_token_reads_two_schools_each_with_its_own_data(
        trust: tuple[Gateway, dict[str, str]]) -> None:
    gw, tokens = trust
    query = """{ a: school(code: "DEMO") { code academicYear { students { id } } }
                 b: school(code: "DEMO2") { code academicYear { students { id } } } }"""
    for _ in range(2):  # cold, then from the cache
        data = await gw.gql(query, headers=bearer(tokens["ab"]))
        assert data["data"]["a"]["code"] == "DEMO" and data["data"]["b"]["code"] == "DEMO2"
        assert len(data["data"]["a"]["academicYear"]["students"]) == 240
        assert len(data["data"]["b"]["academicYear"]["students"]) == 60


async def test_tenants_asking_at_once_each_get_their_own_school(
        trust: tuple[Gateway, dict[str, str]]) -> None:
    gw, tokens = trust
    answers = await asyncio.gather(*(
        gw.gql("{ school { code } academicYear { students { id } } }",
               headers=bearer(tokens["a" if i % 2 == 0 else "b"])) for i in range(20)))
    for i, data in enumerate(answers):
        expected = ("DEMO", 240) if i % 2 == 0 else ("DEMO2", 60)
        got = (data["data"]["school"]["code"], len(data["data"]["academicYear"]["students"]))
        assert got == expected


async def test_tokens_of_one_school_share_its_cache(trust: tuple[Gateway, dict[str, str]]) -> None:
    gw, tokens = trust
    await gw.gql(STUDENTS, {"code": "DEMO"}, headers=bearer(tokens["a"]))
    gw.sim.reset()
    data = await gw.gql(STUDENTS, {"code": "DEMO"}, headers=bearer(tokens["ab"]))
    assert len(data["data"]["school"]["academicYear"]["students"]) == 240
    assert gw.sim.requests == []  # the school's data, whichever of its tokens asks


async def test_a_code_in_the_file_that_the_key_does_not_open_is_forbidden(
        make_upstream_gateway: Callable[..., Gateway], tmp_path: Path) -> None:
    # A file that pairs a code with another school's key must not serve that other school.
    token = new_token()
    SECRETS.add(token)
    path = tmp_path / "schools.json"
    path.write_text(json.dumps({"schools": [
        {"code": "DEMO", "api_key": SECOND_KEY, "tokens": [token_hash(token)]}]}))
    gw = make_upstream_gateway(schools_file=path)
    data = await gw.gql('{ school(code: "DEMO") { name } }', headers=bearer(token))
    assert error_code(data) == "FORBIDDEN"
