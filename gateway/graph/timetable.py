"""Timetables, periods, the calendar, timetabled classes and student classes (the Timetables routes).

GET Timetables is normalised to one row per period (with its ``timetable_id``; the timetables
themselves are the table's ``meta``); GET Student Classes to one row per student and class
(``student_id``, ``class_id``, ``start``, ``end``). Each link is one ``@relation``: what it reads
and how it finds its records; a link whose target the upstream does not list (a class whose
group code GET Groups lacks, a period id GET Timetables lacks…) is null, or skipped in a list.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import strawberry

from gateway.graph import claims, keys, unknown
from gateway.graph.base import parse_id, to_date, to_datetime, to_id, to_int, to_text
from gateway.graph.connections import Connection, connection
from gateway.graph.errors import bad_input
from gateway.graph.lookups import Record, all_rows, row_by, rows_by, rows_where
from gateway.graph.relation import relation
from gateway.graph.row import Row, YearScoped, column
from gateway.resources.table import Table

if TYPE_CHECKING:
    from gateway.graph.students import Student
    from gateway.graph.teaching import Group, Teacher

StudentRef = Annotated["Student", strawberry.lazy("gateway.graph.students")]
GroupRef = Annotated["Group", strawberry.lazy("gateway.graph.teaching")]
TeacherRef = Annotated["Teacher", strawberry.lazy("gateway.graph.teaching")]


# --- look-ups (records in, records out) -------------------------------------------------------

def _timetables_by_id(table: Table) -> dict[Any, dict]:
    return {t.get("id"): t for t in table.meta or () if isinstance(t, dict)}


def timetable_records(res: Any, year: int) -> list[Record]:
    """The timetables of the year (GET Timetables' own objects, the table's meta), in order."""
    return [t for t in res.get(keys.TIMETABLES(year)).meta or () if isinstance(t, dict)]


def timetable_record(res: Any, year: int, timetable_id: Any) -> Record:
    """The timetable (GET Timetables' own object, the table's meta) with this id, or None."""
    if timetable_id is None:
        return None
    return res.get(keys.TIMETABLES(year)).derived("timetables-by-id", _timetables_by_id).get(timetable_id)


def _by_group_code(table: Table) -> dict[str, list[dict]]:
    # The reference types group_code as an integer but shows strings: index by its text.
    out: dict[str, list[dict]] = {}
    for row in table.rows:
        code = row.get("group_code")
        if code is not None:
            out.setdefault(str(code), []).append(row)
    return out


def student_class_links(res: Any, year: int, student_id: Any) -> list[Record]:
    """A student's rows of GET Student Classes (none for a missing id)."""
    return [] if student_id is None else rows_where(res, keys.STUDENT_CLASSES(year), "student_id", student_id)


# --- types ------------------------------------------------------------------------------------

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


def _day_type_of(self: CalendarDay) -> DayType:
    """The day's type; a value the reference does not list is UNKNOWN, counted and logged."""
    value = self.raw.get("day_type_code")
    found = _DAY_TYPES.get(str(value or "").strip().lower())
    if found is None:
        if value not in (None, ""):
            unknown.report(self, "dayType", value)
        return DayType.UNKNOWN
    return found


@strawberry.type(description="A timetable of the academic year with its periods (GET Timetables)." + claims.TIMETABLE_CLAIM)
class Timetable(Row, id="The unique identifier for the timetable."):

    @relation(keys.TIMETABLES, description="The periods of this timetable." + claims.TIMETABLE_CLAIM)
    def periods(self) -> list[Period]:
        return rows_where(self.res, keys.TIMETABLES(self.year), "timetable_id", self.raw.get("id"))


@strawberry.type(description="A period of a timetable (GET Timetables)." + claims.TIMETABLE_CLAIM)
class Period(Row, id="Unique identifier for the period."):
    name: str | None = column("name", "The name of the period, e.g. \"Monday Tutorial\".")
    display_name: str | None = column("display_name", "The display name of the period, e.g. \"Tutorial\".")
    week: int | None = column("week", "The week the period belongs to: 1 or 2.", convert=to_int)
    day_of_week: str | None = column("day_of_week", "The name of the day of the week the period falls on, e.g. \"Monday\".")
    start: dt.datetime | None = column("start", "The time the period begins.", convert=to_datetime)
    end: dt.datetime | None = column("end", "The time the period ends.", convert=to_datetime)

    @relation(keys.TIMETABLES, description="The timetable this period belongs to." + claims.TIMETABLE_CLAIM)
    def timetable(self) -> Timetable | None:
        return timetable_record(self.res, self.year, self.raw.get("timetable_id"))


