"""The generated school behind a key: its people once, and each academic year's data on first use.

``School`` holds what does not change between years (pupils, staff); ``YearData``
holds one academic year. Every resource of a year is built lazily from its own
random stream (``YearData.rng``), so the data are the same whichever order the
routes are first called in, and two simulators with one seed agree exactly.
Resources for one date (session and lesson marks, behaviour events) are
generated on request from a per-date stream and kept in a small cache only.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from gateway.simulator.calendar import SchoolDay, academic_year_of, build_calendar
from gateway.simulator.profiles import SchoolProfile
from gateway.simulator.roster import Person, build_persons
from gateway.simulator.staff import Staffing, build_staffing

if TYPE_CHECKING:
    from gateway.simulator.assessment import Assessment
    from gateway.simulator.attainment import Attainment
    from gateway.simulator.attendance import Attendance
    from gateway.simulator.behaviour import Behaviour
    from gateway.simulator.curriculum import Curriculum
    from gateway.simulator.pupils import PupilRecords
    from gateway.simulator.timetable import Timetable

Json = dict[str, Any]

#: Id ranges of the per-year kinds: offset + kind * 10M + (year % 10) * 1M + n.
KIND_SUBJECT, KIND_GROUP, KIND_CLASS, KIND_MARKBOOK = 1, 2, 3, 4
KIND_EVENT, KIND_TIMETABLE, KIND_REPORT, KIND_ATTENDANCE, KIND_BEHAVIOUR = 5, 6, 7, 8, 9
_DAILY_CACHE = 48


class YearData:
    """One academic year of a school; attributes are built on first use and then kept."""

    def __init__(self, school: School, year: int) -> None:
        self.school = school
        self.year = year
        self.profile: SchoolProfile = school.profile
        self.pupils: list[Person] = [p for p in school.persons if p.on_roll_in(year)]
        self.pupil_by_id: dict[int, Person] = {p.id: p for p in self.pupils}
        self.pupil_by_upn: dict[str, Person] = {p.upn: p for p in self.pupils}
        self.days: list[SchoolDay] = build_calendar(year)
        self.day_by_date: dict[dt.date, SchoolDay] = {d.date: d for d in self.days}
        self.open_days: list[dt.date] = [d.date for d in self.days if d.day_type == "Open"]
        #: Session marks accepted by POST: (date, student id, session) -> the mark record.
        self.posted_marks: dict[tuple[dt.date, int, str], Json] = {}
        self._daily: OrderedDict[tuple[str, dt.date], Any] = OrderedDict()
        self._resources: dict[str, Any] = {}
        self._daily_lock = threading.Lock()

    # --- helpers shared by the generators --------------------------------------------
    def rng(self, *parts: object) -> random.Random:
        """An independent random stream for one resource (and date) of this year."""
        label = "|".join(str(p) for p in parts)
        return random.Random(f"{self.school.seed}|{self.profile.salt}|{self.year}|{label}")

    def ident(self, kind: int, n: int) -> int:
        return self.profile.id_offset + kind * 10_000_000 + (self.year % 10) * 1_000_000 + n

    def nc(self, person: Person) -> int:
        return person.nc_year(self.year)

    @property
    def staffing(self) -> Staffing:
        return self.school.staffing

    def today(self) -> dt.date:
        return self.school.today()

    def daily(self, kind: str, day: dt.date, build: Callable[[], Any]) -> Any:
        """A per-date resource from a small LRU cache (a year of them would not fit in memory)."""
        key = (kind, day)
        with self._daily_lock:
            if key in self._daily:
                self._daily.move_to_end(key)
                return self._daily[key]
        value = build()  # outside the lock: a build may itself read another day's resource
        with self._daily_lock:
            self._daily[key] = value
            if len(self._daily) > _DAILY_CACHE:
                self._daily.popitem(last=False)
        return value

    def forget_day(self, day: dt.date) -> None:
        with self._daily_lock:
            for kind in ("session-marks", "lesson-marks"):
                self._daily.pop((kind, day), None)

    # --- the year's parts, each built on first use --------------------------------------
    @cached_property
    def curriculum(self) -> Curriculum:
        from gateway.simulator.curriculum import build_curriculum
        return build_curriculum(self)

    @cached_property
    def timetable(self) -> Timetable:
        from gateway.simulator.timetable import build_timetable
        return build_timetable(self)

    @cached_property
    def records(self) -> PupilRecords:
        from gateway.simulator.pupils import PupilRecords
        return PupilRecords(self)

    @cached_property
    def assessment(self) -> Assessment:
        from gateway.simulator.assessment import Assessment
        return Assessment(self)

    @cached_property
    def attainment(self) -> Attainment:
        from gateway.simulator.attainment import Attainment
        return Attainment(self)

    @cached_property
    def attendance(self) -> Attendance:
        from gateway.simulator.attendance import Attendance
        return Attendance(self)

    @cached_property
    def behaviour(self) -> Behaviour:
        from gateway.simulator.behaviour import Behaviour
        return Behaviour(self)

    def resource(self, name: str) -> Any:
        """The JSON of a year-level route (see catalog.py), by route name."""
        from gateway.simulator.catalog import CACHED, YEAR_RESOURCES
        if name in self._resources:
            return self._resources[name]
        value = YEAR_RESOURCES[name](self)
        if name in CACHED:
            self._resources[name] = value
        return value

    def build_all(self) -> None:
        """Materialise every year-level resource (to time generation, and before benchmarks)."""
        from gateway.simulator.catalog import YEAR_RESOURCES
        for name in YEAR_RESOURCES:
            self.resource(name)
        for nc in range(7, 14):
            self.attainment.grades(nc)
            self.attainment.exam_results(nc)
        for report in self.attainment.reports:
            for exclusions in (True, False):
                self.attainment.report_grades(report, exclusions)
            self.attainment.report_attributes(report)
            self.attainment.report_comments(report)


class School:
    """A generated school: identity, pupils and staff now; each academic year on first use."""

    def __init__(self, profile: SchoolProfile, *, seed: int, students: int,
                 today: Callable[[], dt.date]) -> None:
        self.profile = profile
        self.seed = seed
        self.today = today
        self.code = profile.code
        self.name = profile.name
        self.current_year = academic_year_of(today())
        self.academic_years = [self.current_year - 1, self.current_year]
        self.persons: list[Person] = build_persons(profile, seed, self.current_year, students,
                                                   today())
        self.staffing: Staffing = build_staffing(profile, seed, students)
        self._years: dict[int, YearData] = {}
        self._lock = threading.Lock()
        #: Assembly's Last-Modified for this school (moved on by ``Simulator.touch_assembly``).
        self.assembly_modified = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def year(self, year: int) -> YearData:
        """One academic year's data; KeyError for a year the school does not have."""
        if year not in self.academic_years:
            raise KeyError(year)
        with self._lock:
            if year not in self._years:
                self._years[year] = YearData(self, year)
            return self._years[year]

    @property
    def current(self) -> YearData:
        return self.year(self.current_year)

    @property
    def info(self) -> Json:
        """The GET Schools object."""
        return {"code": self.code, "name": self.name, "academic_years": list(self.academic_years),
                "current_academic_year": self.current_year}

    def __getattr__(self, name: str) -> Any:
        # Convenience for tests: school.students, school.groups ... read the current year.
        if name.startswith("_"):
            raise AttributeError(name)
        from gateway.simulator.catalog import YEAR_RESOURCES
        route = name.replace("_", "-")
        if route in YEAR_RESOURCES:
            return self.current.resource(route)
        return getattr(self.current, name)
