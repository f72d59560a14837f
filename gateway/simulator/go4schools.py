"""The fake GO4Schools customer API: its own table of routes, and the checks every request goes through.

The table is the simulator's own, kept apart from the gateway's (``gateway.upstream.routes``):
the fake must stand as an independent witness to the reference, not echo the
client's reading of it. A request is counted and matched to an injected fault on
arrival, then waits the configured latency, then passes, in order: the fault, the
key (401), the module (403), Bromcom and embargo (403), the academic year, the
route's own parameters (400) and the cursor (400); then it is answered.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.simulator import faults
from gateway.simulator import responses as r
from gateway.simulator.calendar import parse_day
from gateway.simulator.control import Fault, RequestRecord
from gateway.simulator.responses import SimError, bad_request
from gateway.simulator.writes import record_session_mark

if TYPE_CHECKING:
    from gateway.simulator.app import Simulator
    from gateway.simulator.school import School, YearData

_DIGITS = re.compile(r"^\d+$")
_Y = "/academic-years/{academicYear}"
YEAR_GROUPS = frozenset(str(n) for n in range(7, 14))


@dataclass(slots=True)
class Ask:
    """One request, past its checks: the school, the year's data and the parameters."""

    school: School
    yd: YearData | None
    params: dict[str, str]
    query: dict[str, str]
    request: Request


Answer = Callable[[Ask], Any]


@dataclass(frozen=True, slots=True)
class SimRoute:
    name: str
    path: str
    module: str
    answer: Answer | None = None  # None: the year-level resource of the same name
    method: str = "GET"
    items_key: str | None = None  # cursor-paged routes: the envelope's key
    embargo: bool = False  # refused while the school's results embargo is on
    bromcom: bool = False  # refused for Bromcom schools


# --- parameter checks -------------------------------------------------------------------

def _year_group(ask: Ask) -> int:
    value = ask.params["yearGroup"]
    if value not in YEAR_GROUPS:
        raise bad_request(r.INVALID_YEAR_GROUP)
    return int(value)


def _date(ask: Ask) -> dt.date:
    day = parse_day(ask.params["date"])
    if day is None:
        raise bad_request(r.INVALID_DATE)
    return day


def _report(ask: Ask) -> dict[str, Any]:
    assert ask.yd is not None
    text = ask.params["reportId"]
    report = ask.yd.attainment.report(int(text)) if _DIGITS.match(text) else None
    if report is None:
        raise bad_request(r.INVALID_REPORT)
    return report


def _flag(ask: Ask, name: str, default: bool) -> bool:
    value = ask.query.get(name)
    if value is None:
        return default
    return value.strip().lower() not in ("false", "0", "no")


def _yd(ask: Ask) -> YearData:
    assert ask.yd is not None
    return ask.yd


# --- the table ------------------------------------------------------------------------------

def _route(name: str, path: str, module: str, answer: Answer | None = None, **kw: Any) -> SimRoute:
    return SimRoute(name, path, module, answer, **kw)