@strawberry.type(description="One day of the school calendar: open, closed or open for staff training only (GET Calendar)." + claims.TIMETABLE_CLAIM)
class CalendarDay(Row):
    PLAN_FIELDS: ClassVar[tuple[str, ...]] = ("date",)

    date: dt.date = column("date", "The date of the calendar day.", convert=lambda v: to_date(v) or dt.date.min)
    day_type: DayType = strawberry.field(resolver=_day_type_of, description="The type of day: OPEN, CLOSED, TRAINING or UNKNOWN (GO has had no data for the date).")
    week: int | None = column("week", "The timetable week the day is in: 1 or 2.", convert=to_int)
    timetable_id: strawberry.ID | None = column("timetable_id", "The unique identifier of the day's timetable.", convert=to_id)

    @relation(keys.TIMETABLES, description="The timetable that runs on this day (GET Timetables)." + claims.TIMETABLE_CLAIM)
    def timetable(self) -> Timetable | None:
        return timetable_record(self.res, self.year, self.raw.get("timetable_id"))


@strawberry.type(description="A timetabled class: one group's lesson in one period (GET Classes)." + claims.TIMETABLE_CLAIM)
class TimetabledClass(Row, id="The unique identifier for the class."):
    year_group: str | None = column("year_group", "The year group associated with the class, e.g. \"7\".", convert=to_text)
    subject_code: str | None = column("subject_code", "The subject code associated with the class, e.g. \"As\".")
    group_code: str | None = column("group_code", "The code of the group taught in the class, e.g. \"7/As1\".", convert=to_text)
    period_id: strawberry.ID | None = column("period_id", "The unique identifier for the period assigned to the class.", convert=to_id)
    rooms: list[str] = column("rooms", "The room names of the class.", convert=lambda v: [str(r) for r in v or ()])
    teacher_ids: list[strawberry.ID] = column("teacher_ids", "The unique identifiers of the class's teachers.",
                                              convert=lambda v: [strawberry.ID(str(t)) for t in v or ()])

    @relation(keys.GROUPS, description="The teaching group whose code is this class's group code (GET Groups; null when GET Groups does not list it)." + claims.CURRICULUM_CLAIM)
    def group(self) -> GroupRef | None:
        return row_by(self.res, keys.GROUPS(self.year), to_text(self.raw.get("group_code")), "code")

    @relation(keys.TIMETABLES, link="period_id", description="The period the class is timetabled in (GET Timetables)." + claims.TIMETABLE_CLAIM)
    def period(self) -> Period | None:
        return row_by(self.res, keys.TIMETABLES(self.year), self.raw.get("period_id"))

    @relation(keys.TEACHERS, description="The teachers of the class (GET Teachers)." + claims.TEACHERS_CLAIM)
    def teachers(self) -> list[TeacherRef]:
        return rows_by(self.res, keys.TEACHERS(self.year), self.raw.get("teacher_ids") or ())

    @relation(keys.STUDENT_CLASSES, keys.STUDENTS, description="The students linked to the class (GET Student Classes, GET Students)." + claims.STUDENT_TIMETABLE_CLAIM + claims.STUDENTS_CLAIM)
    def students(self) -> list[StudentRef]:
        links = rows_where(self.res, keys.STUDENT_CLASSES(self.year), "class_id", self.raw.get("id"))
        return rows_by(self.res, keys.STUDENTS(self.year), (r.get("student_id") for r in links))


@strawberry.type(description="A student's link to a timetabled class, with when it starts and ends (GET Student Classes)." + claims.STUDENT_TIMETABLE_CLAIM)
class StudentClass(Row):
    PLAN_FIELDS: ClassVar[tuple[str, ...]] = ("student_id", "class_id", "start")

    student_id: strawberry.ID | None = column("student_id", "The unique identifier for the student.", convert=to_id)
    class_id: strawberry.ID | None = column("class_id", "The unique identifier for the class.", convert=to_id)
    start: dt.datetime | None = column("start", "The start time of the class (of the student's membership of it).", convert=to_datetime)
    end: dt.datetime | None = column("end", "The end time of the class (of the student's membership of it), if it has one.", convert=to_datetime)

    @relation(keys.CLASSES, link="class_id", name="class", description="The timetabled class (GET Classes)." + claims.TIMETABLE_CLAIM)
    def class_(self) -> TimetabledClass | None:
        return row_by(self.res, keys.CLASSES(self.year), self.raw.get("class_id"))


