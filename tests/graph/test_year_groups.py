"""Year groups: GO4Schools education details, enriched by Assembly (matched by UPN), revalidated with 304s."""

from __future__ import annotations

import datetime as dt
import math
import time
from typing import Any

import httpx

from gateway import clock, metrics
from gateway.app import create_app
from gateway.clock import ManualClock
from gateway.setting_values import DEFAULT_TTLS
from gateway.settings import load_settings
from gateway.simulator import ASSEMBLY_DEMO_TOKEN, DEMO_KEY, Simulator
from tests.conftest import Gateway
from tests.simdata import unplanned

QUERY = """
{ academicYear {
    yearGroups {
      code name assemblyId startDate endDate supervisorIds
      students { id upn yearGroup }
      unmatchedStudents { assemblyId upn lastName }
    }
} }"""


async def _assembly(sim: Simulator, path: str, **params: Any) -> Any:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app), base_url="http://sim") as c:
        items: list[Any] = []
        page = 1
        while True:
            r = await c.get("/assembly" + path, params={**params, "page": page, "per_page": 200},
                            headers={"authorization": f"Bearer {ASSEMBLY_DEMO_TOKEN}"})
            r.raise_for_status()
            body = r.json()
            items += body["data"]
            if not body["next_page"]:
                return items
            page = body["next_page"]


async def test_year_groups_match_assembly_students_by_upn(gateway: Gateway) -> None:
    sim = gateway.sim
    groups = {g["code"]: g for g in await _assembly(sim, "/year_groups")}
    listed = {code: await _assembly(sim, f"/year_groups/{g['id']}/students") for code, g in groups.items()}
    sim.reset()
    before = unplanned()
    data = await gateway.gql(QUERY)
    assert "errors" not in data, data
    answer = {g["code"]: g for g in data["data"]["academicYear"]["yearGroups"]}
    assert set(answer) >= set(groups) and {"7", "11", "13"} <= set(answer)
    unmatched_total = 0
    for code, group in groups.items():
        got = answer[code]
        assert got["name"] == group["name"]
        assert got["assemblyId"] == str(group["id"])
        assert got["startDate"] == _iso(group["start_date"])  # a DateTime: the time is kept
        assert got["endDate"] == _iso(group["end_date"]) and "T23:59:00" in got["endDate"]
        assert got["supervisorIds"] == [str(i) for i in group["supervisor_ids"]]
        ours = {s["upn"] for s in got["students"]}
        theirs = {s["upn"] for s in listed[code]}
        unmatched = {s["upn"] for s in got["unmatchedStudents"]}
        assert ours | unmatched == theirs and not ours & unmatched
        assert all(s["yearGroup"] == code for s in got["students"])  # matched to the right students
        unmatched_total += len(unmatched)
    assert unmatched_total >= 1, "the simulator lists Assembly-only students: they must surface"
    # One walk of each resource: the floor, and no per-object awaits.
    assert sim.counts["assembly-year-groups"] == 1
    assert sim.counts["assembly-year-group-students"] == len(groups)
    for route in ("education-details", "students"):
        cursors = [r.query.get("cursor") for r in sim.requests if r.route == route]
        assert cursors and len(cursors) == len(set(cursors)), route  # each page once
    assert unplanned() == before


async def test_paging_at_two_per_page_walks_every_page(gateway: Gateway) -> None:
    sim = gateway.sim
    total = len(await _assembly(sim, "/year_groups"))
    gateway.services.upstreams.assembly.per_page = 2
    sim.reset()
    data = await gateway.gql("{ academicYear { yearGroups { code name } } }")
    assert "errors" not in data, data
    assert sum(1 for g in data["data"]["academicYear"]["yearGroups"] if g["name"]) == total
    pages = [r for r in sim.requests if r.route == "assembly-year-groups"]
    assert len(pages) == math.ceil(total / 2)
    assert [r.query["page"] for r in pages] == [str(n) for n in range(1, len(pages) + 1)]
    assert all(r.accept == "application/vnd.assembly+json; version=1" for r in pages)


async def test_stale_entry_is_revalidated_with_304(make_gateway: Any, cache_url: str) -> None:
    # Ten minutes fresh, then revalidated: the gateway's clock is advanced past the freshness.
    with clock.installed(ManualClock(time.time())) as now:
        gateway = make_gateway(cache_url=cache_url)  # on memory and on a real Redis
        sim = gateway.sim
        store = gateway.services.store  # one store for GO4Schools and Assembly routes
        first = await gateway.gql("{ academicYear { yearGroups { code name } } }")
        assert "errors" not in first, first
        sim.reset()
        now.advance(DEFAULT_TTLS["assembly-year-groups"] - 1)
        assert await gateway.gql("{ academicYear { yearGroups { code name } } }") == first
        assert not [r for r in sim.requests if r.route == "assembly-year-groups"]  # still fresh
        now.advance(2)
        revalidations = _revalidations()
        second = await gateway.gql("{ academicYear { yearGroups { code name } } }")
        assert second == first
        [request] = [r for r in sim.requests if r.route == "assembly-year-groups"]
        assert request.status == 304  # sent If-Modified-Since, got no body back
        assert store.revalidated >= 1 and _revalidations() == revalidations + 1
        sim.reset()
        assert await gateway.gql("{ academicYear { yearGroups { code name } } }") == first
        assert not [r for r in sim.requests if r.route == "assembly-year-groups"]  # fresh again


