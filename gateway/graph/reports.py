"""Progress reports: grade types, attributes and choices, student grades, attribute choices and comments.

GET Reports is one resource for the year; a report's grades, attribute choices
and comments are one resource each per report id (its grades one per report id
and ``applyTakeHomeReportExclusions`` flag).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any

import strawberry

from gateway.graph import keys
from gateway.graph.attainment import GradeTypeKind, grade_kind
from gateway.graph.base import parse_id, to_datetime, to_id, to_int, to_text
from gateway.graph.claims import COMMENTS_CLAIM, REPORTS_CLAIM
from gateway.graph.links import StudentRef, SubjectRef, student_link, subject_link
from gateway.graph.lookups import Record, all_rows, row_by
from gateway.graph.relation import relation
from gateway.graph.row import Row, YearScoped, column
from gateway.resources.keys import ResourceKey
from gateway.resources.memo import Resources

ReportRoute = keys.ArgRoute | keys.FlaggedArgRoute

#: The Python name of GET Report Grades' query parameter as a field argument.
EXCLUSIONS = "apply_take_home_report_exclusions"


# --- look-ups (records in, records out) -------------------------------------------------------

def report_key(route: ReportRoute, year: int, report_id: Any, args: dict[str, Any]) -> ResourceKey:
    """``route``'s resource for one report (GET Report Grades' with the field's exclusions flag)."""
    if isinstance(route, keys.FlaggedArgRoute):
        return route(year, report_id, args.get(EXCLUSIONS))
    return route(year, report_id)


def each_report(route: ReportRoute) -> keys.Keyed:
    """``route``'s resource for each parent report."""

    def of(scope: Any, parents: Sequence[Any], args: dict[str, Any]) -> list[ResourceKey]:
        return list(dict.fromkeys(report_key(route, scope.year, p.raw.get("id"), args) for p in parents))

    return keys.Keyed(of, routes=(route.route,))


def named_report(route: ReportRoute) -> keys.Keyed:
    """``route``'s resource for the report the field's ``reportId`` argument names."""

    def of(year: int, report_id: Any, **args: Any) -> list[ResourceKey]:
        return [report_key(route, year, parse_id(report_id, "reportId"), args)]

    return keys.by_args(of, route.route)


def _check_report_id(report_id: Any, **args: Any) -> None:
    parse_id(report_id, "reportId")


def _choices(res: Resources, year: int) -> dict[tuple[Any, Any], tuple[Record, Record]]:
    """(report id, choice id) -> (attribute, choice), built once per reports table."""

    def build(table: Any) -> dict[tuple[Any, Any], tuple[Record, Record]]:
        out: dict[tuple[Any, Any], tuple[Record, Record]] = {}
        for report in table.rows:
            for attribute in report.get("attributes_and_choices") or ():
                for choice in attribute.get("choices") or ():
                    out.setdefault((report.get("id"), choice.get("id")), (attribute, choice))
        return out

    choices: dict[tuple[Any, Any], tuple[Record, Record]] = res.get(keys.REPORTS(year)).derived("choices", build)
    return choices


def report_rows(cls: type[_ReportRow], parent: Row, route: ReportRoute, report_id: Any,
                args: dict[str, Any], student_id: Any = None) -> list[Any]:
    """A report's rows of ``route`` (one student's, if given) as ``cls`` objects."""
    table = parent.res.get(report_key(route, parent.year, report_id, args))
    found = table.rows if student_id is None else table.group("student_id").get(student_id, ())
    return [cls(raw=r, year=parent.year, res=parent.res, report_id=report_id) for r in found]


def nested(parent: Row, cls: type[Row], field: str) -> list[Any]:
    """``cls`` objects for the dicts of a list in the parent's own record."""
    return [cls(raw=r, year=parent.year, res=parent.res) for r in parent.raw.get(field) or () if isinstance(r, dict)]


# --- the report's own structure (from GET Reports) --------------------------------------------

@strawberry.type(description="A grade type associated with a report at point of publication (GET Reports)." + REPORTS_CLAIM)
class ReportGradeType(Row):
    type: int | None = column("type", "The type of grade. One of the 10 grade types that can be configured in GO.", convert=to_int)
    kind: GradeTypeKind | None = column("type", "The type of grade as a kind (null for a type GO does not define).", convert=grade_kind)
    name: str | None = column("name", "School name of the grade at point of publication.")
    description: str | None = column("description", "Description of the grade at point of publication.")


@strawberry.type(description="A choice available for a report attribute (GET Reports)." + REPORTS_CLAIM)
class ReportAttributeChoice(Row, id="The unique identifier for the choice."):
    name: str | None = column("name", "The name of the choice.")
    points: int | None = column("points", "The point value for the choice.", convert=to_int)
    details: str | None = column("details", "Description of the attribute choice.", convert=to_text)