ROUTES: tuple[SimRoute, ...] = (
    _route("school", "/school", "General", lambda a: a.school.info),
    _route("markbooks", _Y + "/assessment/markbooks", "Assessment"),
    _route("marksheet-grades", _Y + "/assessment/marksheet-grades", "Assessment",
           items_key="marksheets"),
    _route("marks", _Y + "/assessment/marks", "Assessment", items_key="markslots"),
    _route("grade-types", _Y + "/attainment/grade-types/year-group/{yearGroup}", "Attainment",
           lambda a: _yd(a).attainment.grade_types(_year_group(a))),
    _route("grades", _Y + "/attainment/grades/year-group/{yearGroup}", "Attainment",
           lambda a: _yd(a).attainment.grades(_year_group(a)), items_key="grades", embargo=True),
    _route("exam-results", _Y + "/attainment/exam-results/year-group/{yearGroup}", "Attainment",
           lambda a: _yd(a).attainment.exam_results(_year_group(a)), embargo=True),
    _route("prior-attainment", _Y + "/attainment/prior-attainment", "Attainment",
           items_key="prior_attainment"),
    _route("reports", _Y + "/attainment/reports", "Reports", embargo=True),
    _route("report-attributes", _Y + "/attainment/reports/{reportId}/attributes", "Reports",
           lambda a: _yd(a).attainment.report_attributes(_report(a)), embargo=True),
    _route("report-grades", _Y + "/attainment/reports/{reportId}/grades", "Reports",
           lambda a: _yd(a).attainment.report_grades(
               _report(a), _flag(a, "applyTakeHomeReportExclusions", True)), embargo=True),
    _route("report-comments", _Y + "/attainment/reports/{reportId}/comments", "Reports",
           lambda a: _yd(a).attainment.report_comments(_report(a)),
           items_key="report_comments", embargo=True),
    _route("attendance-codes", _Y + "/attendance/codes", "Attendance"),
    _route("session-marks", _Y + "/attendance/student-session-marks/date/{date}", "Attendance",
           lambda a: _yd(a).attendance.session_marks(_date(a))),
    _route("lesson-marks", _Y + "/attendance/student-lesson-marks/date/{date}", "Attendance",
           lambda a: _yd(a).attendance.lesson_marks(_date(a))),
    _route("attendance-summary", _Y + "/attendance/student-session-summary", "Attendance"),
    _route("record-session-mark", _Y + "/attendance/student-session-marks", "Attendance",
           method="POST", bromcom=True),
    _route("follow-up-actions", _Y + "/behaviour/actions/follow-up", "Behaviour"),
    _route("immediate-actions", _Y + "/behaviour/actions/immediate", "Behaviour"),
    _route("behaviour-classifications", _Y + "/behaviour/classification", "Behaviour"),
    _route("behaviour-event-types", _Y + "/behaviour/event-types", "Behaviour"),
    _route("behaviour-events", _Y + "/behaviour/events/date/{date}", "Behaviour",
           lambda a: _yd(a).behaviour.events(_date(a)), items_key="behaviour_events"),
    _route("parental-contacts", _Y + "/students/parental-contacts", "Contacts"),
    _route("parent-accounts", "/user-accounts/parents", "User Accounts",
           lambda a: a.school.current.resource("parent-accounts")),
    _route("staff-accounts", "/user-accounts/staff", "User Accounts",
           lambda a: a.school.current.resource("staff-accounts")),
    _route("students", _Y + "/students", "Students"),
    _route("general-attributes", _Y + "/students/attributes", "Students",
           items_key="students_and_attributes"),
    _route("demographic-attributes", _Y + "/students/attributes/demographic", "Students",
           items_key="students_and_attributes"),
    _route("send-attributes", _Y + "/students/attributes/send", "Students",
           items_key="students_and_attributes"),
    _route("sensitive-attributes", _Y + "/students/attributes/sensitive", "Students",
           items_key="students_and_attributes"),
    _route("education-details", _Y + "/students/education-details", "Students",
           items_key="students_and_education_details"),
    _route("photos", _Y + "/students/photos", "Photos", items_key="students_and_photos"),
    _route("medical-conditions", _Y + "/students/medical-conditions", "Medical",
           items_key="students_and_medical_conditions"),
    _route("departments", _Y + "/teaching/departments", "Teaching"),
    _route("subjects", _Y + "/teaching/subjects", "Teaching"),
    _route("teachers", _Y + "/teaching/teachers", "Teaching"),
    _route("groups", _Y + "/teaching/groups", "Teaching"),
    _route("groups-students", _Y + "/teaching/groups/students", "Teaching"),
    _route("groups-teachers", _Y + "/teaching/groups/teachers", "Teaching"),
    _route("timetables", _Y + "/timetables", "Timetable"),
    _route("calendar", _Y + "/timetables/calendar", "Timetable"),
    _route("classes", _Y + "/timetables/classes", "Timetable", items_key="classes"),
    _route("student-classes", _Y + "/timetables/student-classes", "Timetable",
           items_key="student_classes"),
)
BY_NAME: dict[str, SimRoute] = {route.name: route for route in ROUTES}


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def page(items: list[Any], key: str, cursor: str | None, size: int) -> dict[str, Any]:
    """One page of a cursor-paged resource; the cursor is the offset of the page's first item."""
    start = 0
    if cursor is not None:
        if not _DIGITS.match(cursor):
            raise bad_request(r.INVALID_CURSOR)
        start = int(cursor)
        if start >= len(items) and start != 0:  # not a cursor this resource ever handed out
            raise bad_request(r.INVALID_CURSOR)
    size = max(int(size), 1)
    end = start + size
    more = end < len(items)
    return {key: items[start:end], "has_more": more, "cursor": end if more else None}


