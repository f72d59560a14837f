"""Session and lesson marks and attendance summaries (the Attendance routes; codes and aliases
are in ``attendance_codes``).

Session and lesson marks are one upstream resource per date; a range of dates fans out over the
days the school calendar says are open (``gateway.graph.dates``), and a student's marks are found
through an index of each day's table. Attendance summaries are exposed as GO4Schools counts them,
never recounted. A mark reached from a student links back to that student without reading GET
Students; one reached from the year reads it, and is null when GET Students does not list them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, TypeVar

import strawberry

from gateway.categories import Category
from gateway.graph import claims, dates, keys
from gateway.graph.attendance_codes import AttendanceAlias, AttendanceCode, mark_alias, mark_code
from gateway.graph.base import to_date, to_int, to_text
from gateway.graph.connections import Connection, connection
from gateway.graph.lookups import Record, all_rows, row_by, rows_where
from gateway.graph.nullability import semantic_non_null
from gateway.graph.of_student import OfStudent, StudentRef, student_id_column, student_of
from gateway.graph.plan import Scope
from gateway.graph.relation import relation
from gateway.graph.row import Row, YearScoped, column
from gateway.graph.unknown import match, unknown_value_error
from gateway.resources.memo import Resources

if TYPE_CHECKING:
    from gateway.graph.timetable import TimetabledClass

ClassRef = Annotated["TimetabledClass", strawberry.lazy("gateway.graph.timetable")]

SUMMARY_CLAIM = claims.CODES_CLAIM

FromArg = Annotated[dt.date, strawberry.argument(
    name="from", description="The first date of the range (yyyy-mm-dd).")]
ToArg = Annotated[dt.date | None, strawberry.argument(
    description="The last date of the range, included (yyyy-mm-dd); defaults to 'from'.")]
DateArg = Annotated[dt.date, strawberry.argument(description="The date (yyyy-mm-dd).")]
M = TypeVar("M", bound="DayMark")


@strawberry.enum(description="A registration session of the school day.")
class Session(Enum):
    AM = strawberry.enum_value("AM", description="The morning session.")
    PM = strawberry.enum_value("PM", description="The afternoon session.")


def parse_session(value: Any) -> Session | None:
    """'AM'/'PM' in any case (None for anything else)."""
    return None if value is None else match(Session, value)


def _mark_date(self: Any) -> dt.date:
    return to_date(self.raw.get("date")) or dt.date.fromisoformat(self.day)


def _session(self: Row) -> Session:
    value = self.raw.get("session")
    found = parse_session(value)
    if found is None:
        raise unknown_value_error(self, "session", value, "session-marks")
    return found


@relation(keys.CLASSES, link="class_id", description="The timetabled class of the lesson (class_id; null when GET Classes does not list it)." + claims.TIMETABLE_CLAIM)
def _timetabled_class(self: Row) -> ClassRef | None:
    return row_by(self.res, keys.CLASSES(self.year), self.raw.get("class_id"))


def _day_text(day: dt.date | str | None, row: Record | None) -> str:
    if day is None:
        return str((row or {}).get("date") or "")[:10]
    return day if isinstance(day, str) else day.isoformat()


# --- marks --------------------------------------------------------------------------------------

@strawberry.type
class DayMark(OfStudent):
    """A mark of one date's resource; ``day``: the date it was asked for (its identity, with
    ``PLAN_FIELDS``, for the planner)."""

    day: strawberry.Private[str]
    KIND: ClassVar[str] = "mark"

    @property
    def plan_id(self) -> tuple[Any, ...]:
        return (self.KIND, self.day, *(self.raw.get(f) for f in self.PLAN_FIELDS))


@strawberry.type(description="A student's attendance mark for one AM or PM session (GET Student Session Marks)." + claims.SESSION_CLAIM)
class SessionMark(DayMark):
    KIND = "session-mark"
    PLAN_FIELDS = ("session", "student_id")

    date: dt.date = strawberry.field(resolver=_mark_date, description="The date of the session attendance.")
    session: Session = strawberry.field(resolver=_session, directives=[semantic_non_null()], description=(
        "Determines the session: one of AM or PM. Any other value GO4Schools gives is an error at this "
        "mark's session (code UPSTREAM_UNAVAILABLE), counted and logged; the rest of the mark is shown."))
    student_id: strawberry.ID | None = student_id_column()
    student: StudentRef | None = student_of("The student the mark is for.")
    code: AttendanceCode = mark_code("session_mark_id", "The attendance mark for the session (session_mark_id).")
    alias: AttendanceAlias | None = mark_alias("session_alias_id", "The attendance alias mark for the session, if one was used (session_alias_id).")
    minutes_late: int | None = column("session_minutes_late", "The number of minutes late the student was for the session.", convert=to_int)
    notes: str | None = column("session_notes", "Notes recorded against the session.", convert=to_text)


@strawberry.type(description="A student's attendance mark for one timetabled lesson (GET Student Lesson Marks)." + claims.LESSON_CLAIM)
class LessonMark(DayMark):
    KIND = "lesson-mark"
    PLAN_FIELDS = ("class_id", "student_id")

    date: dt.date = strawberry.field(resolver=_mark_date, description="The date of the lesson attendance.")
    student_id: strawberry.ID | None = student_id_column()
    student: StudentRef | None = student_of("The student the mark is for.")
    timetabled_class: ClassRef | None = _timetabled_class
    code: AttendanceCode = mark_code("lesson_mark_id", "The attendance mark for the lesson (lesson_mark_id).")
    alias: AttendanceAlias | None = mark_alias("lesson_alias_id", "The attendance alias mark for the lesson, if one was used (lesson_alias_id).")
    minutes_late: int | None = column("lesson_minutes_late", "The number of minutes late for the lesson.", convert=to_int)
    notes: str | None = column("lesson_notes", "Notes against this lesson attendance.", convert=to_text)


def day_marks(kind: type[M], res: Resources, year: int, rows: Iterable[Record], owner: Any = None,
              day: dt.date | str | None = None) -> list[M]:
    """Marks of ``kind`` for rows of one date's resource (every row: a session mark whose
    session is neither AM nor PM shows an error at its session)."""
    if day is not None:
        text = _day_text(day, None)
        return [kind(raw=row, year=year, res=res, day=text, owner=owner) for row in rows]
    return [kind(raw=row, year=year, res=res, day=_day_text(day, row), owner=owner) for row in rows]


def session_mark_objects(res: Resources, year: int, rows: Iterable[Record], owner: Any = None,
                         day: dt.date | str | None = None) -> list[SessionMark]:
    """SessionMark objects (attendance_write.py shows the mark it saved with it)."""
    return day_marks(SessionMark, res, year, rows, owner, day)


# --- summaries ----------------------------------------------------------------------------------

def _count(key: str, description: str) -> Any:
    return column(key, description, convert=to_int)


@strawberry.type(description="A student's session attendance totals for the academic year up to (but not including) today, as GO4Schools counts them (GET Students Attendance Summary)." + SUMMARY_CLAIM)
class AttendanceSummary(OfStudent):
    PLAN_FIELDS = ("student_id",)

    student_id: strawberry.ID | None = student_id_column()
    student: StudentRef | None = student_of("The student these totals are for.")
    possible_sessions: int | None = _count("possible_sessions", "The total number of possible session marks.")
    present: int | None = _count("present", "The total number of present session marks.")
    approved_educational_activity: int | None = _count(
        "approved_educational_activity", "The total number of AEA (approved educational activity) session marks.")
    authorised_absence: int | None = _count("authorised_absence", "The total number of authorised absence session marks.")
    unauthorised_absence: int | None = _count("unauthorised_absence", "The total number of unauthorised absence session marks.")
    attendance_not_required: int | None = _count(
        "attendance_not_required", "The total number of marks where attendance is not required.")
    missing_mark: int | None = _count("missing_mark", "The total number of missing marks.")
    late: int | None = _count("late", "The total number of late session marks (before registration closed).")


# --- fields this domain adds to Student and AcademicYear ----------------------------------------

def _day_rows(student: Row, route: keys.ArgRoute, day: dt.date) -> list[Record]:
    """A student's records of one day's table (through its by-student index)."""
    return rows_where(student.res, route(student.year, day), "student_id", student.raw.get("id"))


@strawberry.type
class StudentAttendanceFields(Row):
    """Fields this domain adds to Student (composed in students.py)."""

    @relation(keys.ATTENDANCE_SUMMARY, description="The student's session attendance totals for the year up to (not including) today, as GO4Schools counts them (null when it has none)." + SUMMARY_CLAIM)
    def attendance_summary(self) -> AttendanceSummary | None:
        row = row_by(self.res, keys.ATTENDANCE_SUMMARY(self.year), self.raw.get("id"), "student_id")
        return None if row is None else AttendanceSummary(raw=row, year=self.year, res=self.res, owner=self)

    @relation(dates.open_day_reads(keys.SESSION_MARKS), category=Category.ATTENDANCE,
              description="The student's AM/PM session marks over a range of dates." + claims.CALENDAR_NOTE + claims.SESSION_CLAIM + claims.CALENDAR_CLAIM)
    def session_marks(self, scope: Scope, from_: FromArg, to: ToArg = None) -> list[SessionMark]:
        return [m for d in dates.open_days_of(scope, self.year, from_, to)
                for m in day_marks(SessionMark, self.res, self.year, _day_rows(self, keys.SESSION_MARKS, d), self, d)]

    session_marks_connection: Connection[SessionMark] = connection(session_marks)

    @relation(dates.open_day_reads(keys.LESSON_MARKS), category=Category.ATTENDANCE,
              description="The student's lesson marks over a range of dates." + claims.CALENDAR_NOTE + claims.LESSON_CLAIM + claims.CALENDAR_CLAIM)
    def lesson_marks(self, scope: Scope, from_: FromArg, to: ToArg = None) -> list[LessonMark]:
        return [m for d in dates.open_days_of(scope, self.year, from_, to)
                for m in day_marks(LessonMark, self.res, self.year, _day_rows(self, keys.LESSON_MARKS, d), self, d)]


def _one_day(route: keys.ArgRoute) -> keys.Keyed:
    """What a one-date field reads: the route's resource for that date (checked within the year)."""
    return keys.by_args(lambda year, date: [route(year, dates.check_day(year, date))], route.route)


