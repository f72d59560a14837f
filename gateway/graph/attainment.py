"""Grade types, headline grades, exam results and prior attainment (the Attainment routes).

Grade types, headline grades and exam results are one upstream resource per
year group: a student's fields load only the year groups of the students
actually selected (found from education details first).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import Enum
from typing import Annotated, Any

import strawberry

from gateway.graph import keys
from gateway.graph.base import to_date, to_id, to_int, to_text
from gateway.graph.claims import (
    EDU_YEAR_GROUP_CLAIM,
    EXAMS_CLAIM,
    GRADE_TYPES_CLAIM,
    GRADES_CLAIM,
    PRIOR_CLAIM,
)
from gateway.graph.errors import bad_input
from gateway.graph.links import StudentRef, SubjectRef, student_link, subject_link
from gateway.graph.lookups import Record, all_rows, row_by, rows_where
from gateway.graph.pupil import AttributeCategory, AttributeValue
from gateway.graph.relation import relation
from gateway.graph.row import Row, YearScoped, column
from gateway.resources.keys import ResourceKey


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


KIND_NOTE = "The grade type id as a kind (null for an id GO does not define)."


# --- look-ups ---------------------------------------------------------------------------------

def year_group_arg(year_group: Any) -> str:
    """A ``yearGroup`` argument, trimmed; a clear BAD_USER_INPUT when it names none."""
    text = str(year_group or "").strip()
    if not text:
        raise bad_input("yearGroup must name a year group, e.g. \"10\" or \"Reception\"")
    return text


def _check_year_group(year_group: Any) -> None:
    year_group_arg(year_group)


def year_group_of(res: Any, year: int, student_id: Any) -> str | None:
    """A student's year group (NC year) from education details; None when it has none."""
    value = (row_by(res, keys.EDUCATION_DETAILS(year), student_id, "student_id") or {}).get("national_curriculum_year")
    return None if value in (None, "") else str(value)


def students_year_groups(route: keys.ArgRoute) -> keys.Keyed:
    """``route``'s resources for the year groups of the students asked about (from education
    details, loaded first when the plan has not loaded them yet)."""

    def of(scope: Any, parents: Sequence[Any], args: dict[str, Any]) -> Any:
        edu = keys.EDUCATION_DETAILS(scope.year)

        def found() -> list[ResourceKey]:
            groups = {yg for p in parents if (yg := year_group_of(scope.resources, scope.year, p.raw.get("id")))}
            return [route(scope.year, yg) for yg in sorted(groups)]

        if scope.resources.has(edu):
            return found()

        async def after_education_details() -> list[ResourceKey]:
            await scope.resources.load(edu)
            return found()

        return after_education_details()

    def hinted(year: int, hints: keys.Hints) -> list[ResourceKey] | None:
        group = hints.get("year_group")
        return None if group is None else [route(year, group)]

    return keys.Keyed(of, routes=(keys.EDUCATION_DETAILS.route, route.route), hinted=hinted)


def _grade_types_hinted(year: int, hints: keys.Hints) -> list[ResourceKey] | None:
    """A year group's grade types, when the query says which year group its grades are of."""
    group = hints.get("year_group")
    return None if group is None else [keys.GRADE_TYPES(year, group)]


def year_group_named(route: keys.ArgRoute) -> keys.Keyed:
    """``route``'s resource for the year group the field's ``yearGroup`` argument names."""

    def of(year: int, year_group: Any) -> list[ResourceKey]:
        return [route(year, year_group_arg(year_group))]

    return keys.by_args(of, route.route)


def student_rows(student: Row, route: keys.ArgRoute) -> tuple[str | None, list[Record]]:
    """The student's year group and their records in that year group's ``route`` resource."""
    yg = year_group_of(student.res, student.year, student.raw.get("id"))
    if yg is None:
        return None, []
    return yg, rows_where(student.res, route(student.year, yg), "student_id", student.raw.get("id"))


def _year_group_code(self: GradeType) -> str:
    return self.year_group_code


def _grade_type(self: HeadlineGrade) -> GradeType | None:
    yg = self.year_group_code
    row = row_by(self.res, keys.GRADE_TYPES(self.year, yg), self.raw.get("grade_type_id"))
    return None if row is None else GradeType(raw=row, year=self.year, res=self.res, year_group_code=yg)


# --- types ------------------------------------------------------------------------------------

@strawberry.type(description="A type of headline grade as configured for one year group (GET Grade Types)." + GRADE_TYPES_CLAIM)
class GradeType(Row, id="The grade type: one of the 10 grade types that can be configured in GO (1 = External target … 10 = Baseline grade)."):
    year_group_code: strawberry.Private[str]

    @property
    def plan_id(self) -> tuple[Any, ...]:
        return ("GradeType", self.year_group_code, self.raw.get("id"))

    kind: GradeTypeKind | None = column("id", KIND_NOTE, convert=grade_kind)
    year_group: str = strawberry.field(resolver=_year_group_code, description="The year group these settings are for, e.g. \"11\".")
    name: str | None = column("name", "The name of the grade for this year group.")
    short_name: str | None = column("short_name", "The short name of the grade for this year group.")
    description: str | None = column("description", "The grade description for this year group.")
    is_preferred_progress_grade: bool = column(
        "is_preferred_progress_grade", "Is this grade set as the preferred progress grade for this year group.", convert=bool)
    is_preferred_target_grade: bool = column(
        "is_preferred_target_grade", "Is this grade set as the preferred target grade for this year group.", convert=bool)


