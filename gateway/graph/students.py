"""Students: personal details (GET Students) and education details (GET Education Details).

``Student`` is composed here from the fields each domain adds (groups from
teaching, marks from assessment, attendance, behaviour…), so that a domain's
fields live with its types.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry

from gateway.graph.assessment import StudentAssessmentFields
from gateway.graph.attainment import StudentAttainmentFields
from gateway.graph.attendance import StudentAttendanceFields
from gateway.graph.base import parse_id, read, rk, to_date
from gateway.graph.behaviour import StudentBehaviourFields
from gateway.graph.context import Info
from gateway.graph.errors import bad_input
from gateway.graph.plan import Scope, planned
from gateway.graph.pupil import StudentPupilDataFields
from gateway.graph.reports import StudentReportFields
from gateway.graph.teaching import StudentTeachingFields
from gateway.graph.timetable import StudentTimetableFields
from gateway.resources.keys import ResourceKey
from gateway.resources.memo import Resources
from gateway.shared.upn import upn_problem

STUDENTS_CLAIM = " Needs the Student-Students (students.read) permission."
EDU_CLAIM = " Needs the Students-Education Details (students.education.read) permission."


def students_key(year: int) -> ResourceKey:
    return rk("students", year)


def edu_key(year: int) -> ResourceKey:
    return rk("education-details", year)


def _edu_needs(scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[ResourceKey]:
    return [edu_key(scope.year)]


def make_student(raw: dict, year: int, res: Resources) -> Student:
    return Student(raw=raw, year=year, res=res)


def students_by_ids(res: Resources, year: int, student_ids: Any) -> list[Student]:
    """Students for upstream ids, in the given order (ids the school does not know are skipped)."""
    by_id = res.get(students_key(year)).unique("id")
    out = []
    for sid in student_ids:
        raw = by_id.get(sid)
        if raw is not None:
            out.append(Student(raw=raw, year=year, res=res))
    return out


def student_by_id(res: Resources, year: int, student_id: Any) -> Student | None:
    raw = res.get(students_key(year)).unique("id").get(student_id)
    return None if raw is None else Student(raw=raw, year=year, res=res)


@strawberry.type(description="A value of an education attribute recorded for a student (GET Education Details).")
class EducationAttribute:
    raw: strawberry.Private[dict]
    attribute: strawberry.Private[dict]

    @strawberry.field(description="The unique identifier for the attribute.")
    def attribute_id(self) -> strawberry.ID | None:
        v = self.attribute.get("attribute_id")
        return None if v is None else strawberry.ID(str(v))

    @strawberry.field(description="The code for the attribute.")
    def code(self) -> str | None:
        return self.attribute.get("code")

    @strawberry.field(description="The name for the attribute.")
    def name(self) -> str | None:
        return self.attribute.get("name")

    @strawberry.field(description="Whether the attribute is a system attribute (retrieved from the MIS).")
    def is_system(self) -> bool | None:
        return self.attribute.get("is_system")

    @strawberry.field(description="The attribute value recorded at this time for this student.")
    def value(self) -> str | None:
        v = self.raw.get("value")
        return None if v is None else str(v)

    @strawberry.field(description="Only populated if this value was timestamped against the requested academic year.")
    def academic_year(self) -> int | None:
        v = self.raw.get("academic_year")
        try:
            return None if v in (None, "") else int(v)
        except (TypeError, ValueError):
            return None

    @strawberry.field(description="The dated timestamp of the value, regardless of academic year.")
    def date(self) -> dt.date | None:
        return to_date(self.raw.get("date"))


@strawberry.type(description="A student: personal details from GET Students joined with education details, and every link the data allows." + STUDENTS_CLAIM)
class Student(StudentTeachingFields, StudentTimetableFields, StudentAssessmentFields,
              StudentAttainmentFields, StudentReportFields, StudentAttendanceFields,
              StudentBehaviourFields, StudentPupilDataFields):
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]

    @property
    def plan_id(self) -> tuple[str, Any]:
        return ("student", self.raw.get("id"))

    @property
    def student_id(self) -> Any:
        return self.raw.get("id")

    def edu(self) -> dict:
        """This student's education details row ({} when GO4Schools has none)."""
        return self.res.get(edu_key(self.year)).unique("student_id").get(self.raw.get("id")) or {}

    @strawberry.field(description="The unique identifier for the student (GO4Schools id).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.raw.get("id")))

    @strawberry.field(description="The legal forename of the student.")
    def legal_first_name(self) -> str | None:
        return self.raw.get("legal_first_name")

    @strawberry.field(description="The legal last name of the student.")
    def legal_last_name(self) -> str | None:
        return self.raw.get("legal_last_name")

    @strawberry.field(description="The preferred forename of the student.")
    def preferred_first_name(self) -> str | None:
        return self.raw.get("preferred_first_name")

    @strawberry.field(description="The preferred last name of the student.")
    def preferred_last_name(self) -> str | None:
        return self.raw.get("preferred_last_name")

    @strawberry.field(description="Any middle names of the student.")
    def middle_names(self) -> str | None:
        return self.raw.get("middle_names")

    @strawberry.field(description="The date of birth of the student.")
    def date_of_birth(self) -> dt.date | None:
        return to_date(self.raw.get("date_of_birth"))

    @strawberry.field(description="The gender of the student as recorded by the school.")
    def sex(self) -> str | None:
        return self.raw.get("sex")

    @strawberry.field(description="The identifier for the student in the school's MIS (non-MIS schools only).")
    def mis_id(self) -> str | None:
        v = self.raw.get("student_mis_id")
        return None if v is None else str(v)

    @strawberry.field(description="Unique pupil number for the student (personal data of its own category)." + EDU_CLAIM)
    @planned(needs=_edu_needs)
    def upn(self) -> str | None:
        return read(self.res, [edu_key(self.year)], lambda: self.edu().get("upn"))

    @strawberry.field(description="The former UPN for the student." + EDU_CLAIM)
    @planned(needs=_edu_needs)
    def former_upn(self) -> str | None:
        return read(self.res, [edu_key(self.year)], lambda: self.edu().get("former_upn"))

    @strawberry.field(description="The year group (National Curriculum year) of the student, e.g. \"10\"." + EDU_CLAIM)
    @planned(needs=_edu_needs)
    def year_group(self) -> str | None:
        return read(self.res, [edu_key(self.year)], lambda: self.edu().get("national_curriculum_year"))

    @strawberry.field(description="The registration group of the student." + EDU_CLAIM)
    @planned(needs=_edu_needs)
    def registration_group(self) -> str | None:
        return read(self.res, [edu_key(self.year)], lambda: self.edu().get("registration_group"))

    @strawberry.field(description="The student's house." + EDU_CLAIM)
    @planned(needs=_edu_needs)
    def house(self) -> str | None:
        return read(self.res, [edu_key(self.year)], lambda: self.edu().get("house"))

    @strawberry.field(description="The admission date of the student." + EDU_CLAIM)
    @planned(needs=_edu_needs)
    def admission_date(self) -> dt.date | None:
        return read(self.res, [edu_key(self.year)], lambda: to_date(self.edu().get("admission_date")))

    @strawberry.field(description="The leaving date of the student, if they have left." + EDU_CLAIM)
    @planned(needs=_edu_needs)
    def leaving_date(self) -> dt.date | None:
        return read(self.res, [edu_key(self.year)], lambda: to_date(self.edu().get("leaving_date")))

    @strawberry.field(description="The leaver status of the student (deleted_from_source)." + EDU_CLAIM)
    @planned(needs=_edu_needs)
    def is_leaver(self) -> bool:
        return read(self.res, [edu_key(self.year)], lambda: bool(self.edu().get("deleted_from_source")))

    @strawberry.field(description="Educational attributes recorded for this student (e.g. proficiency in English)." + EDU_CLAIM)
    @planned(needs=_edu_needs)
    def education_attributes(self) -> list[EducationAttribute]:
        def build() -> list[EducationAttribute]:
            out = []
            for attr in self.edu().get("student_education_attributes") or ():
                for value in attr.get("attribute_values") or ():
                    out.append(EducationAttribute(raw=value, attribute=attr))
            return out
        return read(self.res, [edu_key(self.year)], build)


# --- AcademicYear fields ---------------------------------------------------------------

def _list_needs(scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[ResourceKey]:
    keys = [students_key(scope.year)]
    if args.get("yearGroup") or args.get("registrationGroup") or args.get("onRoll") is not None:
        keys.append(edu_key(scope.year))
    return keys


def _filtered(res: Resources, year: int, year_group: str | None, registration_group: str | None,
              on_roll: bool | None) -> list[Student]:
    rows = res.get(students_key(year)).rows
    if year_group or registration_group or on_roll is not None:
        edu = res.get(edu_key(year)).unique("student_id")
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
        rows = kept
    return [Student(raw=raw, year=year, res=res) for raw in rows]


def _list_expand(scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[Student]:
    return _filtered(scope.resources, scope.year, args.get("yearGroup"),
                     args.get("registrationGroup"), args.get("onRoll"))


def _one_needs(scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[ResourceKey]:
    keys = [students_key(scope.year)]
    if args.get("upn"):
        keys.append(edu_key(scope.year))
    return keys


def _find(res: Resources, year: int, id: Any, upn: str | None) -> Student | None:
    if (id is None) == (upn is None):
        raise bad_input("Give exactly one of id or upn")
    if upn is not None:
        upn = upn.strip().upper()
        problem = upn_problem(upn)
        if problem:
            raise bad_input(f"{upn!r} is not a valid UPN: {problem}")
        edu = res.get(edu_key(year)).unique("upn").get(upn)
        return None if edu is None else student_by_id(res, year, edu.get("student_id"))
    return student_by_id(res, year, parse_id(id, "id"))


def _one_expand(scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[Student]:
    found = _find(scope.resources, scope.year, args.get("id"), args.get("upn"))
    return [found] if found else []


@strawberry.type
class AcademicYearStudentFields:
    @strawberry.field(description="The students at school in this academic year (leavers included unless onRoll is given)." + STUDENTS_CLAIM + " Filters need education details.")
    @planned(needs=_list_needs, expand=_list_expand)
    def students(self, info: Info,
                 year_group: Annotated[str | None, strawberry.argument(
                     description="Only students in this year group (NC year), e.g. \"10\".")] = None,
                 registration_group: Annotated[str | None, strawberry.argument(
                     description="Only students in this registration group, e.g. \"10East\".")] = None,
                 on_roll: Annotated[bool | None, strawberry.argument(
                     description="true: only students still on roll; false: only leavers.")] = None,
                 ) -> list[Student]:
        keys = [students_key(self.year)]  # type: ignore[attr-defined]
        if year_group or registration_group or on_roll is not None:
            keys.append(edu_key(self.year))  # type: ignore[attr-defined]
        return read(self.res, keys, lambda: _filtered(  # type: ignore[attr-defined]
            self.res, self.year, year_group, registration_group, on_roll))  # type: ignore[attr-defined]

    @strawberry.field(description="One student, by GO4Schools id or by UPN (exactly one of them)." + STUDENTS_CLAIM)
    @planned(needs=_one_needs, expand=_one_expand)
    def student(self, info: Info,
                id: Annotated[strawberry.ID | None, strawberry.argument(
                    description="The student's GO4Schools id.")] = None,
                upn: Annotated[str | None, strawberry.argument(
                    description="The student's UPN (13 characters, checked before any lookup).")] = None,
                ) -> Student | None:
        keys = [students_key(self.year)] + ([edu_key(self.year)] if upn else [])  # type: ignore[attr-defined]
        return read(self.res, keys, lambda: _find(self.res, self.year, id, upn))  # type: ignore[attr-defined]