@strawberry.type
class AcademicYearAttendanceFields(YearScoped):
    """Fields this domain adds to AcademicYear (composed in academic_year.py)."""

    @relation(keys.ATTENDANCE_CODES, description="The attendance codes, and their aliases, in use for the academic year." + claims.CODES_CLAIM)
    def attendance_codes(self) -> list[AttendanceCode]:
        return all_rows(self.res, keys.ATTENDANCE_CODES(self.year))

    @relation(_one_day(keys.SESSION_MARKS),
              description="Every student's AM/PM session marks for one date (one upstream resource per date)." + claims.SESSION_CLAIM)
    def session_marks(self, date: DateArg) -> list[SessionMark]:
        rows = all_rows(self.res, keys.SESSION_MARKS(self.year, date))
        return day_marks(SessionMark, self.res, self.year, rows, day=date)

    session_marks_connection: Connection[SessionMark] = connection(session_marks)

    @relation(_one_day(keys.LESSON_MARKS),
              description="Every student's lesson marks for one date (one upstream resource per date)." + claims.LESSON_CLAIM)
    def lesson_marks(self, date: DateArg) -> list[LessonMark]:
        rows = all_rows(self.res, keys.LESSON_MARKS(self.year, date))
        return day_marks(LessonMark, self.res, self.year, rows, day=date)

    @relation(keys.ATTENDANCE_SUMMARY, description="Every student's session attendance totals for the year up to (not including) today, as GO4Schools counts them." + SUMMARY_CLAIM)
    def attendance_summaries(self) -> list[AttendanceSummary]:
        return all_rows(self.res, keys.ATTENDANCE_SUMMARY(self.year))
