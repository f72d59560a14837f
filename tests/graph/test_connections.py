"""Cursor connections (issue 18, item 3): each big list also comes in pages, in the Relay shape.

Every page of a connection, concatenated, is its list (same nodes, same order); ``totalCount``
and ``pageInfo`` are right at both ends; a page costs exactly the upstream calls of the whole
list (one resource load, sliced); bad cursors and page sizes are BAD_USER_INPUT before any
upstream call.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from graphql import get_operation_ast, parse

from gateway.graph.connections import DEFAULT_PAGE, MAX_PAGE, page
from gateway.graph.errors import GatewayError
from gateway.graph.schema import schema
from gateway.http.cost import CostEstimator
from tests.conftest import Gateway
from tests.simdata import current_year, ok, open_days, unplanned

PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
STUDENT = "id legalFirstName yearGroup registrationGroup"

STUDENTS = "query($y: Int) { academicYear(year: $y) { students { " + STUDENT + " } } }"
STUDENTS_PAGE = ("query($y: Int, $first: Int, $after: String, $last: Int, $before: String) { "
                 "academicYear(year: $y) { studentsConnection(first: $first, after: $after, last: $last, "
                 "before: $before) { totalCount " + PAGE_INFO + " edges { cursor node { " + STUDENT + " } } } } }")


def counts(gw: Gateway) -> Counter[str]:
    return Counter({k: v for k, v in gw.sim.counts.items() if v})


def at(data: dict[str, Any], path: list[str]) -> Any:
    for key in path:
        data = data[key]
    return data


async def pages(gw: Gateway, query: str, variables: dict[str, Any], path: list[str],
                size: int, backward: bool = False) -> tuple[list[Any], list[dict[str, Any]]]:
    """Every page of a connection, walked forward (first/after) or backward (last/before):
    the nodes in the list's order, and each page's connection."""
    nodes: list[Any] = []
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        paging = {"last": size, "before": cursor} if backward else {"first": size, "after": cursor}
        conn = at(ok(await gw.gql(query, {**variables, **paging})), path)
        seen.append(conn)
        got = [e["node"] for e in conn["edges"]]
        nodes = got + nodes if backward else nodes + got
        info = conn["pageInfo"]
        if conn["edges"]:
            assert info["startCursor"] == conn["edges"][0]["cursor"]
            assert info["endCursor"] == conn["edges"][-1]["cursor"]
        more = info["hasPreviousPage"] if backward else info["hasNextPage"]
        if not more:
            return nodes, seen
        cursor = info["startCursor"] if backward else info["endCursor"]
        assert len(seen) < 1000


def assert_ends(seen: list[dict[str, Any]], total: int, size: int) -> None:
    """totalCount on every page; pageInfo right at the first and the last page."""
    assert all(c["totalCount"] == total for c in seen)
    assert len(seen) == max(1, -(-total // size))
    first, last = seen[0]["pageInfo"], seen[-1]["pageInfo"]
    assert first["hasPreviousPage"] is False
    assert last["hasNextPage"] is False
    if len(seen) > 1:
        assert first["hasNextPage"] is True and last["hasPreviousPage"] is True


def error_of(body: dict[str, Any], path: list[str]) -> dict[str, Any]:
    """The one error of an answer whose field at ``path`` failed alone."""
    assert at(body["data"], path) is None
    [error] = body["errors"]
    assert error["path"] == path
    return error  # type: ignore[no-any-return]


# --- students -----------------------------------------------------------------------------------

async def test_pages_of_students_concatenated_are_students(make_gateway: Callable[..., Gateway]) -> None:
    whole = make_gateway()
    year = await current_year(whole.sim)
    whole.sim.reset()
    before = unplanned()
    students = ok(await whole.gql(STUDENTS, {"y": year}))["academicYear"]["students"]
    unpaged = counts(whole)
    assert len(students) > 2 * 100 and unplanned() == before

    paged = make_gateway()
    paged.sim.reset()
    nodes, seen = await pages(paged, STUDENTS_PAGE, {"y": year}, ["academicYear", "studentsConnection"], 100)
    assert nodes == students
    assert [len(c["edges"]) for c in seen] == [100, 100, len(students) - 200]
    assert_ends(seen, len(students), 100)
    assert unplanned() == before

    # Every page on its own costs the upstream calls of the unpaged list, no more, no fewer.
    after = None
    for conn in seen:
        alone = make_gateway()
        alone.sim.reset()
        got = at(ok(await alone.gql(STUDENTS_PAGE, {"y": year, "first": 100, "after": after})),
                 ["academicYear", "studentsConnection"])
        assert got == conn
        assert counts(alone) == unpaged
        after = conn["pageInfo"]["endCursor"]
    assert unplanned() == before


async def test_students_paged_backward_and_with_filters(gateway: Gateway) -> None:
    year = await current_year(gateway.sim)
    students = ok(await gateway.gql(STUDENTS, {"y": year}))["academicYear"]["students"]
    nodes, seen = await pages(gateway, STUDENTS_PAGE, {"y": year}, ["academicYear", "studentsConnection"],
                              70, backward=True)
    assert nodes == students
    assert seen[0]["pageInfo"]["hasNextPage"] is False and seen[-1]["pageInfo"]["hasPreviousPage"] is False

    query = ("query($y: Int, $g: String, $r: Boolean, $first: Int, $after: String) { academicYear(year: $y) { "
             "students(yearGroup: $g, onRoll: $r) { id } studentsConnection(yearGroup: $g, onRoll: $r, first: $first, "
             "after: $after) { totalCount " + PAGE_INFO + " edges { cursor node { id } } } } }")
    variables = {"y": year, "g": "10", "r": True}
    listed = ok(await gateway.gql(query, {**variables, "first": 0}))["academicYear"]["students"]
    nodes, seen = await pages(gateway, query, variables, ["academicYear", "studentsConnection"], 7)
    assert nodes == listed and 0 < len(listed)
    assert_ends(seen, len(listed), 7)


async def test_the_page_sizes_and_their_defaults(gateway: Gateway) -> None:
    year = await current_year(gateway.sim)
    students = ok(await gateway.gql(STUDENTS, {"y": year}))["academicYear"]["students"]
    path = ["academicYear", "studentsConnection"]
    default = at(ok(await gateway.gql(STUDENTS_PAGE, {"y": year})), path)
    assert [e["node"] for e in default["edges"]] == students[:DEFAULT_PAGE]
    none = at(ok(await gateway.gql(STUDENTS_PAGE, {"y": year, "first": 0})), path)
    assert none["edges"] == [] and none["totalCount"] == len(students)
    assert none["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False, "startCursor": None, "endCursor": None}
    every = at(ok(await gateway.gql(STUDENTS_PAGE, {"y": year, "first": MAX_PAGE})), path)
    assert [e["node"] for e in every["edges"]] == students
    assert every["pageInfo"]["hasNextPage"] is False
    tail = at(ok(await gateway.gql(STUDENTS_PAGE, {"y": year, "last": 5})), path)
    assert [e["node"] for e in tail["edges"]] == students[-5:]
    # first and last together: the tail of the head (Relay's algorithm).
    both = at(ok(await gateway.gql(STUDENTS_PAGE, {"y": year, "first": 20, "last": 5})), path)
    assert [e["node"] for e in both["edges"]] == students[15:20]
    # after and before together: the items between them.
    c = [e["cursor"] for e in every["edges"]]
    between = at(ok(await gateway.gql(STUDENTS_PAGE, {"y": year, "after": c[3], "before": c[9]})), path)
    assert [e["node"] for e in between["edges"]] == students[4:9]
    assert between["pageInfo"]["hasNextPage"] is True and between["pageInfo"]["hasPreviousPage"] is True


# --- bad input ----------------------------------------------------------------------------------

def _tampered(cursor: str) -> str:
    text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    parts = text.split(":")
    parts[3] = str(int(parts[3]) + 1)  # another position, checksum unchanged
    return base64.urlsafe_b64encode(":".join(parts).encode()).decode().rstrip("=")


async def test_bad_cursors_and_page_sizes_are_bad_input_before_any_upstream_call(
        make_gateway: Callable[..., Gateway]) -> None:
    gw = make_gateway()
    year = await current_year(gw.sim)
    path = ["academicYear", "studentsConnection"]
    first_page = at(ok(await gw.gql(STUDENTS_PAGE, {"y": year, "first": 3})), path)
    cursor = first_page["edges"][1]["cursor"]
    classes = ok(await gw.gql("query($y: Int) { academicYear(year: $y) { classesConnection(first: 2) { "
                              "edges { cursor } } } }", {"y": year}))
    class_cursor = classes["academicYear"]["classesConnection"]["edges"][0]["cursor"]
    filtered = ok(await gw.gql("query($y: Int) { academicYear(year: $y) { studentsConnection(yearGroup: \"10\", "
                               "first: 1) { edges { cursor } } } }", {"y": year}))
    filtered_cursor = filtered["academicYear"]["studentsConnection"]["edges"][0]["cursor"]

    bad: list[tuple[dict[str, Any], str]] = [
        ({"first": -1}, "'first' must be between 0"),
        ({"first": MAX_PAGE + 1}, "'first' must be between 0"),
        ({"last": -5}, "'last' must be between 0"),
        ({"after": "not a cursor"}, "'after' is not a cursor this gateway gave"),
        ({"after": ""}, "'after' is not a cursor this gateway gave"),
        ({"before": "bm90OmE6Y3Vyc29y"}, "'before' is not a cursor this gateway gave"),
        ({"after": _tampered(cursor)}, "'after' is not a cursor this gateway gave"),
        ({"after": cursor[:-2]}, "'after' is not a cursor this gateway gave"),
        ({"after": class_cursor}, "'after' is a cursor of another list"),
        ({"after": filtered_cursor}, "'after' is a cursor of another list"),
    ]
    # Nodes without reads of their own: a field's static reads below start early (graph/plan.py),
    # whether or not the field's own arguments pass, as for any list.
    own = STUDENTS_PAGE.replace(STUDENT, "id legalFirstName")
    for paging, message in bad:
        fresh = make_gateway()
        fresh.sim.reset()
        body = await fresh.gql(own, {"y": year, **paging})
        error = error_of(body, path)
        assert error["extensions"]["code"] == "BAD_USER_INPUT", (paging, error)
        assert message in error["message"], (paging, error["message"])
        assert set(counts(fresh)) <= {"school"}, (paging, counts(fresh))  # GET Schools: the root's own


async def test_a_cursor_of_another_parent_is_bad_input(gateway: Gateway) -> None:
    year = await current_year(gateway.sim)
    query = ("query($y: Int, $after: String) { academicYear(year: $y) { students { id "
             "marksConnection(first: 1, after: $after) { edges { cursor } } } } }")
    rows = ok(await gateway.gql(query, {"y": year}))["academicYear"]["students"]
    [a, b] = [r for r in rows if r["marksConnection"]["edges"]][:2]
    one = ("query($y: Int, $id: ID, $after: String) { academicYear(year: $y) { student(id: $id) { "
           "marksConnection(first: 1, after: $after) { edges { cursor } } } } }")
    body = await gateway.gql(one, {"y": year, "id": b["id"], "after": a["marksConnection"]["edges"][0]["cursor"]})
    error = error_of(body, ["academicYear", "student", "marksConnection"])
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "under another object" in error["message"]


# --- the other connections ----------------------------------------------------------------------

async def assert_pages_match(gw: Gateway, list_query: str, page_query: str, variables: dict[str, Any],
                             list_path: list[str], page_path: list[str], size: int) -> int:
    """The list's items, walked in pages of ``size``, forward and backward; upstream calls of a
    page on a fresh gateway equal the list's. Returns the list's length."""
    gw.sim.reset()
    before = unplanned()
    listed = at(ok(await gw.gql(list_query, variables)), list_path)
    unpaged = counts(gw)
    assert listed, "the simulator's school should have some"
    nodes, seen = await pages(gw, page_query, variables, page_path, size)
    assert nodes == listed
    assert_ends(seen, len(listed), size)
    nodes, _ = await pages(gw, page_query, variables, page_path, size, backward=True)
    assert nodes == listed
    assert unplanned() == before  # the pages' nodes were planned, as the list's are
    return len(listed), unpaged  # type: ignore[return-value]


def _paged(field: str, args: str, selection: str) -> str:
    sep = ", " if args else ""
    return (f"{field}Connection({args}{sep}first: $first, after: $after, last: $last, before: $before) "
            f"{{ totalCount {PAGE_INFO} edges {{ cursor node {{ {selection} }} }} }}")


PAGING_VARS = "$first: Int, $after: String, $last: Int, $before: String"


async def test_classes_connection_pages_classes(make_gateway: Callable[..., Gateway]) -> None:
    gw = make_gateway()
    year = await current_year(gw.sim)
    sel = "id groupCode periodId rooms"
    n, unpaged = await assert_pages_match(
        gw, f"query($y: Int) {{ academicYear(year: $y) {{ classes {{ {sel} }} }} }}",
        f"query($y: Int, {PAGING_VARS}) {{ academicYear(year: $y) {{ {_paged('classes', '', sel)} }} }}",
        {"y": year}, ["academicYear", "classes"], ["academicYear", "classesConnection"], 50)
    assert n > 100
    fresh = make_gateway()
    fresh.sim.reset()
    ok(await fresh.gql(f"query($y: Int, {PAGING_VARS}) {{ academicYear(year: $y) {{ {_paged('classes', '', sel)} }} }}",
                       {"y": year, "first": 50}))
    assert counts(fresh) == unpaged


async def test_marks_connections_page_a_markslots_and_a_students_marks(gateway: Gateway) -> None:
    year = await current_year(gateway.sim)
    found = ok(await gateway.gql("query($y: Int) { academicYear(year: $y) { markbooks { marksheets { markslots { "
                                 "id marks { mark } } } } } }", {"y": year}))
    slots = [s for b in found["academicYear"]["markbooks"] for sh in b["marksheets"] for s in sh["markslots"]]
    slot = max(slots, key=lambda s: len(s["marks"]))["id"]
    sel = "mark grade alias student { id } markslot { id }"
    await assert_pages_match(
        gateway, f"query($y: Int, $id: ID!) {{ academicYear(year: $y) {{ markslot(id: $id) {{ marks {{ {sel} }} }} }} }}",
        f"query($y: Int, $id: ID!, {PAGING_VARS}) {{ academicYear(year: $y) {{ markslot(id: $id) {{ "
        f"{_paged('marks', '', sel)} }} }} }}",
        {"y": year, "id": slot}, ["academicYear", "markslot", "marks"],
        ["academicYear", "markslot", "marksConnection"], 9)

    students = ok(await gateway.gql(STUDENTS, {"y": year}))["academicYear"]["students"]
    await assert_pages_match(
        gateway, f"query($y: Int, $id: ID) {{ academicYear(year: $y) {{ student(id: $id) {{ marks {{ {sel} }} }} }} }}",
        f"query($y: Int, $id: ID, {PAGING_VARS}) {{ academicYear(year: $y) {{ student(id: $id) {{ "
        f"{_paged('marks', '', sel)} }} }} }}",
        {"y": year, "id": students[0]["id"]}, ["academicYear", "student", "marks"],
        ["academicYear", "student", "marksConnection"], 8)


async def _range(gw: Gateway, year: int, days: int) -> dict[str, str]:
    opened = await open_days(gw.sim, year)
    return {"f": opened[-days].isoformat(), "t": opened[-1].isoformat()}


async def test_behaviour_events_connection_pages_a_range(make_gateway: Callable[..., Gateway]) -> None:
    gw = make_gateway()
    year = await current_year(gw.sim)
    span = await _range(gw, year, 10)
    sel = "id date type { id } students { id }"
    page_query = (f"query($y: Int, $f: Date!, $t: Date, {PAGING_VARS}) {{ academicYear(year: $y) {{ "
                  f"{_paged('behaviourEvents', 'from: $f, to: $t', sel)} }} }}")
    n, unpaged = await assert_pages_match(
        gw, f"query($y: Int, $f: Date!, $t: Date) {{ academicYear(year: $y) {{ behaviourEvents(from: $f, to: $t) {{ {sel} }} }} }}",
        page_query, {"y": year, **span}, ["academicYear", "behaviourEvents"],
        ["academicYear", "behaviourEventsConnection"], 6)
    assert n > 6
    fresh = make_gateway()
    fresh.sim.reset()
    ok(await fresh.gql(page_query, {"y": year, **span, "first": 6}))
    assert counts(fresh) == unpaged


async def test_session_marks_connections_page_a_range_and_a_day(make_gateway: Callable[..., Gateway]) -> None:
    gw = make_gateway()
    year = await current_year(gw.sim)
    span = await _range(gw, year, 5)
    students = ok(await gw.gql(STUDENTS, {"y": year}))["academicYear"]["students"]
    sel = "date session code { code } minutesLate student { id }"
    await assert_pages_match(
        gw, f"query($y: Int, $id: ID, $f: Date!, $t: Date) {{ academicYear(year: $y) {{ student(id: $id) {{ "
            f"sessionMarks(from: $f, to: $t) {{ {sel} }} }} }} }}",
        f"query($y: Int, $id: ID, $f: Date!, $t: Date, {PAGING_VARS}) {{ academicYear(year: $y) {{ student(id: $id) {{ "
        f"{_paged('sessionMarks', 'from: $f, to: $t', sel)} }} }} }}",
        {"y": year, "id": students[0]["id"], **span}, ["academicYear", "student", "sessionMarks"],
        ["academicYear", "student", "sessionMarksConnection"], 3)

    day_query = (f"query($y: Int, $d: Date!, {PAGING_VARS}) {{ academicYear(year: $y) {{ "
                 f"{_paged('sessionMarks', 'date: $d', sel)} }} }}")
    fresh = make_gateway()
    n, unpaged = await assert_pages_match(
        fresh, f"query($y: Int, $d: Date!) {{ academicYear(year: $y) {{ sessionMarks(date: $d) {{ {sel} }} }} }}",
        day_query, {"y": year, "d": span["t"]}, ["academicYear", "sessionMarks"],
        ["academicYear", "sessionMarksConnection"], 100)
    assert n > 200
    alone = make_gateway()
    alone.sim.reset()
    ok(await alone.gql(day_query, {"y": year, "d": span["t"], "first": 100}))
    assert counts(alone) == unpaged


async def test_a_range_too_long_is_bad_input_as_for_the_list(make_gateway: Callable[..., Gateway]) -> None:
    gw = make_gateway()
    year = await current_year(gw.sim)
    gw.sim.reset()
    start = dt.date(year - 1, 9, 1)
    body = await gw.gql("query($y: Int, $f: Date!, $t: Date) { academicYear(year: $y) { "
                        "behaviourEventsConnection(from: $f, to: $t, first: 5) { totalCount } } }",
                        {"y": year, "f": start.isoformat(), "t": (start + dt.timedelta(200)).isoformat()})
    error = error_of(body, ["academicYear", "behaviourEventsConnection"])
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "at most" in error["message"]
    assert set(counts(gw)) <= {"school"}


# --- the admission estimate ---------------------------------------------------------------------

def _estimate(query: str, variables: dict[str, Any] | None = None) -> Any:
    document = parse(query)
    operation = get_operation_ast(document)
    assert operation is not None
    return CostEstimator(schema._schema).estimate(document, operation, variables or {}, [])  # type: ignore[attr-defined]


@pytest.mark.parametrize("size", [1, 100, MAX_PAGE])
def test_the_estimate_counts_a_pages_nodes_as_at_most_first(size: int) -> None:
    whole = _estimate("{ academicYear { students { id groups { id } } } }")
    paged = _estimate("query($n: Int) { academicYear { studentsConnection(first: $n) { totalCount "
                      + PAGE_INFO + " edges { cursor node { id groups { id } } } } } }", {"n": size})
    nodes = min(size, 2000)  # the declared size of AcademicYear.students
    per_student = 1 + 15  # the student and its groups (declared 15)
    assert paged.cost == pytest.approx(1 + 1 + 1 + nodes * (1 + per_student))
    assert paged.cost <= whole.cost + 2
    assert paged.upstream_calls == whole.upstream_calls
    backward = _estimate("{ academicYear { studentsConnection(last: 3) { edges { node { id } } } } }")
    assert backward.cost == 1 + 1 + 3 * 2
    default = _estimate("{ academicYear { studentsConnection { edges { node { id } } } } }")
    assert default.cost == 1 + 1 + DEFAULT_PAGE * 2


def test_the_estimate_of_a_range_connection_counts_its_days() -> None:
    whole = _estimate("{ academicYear { behaviourEvents(from: \"2026-01-05\", to: \"2026-01-09\") { id } } }")
    paged = _estimate("{ academicYear { behaviourEventsConnection(from: \"2026-01-05\", to: \"2026-01-09\", "
                      "first: 10) { edges { node { id } } } } }")
    assert paged.days == whole.days and len(paged.days) == 5
    assert paged.upstream_calls == whole.upstream_calls
    assert paged.cost == 1 + 1 + 10 * 2


def test_a_fragment_on_a_connection_is_counted_with_each_page_size() -> None:
    est = _estimate("{ academicYear { a: studentsConnection(first: 1) { ...P } b: studentsConnection(first: 10) { ...P } } } "
                    "fragment P on StudentConnection { edges { node { id } } }")
    assert est.cost == 1 + (1 + 1 * 2) + (1 + 10 * 2)


# --- cursors when the list changes between two pages ---------------------------------------------

class _Item:
    def __init__(self, n: int) -> None:
        self.plan_id = ("Item", n)


def test_a_cursor_finds_its_item_when_the_list_changed_and_says_when_it_left() -> None:
    items = [_Item(n) for n in range(20)]
    first = page(items, "tag", None, {"first": 6})
    cursor = first.page_info.end_cursor
    assert [e.item.plan_id[1] for e in first.items] == list(range(6))
    shorter = [i for i in items if i.plan_id[1] not in (1, 2)]  # two items before it left
    nxt = page(shorter, "tag", None, {"first": 3, "after": cursor})
    assert [e.item.plan_id[1] for e in nxt.items] == [6, 7, 8]
    longer = [_Item(100), *items]  # one item came before it
    assert [e.item.plan_id[1] for e in page(longer, "tag", None, {"first": 2, "after": cursor}).items] == [6, 7]
    gone = [i for i in items if i.plan_id[1] != 5]
    with pytest.raises(GatewayError) as raised:
        page(gone, "tag", None, {"first": 3, "after": cursor})
    assert raised.value.code == "BAD_USER_INPUT" and "no longer in the list" in str(raised.value)
