"""Timetables, periods, the calendar, timetabled classes and student classes (the Timetables routes).

GET Timetables is normalised to one row per period (with its ``timetable_id``;
the timetables themselves are the table's ``meta``); GET Student Classes to one
row per student and class (``student_id``, ``class_id``, ``start``, ``end``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from gateway.graph.base import parse_id, read, rk, to_date, to_datetime, to_id
from gateway.graph.errors import bad_input
from gateway.graph.plan import Scope, planned
from gateway.resources.keys import ResourceKey
from gateway.resources.memo import Resources
from gateway.resources.table import Table

if TYPE_CHECKING:
    from gateway.graph.students import Student
    from gateway.graph.teaching import Group, Teacher

StudentRef = Annotated["Student", strawberry.lazy("gateway.graph.students")]
GroupRef = Annotated["Group", strawberry.lazy("gateway.graph.teaching")]
TeacherRef = Annotated["Teacher", strawberry.lazy("gateway.graph.teaching")]

TIMETABLE_CLAIM = " Needs the Timetable-School Timetable (school.timetable.read) permission."
STUDENT_TIMETABLE_CLAIM = " Needs the Timetable-Student Timetables (students.timetable.read) permission."
CURRICULUM_CLAIM = " Needs the Teaching-Curriculum (school.curriculum.read) permission."
TEACHERS_CLAIM = " Needs the Teaching-Teachers (school.teachers.read) permission."
STUDENTS_CLAIM = " Needs the Student-Students (students.read) permission."


# --- keys ---------------------------------------------------------------------------------

def timetables_key(year: int) -> ResourceKey:
    return rk("timetables", year)


def calendar_key(year: int) -> ResourceKey:
    return rk("calendar", year)


def classes_key(year: int) -> ResourceKey:
    return rk("classes", year)


def student_classes_key(year: int) -> ResourceKey:
    return rk("student-classes", year)


def _groups_key(year: int) -> ResourceKey:
    return rk("groups", year)


def _teachers_key(year: int) -> ResourceKey:
    return rk("teachers", year)


def _students_key(year: int) -> ResourceKey:
    return rk("students", year)


def needs(*makers: Callable[[int], ResourceKey]) -> Callable[[Scope, list[Any], dict[str, Any]], list[ResourceKey]]:
    """A ``needs`` for fields that read whole-year (or whole-school) resources, whatever their parents."""

    def plan(scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[ResourceKey]:
        return [make(scope.year) for make in makers]

    return plan


def _keys(year: int, *makers: Callable[[int], ResourceKey]) -> list[ResourceKey]:
    return [make(year) for make in makers]


def each_parent(fn: Callable[[Any], Any]) -> Callable[[Scope, list[Any], dict[str, Any]], list[Any]]:
    """An ``expand`` applying a one-parent relationship to every parent (lists flattened)."""

    def expand(scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[Any]:
        out: list[Any] = []
        for parent in parents:
            found = fn(parent)
            if isinstance(found, list):
                out.extend(found)
            elif found is not None:
                out.append(found)
        return out

    return expand


# --- look-ups other domains use -----------------------------------------------------------

def period_by_id(res: Resources, year: int, period_id: Any) -> Period | None:
    if period_id is None:
        return None
    row = res.get(timetables_key(year)).unique("id").get(period_id)
    return None if row is None else Period(raw=row, year=year, res=res)


def timetable_by_id(res: Resources, year: int, timetable_id: Any) -> Timetable | None:
    if timetable_id is None:
        return None
    table = res.get(timetables_key(year))
    raw = table.derived("timetables-by-id", _timetables_by_id).get(timetable_id)
    return None if raw is None else Timetable(raw=raw, year=year, res=res)


def class_by_id(res: Resources, year: int, class_id: Any) -> TimetabledClass | None:
    if class_id is None:
        return None
    row = res.get(classes_key(year)).unique("id").get(class_id)
    return None if row is None else TimetabledClass(raw=row, year=year, res=res)


def classes_by_ids(res: Resources, year: int, class_ids: Iterable[Any]) -> list[TimetabledClass]:
    by_id = res.get(classes_key(year)).unique("id")
    out = []
    for cid in dict.fromkeys(class_ids):
        row = by_id.get(cid)
        if row is not None:
            out.append(TimetabledClass(raw=row, year=year, res=res))
    return out


def _timetables_by_id(table: Table) -> dict[Any, dict]:
    return {t.get("id"): t for t in table.meta or () if isinstance(t, dict)}


# --- relationships ------------------------------------------------------------------------

def _timetable_periods(timetable: Any) -> list[Period]:
    rows = timetable.res.get(timetables_key(timetable.year)).group("timetable_id").get(timetable.raw.get("id"), [])
    return [Period(raw=r, year=timetable.year, res=timetable.res) for r in rows]


def _period_timetable(period: Any) -> Timetable | None:
    return timetable_by_id(period.res, period.year, period.raw.get("timetable_id"))


def _class_group(cls: Any) -> Group | None:
    from gateway.graph.teaching import group_by_code

    return group_by_code(cls.res, cls.year, cls.raw.get("group_code"))


def _class_period(cls: Any) -> Period | None:
    return period_by_id(cls.res, cls.year, cls.raw.get("period_id"))


def _class_teachers(cls: Any) -> list[Teacher]:
    from gateway.graph.teaching import teachers_by_ids

    return teachers_by_ids(cls.res, cls.year, cls.raw.get("teacher_ids") or ())


def _class_students(cls: Any) -> list[Student]:
    from gateway.graph.students import students_by_ids

    rows = cls.res.get(student_classes_key(cls.year)).group("class_id").get(cls.raw.get("id"), [])
    return students_by_ids(cls.res, cls.year, dict.fromkeys(r.get("student_id") for r in rows))


def _student_links(student: Any) -> list[dict]:
    table = student.res.get(student_classes_key(student.year))
    return table.group("student_id").get(student.student_id, [])  # type: ignore[no-any-return]


def _student_classes(student: Any) -> list[TimetabledClass]:
    return classes_by_ids(student.res, student.year, (r.get("class_id") for r in _student_links(student)))


def _student_enrolments(student: Any) -> list[StudentClass]:
    return [StudentClass(raw=r, year=student.year, res=student.res) for r in _student_links(student)]


def _group_classes(group: Any) -> list[TimetabledClass]:
    code = group.raw.get("code")
    if code is None:
        return []
    rows = group.res.get(classes_key(group.year)).derived("by-group-code", _by_group_code).get(str(code), [])
    return [TimetabledClass(raw=r, year=group.year, res=group.res) for r in rows]


def _by_group_code(table: Table) -> dict[str, list[dict]]:
    # The reference types group_code as an integer but shows strings: index by its text.
    out: dict[str, list[dict]] = {}
    for row in table.rows:
        code = row.get("group_code")
        if code is not None:
            out.setdefault(str(code), []).append(row)
    return out


def _day_timetable(day: Any) -> Timetable | None:
    return timetable_by_id(day.res, day.year, day.raw.get("timetable_id"))


# --- types --------------------------------------------------------------------------------

@strawberry.enum(description="The type of a calendar day (GET Calendar day_type_code).")
class DayType(Enum):
    OPEN = strawberry.enum_value("Open", description="The school is open.")
    CLOSED = strawberry.enum_value("Closed", description="The school is closed.")
    TRAINING = strawberry.enum_value("Training", description="The school is open for staff training only.")
    UNKNOWN = strawberry.enum_value("Unknown", description="GO has not received data in its feed for this date (also any value the reference does not list).")


_DAY_TYPES: dict[str, DayType] = {str(m.value).lower(): m for m in DayType}


def day_type(value: Any) -> DayType:
    """'Open', 'OPEN', 'open'… as a DayType; anything else UNKNOWN (never a crash)."""
    return _DAY_TYPES.get(str(value or "").strip().lower(), DayType.UNKNOWN)


@strawberry.type(description="A timetable of the academic year with its periods (GET Timetables)." + TIMETABLE_CLAIM)
class Timetable:
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]

    @property
    def plan_id(self) -> tuple[str, Any]:
        return ("timetable", self.raw.get("id"))

    @strawberry.field(description="The unique identifier for the timetable.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.raw.get("id")))

    @strawberry.field(description="The periods of this timetable." + TIMETABLE_CLAIM)
    @planned(needs=needs(timetables_key), expand=each_parent(_timetable_periods))
    def periods(self) -> list[Period]:
        return read(self.res, _keys(self.year, timetables_key), lambda: _timetable_periods(self))


@strawberry.type(description="A period of a timetable (GET Timetables)." + TIMETABLE_CLAIM)
class Period:
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]

    @property
    def plan_id(self) -> tuple[str, Any]:
        return ("period", self.raw.get("id"))

    @strawberry.field(description="Unique identifier for the period.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.raw.get("id")))

    @strawberry.field(description="The name of the period, e.g. \"Monday Tutorial\".")
    def name(self) -> str | None:
        return self.raw.get("name")

    @strawberry.field(description="The display name of the period, e.g. \"Tutorial\".")
    def display_name(self) -> str | None:
        return self.raw.get("display_name")

    @strawberry.field(description="The week the period belongs to: 1 or 2.")
    def week(self) -> int | None:
        v = self.raw.get("week")
        try:
            return None if v is None else int(v)
        except (TypeError, ValueError):
            return None

    @strawberry.field(description="The name of the day of the week the period falls on, e.g. \"Monday\".")
    def day_of_week(self) -> str | None:
        return self.raw.get("day_of_week")

    @strawberry.field(description="The time the period begins.")
    def start(self) -> dt.datetime | None:
        return to_datetime(self.raw.get("start"))

    @strawberry.field(description="The time the period ends.")
    def end(self) -> dt.datetime | None:
        return to_datetime(self.raw.get("end"))

    @strawberry.field(description="The timetable this period belongs to." + TIMETABLE_CLAIM)
    @planned(needs=needs(timetables_key), expand=each_parent(_period_timetable))
    def timetable(self) -> Timetable | None:
        return read(self.res, _keys(self.year, timetables_key), lambda: _period_timetable(self))


@strawberry.type(description="One day of the school calendar: open, closed or open for staff training only (GET Calendar)." + TIMETABLE_CLAIM)
class CalendarDay:
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]

    @property
    def plan_id(self) -> tuple[str, Any]:
        return ("calendar-day", self.raw.get("date"))

    @strawberry.field(description="The date of the calendar day.")
    def date(self) -> dt.date:
        return to_date(self.raw.get("date")) or dt.date.min

    @strawberry.field(description="The type of day: OPEN, CLOSED, TRAINING or UNKNOWN (GO has had no data for the date).")
    def day_type(self) -> DayType:
        return day_type(self.raw.get("day_type_code"))

    @strawberry.field(description="The timetable week the day is in: 1 or 2.")
    def week(self) -> int | None:
        v = self.raw.get("week")
        try:
            return None if v is None else int(v)
        except (TypeError, ValueError):
            return None

    @strawberry.field(description="The unique identifier of the day's timetable.")
    def timetable_id(self) -> strawberry.ID | None:
        return to_id(self.raw.get("timetable_id"))

    @strawberry.field(description="The timetable that runs on this day (GET Timetables)." + TIMETABLE_CLAIM)
    @planned(needs=needs(timetables_key), expand=each_parent(_day_timetable))
    def timetable(self) -> Timetable | None:
        return read(self.res, _keys(self.year, timetables_key), lambda: _day_timetable(self))


@strawberry.type(description="A timetabled class: one group's lesson in one period (GET Classes)." + TIMETABLE_CLAIM)
class TimetabledClass:
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]

    @property
    def plan_id(self) -> tuple[str, Any]:
        return ("class", self.raw.get("id"))

    @strawberry.field(description="The unique identifier for the class.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.raw.get("id")))

    @strawberry.field(description="The year group associated with the class, e.g. \"7\".")
    def year_group(self) -> str | None:
        v = self.raw.get("year_group")
        return None if v is None else str(v)

    @strawberry.field(description="The subject code associated with the class, e.g. \"As\".")
    def subject_code(self) -> str | None:
        return self.raw.get("subject_code")

    @strawberry.field(description="The code of the group taught in the class, e.g. \"7/As1\".")
    def group_code(self) -> str | None:
        v = self.raw.get("group_code")
        return None if v is None else str(v)

    @strawberry.field(description="The unique identifier for the period assigned to the class.")
    def period_id(self) -> strawberry.ID | None:
        return to_id(self.raw.get("period_id"))

    @strawberry.field(description="The room names of the class.")
    def rooms(self) -> list[str]:
        return [str(r) for r in self.raw.get("rooms") or ()]

    @strawberry.field(description="The unique identifiers of the class's teachers.")
    def teacher_ids(self) -> list[strawberry.ID]:
        return [strawberry.ID(str(t)) for t in self.raw.get("teacher_ids") or ()]

    @strawberry.field(description="The teaching group whose code is this class's group code (GET Groups)." + CURRICULUM_CLAIM)
    @planned(needs=needs(_groups_key), expand=each_parent(_class_group))
    def group(self) -> GroupRef | None:
        return read(self.res, _keys(self.year, _groups_key), lambda: _class_group(self))

    @strawberry.field(description="The period the class is timetabled in (GET Timetables)." + TIMETABLE_CLAIM)
    @planned(needs=needs(timetables_key), expand=each_parent(_class_period))
    def period(self) -> Period | None:
        return read(self.res, _keys(self.year, timetables_key), lambda: _class_period(self))

    @strawberry.field(description="The teachers of the class (GET Teachers)." + TEACHERS_CLAIM)
    @planned(needs=needs(_teachers_key), expand=each_parent(_class_teachers))
    def teachers(self) -> list[TeacherRef]:
        return read(self.res, _keys(self.year, _teachers_key), lambda: _class_teachers(self))

    @strawberry.field(description="The students linked to the class (GET Student Classes, GET Students)." + STUDENT_TIMETABLE_CLAIM + STUDENTS_CLAIM)
    @planned(needs=needs(student_classes_key, _students_key), expand=each_parent(_class_students))
    def students(self) -> list[StudentRef]:
        return read(self.res, _keys(self.year, student_classes_key, _students_key),
                    lambda: _class_students(self))


@strawberry.type(description="A student's link to a timetabled class, with when it starts and ends (GET Student Classes)." + STUDENT_TIMETABLE_CLAIM)
class StudentClass:
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]

    @property
    def plan_id(self) -> tuple[str, Any, Any, Any]:
        return ("student-class", self.raw.get("student_id"), self.raw.get("class_id"), self.raw.get("start"))

    @strawberry.field(description="The unique identifier for the student.")
    def student_id(self) -> strawberry.ID | None:
        return to_id(self.raw.get("student_id"))

    @strawberry.field(description="The unique identifier for the class.")
    def class_id(self) -> strawberry.ID | None:
        return to_id(self.raw.get("class_id"))

    @strawberry.field(description="The start time of the class (of the student's membership of it).")
    def start(self) -> dt.datetime | None:
        return to_datetime(self.raw.get("start"))

    @strawberry.field(description="The end time of the class (of the student's membership of it), if it has one.")
    def end(self) -> dt.datetime | None:
        return to_datetime(self.raw.get("end"))

    @strawberry.field(name="class", description="The timetabled class (GET Classes)." + TIMETABLE_CLAIM)
    @planned(needs=needs(classes_key),
             expand=lambda s, ps, a: [c for p in ps for c in [class_by_id(p.res, p.year, p.raw.get("class_id"))] if c])
    def class_(self) -> TimetabledClass | None:
        return read(self.res, _keys(self.year, classes_key),
                    lambda: class_by_id(self.res, self.year, self.raw.get("class_id")))


# --- mixins -------------------------------------------------------------------------------

@strawberry.type
class StudentTimetableFields:
    """Fields this domain adds to Student (composed in students.py)."""

    @strawberry.field(description="The timetabled classes this student is linked to (GET Student Classes, GET Classes)." + STUDENT_TIMETABLE_CLAIM + TIMETABLE_CLAIM)
    @planned(needs=needs(student_classes_key, classes_key), expand=each_parent(_student_classes))
    def classes(self) -> list[TimetabledClass]:
        me: Any = self
        return read(me.res, _keys(me.year, student_classes_key, classes_key), lambda: _student_classes(me))

    @strawberry.field(description="The student's links to timetabled classes, with the start and end of each (GET Student Classes)." + STUDENT_TIMETABLE_CLAIM)
    @planned(needs=needs(student_classes_key), expand=each_parent(_student_enrolments))
    def class_enrolments(self) -> list[StudentClass]:
        me: Any = self
        return read(me.res, _keys(me.year, student_classes_key), lambda: _student_enrolments(me))


@strawberry.type
class GroupTimetableFields:
    """Fields this domain adds to Group (composed in teaching.py)."""

    @strawberry.field(description="The timetabled classes of this group (GET Classes, by group code)." + TIMETABLE_CLAIM)
    @planned(needs=needs(classes_key), expand=each_parent(_group_classes))
    def classes(self) -> list[TimetabledClass]:
        me: Any = self
        return read(me.res, _keys(me.year, classes_key), lambda: _group_classes(me))


def _as_date(value: Any, name: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise bad_input(f"'{name}' must be a date (yyyy-mm-dd)") from None


def _calendar(res: Resources, year: int, start: Any, end: Any) -> list[CalendarDay]:
    first, last = _as_date(start, "from"), _as_date(end, "to")
    if first is not None and last is not None and last < first:
        raise bad_input(f"'to' ({last}) is before 'from' ({first})")
    lo = first.isoformat() if first else None
    hi = last.isoformat() if last else None
    out = []
    # Calendar rows carry "date" as "YYYY-MM-DD" (normalised), so strings compare as dates.
    for row in res.get(calendar_key(year)).rows:
        day = row.get("date")
        if not isinstance(day, str) or to_date(day) is None:
            continue
        if (lo is not None and day < lo) or (hi is not None and day > hi):
            continue
        out.append(CalendarDay(raw=row, year=year, res=res))
    return out


def _calendar_needs(scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[ResourceKey]:
    # A backwards range fails here, before any upstream call (the resolver reports it).
    first, last = _as_date(args.get("from"), "from"), _as_date(args.get("to"), "to")
    if first is not None and last is not None and last < first:
        raise bad_input(f"'to' ({last}) is before 'from' ({first})")
    return [calendar_key(scope.year)]


def _timetables(res: Resources, year: int) -> list[Timetable]:
    table = res.get(timetables_key(year))
    return [Timetable(raw=t, year=year, res=res) for t in table.meta or () if isinstance(t, dict)]


def _classes(res: Resources, year: int) -> list[TimetabledClass]:
    return [TimetabledClass(raw=r, year=year, res=res) for r in res.get(classes_key(year)).rows]


FromArg = Annotated[dt.date | None, strawberry.argument(name="from", description="The first day (inclusive); omitted: from the start of the year.")]
ToArg = Annotated[dt.date | None, strawberry.argument(description="The last day (inclusive); omitted: to the end of the year.")]


@strawberry.type
class AcademicYearTimetableFields:
    """Fields this domain adds to AcademicYear (composed in academic_year.py)."""

    @strawberry.field(description="The timetables of this academic year with their periods." + TIMETABLE_CLAIM)
    @planned(needs=needs(timetables_key), expand=lambda s, ps, a: _timetables(s.resources, s.year))
    def timetables(self) -> list[Timetable]:
        me: Any = self
        return read(me.res, _keys(me.year, timetables_key), lambda: _timetables(me.res, me.year))

    @strawberry.field(description="The school calendar: which days are open, closed or for staff training, optionally between two dates (one upstream resource for the whole year, so any range costs the same)." + TIMETABLE_CLAIM)
    @planned(needs=_calendar_needs,
             expand=lambda s, ps, a: _calendar(s.resources, s.year, a.get("from"), a.get("to")))
    def calendar(self, from_: FromArg = None, to: ToArg = None) -> list[CalendarDay]:
        me: Any = self
        if from_ is not None and to is not None and to < from_:
            raise bad_input(f"'to' ({to}) is before 'from' ({from_})")
        return read(me.res, _keys(me.year, calendar_key), lambda: _calendar(me.res, me.year, from_, to))

    @strawberry.field(description="Every timetabled class of this academic year." + TIMETABLE_CLAIM)
    @planned(needs=needs(classes_key), expand=lambda s, ps, a: _classes(s.resources, s.year))
    def classes(self) -> list[TimetabledClass]:
        me: Any = self
        return read(me.res, _keys(me.year, classes_key), lambda: _classes(me.res, me.year))

    @strawberry.field(name="class", description="One timetabled class by id; null when the school has no such class." + TIMETABLE_CLAIM)
    @planned(needs=needs(classes_key),
             expand=lambda s, ps, a: [c for c in [class_by_id(s.resources, s.year, parse_id(a.get("id"), "class id"))] if c])
    def class_(self, id: Annotated[strawberry.ID, strawberry.argument(
            description="The class's GO4Schools id.")]) -> TimetabledClass | None:
        me: Any = self
        class_id = parse_id(id, "class id")
        return read(me.res, _keys(me.year, classes_key), lambda: class_by_id(me.res, me.year, class_id))
