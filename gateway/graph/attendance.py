"""Attendance codes and aliases, session and lesson marks, attendance summaries (the Attendance routes).

Session and lesson marks are one upstream resource per date; a range of dates
fans out over the days the school calendar says are open (``gateway.graph.dates``),
and marks are found per student through an index of each day's table.
Attendance summaries are exposed as GO4Schools counts them, never recounted.
"""

from __future__ import annotations

import datetime as dt
import logging
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from gateway.graph.base import read, rk, to_date, to_int, to_text
from gateway.graph.context import Info
from gateway.graph.dates import (
    check_day,
    check_range,
    max_days,
    open_day_expand,
    open_day_needs,
    read_open_days,
)
from gateway.graph.plan import Scope, planned
from gateway.resources.keys import ResourceKey
from gateway.resources.memo import Resources
from gateway.resources.table import Table

if TYPE_CHECKING:
    from gateway.graph.students import Student
    from gateway.graph.timetable import TimetabledClass

log = logging.getLogger("go4graph.attendance")

StudentRef = Annotated["Student", strawberry.lazy("gateway.graph.students")]
ClassRef = Annotated["TimetabledClass", strawberry.lazy("gateway.graph.timetable")]

CODES_CLAIM = " Needs the Attendance-Session Summary (school.attendance.read) permission."
SUMMARY_CLAIM = CODES_CLAIM
SESSION_CLAIM = " Needs the Attendance-Session marks (students.attendance.session.read) permission."
LESSON_CLAIM = " Needs the Attendance-Lesson marks (students.attendance.lesson.read) permission."
STUDENTS_CLAIM = " Needs the Student-Students (students.read) permission."
CLASSES_CLAIM = " Needs the Timetable-School Timetable (school.timetable.read) permission."
CALENDAR_NOTE = (" Fans out over the days the school calendar says are open; 'to' defaults to 'from', "
                 "and the range may cover at most the configured number of days (93 by default) within "
                 "the academic year.")
CALENDAR_CLAIM = " Reads the calendar too: needs the Timetable-School Timetable (school.timetable.read) permission."

FromArg = Annotated[dt.date, strawberry.argument(
    name="from", description="The first date of the range (yyyy-mm-dd).")]
ToArg = Annotated[dt.date | None, strawberry.argument(
    description="The last date of the range, included (yyyy-mm-dd); defaults to 'from'.")]
DateArg = Annotated[dt.date, strawberry.argument(description="The date (yyyy-mm-dd).")]


# --- keys --------------------------------------------------------------------------------

def codes_key(year: int) -> ResourceKey:
    return rk("attendance-codes", year)


def summary_key(year: int) -> ResourceKey:
    return rk("attendance-summary", year)


def _day_text(date: dt.date | str) -> str:
    return date if isinstance(date, str) else date.isoformat()


def session_marks_key(year: int, date: dt.date | str) -> ResourceKey:
    """The one resource holding every student's session marks for a date."""
    return rk("session-marks", year, _day_text(date))


def lesson_marks_key(year: int, date: dt.date | str) -> ResourceKey:
    return rk("lesson-marks", year, _day_text(date))


def _students_key(year: int) -> ResourceKey:
    return rk("students", year)


def _classes_key(year: int) -> ResourceKey:
    return rk("classes", year)


# --- enums and small readers --------------------------------------------------------------

@strawberry.enum(description="A registration session of the school day.")
class Session(Enum):
    AM = strawberry.enum_value("AM", description="The morning session.")
    PM = strawberry.enum_value("PM", description="The afternoon session.")


def parse_session(value: Any) -> Session | None:
    """'AM'/'PM' in any case (None for anything else)."""
    text = str(value or "").strip().upper()
    return Session.AM if text == "AM" else Session.PM if text == "PM" else None