def _revalidations() -> float:
    return metrics.REGISTRY.get_sample_value(
        "go4graph_revalidations_total", {"source": "Assembly", "route": "assembly-year-groups"}) or 0.0


async def test_assembly_401_errors_only_the_assembly_fields(gateway: Gateway) -> None:
    sim = gateway.sim
    warm = await gateway.gql("{ academicYear { yearGroups { name } } }")  # the right token's data, cached
    assert all(g["name"] for g in warm["data"]["academicYear"]["yearGroups"])
    headers = {"authorization": f"Bearer {DEMO_KEY}", "x-assembly-token": "wrong-assembly-token-42"}
    response = await gateway.client.post("/graphql", headers=headers, json={
        "query": "{ academicYear { yearGroups { code name students { id } } } }"})
    data = response.json()
    groups = data["data"]["academicYear"]["yearGroups"]
    assert len(groups) >= 7
    assert all(g["name"] is None for g in groups)
    assert all(g["students"] for g in groups)  # GO4Schools' own lists still answer
    codes = {e["extensions"]["code"] for e in data["errors"]}
    assert codes == {"UNAUTHENTICATED"}
    assert all(e["path"][-1] == "name" for e in data["errors"])
    assert "wrong-assembly-token-42" not in response.text
    assert any(r.route == "assembly-year-groups" and r.status == 401 for r in sim.requests)


async def test_without_assembly_the_fields_are_null_and_no_error(fresh_sim: Simulator) -> None:
    settings = load_settings(upstream_url="http://sim/customer/v1")
    app = create_app(settings, transport=httpx.ASGITransport(app=fresh_sim.app))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as c:
        r = await c.post("/graphql", headers={"authorization": f"Bearer {DEMO_KEY}"},
                         json={"query": "{ academicYear { yearGroup(code: \"9\") { code name assemblyId supervisorIds unmatchedStudents { upn } students { id } } } }"})
    data = r.json()
    assert "errors" not in data, data
    group = data["data"]["academicYear"]["yearGroup"]
    assert group["code"] == "9" and group["students"]
    assert group["name"] is None and group["assemblyId"] is None
    assert group["supervisorIds"] is None and group["unmatchedStudents"] is None
    assert not any(r.route.startswith("assembly") for r in fresh_sim.requests)
    await app.state.services.aclose()


async def test_year_code_is_sent_to_assembly(gateway: Gateway) -> None:
    sim = gateway.sim
    sim.reset()
    data = await gateway.gql('{ academicYear { yearGroups(yearCode: "10") { code name assemblyId } } }')
    assert "errors" not in data, data
    [group] = data["data"]["academicYear"]["yearGroups"]
    assert group["code"] == "10" and group["name"] == "Year 10"
    [request] = [r for r in sim.requests if r.route == "assembly-year-groups"]
    assert request.query["year_code"] == "10"  # Assembly filtered it, not the gateway alone
    bad = await gateway.gql('{ academicYear { yearGroups(yearCode: "1 0; drop") { code } } }')
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "yearCode" in bad["errors"][0]["message"]


async def test_view_a_year_group_is_a_field(gateway: Gateway) -> None:
    sim = gateway.sim
    groups = {g["code"]: g for g in await _assembly(sim, "/year_groups")}
    wanted = groups["11"]
    sim.reset()
    data = await gateway.gql(f'{{ academicYear {{ assemblyYearGroup(id: "{wanted["id"]}") {{ '
                             "code name assemblyId startDate endDate supervisorIds assemblyStudentIds "
                             "students { upn yearGroup } } } }")
    assert "errors" not in data, data
    got = data["data"]["academicYear"]["assemblyYearGroup"]
    assert got["code"] == "11" and got["assemblyId"] == str(wanted["id"])
    assert got["assemblyStudentIds"] == [str(i) for i in wanted["student_ids"]]
    assert got["startDate"] == _iso(wanted["start_date"])
    assert all(s["yearGroup"] == "11" for s in got["students"]) and got["students"]
    [request] = [r for r in sim.requests if r.route == "assembly-year-group"]
    assert request.path.endswith(f"/year_groups/{wanted['id']}")
    missing = await gateway.gql('{ academicYear { assemblyYearGroup(id: "999999") { code } } }')
    assert missing["data"]["academicYear"]["assemblyYearGroup"] is None
    assert missing["errors"][0]["path"][-1] == "assemblyYearGroup"


def _iso(assembly: str) -> str:
    """Assembly's '2016-09-05T00:00:00.000Z' as the DateTime the graph answers."""
    return dt.datetime.fromisoformat(assembly.replace("Z", "+00:00")).isoformat()


async def test_a_bad_assembly_id_is_bad_input_on_its_field(gateway: Gateway) -> None:
    data = await gateway.gql('{ academicYear { year assemblyYearGroup(id: "abc") { code } } }')
    assert data["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert data["errors"][0]["path"] == ["academicYear", "assemblyYearGroup"]
    assert data["data"]["academicYear"]["year"]  # the rest of the query still answers
