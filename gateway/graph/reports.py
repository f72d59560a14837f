"""Progress reports: grade types, attributes and choices, student grades, attribute choices and comments.

GET Reports is one resource for the year; a report's grades, attribute choices
and comments are one resource each per report id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any

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
from gateway.graph.attainment import GradeTypeKind, grade_kind
from gateway.graph.base import parse_id, read, rk, to_datetime, to_int, to_text
from gateway.graph.plan import Scope, planned
from gateway.resources.keys import ResourceKey
from gateway.resources.memo import Resources

if TYPE_CHECKING:
    from gateway.graph.students import Student
    from gateway.graph.teaching import Subject

StudentRef = Annotated["Student", strawberry.lazy("gateway.graph.students")]
SubjectRef = Annotated["Subject", strawberry.lazy("gateway.graph.teaching")]

REPORTS_CLAIM = " Needs the Attainment-Student Reports (students.attainment.reports.read) permission."
COMMENTS_CLAIM = " Needs the Attainment-Student Report Comments (students.attainment.reports.comments.read) permission."


@lru_cache(maxsize=256)
def reports_key(year: int) -> ResourceKey:
    return rk("reports", year)


@lru_cache(maxsize=256)
def report_grades_key(year: int, report_id: Any) -> ResourceKey:
    return rk("report-grades", year, report_id)


@lru_cache(maxsize=256)
def report_attributes_key(year: int, report_id: Any) -> ResourceKey:
    return rk("report-attributes", year, report_id)


@lru_cache(maxsize=256)
def report_comments_key(year: int, report_id: Any) -> ResourceKey:
    return rk("report-comments", year, report_id)




def _report(res: Resources, year: int, report_id: Any) -> Report | None:
    row = res.get(reports_key(year)).unique("id").get(report_id)
    return None if row is None else Report(raw=row, year=year, res=res)


def _choices(res: Resources, year: int) -> dict[tuple[Any, Any], tuple[dict, dict]]:
    """(report id, choice id) -> (attribute, choice), built once per reports table."""

    def build(table: Any) -> dict[tuple[Any, Any], tuple[dict, dict]]:
        out: dict[tuple[Any, Any], tuple[dict, dict]] = {}
        for report in table.rows:
            for attribute in report.get("attributes_and_choices") or ():
                for choice in attribute.get("choices") or ():
                    out.setdefault((report.get("id"), choice.get("id")), (attribute, choice))
        return out

    return res.get(reports_key(year)).derived("choices", build)  # type: ignore[no-any-return]


# --- the report's own structure (from GET Reports) -----------------------------------------

@strawberry.type(description="A grade type associated with a report at point of publication (GET Reports)." + REPORTS_CLAIM)
class ReportGradeType:
    raw: strawberry.Private[dict]

    @strawberry.field(description="The type of grade. One of the 10 grade types that can be configured in GO.")
    def type(self) -> int | None:
        return to_int(self.raw.get("type"))

    @strawberry.field(description="The type of grade as a kind (null for a type GO does not define).")
    def kind(self) -> GradeTypeKind | None:
        return grade_kind(self.raw.get("type"))

    @strawberry.field(description="School name of the grade at point of publication.")
    def name(self) -> str | None:
        return self.raw.get("name")

    @strawberry.field(description="Description of the grade at point of publication.")
    def description(self) -> str | None:
        return self.raw.get("description")


@strawberry.type(description="A choice available for a report attribute (GET Reports)." + REPORTS_CLAIM)
class ReportAttributeChoice:
    raw: strawberry.Private[dict]

    @strawberry.field(description="The unique identifier for the choice.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.raw.get("id")))

    @strawberry.field(description="The name of the choice.")
    def name(self) -> str | None:
        return self.raw.get("name")

    @strawberry.field(description="The point value for the choice.")
    def points(self) -> int | None:
        return to_int(self.raw.get("points"))

    @strawberry.field(description="Description of the attribute choice.")
    def details(self) -> str | None:
        return to_text(self.raw.get("details"))


@strawberry.type(description="An attribute of a report with its available choices, at point of publication (GET Reports)." + REPORTS_CLAIM)
class ReportAttribute:
    raw: strawberry.Private[dict]

    @strawberry.field(description="The unique identifier for the attribute.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.raw.get("id")))

    @strawberry.field(description="The name of the attribute.")
    def name(self) -> str | None:
        return self.raw.get("name")

    @strawberry.field(description="The description of the attribute.")
    def description(self) -> str | None:
        return self.raw.get("description")

    @strawberry.field(description="The display name of the attribute.")
    def display_name(self) -> str | None:
        return self.raw.get("display_name")

    @strawberry.field(description="The choices for the attribute.")
    def choices(self) -> list[ReportAttributeChoice]:
        return [ReportAttributeChoice(raw=c) for c in self.raw.get("choices") or () if isinstance(c, dict)]


def _per_report(make: Callable[[int, Any], ResourceKey]) -> Callable[[Scope, list[Any], dict[str, Any]], list[ResourceKey]]:
    def needs(scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[ResourceKey]:
        return [make(scope.year, rid) for rid in {p.raw.get("id") for p in parents}]
    return needs


@strawberry.type(description="A progress report of the year, with its grade types and attributes (GET Reports)." + REPORTS_CLAIM)
class Report:
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]

    @property
    def plan_id(self) -> tuple[str, Any]:
        return ("report", self.raw.get("id"))

    @property
    def report_id(self) -> Any:
        return self.raw.get("id")

    @strawberry.field(description="The unique identifier for the report.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.raw.get("id")))

    @strawberry.field(description="The name of the report.")
    def name(self) -> str | None:
        return self.raw.get("name")

    @strawberry.field(description="The year group that is associated with the report.")
    def year_group(self) -> str | None:
        return to_text(self.raw.get("year_group"))

    @strawberry.field(description="States whether the report should have comments added.")
    def enable_comments(self) -> bool:
        return bool(self.raw.get("enable_comments"))

    @strawberry.field(description="The date and time when the report was prepared for publication.")
    def prepared_at(self) -> dt.datetime | None:
        return to_datetime(self.raw.get("prepared_at"))

    @strawberry.field(description="The grade type chosen as preferred target grade (1 to 10).")
    def preferred_target_grade_type(self) -> int | None:
        return to_int(self.raw.get("preferred_target_grade_type"))

    @strawberry.field(description="The grade type chosen as preferred progress grade (1 to 10).")
    def preferred_progress_grade_type(self) -> int | None:
        return to_int(self.raw.get("preferred_progress_grade_type"))

    @strawberry.field(description="The name presented on the report.")
    def presentation_name(self) -> str | None:
        return self.raw.get("presentation_name")

    @strawberry.field(description="The date presented on the report.")
    def presentation_date(self) -> dt.datetime | None:
        return to_datetime(self.raw.get("presentation_date"))

    @strawberry.field(description="The grade types associated with the report at point of publication.")
    def grade_types(self) -> list[ReportGradeType]:
        return [ReportGradeType(raw=g) for g in self.raw.get("grades") or () if isinstance(g, dict)]

    @strawberry.field(description="The attributes and their available choices for the report at point of publication.")
    def attributes(self) -> list[ReportAttribute]:
        return [ReportAttribute(raw=a) for a in self.raw.get("attributes_and_choices") or ()
                if isinstance(a, dict)]

    @strawberry.field(description="The students' grades in each subject of the report (GET Report Grades)." + REPORTS_CLAIM)
    @planned(needs=_per_report(report_grades_key),
             expand=lambda s, ps, a: [g for p in ps for g in _grades(s.resources, s.year, p.report_id)])
    def grades(self) -> list[ReportGrade]:
        return read(self.res, [report_grades_key(self.year, self.report_id)],
                    lambda: _grades(self.res, self.year, self.report_id))

    @strawberry.field(description="The attribute choices made for students in each subject of the report (GET Report Attributes)." + REPORTS_CLAIM)
    @planned(needs=_per_report(report_attributes_key),
             expand=lambda s, ps, a: [v for p in ps for v in _attribute_values(s.resources, s.year, p.report_id)])
    def attribute_values(self) -> list[ReportAttributeValue]:
        return read(self.res, [report_attributes_key(self.year, self.report_id)],
                    lambda: _attribute_values(self.res, self.year, self.report_id))

    @strawberry.field(description="The teachers' comments of the report, once prepared for publication (GET Report Comments)." + COMMENTS_CLAIM)
    @planned(needs=_per_report(report_comments_key),
             expand=lambda s, ps, a: [c for p in ps for c in _comments(s.resources, s.year, p.report_id)])
    def comments(self) -> list[ReportComment]:
        return read(self.res, [report_comments_key(self.year, self.report_id)],
                    lambda: _comments(self.res, self.year, self.report_id))


# --- per-student rows of one report ------------------------------------------------------

def _report_needs(s: Scope, ps: list[Any], a: dict[str, Any]) -> list[ResourceKey]:
    return [reports_key(s.year)]


def _report_expand(s: Scope, ps: list[Any], a: dict[str, Any]) -> list[Report]:
    found = (_report(s.resources, s.year, rid) for rid in {p.report_id for p in ps})
    return [r for r in found if r is not None]


class _ReportRow:
    """What every per-student row of a report shares: its report, subject and student."""

    raw: dict
    year: int
    res: Resources
    report_id: Any

    def _row_report(self) -> Report | None:
        return read(self.res, [reports_key(self.year)], lambda: _report(self.res, self.year, self.report_id))

    def _row_subject(self) -> Subject | None:
        return read(self.res, [subjects_key(self.year)],
                    lambda: subject_of(self.res, self.year, self.raw.get("subject_id")))

    def _row_student(self) -> Student | None:
        return read(self.res, [students_key(self.year)],
                    lambda: student_of(self.res, self.year, self.raw.get("student_id")))


_subjects_expand = planned(needs=year_needs(subjects_key),
                           expand=lambda s, ps, a: subjects_of(s.resources, s.year, [p.raw for p in ps]))
_students_expand = planned(needs=year_needs(students_key),
                           expand=lambda s, ps, a: students_of(s.resources, s.year, [p.raw for p in ps]))
_reports_expand = planned(needs=_report_needs, expand=_report_expand)


@strawberry.type(description="A student's grade of one grade type in one subject of a report (GET Report Grades)." + REPORTS_CLAIM)
class ReportGrade(_ReportRow):
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]
    report_id: strawberry.Private[Any]

    @property
    def plan_id(self) -> tuple[Any, ...]:
        r = self.raw
        return ("report-grade", self.report_id, r.get("subject_id"), r.get("student_id"), r.get("type"))

    @strawberry.field(description="The report the grade belongs to." + REPORTS_CLAIM)
    @_reports_expand
    def report(self) -> Report | None:
        return self._row_report()

    @strawberry.field(description="The subject of the grade." + SUBJECTS_CLAIM)
    @_subjects_expand
    def subject(self) -> SubjectRef | None:
        return self._row_subject()

    @strawberry.field(description="The qualification accreditation number.")
    def qan(self) -> str | None:
        return self.raw.get("qan")

    @strawberry.field(description="The name of the qualification.")
    def qualification_title(self) -> str | None:
        return self.raw.get("qualification_title")

    @strawberry.field(description="The type of grade. One of the 10 grade types that can be configured in GO.")
    def type(self) -> int | None:
        return to_int(self.raw.get("type"))

    @strawberry.field(description="The type of grade as a kind (null for a type GO does not define).")
    def kind(self) -> GradeTypeKind | None:
        return grade_kind(self.raw.get("type"))

    @strawberry.field(description="The name of the grade.")
    def name(self) -> str | None:
        return to_text(self.raw.get("name"))

    @strawberry.field(description="The student the grade is for." + STUDENTS_CLAIM)
    @_students_expand
    def student(self) -> StudentRef | None:
        return self._row_student()


@strawberry.type(description="A teacher's comment for a student in one subject of a report (GET Report Comments)." + COMMENTS_CLAIM)
class ReportComment(_ReportRow):
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]
    report_id: strawberry.Private[Any]

    @property
    def plan_id(self) -> tuple[Any, ...]:
        return ("report-comment", self.report_id, self.raw.get("subject_id"), self.raw.get("student_id"))

    @strawberry.field(description="The report the comment belongs to." + REPORTS_CLAIM)
    @_reports_expand
    def report(self) -> Report | None:
        return self._row_report()

    @strawberry.field(description="The subject of the comment." + SUBJECTS_CLAIM)
    @_subjects_expand
    def subject(self) -> SubjectRef | None:
        return self._row_subject()

    @strawberry.field(description="The student the comment is about." + STUDENTS_CLAIM)
    @_students_expand
    def student(self) -> StudentRef | None:
        return self._row_student()

    @strawberry.field(description="The author of the comment.")
    def author(self) -> str | None:
        return self.raw.get("author")

    @strawberry.field(description="The comment entered by the author.")
    def details(self) -> str | None:
        return to_text(self.raw.get("details"))


@strawberry.type(description="The attribute choice made for a student in one subject of a report (GET Report Attributes)." + REPORTS_CLAIM)
class ReportAttributeValue(_ReportRow):
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]
    report_id: strawberry.Private[Any]

    @property
    def plan_id(self) -> tuple[Any, ...]:
        r = self.raw
        return ("report-attribute", self.report_id, r.get("subject_id"), r.get("student_id"), r.get("choice_id"))

    @strawberry.field(description="The report the choice belongs to." + REPORTS_CLAIM)
    @_reports_expand
    def report(self) -> Report | None:
        return self._row_report()

    @strawberry.field(description="The subject the choice was made in." + SUBJECTS_CLAIM)
    @_subjects_expand
    def subject(self) -> SubjectRef | None:
        return self._row_subject()

    @strawberry.field(description="The student the choice was made for." + STUDENTS_CLAIM)
    @_students_expand
    def student(self) -> StudentRef | None:
        return self._row_student()

    @strawberry.field(description="The unique identifier for the attribute choice.")
    def choice_id(self) -> strawberry.ID | None:
        v = self.raw.get("choice_id")
        return None if v is None else strawberry.ID(str(v))

    @strawberry.field(description="The choice made, with its name and points (from GET Reports)." + REPORTS_CLAIM)
    @planned(needs=_report_needs)
    def choice(self) -> ReportAttributeChoice | None:
        def build() -> ReportAttributeChoice | None:
            found = _choices(self.res, self.year).get((self.report_id, self.raw.get("choice_id")))
            return None if found is None else ReportAttributeChoice(raw=found[1])
        return read(self.res, [reports_key(self.year)], build)

    @strawberry.field(description="The attribute the choice belongs to (from GET Reports)." + REPORTS_CLAIM)
    @planned(needs=_report_needs)
    def attribute(self) -> ReportAttribute | None:
        def build() -> ReportAttribute | None:
            found = _choices(self.res, self.year).get((self.report_id, self.raw.get("choice_id")))
            return None if found is None else ReportAttribute(raw=found[0])
        return read(self.res, [reports_key(self.year)], build)


def _rows_of(make: Callable[[int, Any], ResourceKey], cls: Any) -> Callable[..., list[Any]]:
    """``rows(res, year, report_id, student_id=None)``: a report's rows (one student's, if given) as ``cls``."""

    def rows(res: Resources, year: int, report_id: Any, student_id: Any = None) -> list[Any]:
        table = res.get(make(year, report_id))
        found = table.rows if student_id is None else table.group("student_id").get(student_id, [])
        return [cls(raw=r, year=year, res=res, report_id=report_id) for r in found]

    return rows


_grades: Callable[..., list[Any]] = _rows_of(report_grades_key, ReportGrade)
_attribute_values: Callable[..., list[Any]] = _rows_of(report_attributes_key, ReportAttributeValue)
_comments: Callable[..., list[Any]] = _rows_of(report_comments_key, ReportComment)


# --- mixins -----------------------------------------------------------------------------

def _report_id(args: dict[str, Any]) -> int:
    return parse_id(args.get("reportId"), "reportId")


def _student_needs(make: Callable[[int, Any], ResourceKey]) -> Callable[[Scope, list[Any], dict[str, Any]], list[ResourceKey]]:
    def needs(scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[ResourceKey]:
        return [make(scope.year, _report_id(args))]
    return needs


def _student_expand(rows: Callable[..., list[Any]]) -> Callable[[Scope, list[Any], dict[str, Any]], list[Any]]:
    def expand(scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[Any]:
        rid = _report_id(args)
        return [x for p in parents for x in rows(scope.resources, scope.year, rid, p.student_id)]
    return expand


ReportIdArg = Annotated[strawberry.ID, strawberry.argument(
    description="The report's id (see AcademicYear.reports).")]


@strawberry.type
class StudentReportFields:
    """Fields this domain adds to Student (composed in students.py)."""

    @strawberry.field(description="The student's grades in one report (GET Report Grades)." + REPORTS_CLAIM)
    @planned(needs=_student_needs(report_grades_key), expand=_student_expand(_grades))
    def report_grades(self, report_id: ReportIdArg) -> list[ReportGrade]:
        rid = parse_id(report_id, "reportId")
        return read(self.res, [report_grades_key(self.year, rid)],  # type: ignore[attr-defined]
                    lambda: _grades(self.res, self.year, rid, self.student_id))  # type: ignore[attr-defined]

    @strawberry.field(description="The teachers' comments about the student in one report (GET Report Comments)." + COMMENTS_CLAIM)
    @planned(needs=_student_needs(report_comments_key), expand=_student_expand(_comments))
    def report_comments(self, report_id: ReportIdArg) -> list[ReportComment]:
        rid = parse_id(report_id, "reportId")
        return read(self.res, [report_comments_key(self.year, rid)],  # type: ignore[attr-defined]
                    lambda: _comments(self.res, self.year, rid, self.student_id))  # type: ignore[attr-defined]

    @strawberry.field(description="The attribute choices made for the student in one report (GET Report Attributes)." + REPORTS_CLAIM)
    @planned(needs=_student_needs(report_attributes_key), expand=_student_expand(_attribute_values))
    def report_attributes(self, report_id: ReportIdArg) -> list[ReportAttributeValue]:
        rid = parse_id(report_id, "reportId")
        return read(self.res, [report_attributes_key(self.year, rid)],  # type: ignore[attr-defined]
                    lambda: _attribute_values(self.res, self.year, rid, self.student_id))  # type: ignore[attr-defined]


def _all_reports(res: Resources, year: int) -> list[Report]:
    return [Report(raw=r, year=year, res=res) for r in res.get(reports_key(year)).rows]


@strawberry.type
class AcademicYearReportFields:
    """Fields this domain adds to AcademicYear (composed in academic_year.py)."""

    @strawberry.field(description="The progress reports of the year, with their grade types and attributes." + REPORTS_CLAIM)
    @planned(needs=_report_needs, expand=lambda s, ps, a: _all_reports(s.resources, s.year))
    def reports(self) -> list[Report]:
        return read(self.res, [reports_key(self.year)],  # type: ignore[attr-defined]
                    lambda: _all_reports(self.res, self.year))  # type: ignore[attr-defined]

    @strawberry.field(description="One progress report by id (null when the year has no such report)." + REPORTS_CLAIM)
    @planned(needs=_report_needs,
             expand=lambda s, ps, a: [r for r in [_report(s.resources, s.year, parse_id(a.get("id"), "report id"))] if r])
    def report(self, id: Annotated[strawberry.ID, strawberry.argument(description="The report's id.")]) -> Report | None:
        rid = parse_id(id, "report id")
        return read(self.res, [reports_key(self.year)],  # type: ignore[attr-defined]
                    lambda: _report(self.res, self.year, rid))  # type: ignore[attr-defined]