# --- fields this domain adds to Student, Group and AcademicYear --------------------------------

@strawberry.type
class StudentTimetableFields(Row):
    """Fields this domain adds to Student (composed in students.py)."""

    @relation(keys.STUDENT_CLASSES, keys.CLASSES, description="The timetabled classes this student is linked to (GET Student Classes, GET Classes)." + claims.STUDENT_TIMETABLE_CLAIM + claims.TIMETABLE_CLAIM)
    def classes(self) -> list[TimetabledClass]:
        links = student_class_links(self.res, self.year, self.raw.get("id"))
        return rows_by(self.res, keys.CLASSES(self.year), (r.get("class_id") for r in links))

    @relation(keys.STUDENT_CLASSES, description="The student's links to timetabled classes, with the start and end of each (GET Student Classes)." + claims.STUDENT_TIMETABLE_CLAIM)
    def class_enrolments(self) -> list[StudentClass]:
        return student_class_links(self.res, self.year, self.raw.get("id"))


@strawberry.type
class GroupTimetableFields(Row):
    """Fields this domain adds to Group (composed in teaching.py)."""

    @relation(keys.CLASSES, description="The timetabled classes of this group (GET Classes, by group code)." + claims.TIMETABLE_CLAIM)
    def classes(self) -> list[TimetabledClass]:
        code = self.raw.get("code")
        if code is None:
            return []
        return list(self.res.get(keys.CLASSES(self.year)).derived("by-group-code", _by_group_code).get(str(code), ()))


def _check_calendar_range(from_: dt.date | None = None, to: dt.date | None = None) -> None:
    # A backwards range fails here, before any upstream call.
    if from_ is not None and to is not None and to < from_:
        raise bad_input(f"'to' ({to}) is before 'from' ({from_})")


def _check_class_id(id: Any) -> None:  # noqa: A002
    parse_id(id, "class id")


FromArg = Annotated[dt.date | None, strawberry.argument(name="from", description="The first day (inclusive); omitted: from the start of the year.")]
ToArg = Annotated[dt.date | None, strawberry.argument(description="The last day (inclusive); omitted: to the end of the year.")]


@strawberry.type
class AcademicYearTimetableFields(YearScoped):
    """Fields this domain adds to AcademicYear (composed in academic_year.py)."""

    @relation(keys.TIMETABLES, description="The timetables of this academic year with their periods." + claims.TIMETABLE_CLAIM)
    def timetables(self) -> list[Timetable]:
        return timetable_records(self.res, self.year)

    @relation(keys.CALENDAR, check=_check_calendar_range,
              description="The school calendar: which days are open, closed or for staff training, optionally between two dates (one upstream resource for the whole year, so any range costs the same)." + claims.TIMETABLE_CLAIM)
    def calendar(self, from_: FromArg = None, to: ToArg = None) -> list[CalendarDay]:
        lo = from_.isoformat() if from_ else None
        hi = to.isoformat() if to else None
        # Calendar rows carry "date" as "YYYY-MM-DD" (normalised), so strings compare as dates.
        return [row for row in all_rows(self.res, keys.CALENDAR(self.year))
                if isinstance(day := row.get("date"), str) and to_date(day) is not None
                and not (lo is not None and day < lo) and not (hi is not None and day > hi)]

    @relation(keys.CLASSES, description="Every timetabled class of this academic year." + claims.TIMETABLE_CLAIM)
    def classes(self) -> list[TimetabledClass]:
        return all_rows(self.res, keys.CLASSES(self.year))

    classes_connection: Connection[TimetabledClass] = connection(classes)

    @relation(keys.CLASSES, check=_check_class_id, name="class",
              description="One timetabled class by id; null when the school has no such class." + claims.TIMETABLE_CLAIM)
    def class_(self, id: Annotated[strawberry.ID, strawberry.argument(  # noqa: A002
            description="The class's GO4Schools id.")]) -> TimetabledClass | None:
        return row_by(self.res, keys.CLASSES(self.year), parse_id(id, "class id"))
