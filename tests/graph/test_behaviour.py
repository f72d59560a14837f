"""Behaviour scheme and events against the simulator's own JSON.

The scheme (classifications, event types, actions) is compared value for
value; events fan out over open days only (a range over the October half-term
fetches no closed day), a bad range costs no upstream call at all, and a
pastoral query sits on the upstream-call floor with no unplanned loads.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from gateway import metrics
from gateway.simulator import DEMO_KEY
from tests.simdata import LONDON, current_year, ok, unplanned, upstream


async def calendar(sim: Any, year: int) -> dict[dt.date, str]:
    rows, _ = await upstream(sim, "calendar", academicYear=year)
    return {dt.date.fromisoformat(d["date"][:10]): str(d["day_type_code"]) for d in rows}


def unknown_count(type_name: str, field: str) -> float:
    return metrics.REGISTRY.get_sample_value(
        "go4graph_unknown_values_total", {"type": type_name, "field": field}) or 0.0


def is_open(day_type: str) -> bool:
    return day_type.lower() == "open"


def instant(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def event_dates(sim: Any, route: str = "behaviour-events") -> list[str]:
    return [r.path.rsplit("/", 1)[-1] for r in sim.requests if r.route == route]


async def half_term_fortnight(sim: Any, year: int) -> tuple[dt.date, dt.date, dict[dt.date, str]]:
    """A two-week range: the week before the October half-term and the half-term week itself."""
    cal = await calendar(sim, year)
    october = sorted(d for d in cal if d.year == year - 1 and d.month in (10, 11) and d.weekday() < 5)
    closed = next(d for d in october if d.weekday() == 0 and all(
        not is_open(cal[d + dt.timedelta(days=n)]) for n in range(5)))
    start = closed - dt.timedelta(days=7)
    return start, start + dt.timedelta(days=13), cal


# --- the scheme -------------------------------------------------------------------------------

async def test_scheme_matches_upstream(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    types, _ = await upstream(sim, "behaviour-event-types", academicYear=year)
    classes, _ = await upstream(sim, "behaviour-classifications", academicYear=year)
    immediate, _ = await upstream(sim, "immediate-actions", academicYear=year)
    follow_up, _ = await upstream(sim, "follow-up-actions", academicYear=year)
    assert types and classes and immediate and follow_up
    assert {t["significance"] for t in types} >= {"Positive", "Negative"}

    sim.reset()
    data = ok(await gateway.gql(
        "query($y: Int) { academicYear(year: $y) { "
        "behaviourEventTypes { id code name alias significance prioritise classification { id name } } "
        "behaviourClassifications { id name score immediateActions { completionType action { id name } } "
        "followUpActions { completionType action { id name alias type } } } "
        "immediateActions { id name alias type } followUpActions { id name alias type } } }", {"y": year}))
    ay = data["academicYear"]
    class_by_id = {c["id"]: c for c in classes}
    imm = {a["id"]: a for a in immediate}
    fol = {a["id"]: a for a in follow_up}

    def action(a: dict[str, Any]) -> dict[str, Any]:
        return {"id": str(a["id"]), "name": a["name"], "alias": a["alias"], "type": a["type"].upper()}

    assert ay["behaviourEventTypes"] == [{
        "id": str(t["id"]), "code": t["code"], "name": t["name"], "alias": t["alias"],
        "significance": t["significance"].upper(), "prioritise": t["prioritise"],
        "classification": None if t["classification_id"] not in class_by_id else {
            "id": str(t["classification_id"]), "name": class_by_id[t["classification_id"]]["name"]},
    } for t in types]
    assert all(t["classification"] for t in ay["behaviourEventTypes"])
    assert ay["behaviourClassifications"] == [{
        "id": str(c["id"]), "name": c["name"], "score": c["score"],
        "immediateActions": [{"completionType": x["completion_type"].upper(),
                              "action": {"id": str(x["id"]), "name": imm[x["id"]]["name"]}}
                             for x in c["immediate_actions"]],
        "followUpActions": [{"completionType": x["completion_type"].upper(),
                             "action": action(fol[x["id"]])} for x in c["follow_up_actions"]],
    } for c in classes]
    assert ay["immediateActions"] == [action(a) for a in immediate]
    assert ay["followUpActions"] == [action(a) for a in follow_up]
    assert {a["type"] for a in ay["immediateActions"] + ay["followUpActions"]} == {"STANDARD", "DETENTION"}
    for route in ("behaviour-event-types", "behaviour-classifications", "immediate-actions",
                  "follow-up-actions"):
        assert sim.counts[route] == 1


async def test_scheme_values_the_reference_does_not_list_are_unknown_counted_and_logged(
        gateway: Any, caplog: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    scheme = sim.school_for(DEMO_KEY).year(year).behaviour
    changed = [(scheme.event_types[0], "significance", "Sparkly"),
               (scheme.event_types[1], "significance", "Sparkly"),
               (scheme.immediate_actions[0], "type", "Isolation"),
               (scheme.classifications[0]["immediate_actions"][0], "completion_type", "Sometimes")]
    kept = [row[field] for row, field, _ in changed]
    counted = {("BehaviourEventType", "significance"): 2, ("BehaviourAction", "type"): 1,
               ("ClassificationAction", "completionType"): 1}
    before = {k: unknown_count(*k) for k in counted}
    caplog.set_level(logging.WARNING, logger="go4graph.graph.unknown")
    try:
        for row, field, value in changed:
            row[field] = value
        data = ok(await gateway.gql(
            "query($y: Int) { academicYear(year: $y) { behaviourEventTypes { significance } "
            "immediateActions { type } behaviourClassifications { immediateActions { completionType } } } }",
            {"y": year}))
    finally:
        for (row, field, _), value in zip(changed, kept, strict=True):
            row[field] = value
    ay = data["academicYear"]
    assert [t["significance"] for t in ay["behaviourEventTypes"][:3]] == [
        "UNKNOWN", "UNKNOWN", scheme.event_types[2]["significance"].upper()]
    assert ay["immediateActions"][0]["type"] == "UNKNOWN"
    assert ay["immediateActions"][1]["type"] == scheme.immediate_actions[1]["type"].upper()
    assert ay["behaviourClassifications"][0]["immediateActions"][0]["completionType"] == "UNKNOWN"
    assert {k: unknown_count(*k) - before[k] for k in counted} == counted
    warned = sorted((r.type, r.field, r.value) for r in caplog.records if r.name == "go4graph.graph.unknown")
    assert warned == [("BehaviourAction", "type", "Isolation"),
                      ("BehaviourEventType", "significance", "Sparkly"),  # once for both types
                      ("ClassificationAction", "completionType", "Sometimes")]
    scrape = metrics.render()[0].decode()
    assert 'go4graph_unknown_values_total{field="significance",type="BehaviourEventType"}' in scrape


# --- events -----------------------------------------------------------------------------------

async def busy_day(sim: Any, year: int) -> tuple[dt.date, list[dict[str, Any]], int]:
    """A recent past open day with many events (more than one page if any of the last 30 has)."""
    cal = await calendar(sim, year)
    today = dt.datetime.now(LONDON).date()
    best: tuple[dt.date, list[dict[str, Any]], int] | None = None
    for day in sorted((d for d, t in cal.items() if is_open(t) and d < today), reverse=True)[:30]:
        events, pages = await upstream(sim, "behaviour-events", academicYear=year, date=day.isoformat())
        if pages > 1:
            return day, events, pages
        if best is None or len(events) > len(best[1]):
            best = (day, events, pages)
    assert best is not None and best[1], "no day with events"
    return best


async def test_events_of_a_day_match_upstream(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    day, events, pages = await busy_day(sim, year)
    types, _ = await upstream(sim, "behaviour-event-types", academicYear=year)
    type_by_id = {t["id"]: t for t in types}
    immediate, _ = await upstream(sim, "immediate-actions", academicYear=year)
    follow_up, _ = await upstream(sim, "follow-up-actions", academicYear=year)
    staff, _ = await upstream(sim, "staff-accounts")
    staff_ids = {s["id"] for s in staff}
    imm = {a["id"]: a for a in immediate}
    fol = {a["id"]: a for a in follow_up}

    sim.reset()
    before = unplanned()
    data = ok(await gateway.gql(
        "query($y: Int, $d: Date!) { academicYear(year: $y) { behaviourEvents(from: $d) { "
        "id eventDate date type { id name significance } students { id } closed cancelled roomName "
        "groupName subjectCode yearGroup homeNotes schoolNotes immediateActions { id name } "
        "followUpActions { id name } createdBy { id } createdAt modifiedBy { id } modifiedAt } } }",
        {"y": year, "d": day.isoformat()}))
    got = data["academicYear"]["behaviourEvents"]
    assert len(got) == len(events) >= 3
    for g, e in zip(got, events, strict=True):
        assert g["id"] == str(e["id"])
        assert instant(g["eventDate"]) == instant(e["event_date"])
        assert g["date"] == day.isoformat()
        # A school day is a London day: the event's instant falls on it in Europe/London.
        assert instant(e["event_date"]).astimezone(LONDON).date() == day  # type: ignore[union-attr]
        t = type_by_id[e["event_type_id"]]
        assert g["type"] == {"id": str(t["id"]), "name": t["name"], "significance": t["significance"].upper()}
        assert g["students"] == [{"id": str(s)} for s in e["student_ids"]]
        for field in ("closed", "cancelled"):
            assert g[field] is e[field]
        for camel, snake in (("roomName", "room_name"), ("groupName", "group_name"),
                             ("subjectCode", "subject_code"), ("yearGroup", "year_group"),
                             ("homeNotes", "home_notes"), ("schoolNotes", "school_notes")):
            assert g[camel] == e[snake]
        assert g["immediateActions"] == [{"id": str(i), "name": imm[i]["name"]} for i in e["event_action_ids"]]
        assert g["followUpActions"] == [{"id": str(i), "name": fol[i]["name"]}
                                        for i in e["event_followup_type_ids"]]
        assert g["createdBy"] == ({"id": str(e["created_by"])} if e["created_by"] in staff_ids else None)
        assert instant(g["createdAt"]) == instant(e["created_timestamp"])
        assert g["modifiedBy"] == ({"id": str(e["modified_by"])} if e.get("modified_by") in staff_ids else None)
        assert instant(g["modifiedAt"]) == instant(e.get("modified_timestamp"))
    assert any(g["createdBy"] for g in got)
    assert sim.counts["behaviour-events"] == pages
    assert sim.counts["staff-accounts"] == 1 and sim.counts["students"] == 1
    assert sim.counts["calendar"] == 1
    assert unplanned() == before


async def test_a_fortnight_over_half_term_fetches_open_days_only(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    start, end, cal = await half_term_fortnight(sim, year)
    fortnight = [start + dt.timedelta(days=n) for n in range(14)]
    opened = [d for d in fortnight if is_open(cal.get(d, ""))]
    assert 0 < len(opened) <= 5 and len(fortnight) - len(opened) >= 9  # a half-term week and weekends
    expected: list[str] = []
    pages = 0
    for d in opened:
        events, n = await upstream(sim, "behaviour-events", academicYear=year, date=d.isoformat())
        expected += [str(e["id"]) for e in events]
        pages += n

    sim.reset()
    before = unplanned()
    data = ok(await gateway.gql(
        "query($y: Int, $f: Date!, $t: Date) { academicYear(year: $y) { "
        "behaviourEvents(from: $f, to: $t) { id date } } }",
        {"y": year, "f": start.isoformat(), "t": end.isoformat()}))
    got = data["academicYear"]["behaviourEvents"]
    assert [g["id"] for g in got] == expected
    assert {g["date"] for g in got} <= {d.isoformat() for d in opened}
    asked = event_dates(sim)
    assert all(is_open(cal[dt.date.fromisoformat(a)]) for a in asked), asked
    assert sorted(set(asked)) == [d.isoformat() for d in opened]
    assert len(asked) == sim.counts["behaviour-events"] == pages
    assert sim.counts["calendar"] == 1
    assert unplanned() == before


async def test_a_94_day_span_is_refused_before_any_upstream_call(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    ok(await gateway.gql("{ school { currentAcademicYear } }"))  # the school is now cached
    start = dt.date(year - 1, 9, 7)
    sim.reset()
    data = await gateway.gql(
        "query($y: Int, $f: Date!, $t: Date) { academicYear(year: $y) { behaviourEvents(from: $f, to: $t) { id } } }",
        {"y": year, "f": start.isoformat(), "t": (start + dt.timedelta(days=93)).isoformat()})
    assert data["data"] == {"academicYear": {"behaviourEvents": None}}  # the field alone fails
    assert [e["extensions"]["code"] for e in data["errors"]] == ["BAD_USER_INPUT"]
    assert data["errors"][0]["path"] == ["academicYear", "behaviourEvents"]
    assert "94" in data["errors"][0]["message"]
    assert sim.requests == [] and sum(sim.counts.values()) == 0

    # 93 days is the most a range may cover.
    data = ok(await gateway.gql(
        "query($y: Int, $f: Date!, $t: Date) { academicYear(year: $y) { behaviourEvents(from: $f, to: $t) { id } } }",
        {"y": year, "f": start.isoformat(), "t": (start + dt.timedelta(days=92)).isoformat()}))
    assert sim.counts["calendar"] == 1 and 0 < sim.counts["behaviour-events"]


async def test_to_before_from_and_dates_outside_the_year_are_refused(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    ok(await gateway.gql("{ school { currentAcademicYear } }"))
    start = dt.date(year - 1, 11, 2)
    for f, t in ((start, start - dt.timedelta(days=1)),
                 (dt.date(year, 7, 25), dt.date(year, 8, 5)),
                 (dt.date(year - 1, 7, 31), None)):
        sim.reset()
        data = await gateway.gql(
            "query($y: Int, $f: Date!, $t: Date) { academicYear(year: $y) { "
            "students(yearGroup: \"9\") { behaviourEvents(from: $f, to: $t) { id } } } }",
            {"y": year, "f": f.isoformat(), "t": None if t is None else t.isoformat()})
        rows = data["data"]["academicYear"]["students"]  # the students stand; their events fail
        assert rows and all(r == {"behaviourEvents": None} for r in rows), (f, t)
        assert {e["extensions"]["code"] for e in data["errors"]} == {"BAD_USER_INPUT"}, (f, t)
        assert not any(r.route in ("calendar", "behaviour-events") for r in sim.requests)


# --- a pastoral query on the floor ------------------------------------------------------------

PASTORAL = """query($y: Int, $f: Date!, $t: Date) { academicYear(year: $y) { students(yearGroup: "9") {
  id attendanceSummary { present possibleSessions }
  behaviourEvents(from: $f, to: $t) { id type { name significance } immediateActions { name } } } } }"""


async def test_pastoral_query_sits_on_the_floor(gateway: Any) -> None:
    sim = gateway.sim
    year = await current_year(sim)
    cal = await calendar(sim, year)
    today = dt.datetime.now(LONDON).date()
    end = max(d for d, t in cal.items() if is_open(t) and d < today)
    start = end - dt.timedelta(days=13)
    opened = [d for d in sorted(cal) if start <= d <= end and is_open(cal[d])]
    by_student: dict[str, list[str]] = {}
    event_pages = 0
    types, _ = await upstream(sim, "behaviour-event-types", academicYear=year)
    names = {t["id"]: t["name"] for t in types}
    for d in opened:
        events, n = await upstream(sim, "behaviour-events", academicYear=year, date=d.isoformat())
        event_pages += n
        for e in events:
            for s in e["student_ids"]:
                by_student.setdefault(str(s), []).append(names[e["event_type_id"]])
    _, edu_pages = await upstream(sim, "education-details", academicYear=year)
    summaries, _ = await upstream(sim, "attendance-summary", academicYear=year)
    present = {str(s["student_id"]): s["present"] for s in summaries}

    sim.reset()
    before = unplanned()
    data = ok(await gateway.gql(PASTORAL, {"y": year, "f": start.isoformat(), "t": end.isoformat()}))
    students = data["academicYear"]["students"]
    assert len(students) > 10
    assert any(s["behaviourEvents"] for s in students)
    for s in students:
        assert [e["type"]["name"] for e in s["behaviourEvents"]] == by_student.get(s["id"], [])
        assert (s["attendanceSummary"] or {}).get("present") == present.get(s["id"])
    assert dict(sim.counts) == {
        "school": 1, "students": 1, "education-details": edu_pages, "attendance-summary": 1,
        "calendar": 1, "behaviour-events": event_pages, "behaviour-event-types": 1,
        "immediate-actions": 1}
    assert unplanned() == before
