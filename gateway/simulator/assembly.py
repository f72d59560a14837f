"""The fake Assembly Platform: year groups and their students, page/per_page, conditional GETs.

The people are the GO4Schools school's own pupils under Assembly's own ids (so a
gateway must match them by UPN), plus two Assembly-only pupils whose UPNs
GO4Schools does not know (so the gateway's unmatched path can be tested).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import math
import random
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.shared.upn import make_upn
from gateway.simulator import names
from gateway.simulator.control import Fault, RequestRecord
from gateway.simulator.go4schools import bearer
from gateway.simulator.responses import SimError, empty_response, error_response, json_response

if TYPE_CHECKING:
    from gateway.simulator.app import Simulator
    from gateway.simulator.school import School

Json = dict[str, Any]
VENDOR_ACCEPT = "application/vnd.assembly+json; version=1"
MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 100


class AssemblyView:
    """A school's current year as Assembly shows it."""

    def __init__(self, school: School) -> None:
        self.school = school

    @cached_property
    def students(self) -> dict[str, list[Json]]:
        """Assembly student objects by NC year code, in surname order."""
        yd = self.school.current
        today = self.school.today()
        by_code: dict[str, list[Json]] = {}
        for p in yd.pupils:
            if p.leaving is not None and p.leaving < today:
                continue
            by_code.setdefault(str(yd.nc(p)), []).append(
                {"object": "student", "id": p.assembly_id, "upn": p.upn,
                 "first_name": p.legal_first_name, "middle_name": p.middle_names,
                 "last_name": p.legal_last_name, "dob": p.dob.isoformat()})
        rng = random.Random(f"{self.school.seed}|{self.school.profile.salt}|assembly-only")
        known = {p.upn for p in self.school.persons}
        target = "10" if "10" in by_code else next(iter(sorted(by_code)), "10")
        for k in range(2):  # on Assembly's roll, not (yet) in GO4Schools
            upn = next(u for u in (make_upn(self.school.profile.la, 4100 + k, 13, rng.randint(1, 999))
                                   for _ in range(100)) if u not in known)
            bg = names.BACKGROUNDS[k * 4]
            by_code.setdefault(target, []).append(
                {"object": "student", "id": self.school.profile.assembly_id_offset + 9_000 + k,
                 "upn": upn, "first_name": rng.choice(bg.girls if k else bg.boys),
                 "middle_name": None, "last_name": rng.choice(bg.surnames),
                 "dob": dt.date(2011, 3 + k, 14).isoformat()})
        for rows in by_code.values():
            rows.sort(key=lambda s: (s["last_name"], s["first_name"], s["id"]))
        return by_code

    @cached_property
    def year_groups(self) -> list[Json]:
        """Year group objects, in name order ("Year 10" sorts before "Year 7", as names do)."""
        y = self.school.current_year
        staff = [t.staff_id for t in self.school.staffing.teachers]
        groups = []
        for nc in range(7, 14):
            code = str(nc)
            supervisors = [staff[(nc * 5) % len(staff)]] + \
                ([staff[(nc * 5 + 1) % len(staff)]] if nc >= 10 else [])
            groups.append({"object": "year_group",
                           "id": self.school.profile.assembly_id_offset // 100 + nc, "code": code,
                           "name": f"Year {nc}", "start_date": f"{y - 1}-09-01T00:00:00.000Z",
                           "end_date": f"{y}-08-31T23:59:00.000Z", "supervisor_ids": supervisors,
                           "student_ids": [s["id"] for s in self.students.get(code, [])]})
        return sorted(groups, key=lambda g: g["name"])

    def group(self, group_id: str) -> Json:
        for g in self.year_groups:
            if str(g["id"]) == group_id:
                return g
        raise SimError(404, "Year group not found")


def _number(query: dict[str, str], name: str, default: int, top: int | None = None) -> int:
    text = query.get(name)
    if text is None:
        return default
    if not text.isdigit() or int(text) < 1:
        raise SimError(400, f"{name} must be a positive whole number")
    if top is not None and int(text) > top:
        raise SimError(400, f"{name} must not be more than {top}")
    return int(text)


def listing(items: list[Json], query: dict[str, str]) -> Json:
    per_page = _number(query, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    page = _number(query, "page", 1)
    pages = max(1, math.ceil(len(items) / per_page))
    return {"object": "list", "total_count": len(items), "total_pages": pages,
            "current_page": page, "prev_page": page - 1 if page > 1 else None,
            "next_page": page + 1 if page < pages else None,
            "data": items[(page - 1) * per_page:page * per_page]}


def http_date(when: dt.datetime) -> str:
    return email.utils.format_datetime(when.astimezone(dt.UTC), usegmt=True)


class AssemblyApi:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def routes(self) -> list[Route]:
        return [
            Route("/year_groups", self._endpoint("assembly-year-groups"), methods=["GET"]),
            Route("/year_groups/{group_id}", self._endpoint("assembly-year-group"), methods=["GET"]),
            Route("/year_groups/{group_id}/students",
                  self._endpoint("assembly-year-group-students"), methods=["GET"]),
        ]

    def _endpoint(self, name: str) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            return await self.handle(name, request)
        return endpoint

    async def handle(self, name: str, request: Request) -> Response:
        sim = self.sim
        # Counted and matched to a fault on arrival, in arrival order: a client that gives up
        # during the latency still made the call, and a late waker cannot steal a later fault.
        epoch = sim.control.epoch
        sim.control.count(name)
        fault = sim.control.take_fault(name)
        if sim.config.latency_ms > 0:
            await asyncio.sleep(sim.config.latency_ms / 1000)
        school = sim.school_by_token(bearer(request))
        status = 500
        try:
            response = self._answer(name, request, school, fault)
            status = response.status_code
            return response
        except SimError as err:
            status = err.status
            return error_response(err, {"object": "error"})
        finally:
            sim.control.log(RequestRecord(
                name, request.method, request.url.path, dict(request.query_params), status,
                school is not None, request.headers.get("accept"), school.code if school else None),
                epoch)

    def _answer(self, name: str, request: Request, school: School | None,
                fault: Fault | None) -> Response:
        if fault is not None:
            headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            raise SimError(fault.status, headers=headers)
        if school is None:
            raise SimError(401, "Invalid or missing access token")
        modified = self.sim.assembly_modified(school)
        headers = {"Last-Modified": http_date(modified)}
        since = request.headers.get("if-modified-since")
        if since:
            try:
                when = email.utils.parsedate_to_datetime(since)
            except (TypeError, ValueError):
                when = None  # an unreadable date is ignored, as HTTP says
            if when is not None and when.tzinfo is not None and when >= modified:
                return empty_response(304, headers)
        view = self.sim.assembly_view(school)
        query = dict(request.query_params)
        if name == "assembly-year-groups":
            groups = view.year_groups
            if "year_code" in query:
                groups = [g for g in groups if g["code"] == query["year_code"]]
            return json_response(listing(groups, query), headers=headers)
        group = view.group(str(request.path_params["group_id"]))
        if name == "assembly-year-group":
            return json_response(group, headers=headers)
        return json_response(listing(view.students.get(group["code"], []), query), headers=headers)
