"""Students: personal details (GET Students) and education details (GET Education Details).

``Student`` is composed here from the fields each domain adds (groups from teaching, marks from
assessment, attendance, behaviour…), so that a domain's fields live with its types. Each field
that reads a resource is one ``@relation``; the education details are one record per student,
so each of their fields is an :func:`edu_column`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, ClassVar

import strawberry

from gateway.categories import Category
from gateway.graph import keys
from gateway.graph.assessment import StudentAssessmentFields
from gateway.graph.attainment import StudentAttainmentFields
from gateway.graph.attendance import StudentAttendanceFields
from gateway.graph.base import parse_id, to_datetime, to_id, to_int, to_text
from gateway.graph.behaviour import StudentBehaviourFields
from gateway.graph.claims import EDU_CLAIM, STUDENTS_CLAIM
from gateway.graph.connections import Connection, connection
from gateway.graph.errors import bad_input
from gateway.graph.lookups import Record, all_rows, row_by
from gateway.graph.pupil import StudentPupilDataFields
from gateway.graph.relation import relation
from gateway.graph.reports import StudentReportFields
from gateway.graph.row import Row, YearScoped, column
from gateway.graph.teaching import StudentTeachingFields
from gateway.graph.timetable import StudentTimetableFields
from gateway.shared.upn import upn_problem

# --- look-ups (records in, records out) -------------------------------------------------------

def edu_record(res: Any, year: int, student_id: Any) -> dict:
    """A student's education details row ({} when GO4Schools has none, or for a missing id)."""
    return row_by(res, keys.EDUCATION_DETAILS(year), student_id, "student_id") or {}


def education_attributes(edu: dict) -> list[Record]:
    """One record per recorded value, with its attribute's fields and the student's id."""
    out = []
    for attr in edu.get("student_education_attributes") or ():
        head = {k: attr.get(k) for k in ("attribute_id", "code", "name", "is_system")}
        for value in attr.get("attribute_values") or ():
            out.append({**head, "student_id": edu.get("student_id"), "value": value.get("value"),
                        "academic_year": value.get("academic_year"), "date": value.get("date")})
    return out


def filtered_students(res: Any, year: int, year_group: str | None, registration_group: str | None,
                      on_roll: bool | None) -> list[Record]:
    rows = all_rows(res, keys.STUDENTS(year))
    if not (year_group or registration_group or on_roll is not None):
        return rows
    edu = res.get(keys.EDUCATION_DETAILS(year)).unique("student_id")
    kept = []
    for raw in rows:
        e = edu.get(raw.get("id")) or {}
        if year_group and str(e.get("national_curriculum_year")) != year_group:
            continue
        if registration_group and e.get("registration_group") != registration_group:
            continue
        if on_roll is not None and bool(e.get("deleted_from_source")) == on_roll:
            continue
        kept.append(raw)
    return kept


def _upn(upn: str) -> str:
    """A UPN argument, normalised and checked (BAD_USER_INPUT before any lookup)."""
    upn = upn.strip().upper()
    problem = upn_problem(upn)
    if problem:
        raise bad_input(f"{upn!r} is not a valid UPN: {problem}")
    return upn


def _one_of_id_or_upn(id: Any = None, upn: str | None = None) -> None:  # noqa: A002
    if (id is None) == (upn is None):
        raise bad_input("Give exactly one of id or upn")
    if upn is not None:
        _upn(upn)
    else:
        parse_id(id, "id")


def _list_reads(year: int, year_group: str | None = None, registration_group: str | None = None,
                on_roll: bool | None = None, **_: Any) -> list[Any]:
    filtered = bool(year_group or registration_group or on_roll is not None)
    return [keys.STUDENTS(year), *([keys.EDUCATION_DETAILS(year)] if filtered else [])]


def _one_reads(year: int, upn: str | None = None, **_: Any) -> list[Any]:
    return [keys.STUDENTS(year), *([keys.EDUCATION_DETAILS(year)] if upn else [])]


# --- types ------------------------------------------------------------------------------------

@strawberry.type(description="A value of an education attribute recorded for a student (GET Education Details).")
class EducationAttribute(Row):
    PLAN_FIELDS: ClassVar[tuple[str, ...]] = ("student_id", "attribute_id", "academic_year", "date", "value")

    attribute_id: strawberry.ID | None = column("attribute_id", "The unique identifier for the attribute.", convert=to_id)
    code: str | None = column("code", "The code for the attribute.")
    name: str | None = column("name", "The name for the attribute.")
    is_system: bool | None = column("is_system", "Whether the attribute is a system attribute (retrieved from the MIS).")
    value: str | None = column("value", "The attribute value recorded at this time for this student.", convert=to_text)
    academic_year: int | None = column("academic_year", "Only populated if this value was timestamped against the requested academic year.",
                                       convert=to_int)
    date: dt.datetime | None = column("date", "The dated timestamp of the value, regardless of academic year, as GO4Schools gives it.",
                                      convert=to_datetime)