class GO4SchoolsApi:
    """Answers the routes of ``ROUTES`` for a ``Simulator``."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def routes(self) -> list[Route]:
        return [Route(route.path, self._endpoint(route), methods=[route.method], name=route.name)
                for route in ROUTES]

    def _endpoint(self, route: SimRoute) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            return await self.handle(route, request)
        return endpoint

    async def handle(self, route: SimRoute, request: Request) -> Response:
        sim = self.sim
        # Counted and matched to a fault on arrival, in arrival order: a client that gives up
        # during the latency still made the call, and a late waker cannot steal a later fault.
        epoch = sim.control.epoch
        sim.control.count(route.name)
        school = sim.school_by_key(bearer(request))
        fault = sim.control.take_fault(route.name, school.code if school else None)
        if sim.config.latency_ms > 0:
            await asyncio.sleep(sim.config.latency_ms / 1000)
        status = 500
        try:
            response = await self._answer(route, request, school, fault)
            status = response.status_code
            return response
        except SimError as err:
            status = err.status
            return r.error_response(err)
        finally:
            sim.control.log(RequestRecord(
                route.name, request.method, request.url.path, dict(request.query_params), status,
                school is not None, request.headers.get("accept"),
                school.code if school else None), epoch)

    async def _answer(self, route: SimRoute, request: Request, school: School | None,
                      fault: Fault | None) -> Response:
        sim = self.sim
        if fault is not None and fault.kind == "status":
            headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            raise SimError(fault.status, headers=headers)
        if fault is not None and fault.kind == "delay":
            await asyncio.sleep(fault.delay)
        if fault is not None and (broken := faults.before_checks(fault)) is not None:
            return broken
        if school is None:
            raise SimError(401)
        mode = sim.control.mode(school.code)
        if mode.revoked:
            raise SimError(401)
        if route.module in mode.disabled:
            raise SimError(403, r.MODULE_DISABLED)
        if route.bromcom and mode.bromcom:
            raise SimError(403, r.BROMCOM)
        if route.embargo and mode.embargo:
            raise SimError(403, r.EMBARGO)
        yd = None
        if "academicYear" in request.path_params:
            text = str(request.path_params["academicYear"])
            if not _DIGITS.match(text) or int(text) not in school.academic_years:
                raise bad_request(r.INVALID_YEAR)
            yd = sim.year_of(school, int(text))
        ask = Ask(school, yd, {k: str(v) for k, v in request.path_params.items()},
                  dict(request.query_params), request)
        if route.method == "POST":
            return await record_session_mark(sim, ask, mode.attendance_mode_ok)
        data = route.answer(ask) if route.answer else _yd(ask).resource(route.name)
        if fault is not None and fault.kind in ("endless-cursor", "repeat-cursor"):
            return r.json_response(faults.paged(data, route.items_key, ask.query.get("cursor"), fault))
        if route.items_key is not None:  # unpaged routes ignore a cursor, as query strings go
            data = page(data, route.items_key, ask.query.get("cursor"), sim.config.page_size)
        if fault is not None and (broken := faults.after_answer(faults.encode(data), fault)) is not None:
            return broken
        return r.json_response(data)
