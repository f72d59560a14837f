"""The naive baseline: the workloads resolved the way a generic REST-to-GraphQL tool would.

A generic tool maps each field to the REST route that holds it and resolves it once per
parent object: no batching, no memo within a request, no cache across requests. GO4Schools
has no "get one student" routes, so a field of one object calls the bulk route that holds it
and picks its rows out client-side; each call walks every page of its route, as it must to
answer correctly. Sibling objects resolve concurrently (as GraphQL executors do), behind the
same number of upstream requests in flight as the gateway (``GO4GRAPH_UPSTREAM_CONCURRENCY``,
8), over the same HTTP to the same simulator.

Each function resolves at most ``limit`` objects of the workload's top-level list, so a
workload that would make more requests than the bench's cap is measured on a sample and
extrapolated (the caller says so in the output).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from gateway.simulator import DEMO_KEY

PREFIX = "/customer/v1"


class NaiveClient:
    """One GET per field per parent object; every page walked; nothing remembered."""

    def __init__(self, base_url: str, concurrency: int = 8) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, timeout=120,
                                       limits=httpx.Limits(max_connections=concurrency,
                                                           max_keepalive_connections=concurrency))
        self._gate = asyncio.Semaphore(concurrency)
        self.requests = 0

    async def get(self, path: str) -> Any:
        items: list[Any] = []
        cursor: Any = None
        while True:
            async with self._gate:
                r = await self._http.get(PREFIX + path,
                                         params={"cursor": str(cursor)} if cursor is not None else None,
                                         headers={"authorization": f"Bearer {DEMO_KEY}"})
            self.requests += 1
            r.raise_for_status()
            body = r.json()
            if not isinstance(body, dict) or "has_more" not in body:
                return body
            items += next(v for v in body.values() if isinstance(v, list))
            if not body["has_more"]:
                return items
            cursor = body["cursor"]

    async def post(self, path: str, body: dict[str, Any]) -> None:
        async with self._gate:
            r = await self._http.post(PREFIX + path, json=body,
                                      headers={"authorization": f"Bearer {DEMO_KEY}"})
        self.requests += 1
        r.raise_for_status()

    async def aclose(self) -> None:
        await self._http.aclose()


def _find(rows: list[dict], field: str, value: Any) -> dict | None:
    return next((r for r in rows if r.get(field) == value), None)


async def _all(items: list[Any], fn: Callable[[Any], Awaitable[Any]]) -> list[Any]:
    return list(await asyncio.gather(*(fn(i) for i in items)))


# --- the workloads ------------------------------------------------------------------------------

async def register(n: NaiveClient, year: int, v: dict[str, Any], limit: int | None) -> int:
    y = f"/academic-years/{year}"
    cls = _find(await n.get(y + "/timetables/classes"), "id", int(v["classId"]))
    assert cls is not None
    total = [0]

    async def period() -> Any:
        return _find((await n.get(y + "/timetables"))[0]["periods"], "id", cls["period_id"])

    async def teachers() -> Any:
        rows = await n.get(y + "/teaching/teachers")
        return [_find(rows, "id", t) for t in cls["teacher_ids"]]

    async def students() -> Any:
        links = await n.get(y + "/timetables/student-classes")
        ids = [r["student_id"] for r in links if any(c["id"] == cls["id"] for c in r["classes"])]
        total[0] = len(ids)

        async def student(sid: int) -> Any:
            async def person() -> Any:
                return _find(await n.get(y + "/students"), "id", sid)

            async def registration() -> Any:
                return _find(await n.get(y + "/students/education-details"), "student_id", sid)

            async def marks() -> Any:
                rows = [m for m in await n.get(f"{y}/attendance/student-session-marks/date/{v['date']}")
                        if m["student_id"] == sid]

                async def mark(m: dict) -> Any:  # code and alias: one codes call each, per mark
                    code = _find(await n.get(y + "/attendance/codes"), "id", m["session_mark_id"])
                    alias = None
                    if m.get("session_alias_id") is not None:
                        alias = await n.get(y + "/attendance/codes")
                    return code, alias
                return await _all(rows, mark)
            return await asyncio.gather(person(), registration(), marks())
        return await _all(ids[:limit], student)

    async def codes() -> Any:
        return await n.get(y + "/attendance/codes")
    await asyncio.gather(period(), teachers(), students(), codes())
    return total[0]


async def register_write(n: NaiveClient, year: int, v: dict[str, Any], limit: int | None) -> int:
    # A generic tool cannot translate a student id to the UPN the upstream needs, nor a code's
    # text to its id: its mutation takes the REST body as is, so the client sends UPNs and mark
    # ids it looked up itself (not counted here) and the tool forwards one POST per row.
    rows = v["_rest_bodies"][:limit]
    path = f"/academic-years/{year}/attendance/student-session-marks"
    await _all(rows, lambda body: n.post(path, body))
    return len(v["_rest_bodies"])


async def pastoral(n: NaiveClient, year: int, v: dict[str, Any], limit: int | None) -> int:
    y = f"/academic-years/{year}"
    students = await n.get(y + "/students")
    edu = await n.get(y + "/students/education-details")  # the year-group filter, once
    wanted = [s for s in students
              if (e := _find(edu, "student_id", s["id"])) is not None
              and str(e["national_curriculum_year"]) == v["yearGroup"] and not e["deleted_from_source"]]
    start, end = dt.date.fromisoformat(v["from"]), dt.date.fromisoformat(v["to"])
    days = [(start + dt.timedelta(d)).isoformat() for d in range((end - start).days + 1)]

    async def student(s: dict) -> Any:
        sid = s["id"]

        async def registration() -> Any:
            return _find(await n.get(y + "/students/education-details"), "student_id", sid)

        async def summary() -> Any:
            return _find(await n.get(y + "/attendance/student-session-summary"), "student_id", sid)

        async def events() -> Any:
            async def day(d: str) -> Any:
                rows = [e for e in await n.get(f"{y}/behaviour/events/date/{d}") if sid in e["student_ids"]]

                async def event(e: dict) -> Any:
                    async def etype() -> Any:
                        t = _find(await n.get(y + "/behaviour/event-types"), "id", e["event_type_id"])
                        c = await n.get(y + "/behaviour/classification")
                        return t, c

                    async def actions(kind: str, ids: list[int]) -> Any:
                        return await _all(ids, lambda i: n.get(f"{y}/behaviour/actions/{kind}"))
                    return await asyncio.gather(etype(), actions("immediate", e.get("event_action_ids") or []),
                                                actions("follow-up", e.get("event_followup_type_ids") or []))
                return await _all(rows, event)
            return await _all(days, day)

        async def grades() -> Any:
            e = _find(await n.get(y + "/students/education-details"), "student_id", sid)
            yg = e["national_curriculum_year"]
            rows = [g for g in await n.get(f"{y}/attainment/grades/year-group/{yg}") if g["student_id"] == sid]

            async def grade(g: dict) -> Any:
                return await asyncio.gather(n.get(f"{y}/attainment/grade-types/year-group/{yg}"),
                                            n.get(y + "/teaching/subjects"))
            return await _all(rows, grade)
        return await asyncio.gather(registration(), summary(), events(), grades())

    await _all(wanted[:limit], student)
    return len(wanted)


async def marks_grid(n: NaiveClient, year: int, v: dict[str, Any], limit: int | None) -> int:
    y = f"/academic-years/{year}"
    group = _find(await n.get(y + "/teaching/groups"), "code", v["groupCode"])
    assert group is not None
    total = [0]

    async def subject() -> Any:
        sub = _find(await n.get(y + "/teaching/subjects"), "id", group["subject_id"])
        book = _find(await n.get(y + "/assessment/markbooks"), "id", group["subject_id"])
        return sub, book

    async def teachers() -> Any:
        gt = _find(await n.get(y + "/teaching/groups/teachers"), "group_id", group["id"])
        return await _all(gt["teacher_ids"], lambda t: n.get(y + "/teaching/teachers"))

    async def students() -> Any:
        gs = _find(await n.get(y + "/teaching/groups/students"), "group_id", group["id"])
        total[0] = len(gs["student_ids"])

        async def student(sid: int) -> Any:
            async def person() -> Any:
                return _find(await n.get(y + "/students"), "id", sid)

            async def marks() -> Any:
                slots = await n.get(y + "/assessment/marks")
                mine = [(s["id"], m) for s in slots for m in s["marks"] if m["student_id"] == sid]
                # markslot { id }: the id is on the mark's own row, no further call
                return mine
            return await asyncio.gather(person(), marks())
        return await _all(gs["student_ids"][:limit], student)
    await asyncio.gather(subject(), teachers(), students())
    return total[0]


async def roster(n: NaiveClient, year: int, v: dict[str, Any], limit: int | None) -> int:
    y = f"/academic-years/{year}"
    students = await n.get(y + "/students")

    async def student(s: dict) -> Any:
        sid = s["id"]

        async def year_group() -> Any:
            return _find(await n.get(y + "/students/education-details"), "student_id", sid)

        async def groups() -> Any:
            mine = [r["group_id"] for r in await n.get(y + "/teaching/groups/students") if sid in r["student_ids"]]

            async def group(gid: int) -> Any:
                row = _find(await n.get(y + "/teaching/groups"), "id", gid)

                async def subject() -> Any:
                    return _find(await n.get(y + "/teaching/subjects"), "id", row["subject_id"])

                async def teachers() -> Any:
                    gt = _find(await n.get(y + "/teaching/groups/teachers"), "group_id", gid)
                    rows = await n.get(y + "/teaching/teachers")
                    return [_find(rows, "id", t) for t in gt["teacher_ids"]]
                return await asyncio.gather(subject(), teachers())
            return await _all(mine, group)
        return await asyncio.gather(year_group(), groups())

    await _all(students[:limit], student)
    return len(students)


async def report(n: NaiveClient, year: int, v: dict[str, Any], limit: int | None) -> int:
    y = f"/academic-years/{year}"
    rid, sid = v["reportId"], int(v["studentId"])

    async def the_report() -> Any:
        return _find(await n.get(y + "/attainment/reports"), "id", int(rid))

    async def student() -> Any:
        async def person() -> Any:
            return _find(await n.get(y + "/students"), "id", sid)

        async def year_group() -> Any:
            return _find(await n.get(y + "/students/education-details"), "student_id", sid)

        async def rows(kind: str, inner: str | None) -> Any:
            data = await n.get(f"{y}/attainment/reports/{rid}/{kind}")
            if inner:
                mine = [r for s in data for r in s[inner] if r["student_id"] == sid]
            else:
                mine = [r for r in data if r["student_id"] == sid]

            async def row(r: dict) -> Any:  # subject per row; attribute and choice via the reports
                calls = [n.get(y + "/teaching/subjects")]
                if kind == "attributes":
                    calls += [n.get(y + "/attainment/reports"), n.get(y + "/attainment/reports")]
                return await asyncio.gather(*calls)
            return await _all(mine, row)
        return await asyncio.gather(person(), year_group(), rows("grades", "grades"),
                                    rows("attributes", "choices"), rows("comments", None))
    await asyncio.gather(the_report(), student())
    return 1


NAIVE: dict[str, Callable[[NaiveClient, int, dict[str, Any], int | None], Awaitable[int]]] = {
    "register": register, "register-write": register_write, "pastoral": pastoral,
    "marks-grid": marks_grid, "roster": roster, "report": report,
}

#: The workload's top-level list the sample is taken from (None: resolved whole, never sampled).
SAMPLED = {"register": "students of the class", "register-write": "rows",
           "pastoral": "students of the year group", "marks-grid": "students of the group",
           "roster": "students", "report": None}