@strawberry.type(description="A student's headline grade of one grade type in one subject (GET Grades)." + GRADES_CLAIM)
class HeadlineGrade(Row):
    year_group_code: strawberry.Private[str]
    PLAN_FIELDS = ("student_id", "subject_id", "grade_type_id")

    # Links are declared as annotated fields, so that the schema keeps the class's field order.
    grade_type: GradeType | None = relation(
        keys.per_parent(lambda grade: [keys.GRADE_TYPES(grade.year, grade.year_group_code)], keys.GRADE_TYPES.route,
                        hinted=_grade_types_hinted),
        description="The grade type as configured for the student's year group (GET Grade Types)." + GRADE_TYPES_CLAIM,
        link=lambda grade: (grade.year_group_code, grade.raw.get("grade_type_id")),
    )(_grade_type)
    grade_type_id: strawberry.ID | None = column(
        "grade_type_id", "One of the 10 grade types that can be configured in GO (the grade type id).", convert=to_id)
    kind: GradeTypeKind | None = column("grade_type_id", KIND_NOTE, convert=grade_kind)
    subject: SubjectRef | None = subject_link("The subject of the grade.")
    student: StudentRef | None = student_link("The student the grade is for.")
    name: str | None = column("name", "Grade name.")
    alias: str | None = column("alias", "School name for the grade.")


@strawberry.type(description="An exam result achieved by a student (GET Exam Results)." + EXAMS_CLAIM)
class ExamResult(Row):
    student: StudentRef | None = student_link("The student who took the exam.")
    exam_academic_year: int | None = column("exam_academic_year", "The academic year that the exam was taken by the student.", convert=to_int)
    qan: str | None = column("qan", "Qualification Accreditation Number.")
    qualification_title: str | None = column("qualification_title", "The title of the qualification.")
    exam_date: dt.date | None = column("exam_date", "The date that the exam was taken.", convert=to_date)
    grade: str | None = column("grade", "The grade awarded to the student.", convert=to_text)
    ks123literal: str | None = column("ks123literal", "The value of the grade awarded.", convert=to_text)
    subject: SubjectRef | None = subject_link("The subject of the exam, when GO links it to one.")


def headline_grades(parent: Any, year_group: str | None, rows: list[Record]) -> list[HeadlineGrade]:
    return [HeadlineGrade(raw=r, year=parent.year, res=parent.res, year_group_code=str(year_group)) for r in rows]


# --- fields this domain adds to Student and AcademicYear ----------------------------------------

@strawberry.type
class StudentAttainmentFields(Row):
    """Fields this domain adds to Student (composed in students.py)."""

    @relation(keys.EDUCATION_DETAILS, students_year_groups(keys.GRADES), keeps_hints=True,
              description="The student's headline grades, of every grade type and subject (GET Grades for the student's year group)." + GRADES_CLAIM + EDU_YEAR_GROUP_CLAIM)
    def grades(self) -> list[HeadlineGrade]:
        return headline_grades(self, *student_rows(self, keys.GRADES))

    @relation(keys.EDUCATION_DETAILS, students_year_groups(keys.EXAM_RESULTS),
              description="The exam results the student achieved (GET Exam Results for the student's year group)." + EXAMS_CLAIM + EDU_YEAR_GROUP_CLAIM)
    def exam_results(self) -> list[ExamResult]:
        return student_rows(self, keys.EXAM_RESULTS)[1]

    @relation(keys.PRIOR_ATTAINMENT, description="The student's prior attainment values, e.g. KS2 (GET Prior Attainment)." + PRIOR_CLAIM)
    def prior_attainment(self) -> list[AttributeValue]:
        rows = rows_where(self.res, keys.PRIOR_ATTAINMENT(self.year), "student_id", self.raw.get("id"))
        return [AttributeValue(raw=r, category_value=AttributeCategory.PRIOR_ATTAINMENT) for r in rows]


YearGroupArg = Annotated[str, strawberry.argument(
    description="The year group for the requested data, e.g. \"11\" or \"Reception\".")]


@strawberry.type
class AcademicYearAttainmentFields(YearScoped):
    """Fields this domain adds to AcademicYear (composed in academic_year.py)."""

    @relation(year_group_named(keys.GRADE_TYPES), check=_check_year_group,
              description="The types of headline grades configured for a year group." + GRADE_TYPES_CLAIM)
    def grade_types(self, year_group: YearGroupArg) -> list[GradeType]:
        yg = year_group_arg(year_group)
        return [GradeType(raw=r, year=self.year, res=self.res, year_group_code=yg)
                for r in all_rows(self.res, keys.GRADE_TYPES(self.year, yg))]

    @relation(year_group_named(keys.GRADES), check=_check_year_group,
              description="The headline grades of the students of a year group." + GRADES_CLAIM)
    def grades(self, year_group: YearGroupArg) -> list[HeadlineGrade]:
        yg = year_group_arg(year_group)
        return headline_grades(self, yg, all_rows(self.res, keys.GRADES(self.year, yg)))

    @relation(year_group_named(keys.EXAM_RESULTS), check=_check_year_group,
              description="The exam results achieved by the students of a year group." + EXAMS_CLAIM)
    def exam_results(self, year_group: YearGroupArg) -> list[ExamResult]:
        return all_rows(self.res, keys.EXAM_RESULTS(self.year, year_group_arg(year_group)))
