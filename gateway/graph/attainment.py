"""Grade types, headline grades, exam results and prior attainment (the Attainment routes).

Grade types, headline grades and exam results are one upstream resource per
year group: a student's fields load only the year groups of the students
actually selected (found from education details first).
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Awaitable, Callable
from enum import Enum
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry

from gateway.graph.assessment import (
    STUDENTS_CLAIM,
    SUBJECTS_CLAIM,
    student_of,
    students_key,
    students_of,
    subject_of,
    subjects_key,
    subjects_of,
    year_needs,
)
from gateway.graph.base import read, rk, to_date, to_id, to_int
from gateway.graph.errors import bad_input
from gateway.graph.plan import Scope, planned
from gateway.graph.pupil import AttributeCategory, AttributeValue
from gateway.resources.keys import ResourceKey
from gateway.resources.memo import Resources
from gateway.resources.table import Table

if TYPE_CHECKING:
    from gateway.graph.students import Student
    from gateway.graph.teaching import Subject

StudentRef = Annotated["Student", strawberry.lazy("gateway.graph.students")]
SubjectRef = Annotated["Subject", strawberry.lazy("gateway.graph.teaching")]

T = TypeVar("T")

GRADE_TYPES_CLAIM = " Needs the Attainment-School Grade Types (school.attainment.read) permission."
GRADES_CLAIM = " Needs the Attainment-Student Grades (students.attainment.read) permission."
EXAMS_CLAIM = " Needs the Attainment-Student Exam Results (students.attainment.exam-results.read) permission."
PRIOR_CLAIM = " Needs the Students-Prior Attainment (students.prior-attainment.read) permission."
EDU_CLAIM = " Needs the Students-Education Details (students.education.read) permission to find the student's year group."


@strawberry.enum(description="The ten headline grade types that can be configured in GO (the grade type id).")
class GradeTypeKind(Enum):
    EXTERNAL_TARGET = strawberry.enum_value(1, description="1 = External target.")
    TEACHER_TARGET = strawberry.enum_value(2, description="2 = Teacher target.")
    COMBINED_TARGET = strawberry.enum_value(3, description="3 = Combined target.")
    CURRENT = strawberry.enum_value(4, description="4 = Current.")
    PROJECTED = strawberry.enum_value(5, description="5 = Projected.")
    ACTUAL = strawberry.enum_value(6, description="6 = Actual.")
    HONEST = strawberry.enum_value(7, description="7 = Honest.")
    ASPIRATIONAL = strawberry.enum_value(8, description="8 = Aspirational.")
    ADDITIONAL_TARGET = strawberry.enum_value(9, description="9 = Additional target.")
    BASELINE = strawberry.enum_value(10, description="10 = Baseline grade.")


def grade_kind(value: Any) -> GradeTypeKind | None:
    """The kind for an upstream grade type id; None for a value GO does not define."""
    try:
        return GradeTypeKind(int(value))
    except (TypeError, ValueError):
        return None




@lru_cache(maxsize=256)
def grade_types_key(year: int, year_group: str) -> ResourceKey:
    return rk("grade-types", year, year_group)


@lru_cache(maxsize=256)
def grades_key(year: int, year_group: str) -> ResourceKey:
    return rk("grades", year, year_group)


@lru_cache(maxsize=256)
def exam_results_key(year: int, year_group: str) -> ResourceKey:
    return rk("exam-results", year, year_group)


@lru_cache(maxsize=256)
def prior_key(year: int) -> ResourceKey:
    return rk("prior-attainment", year)


def _year_group_arg(value: Any) -> str:
    text = str(value or "").strip()
    if not text:
        raise bad_input("yearGroup must name a year group, e.g. \"10\" or \"Reception\"")
    return text


# --- types ------------------------------------------------------------------------------

@strawberry.type(description="A type of headline grade as configured for one year group (GET Grade Types)." + GRADE_TYPES_CLAIM)
class GradeType:
    raw: strawberry.Private[dict]
    year_group_code: strawberry.Private[str]

    @property
    def plan_id(self) -> tuple[str, str, Any]:
        return ("grade-type", self.year_group_code, self.raw.get("id"))

    @strawberry.field(description="The grade type: one of the 10 grade types that can be configured in GO (1 = External target … 10 = Baseline grade).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.raw.get("id")))

    @strawberry.field(description="The grade type id as a kind (null for an id GO does not define).")
    def kind(self) -> GradeTypeKind | None:
        return grade_kind(self.raw.get("id"))

    @strawberry.field(description="The year group these settings are for, e.g. \"11\".")
    def year_group(self) -> str:
        return self.year_group_code

    @strawberry.field(description="The name of the grade for this year group.")
    def name(self) -> str | None:
        return self.raw.get("name")

    @strawberry.field(description="The short name of the grade for this year group.")
    def short_name(self) -> str | None:
        return self.raw.get("short_name")

    @strawberry.field(description="The grade description for this year group.")
    def description(self) -> str | None:
        return self.raw.get("description")

    @strawberry.field(description="Is this grade set as the preferred progress grade for this year group.")
    def is_preferred_progress_grade(self) -> bool:
        return bool(self.raw.get("is_preferred_progress_grade"))

    @strawberry.field(description="Is this grade set as the preferred target grade for this year group.")
    def is_preferred_target_grade(self) -> bool:
        return bool(self.raw.get("is_preferred_target_grade"))


def _grade_type(res: Resources, year: int, year_group: str, type_id: Any) -> GradeType | None:
    row = res.get(grade_types_key(year, year_group)).unique("id").get(type_id)
    return None if row is None else GradeType(raw=row, year_group_code=year_group)


@strawberry.type(description="A student's headline grade of one grade type in one subject (GET Grades)." + GRADES_CLAIM)
class HeadlineGrade:
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]
    year_group_code: strawberry.Private[str]

    @property
    def plan_id(self) -> tuple[Any, ...]:
        r = self.raw
        return ("headline-grade", r.get("student_id"), r.get("subject_id"), r.get("grade_type_id"))

    @strawberry.field(description="The grade type as configured for the student's year group (GET Grade Types)." + GRADE_TYPES_CLAIM)
    @planned(needs=lambda s, ps, a: [grade_types_key(s.year, yg) for yg in {p.year_group_code for p in ps}],
             expand=lambda s, ps, a: [p._grade_type() for p in ps])
    def grade_type(self) -> GradeType | None:
        return read(self.res, [grade_types_key(self.year, self.year_group_code)], self._grade_type)

    def _grade_type(self) -> GradeType | None:
        return _grade_type(self.res, self.year, self.year_group_code, self.raw.get("grade_type_id"))

    @strawberry.field(description="One of the 10 grade types that can be configured in GO (the grade type id).")
    def grade_type_id(self) -> strawberry.ID | None:
        return to_id(self.raw.get("grade_type_id"))

    @strawberry.field(description="The grade type id as a kind (null for an id GO does not define).")
    def kind(self) -> GradeTypeKind | None:
        return grade_kind(self.raw.get("grade_type_id"))

    @strawberry.field(description="The subject of the grade." + SUBJECTS_CLAIM)
    @planned(needs=year_needs(subjects_key),
             expand=lambda s, ps, a: subjects_of(s.resources, s.year, [p.raw for p in ps]))
    def subject(self) -> SubjectRef | None:
        return read(self.res, [subjects_key(self.year)],
                    lambda: subject_of(self.res, self.year, self.raw.get("subject_id")))

    @strawberry.field(description="The student the grade is for." + STUDENTS_CLAIM)
    @planned(needs=year_needs(students_key),
             expand=lambda s, ps, a: students_of(s.resources, s.year, [p.raw for p in ps]))
    def student(self) -> StudentRef | None:
        return read(self.res, [students_key(self.year)],
                    lambda: student_of(self.res, self.year, self.raw.get("student_id")))

    @strawberry.field(description="Grade name.")
    def name(self) -> str | None:
        return self.raw.get("name")

    @strawberry.field(description="School name for the grade.")
    def alias(self) -> str | None:
        return self.raw.get("alias")


@strawberry.type(description="An exam result achieved by a student (GET Exam Results)." + EXAMS_CLAIM)
class ExamResult:
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]

    @strawberry.field(description="The student who took the exam." + STUDENTS_CLAIM)
    @planned(needs=year_needs(students_key),
             expand=lambda s, ps, a: students_of(s.resources, s.year, [p.raw for p in ps]))
    def student(self) -> StudentRef | None:
        return read(self.res, [students_key(self.year)],
                    lambda: student_of(self.res, self.year, self.raw.get("student_id")))

    @strawberry.field(description="The academic year that the exam was taken by the student.")
    def exam_academic_year(self) -> int | None:
        return to_int(self.raw.get("exam_academic_year"))

    @strawberry.field(description="Qualification Accreditation Number.")
    def qan(self) -> str | None:
        return self.raw.get("qan")

    @strawberry.field(description="The title of the qualification.")
    def qualification_title(self) -> str | None:
        return self.raw.get("qualification_title")

    @strawberry.field(description="The date that the exam was taken.")
    def exam_date(self) -> dt.date | None:
        return to_date(self.raw.get("exam_date"))

    @strawberry.field(description="The grade awarded to the student.")
    def grade(self) -> str | None:
        v = self.raw.get("grade")
        return None if v is None else str(v)

    @strawberry.field(description="The value of the grade awarded.")
    def ks123literal(self) -> str | None:
        v = self.raw.get("ks123literal")
        return None if v is None else str(v)

    @strawberry.field(description="The subject of the exam, when GO links it to one." + SUBJECTS_CLAIM)
    @planned(needs=year_needs(subjects_key),
             expand=lambda s, ps, a: subjects_of(s.resources, s.year, [p.raw for p in ps]))
    def subject(self) -> SubjectRef | None:
        return read(self.res, [subjects_key(self.year)],
                    lambda: subject_of(self.res, self.year, self.raw.get("subject_id")))


# --- per year group reading --------------------------------------------------------------

def _student_year_group(student: Any) -> str | None:
    value = student.edu().get("national_curriculum_year")
    return None if value in (None, "") else str(value)


def _year_group_needs(make: Callable[[int, str], ResourceKey]) -> Callable[..., Awaitable[list[ResourceKey]]]:
    """``needs`` for a per-year-group resource: the year groups of the selected students only."""

    async def needs(scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[ResourceKey]:
        from gateway.graph.students import edu_key

        await scope.resources.load(edu_key(scope.year))
        groups = {yg for p in parents if (yg := _student_year_group(p)) is not None}
        return [make(scope.year, yg) for yg in sorted(groups)]

    return needs


def _by_year_group(student: Any, make: Callable[[int, str], ResourceKey],
                   build: Callable[[Table, str], list[T]]) -> list[T]:
    """``build(table, year_group)`` for the student's year group's resource (after education details)."""
    from gateway.graph.students import edu_key

    def with_edu() -> Any:
        year_group = _student_year_group(student)
        if year_group is None:
            return []
        k = make(student.year, year_group)
        return read(student.res, [k], lambda: build(student.res.get(k), year_group))

    first = read(student.res, [edu_key(student.year)], with_edu)
    if not inspect.isawaitable(first):
        return first  # type: ignore[no-any-return]

    async def chained() -> list[T]:  # the plan missed these keys: load one after the other
        out = await first
        return await out if inspect.isawaitable(out) else out  # type: ignore[no-any-return]

    return chained()  # type: ignore[return-value]


def _grades_of(student: Any) -> list[HeadlineGrade]:
    def build(table: Table, year_group: str) -> list[HeadlineGrade]:
        return [HeadlineGrade(raw=r, year=student.year, res=student.res, year_group_code=year_group)
                for r in table.group("student_id").get(student.student_id, [])]
    return _by_year_group(student, grades_key, build)


def _exam_results_of(student: Any) -> list[ExamResult]:
    def build(table: Table, year_group: str) -> list[ExamResult]:
        return [ExamResult(raw=r, year=student.year, res=student.res)
                for r in table.group("student_id").get(student.student_id, [])]
    return _by_year_group(student, exam_results_key, build)


def _prior_of(student: Any) -> list[AttributeValue]:
    rows = student.res.get(prior_key(student.year)).group("student_id").get(student.student_id, [])
    return [AttributeValue(raw=r, category_value=AttributeCategory.PRIOR_ATTAINMENT) for r in rows]


@strawberry.type
class StudentAttainmentFields:
    """Fields this domain adds to Student (composed in students.py)."""

    @strawberry.field(description="The student's headline grades, of every grade type and subject (GET Grades for the student's year group)." + GRADES_CLAIM + EDU_CLAIM)
    @planned(needs=_year_group_needs(grades_key),
             expand=lambda s, ps, a: [g for p in ps for g in _grades_of(p)])
    def grades(self) -> list[HeadlineGrade]:
        return _grades_of(self)

    @strawberry.field(description="The exam results the student achieved (GET Exam Results for the student's year group)." + EXAMS_CLAIM + EDU_CLAIM)
    @planned(needs=_year_group_needs(exam_results_key),
             expand=lambda s, ps, a: [g for p in ps for g in _exam_results_of(p)])
    def exam_results(self) -> list[ExamResult]:
        return _exam_results_of(self)

    @strawberry.field(description="The student's prior attainment values, e.g. KS2 (GET Prior Attainment)." + PRIOR_CLAIM)
    @planned(needs=year_needs(prior_key))
    def prior_attainment(self) -> list[AttributeValue]:
        return read(self.res, [prior_key(self.year)], lambda: _prior_of(self))  # type: ignore[attr-defined]


# --- AcademicYear fields ----------------------------------------------------------------

def _yg_arg_needs(make: Callable[[int, str], ResourceKey]) -> Callable[[Scope, list[Any], dict[str, Any]], list[ResourceKey]]:
    def needs(scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[ResourceKey]:
        return [make(scope.year, _year_group_arg(args.get("yearGroup")))]
    return needs


def _year_grade_types(res: Resources, year: int, year_group: str) -> list[GradeType]:
    return [GradeType(raw=r, year_group_code=year_group)
            for r in res.get(grade_types_key(year, year_group)).rows]


def _year_grades(res: Resources, year: int, year_group: str) -> list[HeadlineGrade]:
    return [HeadlineGrade(raw=r, year=year, res=res, year_group_code=year_group)
            for r in res.get(grades_key(year, year_group)).rows]


def _year_exam_results(res: Resources, year: int, year_group: str) -> list[ExamResult]:
    return [ExamResult(raw=r, year=year, res=res) for r in res.get(exam_results_key(year, year_group)).rows]


YearGroupArg = Annotated[str, strawberry.argument(
    description="The year group for the requested data, e.g. \"11\" or \"Reception\".")]


@strawberry.type
class AcademicYearAttainmentFields:
    """Fields this domain adds to AcademicYear (composed in academic_year.py)."""

    @strawberry.field(description="The types of headline grades configured for a year group." + GRADE_TYPES_CLAIM)
    @planned(needs=_yg_arg_needs(grade_types_key))
    def grade_types(self, year_group: YearGroupArg) -> list[GradeType]:
        yg = _year_group_arg(year_group)
        return read(self.res, [grade_types_key(self.year, yg)],  # type: ignore[attr-defined]
                    lambda: _year_grade_types(self.res, self.year, yg))  # type: ignore[attr-defined]

    @strawberry.field(description="The headline grades of the students of a year group." + GRADES_CLAIM)
    @planned(needs=_yg_arg_needs(grades_key),
             expand=lambda s, ps, a: _year_grades(s.resources, s.year, _year_group_arg(a.get("yearGroup"))))
    def grades(self, year_group: YearGroupArg) -> list[HeadlineGrade]:
        yg = _year_group_arg(year_group)
        return read(self.res, [grades_key(self.year, yg)],  # type: ignore[attr-defined]
                    lambda: _year_grades(self.res, self.year, yg))  # type: ignore[attr-defined]

    @strawberry.field(description="The exam results achieved by the students of a year group." + EXAMS_CLAIM)
    @planned(needs=_yg_arg_needs(exam_results_key),
             expand=lambda s, ps, a: _year_exam_results(s.resources, s.year, _year_group_arg(a.get("yearGroup"))))
    def exam_results(self, year_group: YearGroupArg) -> list[ExamResult]:
        yg = _year_group_arg(year_group)
        return read(self.res, [exam_results_key(self.year, yg)],  # type: ignore[attr-defined]
                    lambda: _year_exam_results(self.res, self.year, yg))  # type: ignore[attr-defined]