@strawberry.type(description="An attribute of a report with its available choices, at point of publication (GET Reports)." + REPORTS_CLAIM)
class ReportAttribute(Row, id="The unique identifier for the attribute."):
    name: str | None = column("name", "The name of the attribute.")
    description: str | None = column("description", "The description of the attribute.")
    display_name: str | None = column("display_name", "The display name of the attribute.")

    @strawberry.field(description="The choices for the attribute.")
    def choices(self) -> list[ReportAttributeChoice]:
        return nested(self, ReportAttributeChoice, "choices")


ExclusionsArg = Annotated[bool, strawberry.argument(
    description="Whether students and subjects excluded from the report (take-home report exclusions) "
                "are left out, as GO4Schools does by default; false returns every grade.")]


@strawberry.type(description="A progress report of the year, with its grade types and attributes (GET Reports)." + REPORTS_CLAIM)
class Report(Row, id="The unique identifier for the report."):
    name: str | None = column("name", "The name of the report.")
    year_group: str | None = column("year_group", "The year group that is associated with the report.", convert=to_text)
    enable_comments: bool = column("enable_comments", "States whether the report should have comments added.", convert=bool)
    prepared_at: dt.datetime | None = column("prepared_at", "The date and time when the report was prepared for publication.", convert=to_datetime)
    preferred_target_grade_type: int | None = column(
        "preferred_target_grade_type", "The grade type chosen as preferred target grade (1 to 10).", convert=to_int)
    preferred_progress_grade_type: int | None = column(
        "preferred_progress_grade_type", "The grade type chosen as preferred progress grade (1 to 10).", convert=to_int)
    presentation_name: str | None = column("presentation_name", "The name presented on the report.")
    presentation_date: dt.datetime | None = column("presentation_date", "The date presented on the report.", convert=to_datetime)

    @strawberry.field(description="The grade types associated with the report at point of publication.")
    def grade_types(self) -> list[ReportGradeType]:
        return nested(self, ReportGradeType, "grades")

    @strawberry.field(description="The attributes and their available choices for the report at point of publication.")
    def attributes(self) -> list[ReportAttribute]:
        return nested(self, ReportAttribute, "attributes_and_choices")

    @relation(each_report(keys.REPORT_GRADES), description="The students' grades in each subject of the report (GET Report Grades)." + REPORTS_CLAIM)
    def grades(self, apply_take_home_report_exclusions: ExclusionsArg = True) -> list[ReportGrade]:
        return report_rows(ReportGrade, self, keys.REPORT_GRADES, self.raw.get("id"),
                           {EXCLUSIONS: apply_take_home_report_exclusions})

    @relation(each_report(keys.REPORT_ATTRIBUTES), description="The attribute choices made for students in each subject of the report (GET Report Attributes)." + REPORTS_CLAIM)
    def attribute_values(self) -> list[ReportAttributeValue]:
        return report_rows(ReportAttributeValue, self, keys.REPORT_ATTRIBUTES, self.raw.get("id"), {})

    @relation(each_report(keys.REPORT_COMMENTS), description="The teachers' comments of the report, once prepared for publication (GET Report Comments)." + COMMENTS_CLAIM)
    def comments(self) -> list[ReportComment]:
        return report_rows(ReportComment, self, keys.REPORT_COMMENTS, self.raw.get("id"), {})


# --- per-student rows of one report -----------------------------------------------------------

@strawberry.type
class _ReportRow(Row):
    """What every per-student row of a report carries: the report it belongs to."""

    report_id: strawberry.Private[Any]

    #: What tells one row of a report from another: its subject, student and grade type or choice.
    PLAN_FIELDS = ("subject_id", "student_id", "type", "choice_id")

    @property
    def plan_id(self) -> tuple[Any, ...]:
        return (type(self).__name__, self.report_id, *(self.raw.get(f) for f in self.PLAN_FIELDS))


def _report(self: _ReportRow) -> Report | None:
    return row_by(self.res, keys.REPORTS(self.year), self.report_id)


def report_link(what: str) -> Any:
    """A ``report`` field: the report the row belongs to (GET Reports)."""
    return relation(keys.REPORTS, description=f"The report the {what} belongs to." + REPORTS_CLAIM)(_report)


def _choice(self: _ReportRow, part: int) -> Record:
    found = _choices(self.res, self.year).get((self.report_id, self.raw.get("choice_id")))
    return None if found is None else found[part]