def edu_column(field: str, description: str, convert: Callable[[Any], Any] | None = None,
               category: Category | None = None) -> Any:
    """A Student field that shows one value of the student's education details (GET Education
    Details); its type is the class annotation, like :func:`~gateway.graph.row.column`.
    ``category``: the data category it reveals when stricter than the route's (a UPN)."""

    def value(self: Student) -> Any:
        found = edu_record(self.res, self.year, self.raw.get("id")).get(field)
        return found if convert is None else convert(found)

    return relation(keys.EDUCATION_DETAILS, description=description + EDU_CLAIM, category=category)(value)


@strawberry.type(description="A student: personal details from GET Students joined with education details, and every link the data allows." + STUDENTS_CLAIM)
class Student(StudentTeachingFields, StudentTimetableFields, StudentAssessmentFields,
              StudentAttainmentFields, StudentReportFields, StudentAttendanceFields,
              StudentBehaviourFields, StudentPupilDataFields, Row,
              id="The unique identifier for the student (GO4Schools id)."):
    legal_first_name: str | None = column("legal_first_name", "The legal forename of the student.")
    legal_last_name: str | None = column("legal_last_name", "The legal last name of the student.")
    preferred_first_name: str | None = column("preferred_first_name", "The preferred forename of the student.")
    preferred_last_name: str | None = column("preferred_last_name", "The preferred last name of the student.")
    middle_names: str | None = column("middle_names", "Any middle names of the student.")
    date_of_birth: dt.datetime | None = column("date_of_birth", "The date of birth of the student, as GO4Schools gives it (a date and time).",
                                               convert=to_datetime, category=Category.DEMOGRAPHIC)
    sex: str | None = column("sex", "The gender of the student as recorded by the school.", category=Category.DEMOGRAPHIC)
    mis_id: str | None = column("student_mis_id", "The identifier for the student in the school's MIS (non-MIS schools only).",
                                convert=to_text)
    upn: str | None = edu_column("upn", "Unique pupil number for the student (personal data of its own category).",
                                 category=Category.UPN)
    former_upn: str | None = edu_column("former_upn", "The former UPN for the student.", category=Category.UPN)
    year_group: str | None = edu_column("national_curriculum_year", "The year group (National Curriculum year) of the student, e.g. \"10\".")
    registration_group: str | None = edu_column("registration_group", "The registration group of the student.")
    house: str | None = edu_column("house", "The student's house.")
    admission_date: dt.datetime | None = edu_column("admission_date", "The admission date of the student, as GO4Schools gives it (a date and time).",
                                                    convert=to_datetime)
    leaving_date: dt.datetime | None = edu_column("leaving_date", "The leaving date of the student, if they have left, as GO4Schools gives it (a date and time).",
                                                  convert=to_datetime)
    is_leaver: bool = edu_column("deleted_from_source", "The leaver status of the student (deleted_from_source).", convert=bool)

    @property
    def student_id(self) -> Any:
        return self.raw.get("id")

    def edu(self) -> dict:
        """This student's education details row ({} when GO4Schools has none); loaded by the caller."""
        return edu_record(self.res, self.year, self.raw.get("id"))

    @relation(keys.EDUCATION_DETAILS, description="Educational attributes recorded for this student (e.g. proficiency in English)." + EDU_CLAIM)
    def education_attributes(self) -> list[EducationAttribute]:
        return education_attributes(self.edu())


def _year_group_hint(year_group: str | None = None, **_: Any) -> dict[str, Any]:
    """The students of ``students(yearGroup: "9")`` are in year group "9" (education details'
    national_curriculum_year, as filtered_students compares it): their grades are year 9's."""
    return {"year_group": year_group} if year_group else {}


# --- AcademicYear fields ----------------------------------------------------------------------

@strawberry.type
class AcademicYearStudentFields(YearScoped):
    @relation(keys.by_args(_list_reads, "students", "education-details"), hints=_year_group_hint,
              description="The students at school in this academic year (leavers included unless onRoll is given)." + STUDENTS_CLAIM + " Filters need education details.")
    def students(self,
                 year_group: Annotated[str | None, strawberry.argument(
                     description="Only students in this year group (NC year), e.g. \"10\".")] = None,
                 registration_group: Annotated[str | None, strawberry.argument(
                     description="Only students in this registration group, e.g. \"10East\".")] = None,
                 on_roll: Annotated[bool | None, strawberry.argument(
                     description="true: only students still on roll; false: only leavers.")] = None,
                 ) -> list[Student]:
        return filtered_students(self.res, self.year, year_group, registration_group, on_roll)

    students_connection: Connection[Student] = connection(students)

    @relation(keys.by_args(_one_reads, "students", "education-details"), check=_one_of_id_or_upn,
              description="One student, by GO4Schools id or by UPN (exactly one of them)." + STUDENTS_CLAIM)
    def student(self,
                id: Annotated[strawberry.ID | None, strawberry.argument(  # noqa: A002
                    description="The student's GO4Schools id.")] = None,
                upn: Annotated[str | None, strawberry.argument(
                    description="The student's UPN (13 characters, checked before any lookup).")] = None,
                ) -> Student | None:
        if upn is not None:
            edu = row_by(self.res, keys.EDUCATION_DETAILS(self.year), _upn(upn), "upn")
            return None if edu is None else row_by(self.res, keys.STUDENTS(self.year), edu.get("student_id"))
        return row_by(self.res, keys.STUDENTS(self.year), parse_id(id, "id"))