def _flag(value: Any) -> bool | None:
    """The reference types these flags as strings but shows booleans: accept both."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, int):
        return bool(value)
    return None




# --- codes and aliases --------------------------------------------------------------------

def code_by_id(res: Resources, year: int, mark_id: Any) -> AttendanceCode:
    """The AttendanceCode for an upstream mark id (an id GET Attendance Codes does not list
    still gives a code object, with only its id, so that one unknown mark spoils no list)."""
    row = res.get(codes_key(year)).unique("id").get(mark_id)
    return AttendanceCode(raw=row if row is not None else {"id": mark_id, "aliases": []},
                          year=year, res=res)


def alias_by_id(res: Resources, year: int, alias_id: Any) -> AttendanceAlias | None:
    if alias_id is None:
        return None
    aliases: Table = res.get(codes_key(year)).meta["aliases"]
    row = aliases.unique("id").get(alias_id)
    return None if row is None else AttendanceAlias(raw=row, year=year, res=res)


def _codes_needs(scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[ResourceKey]:
    return [codes_key(scope.year)]


@strawberry.type(description="An attendance code that staff use to record attendance, with the school's aliases of it (GET Attendance Codes)." + CODES_CLAIM)
class AttendanceCode:
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]

    @property
    def plan_id(self) -> tuple[str, Any]:
        return ("attendance-code", self.raw.get("id"))

    @strawberry.field(description="The unique identifier for the Attendance Code. This is unique for a school and academic year. It will not be unique across a trust.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.raw.get("id")))

    @strawberry.field(description="The attendance code that staff use to record attendance, e.g. \"/\" or \"N\" (empty when GET Attendance Codes does not list the mark).")
    def code(self) -> str:
        return str(self.raw.get("code") or "")

    @strawberry.field(description="The description of the attendance code.")
    def label(self) -> str | None:
        return to_text(self.raw.get("label"))

    @strawberry.field(description="Only attendance officers can use this mark.")
    def attendance_officer_only(self) -> bool | None:
        return _flag(self.raw.get("attendance_officer_only"))

    @strawberry.field(description="This mark has protected access if entered by an attendance officer - in this case only an attendance officer may edit it.")
    def protect_if_entered_by_attendance_officer(self) -> bool | None:
        return _flag(self.raw.get("protect_if_entered_by_attendance_officer"))

    @strawberry.field(description="This mark has protected access if entered by a school manager - in this case only an attendance officer or school manager may edit it.")
    def protect_if_entered_by_school_manager(self) -> bool | None:
        return _flag(self.raw.get("protect_if_entered_by_school_manager"))

    @strawberry.field(description="This mark has protected access if entered by a behaviour manager - in this case only an attendance officer, school manager or behaviour manager may edit it.")
    def protect_if_entered_by_behaviour_manager(self) -> bool | None:
        return _flag(self.raw.get("protect_if_entered_by_behaviour_manager"))

    @strawberry.field(description="The aliases the school uses for this attendance code.")
    @planned(expand=lambda s, ps, a: [x for p in ps for x in p._aliases()])
    def aliases(self) -> list[AttendanceAlias]:
        return self._aliases()

    def _aliases(self) -> list[AttendanceAlias]:
        return [AttendanceAlias(raw=a, year=self.year, res=self.res)
                for a in self.raw.get("aliases") or ()]


@strawberry.type(description="A school's own alias of an attendance code, e.g. \"IR\" (Isolation Room) for present (GET Attendance Codes)." + CODES_CLAIM)
class AttendanceAlias:
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]

    @property
    def plan_id(self) -> tuple[str, Any]:
        return ("attendance-alias", self.raw.get("id"))

    @strawberry.field(description="The unique identifier for the alias.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.raw.get("id")))

    @strawberry.field(description="The alias code.")
    def code(self) -> str | None:
        return to_text(self.raw.get("code"))

    @strawberry.field(description="The description of the alias.")
    def label(self) -> str | None:
        return to_text(self.raw.get("label"))

    @strawberry.field(description="The attendance code this alias stands for." + CODES_CLAIM)
    @planned(needs=_codes_needs, expand=lambda s, ps, a: [p._mark() for p in ps])
    def mark(self) -> AttendanceCode:
        return read(self.res, [codes_key(self.year)], self._mark)

    def _mark(self) -> AttendanceCode:
        return code_by_id(self.res, self.year, self.raw.get("mark_id"))


# --- marks --------------------------------------------------------------------------------

def _student_for(res: Resources, year: int, owner: Student | None, student_id: Any) -> Student:
    """The mark's student: the Student it was reached from, else by id from GET Students
    (a student GET Students does not list still gives an object with only its id)."""
    from gateway.graph.students import Student, student_by_id

    if owner is not None:
        return owner
    return student_by_id(res, year, student_id) or Student(raw={"id": student_id}, year=year, res=res)


def _owned_student_needs(scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[ResourceKey]:
    return [] if all(p.owner is not None for p in parents) else [_students_key(scope.year)]


@strawberry.type(description="A student's attendance mark for one AM or PM session (GET Student Session Marks)." + SESSION_CLAIM)
class SessionMark:
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]
    day: strawberry.Private[str]
    owner: strawberry.Private[Any] = None

    @property
    def plan_id(self) -> tuple[Any, ...]:
        return ("session-mark", self.day, self.raw.get("session"), self.raw.get("student_id"))

    @strawberry.field(description="The date of the session attendance.")
    def date(self) -> dt.date:
        return to_date(self.raw.get("date")) or dt.date.fromisoformat(self.day)

    @strawberry.field(description="Determines the session: one of AM or PM.")
    def session(self) -> Session:
        return parse_session(self.raw.get("session"))  # type: ignore[return-value]  # rows without one are left out

    @strawberry.field(description="The student the mark is for." + STUDENTS_CLAIM)
    @planned(needs=_owned_student_needs, expand=lambda s, ps, a: [p._student() for p in ps])
    def student(self) -> StudentRef:
        if self.owner is not None:
            return self.owner  # type: ignore[no-any-return]
        return read(self.res, [_students_key(self.year)], self._student)

    def _student(self) -> Student:
        return _student_for(self.res, self.year, self.owner, self.raw.get("student_id"))

    @strawberry.field(description="The attendance mark for the session (session_mark_id)." + CODES_CLAIM)
    @planned(needs=_codes_needs, expand=lambda s, ps, a: [p._code() for p in ps])
    def code(self) -> AttendanceCode:
        return read(self.res, [codes_key(self.year)], self._code)

    def _code(self) -> AttendanceCode:
        return code_by_id(self.res, self.year, self.raw.get("session_mark_id"))

    @strawberry.field(description="The attendance alias mark for the session, if one was used (session_alias_id)." + CODES_CLAIM)
    @planned(needs=_codes_needs, expand=lambda s, ps, a: [p._alias() for p in ps])
    def alias(self) -> AttendanceAlias | None:
        return read(self.res, [codes_key(self.year)], self._alias)

    def _alias(self) -> AttendanceAlias | None:
        return alias_by_id(self.res, self.year, self.raw.get("session_alias_id"))

    @strawberry.field(description="The number of minutes late the student was for the session.")
    def minutes_late(self) -> int | None:
        return to_int(self.raw.get("session_minutes_late"))

    @strawberry.field(description="Notes recorded against the session.")
    def notes(self) -> str | None:
        return to_text(self.raw.get("session_notes"))


def session_mark_objects(res: Resources, year: int, rows: list[dict], owner: Any = None,
                         day: dt.date | str | None = None) -> list[SessionMark]:
    """SessionMark objects for rows of one date's session marks (rows without a readable
    AM/PM session are left out: they cannot be shown as the session they are not)."""
    out = []
    skipped = 0
    for row in rows:
        if parse_session(row.get("session")) is None:
            skipped += 1
            continue
        row_day = _day_text(day) if day is not None else str(row.get("date") or "")[:10]
        out.append(SessionMark(raw=row, year=year, res=res, day=row_day, owner=owner))
    if skipped:
        log.warning("session marks without an AM/PM session left out", extra={"count": skipped})
    return out


@strawberry.type(description="A student's attendance mark for one timetabled lesson (GET Student Lesson Marks)." + LESSON_CLAIM)
class LessonMark:
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]
    day: strawberry.Private[str]
    owner: strawberry.Private[Any] = None

    @property
    def plan_id(self) -> tuple[Any, ...]:
        return ("lesson-mark", self.day, self.raw.get("class_id"), self.raw.get("student_id"))

    @strawberry.field(description="The date of the lesson attendance.")
    def date(self) -> dt.date:
        return to_date(self.raw.get("date")) or dt.date.fromisoformat(self.day)

    @strawberry.field(description="The student the mark is for." + STUDENTS_CLAIM)
    @planned(needs=_owned_student_needs, expand=lambda s, ps, a: [p._student() for p in ps])
    def student(self) -> StudentRef:
        if self.owner is not None:
            return self.owner  # type: ignore[no-any-return]
        return read(self.res, [_students_key(self.year)], self._student)

    def _student(self) -> Student:
        return _student_for(self.res, self.year, self.owner, self.raw.get("student_id"))

    @strawberry.field(description="The timetabled class of the lesson (class_id; null when GET Classes does not list it)." + CLASSES_CLAIM)
    @planned(needs=lambda s, ps, a: [_classes_key(s.year)],
             expand=lambda s, ps, a: [c for p in ps if (c := p._class()) is not None])
    def timetabled_class(self) -> ClassRef | None:
        return read(self.res, [_classes_key(self.year)], self._class)

    def _class(self) -> TimetabledClass | None:
        from gateway.graph.timetable import TimetabledClass

        row = self.res.get(_classes_key(self.year)).unique("id").get(self.raw.get("class_id"))
        return None if row is None else TimetabledClass(raw=row, year=self.year, res=self.res)

    @strawberry.field(description="The attendance mark for the lesson (lesson_mark_id)." + CODES_CLAIM)
    @planned(needs=_codes_needs, expand=lambda s, ps, a: [p._code() for p in ps])
    def code(self) -> AttendanceCode:
        return read(self.res, [codes_key(self.year)], self._code)

    def _code(self) -> AttendanceCode:
        return code_by_id(self.res, self.year, self.raw.get("lesson_mark_id"))

    @strawberry.field(description="The attendance alias mark for the lesson, if one was used (lesson_alias_id)." + CODES_CLAIM)
    @planned(needs=_codes_needs, expand=lambda s, ps, a: [p._alias() for p in ps])
    def alias(self) -> AttendanceAlias | None:
        return read(self.res, [codes_key(self.year)], self._alias)

    def _alias(self) -> AttendanceAlias | None:
        return alias_by_id(self.res, self.year, self.raw.get("lesson_alias_id"))

    @strawberry.field(description="The number of minutes late for the lesson.")
    def minutes_late(self) -> int | None:
        return to_int(self.raw.get("lesson_minutes_late"))

    @strawberry.field(description="Notes against this lesson attendance.")
    def notes(self) -> str | None:
        return to_text(self.raw.get("lesson_notes"))


def lesson_mark_objects(res: Resources, year: int, rows: list[dict], owner: Any = None,
                        day: dt.date | str | None = None) -> list[LessonMark]:
    return [LessonMark(raw=row, year=year, res=res, owner=owner,
                       day=_day_text(day) if day is not None else str(row.get("date") or "")[:10])
            for row in rows]


# --- summaries ----------------------------------------------------------------------------

@strawberry.type(description="A student's session attendance totals for the academic year up to (but not including) today, as GO4Schools counts them (GET Students Attendance Summary)." + SUMMARY_CLAIM)
class AttendanceSummary:
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]
    owner: strawberry.Private[Any] = None

    @property
    def plan_id(self) -> tuple[str, Any]:
        return ("attendance-summary", self.raw.get("student_id"))

    @strawberry.field(description="The student these totals are for." + STUDENTS_CLAIM)
    @planned(needs=_owned_student_needs, expand=lambda s, ps, a: [p._student() for p in ps])
    def student(self) -> StudentRef:
        if self.owner is not None:
            return self.owner  # type: ignore[no-any-return]
        return read(self.res, [_students_key(self.year)], self._student)

    def _student(self) -> Student:
        return _student_for(self.res, self.year, self.owner, self.raw.get("student_id"))

    @strawberry.field(description="The total number of possible session marks.")
    def possible_sessions(self) -> int | None:
        return to_int(self.raw.get("possible_sessions"))

    @strawberry.field(description="The total number of present session marks.")
    def present(self) -> int | None:
        return to_int(self.raw.get("present"))

    @strawberry.field(description="The total number of AEA (approved educational activity) session marks.")
    def approved_educational_activity(self) -> int | None:
        return to_int(self.raw.get("approved_educational_activity"))

    @strawberry.field(description="The total number of authorised absence session marks.")
    def authorised_absence(self) -> int | None:
        return to_int(self.raw.get("authorised_absence"))

    @strawberry.field(description="The total number of unauthorised absence session marks.")
    def unauthorised_absence(self) -> int | None:
        return to_int(self.raw.get("unauthorised_absence"))

    @strawberry.field(description="The total number of marks where attendance is not required.")
    def attendance_not_required(self) -> int | None:
        return to_int(self.raw.get("attendance_not_required"))

    @strawberry.field(description="The total number of missing marks.")
    def missing_mark(self) -> int | None:
        return to_int(self.raw.get("missing_mark"))

    @strawberry.field(description="The total number of late session marks (before registration closed).")
    def late(self) -> int | None:
        return to_int(self.raw.get("late"))


# --- Student fields -----------------------------------------------------------------------

def _marks_of(res: Resources, year: int, key_of: Any, days: list[dt.date], student_id: Any) -> list[tuple[dt.date, list[dict]]]:
    """(day, this student's rows) for each day, through each day's by-student index."""
    return [(d, res.get(key_of(year, d)).group("student_id").get(student_id, [])) for d in days]


def _student_session_marks(student: Any, days: list[dt.date]) -> list[SessionMark]:
    out: list[SessionMark] = []
    for d, rows in _marks_of(student.res, student.year, session_marks_key, days, student.student_id):
        out.extend(session_mark_objects(student.res, student.year, rows, owner=student, day=d))
    return out


def _student_lesson_marks(student: Any, days: list[dt.date]) -> list[LessonMark]:
    out: list[LessonMark] = []
    for d, rows in _marks_of(student.res, student.year, lesson_marks_key, days, student.student_id):
        out.extend(lesson_mark_objects(student.res, student.year, rows, owner=student, day=d))
    return out


def _summary_of(student: Any) -> AttendanceSummary | None:
    row = student.res.get(summary_key(student.year)).unique("student_id").get(student.student_id)
    return None if row is None else AttendanceSummary(raw=row, year=student.year, res=student.res,
                                                      owner=student)


@strawberry.type
class StudentAttendanceFields:
    """Fields this domain adds to Student (composed in students.py)."""

    @strawberry.field(description="The student's session attendance totals for the year up to (not including) today, as GO4Schools counts them (null when it has none)." + SUMMARY_CLAIM)
    @planned(needs=lambda s, ps, a: [summary_key(s.year)],
             expand=lambda s, ps, a: [x for p in ps if (x := _summary_of(p)) is not None])
    def attendance_summary(self) -> AttendanceSummary | None:
        return read(self.res, [summary_key(self.year)], lambda: _summary_of(self))  # type: ignore[attr-defined]

    @strawberry.field(description="The student's AM/PM session marks over a range of dates." + CALENDAR_NOTE + SESSION_CLAIM + CALENDAR_CLAIM)
    @planned(needs=open_day_needs("session-marks"), expand=open_day_expand(_student_session_marks))
    def session_marks(self, info: Info, from_: FromArg, to: ToArg = None) -> list[SessionMark]:
        start, end = check_range(self.year, from_, to, max_days(info))  # type: ignore[attr-defined]
        return read_open_days(self.res, self.year, "session-marks", start, end,  # type: ignore[attr-defined]
                              lambda days: _student_session_marks(self, days))

    @strawberry.field(description="The student's lesson marks over a range of dates." + CALENDAR_NOTE + LESSON_CLAIM + CALENDAR_CLAIM)
    @planned(needs=open_day_needs("lesson-marks"), expand=open_day_expand(_student_lesson_marks))
    def lesson_marks(self, info: Info, from_: FromArg, to: ToArg = None) -> list[LessonMark]:
        start, end = check_range(self.year, from_, to, max_days(info))  # type: ignore[attr-defined]
        return read_open_days(self.res, self.year, "lesson-marks", start, end,  # type: ignore[attr-defined]
                              lambda days: _student_lesson_marks(self, days))


# --- AcademicYear fields ------------------------------------------------------------------

def _day_needs(key_of: Any) -> Any:
    def needs(scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[ResourceKey]:
        return [key_of(scope.year, check_day(scope.year, args["date"]))]
    return needs


def _year_session_marks(res: Resources, year: int, day: dt.date) -> list[SessionMark]:
    return session_mark_objects(res, year, res.get(session_marks_key(year, day)).rows, day=day)


def _year_lesson_marks(res: Resources, year: int, day: dt.date) -> list[LessonMark]:
    return lesson_mark_objects(res, year, res.get(lesson_marks_key(year, day)).rows, day=day)


def _codes(res: Resources, year: int) -> list[AttendanceCode]:
    return [AttendanceCode(raw=r, year=year, res=res) for r in res.get(codes_key(year)).rows]


def _summaries(res: Resources, year: int) -> list[AttendanceSummary]:
    return [AttendanceSummary(raw=r, year=year, res=res) for r in res.get(summary_key(year)).rows]


@strawberry.type
class AcademicYearAttendanceFields:
    """Fields this domain adds to AcademicYear (composed in academic_year.py)."""

    @strawberry.field(description="The attendance codes, and their aliases, in use for the academic year." + CODES_CLAIM)
    @planned(needs=_codes_needs, expand=lambda s, ps, a: _codes(s.resources, s.year))
    def attendance_codes(self) -> list[AttendanceCode]:
        return read(self.res, [codes_key(self.year)], lambda: _codes(self.res, self.year))  # type: ignore[attr-defined]

    @strawberry.field(description="Every student's AM/PM session marks for one date (one upstream resource per date)." + SESSION_CLAIM)
    @planned(needs=_day_needs(session_marks_key),
             expand=lambda s, ps, a: _year_session_marks(s.resources, s.year, a["date"]))
    def session_marks(self, date: DateArg) -> list[SessionMark]:
        day = check_day(self.year, date)  # type: ignore[attr-defined]
        return read(self.res, [session_marks_key(self.year, day)],  # type: ignore[attr-defined]
                    lambda: _year_session_marks(self.res, self.year, day))  # type: ignore[attr-defined]

    @strawberry.field(description="Every student's lesson marks for one date (one upstream resource per date)." + LESSON_CLAIM)
    @planned(needs=_day_needs(lesson_marks_key),
             expand=lambda s, ps, a: _year_lesson_marks(s.resources, s.year, a["date"]))
    def lesson_marks(self, date: DateArg) -> list[LessonMark]:
        day = check_day(self.year, date)  # type: ignore[attr-defined]
        return read(self.res, [lesson_marks_key(self.year, day)],  # type: ignore[attr-defined]
                    lambda: _year_lesson_marks(self.res, self.year, day))  # type: ignore[attr-defined]

    @strawberry.field(description="Every student's session attendance totals for the year up to (not including) today, as GO4Schools counts them." + SUMMARY_CLAIM)
    @planned(needs=lambda s, ps, a: [summary_key(s.year)],
             expand=lambda s, ps, a: _summaries(s.resources, s.year))
    def attendance_summaries(self) -> list[AttendanceSummary]:
        return read(self.res, [summary_key(self.year)], lambda: _summaries(self.res, self.year))  # type: ignore[attr-defined]