@strawberry.type(description="A student's grade of one grade type in one subject of a report (GET Report Grades)." + REPORTS_CLAIM)
class ReportGrade(_ReportRow):
    report: Report | None = report_link("grade")
    subject: SubjectRef | None = subject_link("The subject of the grade.")
    qan: str | None = column("qan", "The qualification accreditation number.")
    qualification_title: str | None = column("qualification_title", "The name of the qualification.")
    type: int | None = column("type", "The type of grade. One of the 10 grade types that can be configured in GO.", convert=to_int)
    kind: GradeTypeKind | None = column("type", "The type of grade as a kind (null for a type GO does not define).", convert=grade_kind)
    name: str | None = column("name", "The name of the grade.", convert=to_text)
    student: StudentRef | None = student_link("The student the grade is for.")


@strawberry.type(description="A teacher's comment for a student in one subject of a report (GET Report Comments)." + COMMENTS_CLAIM)
class ReportComment(_ReportRow):
    report: Report | None = report_link("comment")
    subject: SubjectRef | None = subject_link("The subject of the comment.")
    student: StudentRef | None = student_link("The student the comment is about.")
    author: str | None = column("author", "The author of the comment.")
    details: str | None = column("details", "The comment entered by the author.", convert=to_text)


@strawberry.type(description="The attribute choice made for a student in one subject of a report (GET Report Attributes)." + REPORTS_CLAIM)
class ReportAttributeValue(_ReportRow):
    report: Report | None = report_link("choice")
    subject: SubjectRef | None = subject_link("The subject the choice was made in.")
    student: StudentRef | None = student_link("The student the choice was made for.")
    choice_id: strawberry.ID | None = column("choice_id", "The unique identifier for the attribute choice.", convert=to_id)

    @relation(keys.REPORTS, description="The choice made, with its name and points (from GET Reports)." + REPORTS_CLAIM)
    def choice(self) -> ReportAttributeChoice | None:
        return _choice(self, 1)

    @relation(keys.REPORTS, description="The attribute the choice belongs to (from GET Reports)." + REPORTS_CLAIM)
    def attribute(self) -> ReportAttribute | None:
        return _choice(self, 0)


# --- fields this domain adds to Student and AcademicYear ----------------------------------------

ReportIdArg = Annotated[strawberry.ID, strawberry.argument(
    description="The report's id (see AcademicYear.reports).")]


@strawberry.type
class StudentReportFields(Row):
    """Fields this domain adds to Student (composed in students.py)."""

    @relation(named_report(keys.REPORT_GRADES), check=_check_report_id, description="The student's grades in one report (GET Report Grades)." + REPORTS_CLAIM)
    def report_grades(self, report_id: ReportIdArg,
                      apply_take_home_report_exclusions: ExclusionsArg = True) -> list[ReportGrade]:
        return report_rows(ReportGrade, self, keys.REPORT_GRADES, parse_id(report_id, "reportId"),
                           {EXCLUSIONS: apply_take_home_report_exclusions}, self.raw.get("id"))

    @relation(named_report(keys.REPORT_COMMENTS), check=_check_report_id, description="The teachers' comments about the student in one report (GET Report Comments)." + COMMENTS_CLAIM)
    def report_comments(self, report_id: ReportIdArg) -> list[ReportComment]:
        return report_rows(ReportComment, self, keys.REPORT_COMMENTS, parse_id(report_id, "reportId"), {},
                           self.raw.get("id"))

    @relation(named_report(keys.REPORT_ATTRIBUTES), check=_check_report_id, description="The attribute choices made for the student in one report (GET Report Attributes)." + REPORTS_CLAIM)
    def report_attributes(self, report_id: ReportIdArg) -> list[ReportAttributeValue]:
        return report_rows(ReportAttributeValue, self, keys.REPORT_ATTRIBUTES, parse_id(report_id, "reportId"), {},
                           self.raw.get("id"))


def _check_report(id: Any) -> None:  # noqa: A002
    parse_id(id, "report id")


@strawberry.type
class AcademicYearReportFields(YearScoped):
    """Fields this domain adds to AcademicYear (composed in academic_year.py)."""

    @relation(keys.REPORTS, description="The progress reports of the year, with their grade types and attributes." + REPORTS_CLAIM)
    def reports(self) -> list[Report]:
        return all_rows(self.res, keys.REPORTS(self.year))

    @relation(keys.REPORTS, check=_check_report,
              description="One progress report by id (null when the year has no such report)." + REPORTS_CLAIM)
    def report(self, id: Annotated[strawberry.ID, strawberry.argument(description="The report's id.")]) -> Report | None:  # noqa: A002
        return row_by(self.res, keys.REPORTS(self.year), parse_id(id, "report id"))
