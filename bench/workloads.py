"""The workloads: each an operation of schema/examples/, with variables read from the simulator.

Variables are chosen the way a front end would: a real class with students and the last
open school day, a year group over its last two school weeks, a real teaching group, a
report with comments and one of its students.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from gateway.simulator import DEMO_KEY, Simulator

EXAMPLES = Path(__file__).resolve().parents[1] / "schema" / "examples"


@dataclass(frozen=True)
class Workload:
    name: str  # the row in the table
    example: str  # the operation's file in schema/examples/
    builder: str | None  # its serialisation floor in bench.direct (None: a write)
    throughput: bool = False  # also run under concurrent clients

    @property
    def document(self) -> str:
        return (EXAMPLES / f"{self.example}.graphql").read_text()

    @property
    def is_write(self) -> bool:
        return self.builder is None


WORKLOADS: tuple[Workload, ...] = (
    Workload("register", "register", "register", throughput=True),
    Workload("register-write", "take_register", None),
    Workload("pastoral", "pastoral", "pastoral", throughput=True),
    Workload("marks-grid", "marks_grid", "marks_grid"),
    Workload("roster", "roster", "roster"),
    Workload("report", "student_report", "student_report"),
)


class SimReader:
    """Reads the simulator's JSON directly (in process, no latency), walking every page."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    async def get(self, path: str) -> Any:
        saved = self.sim.config.latency_ms
        self.sim.config.latency_ms = 0
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.sim.app),
                                         base_url="http://sim") as c:
                items: list[Any] = []
                cursor = None
                while True:
                    r = await c.get("/customer/v1" + path,
                                    params={"cursor": cursor} if cursor is not None else None,
                                    headers={"authorization": f"Bearer {DEMO_KEY}"})
                    r.raise_for_status()
                    body = r.json()
                    if not isinstance(body, dict) or "has_more" not in body:
                        return body
                    items += next(v for k, v in body.items() if isinstance(v, list))
                    if not body["has_more"]:
                        return items
                    cursor = body["cursor"]
        finally:
            self.sim.config.latency_ms = saved

    async def count_items(self, path: str) -> tuple[int, bool]:
        """(items, paged) of a GET path: the first page's envelope says whether it is paged."""
        saved = self.sim.config.latency_ms
        self.sim.config.latency_ms = 0
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.sim.app),
                                         base_url="http://sim") as c:
                r = await c.get(path, headers={"authorization": f"Bearer {DEMO_KEY}"})
                r.raise_for_status()
                body = r.json()
        finally:
            self.sim.config.latency_ms = saved
        if isinstance(body, dict) and "has_more" in body:
            data = await self.get(path.removeprefix("/customer/v1"))
            return len(data), True
        return 1, False


async def variables(sim: Simulator) -> dict[str, dict[str, Any]]:
    """Variables of every workload, read from the simulator's own data."""
    read = SimReader(sim)
    year = (await read.get("/school"))["current_academic_year"]
    calendar = await read.get(f"/academic-years/{year}/timetables/calendar")
    today = sim.today().isoformat()
    open_days = [d["date"][:10] for d in calendar if d["day_type_code"] == "Open"]
    past = [d for d in open_days if d <= today] or open_days
    day = past[-1]

    links = await read.get(f"/academic-years/{year}/timetables/student-classes")
    per_class: dict[Any, list[Any]] = {}
    for row in links:
        for c in row.get("classes") or ():
            per_class.setdefault(c.get("id"), []).append(row.get("student_id"))
    classes = await read.get(f"/academic-years/{year}/timetables/classes")
    # A class with a full register (the median class size or more), as a teacher would open.
    sizes = sorted(len(v) for v in per_class.values())
    median = sizes[len(sizes) // 2] if sizes else 0
    cls = next((c for c in classes if len(per_class.get(c["id"], ())) >= max(median, 1)), classes[0])
    register_students = list(dict.fromkeys(per_class.get(cls["id"], [])))

    groups = await read.get(f"/academic-years/{year}/teaching/groups")
    group = next((g for g in groups if str(g["code"]).startswith("10/")), groups[0])

    reports = await read.get(f"/academic-years/{year}/attainment/reports")
    report = next((r for r in reports if r.get("enable_comments") and r.get("prepared_at")), reports[0])
    comments = await read.get(f"/academic-years/{year}/attainment/reports/{report['id']}/comments")

    edu = {e["student_id"]: e for e in await read.get(f"/academic-years/{year}/students/education-details")}
    codes = await read.get(f"/academic-years/{year}/attendance/codes")
    present = next(c for c in codes if c["code"] == "/")
    rest_bodies = [{"student_upn": edu[s]["upn"], "date": day, "session": "AM",
                    "session_mark_id": present["id"], "session_mark_alias_id": None,
                    "session_minutes_late": None, "session_notes": None} for s in register_students]

    window = past[-10:]  # two school weeks
    return {
        "register": {"classId": str(cls["id"]), "date": day},
        "register-write": {"inputs": [{"studentId": str(s), "date": day, "session": "AM", "code": "/"}
                                      for s in register_students]},
        "pastoral": {"yearGroup": "9", "from": window[0], "to": window[-1]},
        "marks-grid": {"groupCode": group["code"]},
        "roster": {},
        "report": {"reportId": str(report["id"]), "studentId": str(comments[0]["student_id"])},
        "_meta": {"year": year, "rest_bodies": rest_bodies, "day": day, "window": window, "register_rows": len(register_students),
                  "today": today, "open_days": open_days},
    }

