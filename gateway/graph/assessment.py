"""Markbooks, marksheets, markslots, marks and marksheet grades (the Assessment routes).

The markbook structure (GET Markbooks) is one resource; marks (GET Marks) and
marksheet grades (GET Marksheets) are one resource each for the whole year, so
a marks grid of any size costs those pages and nothing more.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from gateway.graph.base import parse_id, read, rk
from gateway.graph.plan import Scope, planned
from gateway.resources.keys import ResourceKey
from gateway.resources.memo import Resources
from gateway.resources.normalise import to_float
from gateway.resources.table import Table

if TYPE_CHECKING:
    from gateway.graph.students import Student
    from gateway.graph.teaching import Subject

StudentRef = Annotated["Student", strawberry.lazy("gateway.graph.students")]
SubjectRef = Annotated["Subject", strawberry.lazy("gateway.graph.teaching")]

MARKBOOK_CLAIM = " Needs the Assessment-Markbook structure (school.assessment.read) permission."
SHEET_GRADES_CLAIM = " Needs the Assessment-Marksheet Grades (students.assessment.marksheets.read) permission."
MARKS_CLAIM = " Needs the Assessment-Student Marks (students.assessment.markslots.read) permission."
SUBJECTS_CLAIM = " Needs the Teaching-Curriculum (school.curriculum.read) permission."
STUDENTS_CLAIM = " Needs the Student-Students (students.read) permission."


# --- keys and shared helpers (attainment and reports use these too) ----------------------

@lru_cache(maxsize=256)
def markbooks_key(year: int) -> ResourceKey:
    return rk("markbooks", year)


@lru_cache(maxsize=256)
def marks_key(year: int) -> ResourceKey:
    return rk("marks", year)


@lru_cache(maxsize=256)
def sheet_grades_key(year: int) -> ResourceKey:
    return rk("marksheet-grades", year)


@lru_cache(maxsize=256)
def subjects_key(year: int) -> ResourceKey:
    return rk("subjects", year)


@lru_cache(maxsize=256)
def students_key(year: int) -> ResourceKey:
    return rk("students", year)


def year_needs(*makers: Callable[[int], ResourceKey]) -> Callable[[Scope, list[Any], dict[str, Any]], list[ResourceKey]]:
    """A ``needs`` for fields that read whole-year resources, whatever their parents."""

    def needs(scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[ResourceKey]:
        return [make(scope.year) for make in makers]

    return needs


def subject_of(res: Resources, year: int, subject_id: Any) -> Subject | None:
    """The Subject for an upstream subject id (None when GET Subjects does not list it)."""
    from gateway.graph.teaching import subject_by_id

    return subject_by_id(res, year, subject_id)


def subjects_of(res: Resources, year: int, rows: list[Any], field: str = "subject_id") -> list[Subject]:
    found = (subject_of(res, year, sid) for sid in {r.get(field) for r in rows})
    return [s for s in found if s is not None]


def student_of(res: Resources, year: int, student_id: Any) -> Student | None:
    from gateway.graph.students import student_by_id

    return None if student_id is None else student_by_id(res, year, student_id)


def students_of(res: Resources, year: int, rows: list[dict]) -> list[Student]:
    from gateway.graph.students import students_by_ids

    return students_by_ids(res, year, {r.get("student_id") for r in rows})



def _sheets(res: Resources, year: int) -> Table:
    return res.get(markbooks_key(year)).meta["marksheets"]  # type: ignore[no-any-return]


def _slots(res: Resources, year: int) -> Table:
    return res.get(markbooks_key(year)).meta["markslots"]  # type: ignore[no-any-return]


# --- types ------------------------------------------------------------------------------

@strawberry.type(description="A subject's markbook: its marksheets and their markslots (GET Markbooks)." + MARKBOOK_CLAIM)
class Markbook:
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]

    @property
    def plan_id(self) -> tuple[str, Any]:
        return ("markbook", self.raw.get("id"))

    @strawberry.field(description="The unique identifier for the markbook. A subject is associated with a single markbook and they share the same Id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.raw.get("id")))

    @strawberry.field(description="The subject this markbook belongs to (same id)." + SUBJECTS_CLAIM)
    @planned(needs=year_needs(subjects_key),
             expand=lambda s, ps, a: subjects_of(s.resources, s.year, [p.raw for p in ps], "id"))
    def subject(self) -> SubjectRef | None:
        return read(self.res, [subjects_key(self.year)],
                    lambda: subject_of(self.res, self.year, self.raw.get("id")))

    @strawberry.field(description="The marksheets within the markbook." + MARKBOOK_CLAIM)
    @planned(needs=year_needs(markbooks_key),
             expand=lambda s, ps, a: [m for p in ps for m in p._marksheets()])
    def marksheets(self) -> list[Marksheet]:
        return read(self.res, [markbooks_key(self.year)], self._marksheets)

    def _marksheets(self) -> list[Marksheet]:
        rows = _sheets(self.res, self.year).group("markbook_id").get(self.raw.get("id"), [])
        return [Marksheet(raw=r, year=self.year, res=self.res) for r in rows]


@strawberry.type(description="A marksheet within a markbook, holding markslots (assessments) (GET Markbooks)." + MARKBOOK_CLAIM)
class Marksheet:
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]

    @property
    def plan_id(self) -> tuple[str, Any]:
        return ("marksheet", self.raw.get("id"))

    @strawberry.field(description="The unique identifier for the marksheet.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.raw.get("id")))

    @strawberry.field(description="The name of the marksheet.")
    def name(self) -> str:
        return str(self.raw.get("name") or "")

    @strawberry.field(description="The markbook the marksheet belongs to." + MARKBOOK_CLAIM)
    @planned(needs=year_needs(markbooks_key),
             expand=lambda s, ps, a: [m for p in ps if (m := p._markbook()) is not None])
    def markbook(self) -> Markbook:
        return read(self.res, [markbooks_key(self.year)], self._markbook)  # type: ignore[return-value]

    def _markbook(self) -> Markbook | None:
        row = self.res.get(markbooks_key(self.year)).unique("id").get(self.raw.get("markbook_id"))
        return None if row is None else Markbook(raw=row, year=self.year, res=self.res)

    @strawberry.field(description="The markslots (assessments) within the marksheet." + MARKBOOK_CLAIM)
    @planned(needs=year_needs(markbooks_key),
             expand=lambda s, ps, a: [m for p in ps for m in p._markslots()])
    def markslots(self) -> list[Markslot]:
        return read(self.res, [markbooks_key(self.year)], self._markslots)

    def _markslots(self) -> list[Markslot]:
        rows = _slots(self.res, self.year).group("marksheet_id").get(self.raw.get("id"), [])
        return [Markslot(raw=r, year=self.year, res=self.res) for r in rows]

    @strawberry.field(description="Grades achieved by students for this marksheet (GET Marksheets)." + SHEET_GRADES_CLAIM)
    @planned(needs=year_needs(sheet_grades_key),
             expand=lambda s, ps, a: [g for p in ps for g in p._grades()])
    def grades(self) -> list[MarksheetGrade]:
        return read(self.res, [sheet_grades_key(self.year)], self._grades)

    def _grades(self) -> list[MarksheetGrade]:
        rows = self.res.get(sheet_grades_key(self.year)).group("marksheet_id").get(self.raw.get("id"), [])
        return [MarksheetGrade(raw=r, year=self.year, res=self.res) for r in rows]


@strawberry.type(description="A markslot: one assessment within a marksheet (GET Markbooks)." + MARKBOOK_CLAIM)
class Markslot:
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]

    @property
    def plan_id(self) -> tuple[str, Any]:
        return ("markslot", self.raw.get("id"))

    @strawberry.field(description="The unique identifier for the markslot (assessment).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.raw.get("id")))

    @strawberry.field(description="The name of the markslot.")
    def name(self) -> str:
        return str(self.raw.get("name") or "")

    @strawberry.field(description="The max mark of the markslot.")
    def max(self) -> float | None:
        return to_float(self.raw.get("max"))

    @strawberry.field(description="The marksheet the markslot belongs to." + MARKBOOK_CLAIM)
    @planned(needs=year_needs(markbooks_key),
             expand=lambda s, ps, a: [m for p in ps if (m := p._marksheet()) is not None])
    def marksheet(self) -> Marksheet:
        return read(self.res, [markbooks_key(self.year)], self._marksheet)  # type: ignore[return-value]

    def _marksheet(self) -> Marksheet | None:
        row = _sheets(self.res, self.year).unique("id").get(self.raw.get("marksheet_id"))
        return None if row is None else Marksheet(raw=row, year=self.year, res=self.res)

    @strawberry.field(description="Marks achieved by students for this markslot (GET Marks)." + MARKS_CLAIM)
    @planned(needs=year_needs(marks_key),
             expand=lambda s, ps, a: [m for p in ps for m in p._marks()])
    def marks(self) -> list[Mark]:
        return read(self.res, [marks_key(self.year)], self._marks)

    def _marks(self) -> list[Mark]:
        rows = self.res.get(marks_key(self.year)).group("markslot_id").get(self.raw.get("id"), [])
        return [Mark(raw=r, year=self.year, res=self.res) for r in rows]


def _markslot(res: Resources, year: int, markslot_id: Any) -> Markslot | None:
    row = _slots(res, year).unique("id").get(markslot_id)
    return None if row is None else Markslot(raw=row, year=year, res=res)


def _marksheet(res: Resources, year: int, marksheet_id: Any) -> Marksheet | None:
    row = _sheets(res, year).unique("id").get(marksheet_id)
    return None if row is None else Marksheet(raw=row, year=year, res=res)


def _markbook(res: Resources, year: int, markbook_id: Any) -> Markbook | None:
    row = res.get(markbooks_key(year)).unique("id").get(markbook_id)
    return None if row is None else Markbook(raw=row, year=year, res=res)


@strawberry.type(description="The mark a student achieved for one markslot (GET Marks)." + MARKS_CLAIM)
class Mark:
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]

    @property
    def plan_id(self) -> tuple[str, Any, Any]:
        return ("mark", self.raw.get("markslot_id"), self.raw.get("student_id"))

    @strawberry.field(description="The markslot (assessment) the mark is for." + MARKBOOK_CLAIM)
    @planned(needs=year_needs(markbooks_key),
             expand=lambda s, ps, a: [_markslot(s.resources, s.year, i)
                                      for i in {p.raw.get("markslot_id") for p in ps}])
    def markslot(self) -> Markslot:
        return read(self.res, [markbooks_key(self.year)],  # type: ignore[return-value]
                    lambda: _markslot(self.res, self.year, self.raw.get("markslot_id")))

    @strawberry.field(description="The student awarded the mark." + STUDENTS_CLAIM)
    @planned(needs=year_needs(students_key),
             expand=lambda s, ps, a: students_of(s.resources, s.year, [p.raw for p in ps]))
    def student(self) -> StudentRef:
        return read(self.res, [students_key(self.year)],  # type: ignore[return-value]
                    lambda: student_of(self.res, self.year, self.raw.get("student_id")))

    @strawberry.field(description="The grade awarded.")
    def grade(self) -> str | None:
        return self.raw.get("grade")

    @strawberry.field(description="School name of the grade.")
    def alias(self) -> str | None:
        return self.raw.get("alias")

    @strawberry.field(description="The value of the awarded grade.")
    def mark(self) -> float | None:
        return to_float(self.raw.get("mark"))


@strawberry.type(description="The grade a student achieved for one marksheet (GET Marksheets)." + SHEET_GRADES_CLAIM)
class MarksheetGrade:
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]

    @property
    def plan_id(self) -> tuple[str, Any, Any]:
        return ("marksheet-grade", self.raw.get("marksheet_id"), self.raw.get("student_id"))

    @strawberry.field(description="The marksheet the grade is for." + MARKBOOK_CLAIM)
    @planned(needs=year_needs(markbooks_key),
             expand=lambda s, ps, a: [_marksheet(s.resources, s.year, i)
                                      for i in {p.raw.get("marksheet_id") for p in ps}])
    def marksheet(self) -> Marksheet:
        return read(self.res, [markbooks_key(self.year)],  # type: ignore[return-value]
                    lambda: _marksheet(self.res, self.year, self.raw.get("marksheet_id")))

    @strawberry.field(description="The student awarded the grade." + STUDENTS_CLAIM)
    @planned(needs=year_needs(students_key),
             expand=lambda s, ps, a: students_of(s.resources, s.year, [p.raw for p in ps]))
    def student(self) -> StudentRef:
        return read(self.res, [students_key(self.year)],  # type: ignore[return-value]
                    lambda: student_of(self.res, self.year, self.raw.get("student_id")))

    @strawberry.field(description="Name of the grade recorded.")
    def grade(self) -> str | None:
        return self.raw.get("grade")

    @strawberry.field(description="School name of the grade.")
    def alias(self) -> str | None:
        return self.raw.get("alias")


# --- mixins -----------------------------------------------------------------------------

def _student_marks(student: Any) -> list[Mark]:
    rows = student.res.get(marks_key(student.year)).group("student_id").get(student.student_id, [])
    return [Mark(raw=r, year=student.year, res=student.res) for r in rows]


def _student_sheet_grades(student: Any) -> list[MarksheetGrade]:
    rows = student.res.get(sheet_grades_key(student.year)).group("student_id").get(student.student_id, [])
    return [MarksheetGrade(raw=r, year=student.year, res=student.res) for r in rows]


@strawberry.type
class StudentAssessmentFields:
    """Fields this domain adds to Student (composed in students.py)."""

    @strawberry.field(description="The marks this student achieved, one per markslot (GET Marks)." + MARKS_CLAIM)
    @planned(needs=year_needs(marks_key),
             expand=lambda s, ps, a: [m for p in ps for m in _student_marks(p)])
    def marks(self) -> list[Mark]:
        return read(self.res, [marks_key(self.year)], lambda: _student_marks(self))  # type: ignore[attr-defined]

    @strawberry.field(description="The marksheet grades this student achieved (GET Marksheets)." + SHEET_GRADES_CLAIM)
    @planned(needs=year_needs(sheet_grades_key),
             expand=lambda s, ps, a: [g for p in ps for g in _student_sheet_grades(p)])
    def marksheet_grades(self) -> list[MarksheetGrade]:
        return read(self.res, [sheet_grades_key(self.year)],  # type: ignore[attr-defined]
                    lambda: _student_sheet_grades(self))


def _all_markbooks(res: Resources, year: int) -> list[Markbook]:
    return [Markbook(raw=r, year=year, res=res) for r in res.get(markbooks_key(year)).rows]


def _lookup(find: Callable[[Resources, int, Any], Any], what: str) -> Callable[[Scope, list[Any], dict[str, Any]], list[Any]]:
    def expand(scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[Any]:
        found = find(scope.resources, scope.year, parse_id(args.get("id"), what))
        return [] if found is None else [found]

    return expand


IdArg = Annotated[strawberry.ID, strawberry.argument(description="The upstream id.")]


@strawberry.type
class AcademicYearAssessmentFields:
    """Fields this domain adds to AcademicYear (composed in academic_year.py)."""

    @strawberry.field(description="Every markbook of the year, one per subject, with its marksheets and markslots." + MARKBOOK_CLAIM)
    @planned(needs=year_needs(markbooks_key),
             expand=lambda s, ps, a: _all_markbooks(s.resources, s.year))
    def markbooks(self) -> list[Markbook]:
        return read(self.res, [markbooks_key(self.year)],  # type: ignore[attr-defined]
                    lambda: _all_markbooks(self.res, self.year))  # type: ignore[attr-defined]

    @strawberry.field(description="One markbook by id (the id of its subject)." + MARKBOOK_CLAIM)
    @planned(needs=year_needs(markbooks_key), expand=_lookup(_markbook, "markbook id"))
    def markbook(self, id: IdArg) -> Markbook | None:
        markbook_id = parse_id(id, "markbook id")
        return read(self.res, [markbooks_key(self.year)],  # type: ignore[attr-defined]
                    lambda: _markbook(self.res, self.year, markbook_id))  # type: ignore[attr-defined]

    @strawberry.field(description="One marksheet by id." + MARKBOOK_CLAIM)
    @planned(needs=year_needs(markbooks_key), expand=_lookup(_marksheet, "marksheet id"))
    def marksheet(self, id: IdArg) -> Marksheet | None:
        marksheet_id = parse_id(id, "marksheet id")
        return read(self.res, [markbooks_key(self.year)],  # type: ignore[attr-defined]
                    lambda: _marksheet(self.res, self.year, marksheet_id))  # type: ignore[attr-defined]

    @strawberry.field(description="One markslot (assessment) by id." + MARKBOOK_CLAIM)
    @planned(needs=year_needs(markbooks_key), expand=_lookup(_markslot, "markslot id"))
    def markslot(self, id: IdArg) -> Markslot | None:
        markslot_id = parse_id(id, "markslot id")
        return read(self.res, [markbooks_key(self.year)],  # type: ignore[attr-defined]
                    lambda: _markslot(self.res, self.year, markslot_id))  # type: ignore[attr-defined]


@strawberry.type
class SubjectAssessmentFields:
    """Fields this domain adds to Subject (composed in teaching.py)."""

    @strawberry.field(description="The subject's markbook (it shares the subject's id)." + MARKBOOK_CLAIM)
    @planned(needs=year_needs(markbooks_key),
             expand=lambda s, ps, a: [_markbook(s.resources, s.year, p.raw.get("id")) for p in ps])
    def markbook(self) -> Markbook | None:
        return read(self.res, [markbooks_key(self.year)],  # type: ignore[attr-defined]
                    lambda: _markbook(self.res, self.year, self.raw.get("id")))  # type: ignore[attr-defined]
