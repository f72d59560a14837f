"""Departments, subjects, teachers, staff accounts and teaching groups (the Teaching routes, GET Staff).

Each route is one whole-year resource (staff accounts: one for the school), so links in both
directions (Group.students and Student.groups, Group.teachers and Teacher.groups…) are index
look-ups into those tables, built once per request. Each link is one ``@relation``: what it
reads and how it finds its records, said once.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from gateway.graph import keys
from gateway.graph.assessment import SubjectAssessmentFields
from gateway.graph.base import parse_id, to_datetime, to_id, to_text
from gateway.graph.claims import CURRICULUM_CLAIM, STAFF_CLAIM, STUDENTS_CLAIM, TEACHERS_CLAIM
from gateway.graph.errors import bad_input
from gateway.graph.lookups import Record, all_rows, row_by, rows_by, rows_where
from gateway.graph.relation import relation
from gateway.graph.row import Row, YearScoped, column, columns
from gateway.graph.timetable import GroupTimetableFields

if TYPE_CHECKING:
    from gateway.graph.students import Student

StudentRef = Annotated["Student", strawberry.lazy("gateway.graph.students")]


# --- look-ups (records in, records out) -------------------------------------------------------

def group_member_ids(res: Any, year: int, group_id: Any, link: keys.YearRoute, ids: str) -> list[Any]:
    """The ids a group links to in a link table (GET Groups and Students / and Teachers)."""
    return list((row_by(res, link(year), group_id, "group_id") or {}).get(ids) or ())


def groups_linking(res: Any, year: int, link: keys.YearRoute, ids: str, member: Any) -> list[Record]:
    """The groups whose link row (``ids``) holds ``member``."""
    rows = rows_where(res, link(year), ids, member)
    return rows_by(res, keys.GROUPS(year), (r.get("group_id") for r in rows))


def _one_of_id_or_code(id: Any = None, code: str | None = None) -> None:  # noqa: A002
    if (id is None) == (code is None):
        raise bad_input("Give exactly one of id or code")


# --- types ------------------------------------------------------------------------------------

@strawberry.type(description="A department of the school in the academic year (GET Departments)." + CURRICULUM_CLAIM)
class Department(Row, id="The unique identifier for the department."):
    name: str | None = column("name", "Department name.")

    @relation(keys.SUBJECTS, description="The subjects that belong to this department (GET Subjects)." + CURRICULUM_CLAIM)
    def subjects(self) -> list[Subject]:
        return rows_where(self.res, keys.SUBJECTS(self.year), "department_id", self.raw.get("id"))


@strawberry.type(description="A subject taught in the academic year, for one year group (GET Subjects)." + CURRICULUM_CLAIM)
class Subject(SubjectAssessmentFields, Row, id="The unique identifier for the subject."):
    name: str | None = column("name", "The name of the subject.")
    code: str | None = column("code", "The code of the subject.")
    year_group: str | None = column("year_group", "The year group of the subject, e.g. \"10\".", convert=to_text)
    qan: str | None = column("qan", "The Qualification Accreditation Number associated with the subject.")
    qualification_title: str | None = column("qualification_title", "The qualification title associated with the subject.")
    qualification_scheme_name: str | None = column("qualification_scheme_name", "The scheme name of the subject.")
    include_in_stats: bool | None = column("include_in_stats", "Whether the subject is included in the year group statistics.")

    @relation(keys.DEPARTMENTS, link="department_id", description="The department that the subject belongs to (GET Departments)." + CURRICULUM_CLAIM)
    def department(self) -> Department | None:
        return row_by(self.res, keys.DEPARTMENTS(self.year), self.raw.get("department_id"))

    @relation(keys.GROUPS, description="The teaching groups of this subject (GET Groups)." + CURRICULUM_CLAIM)
    def groups(self) -> list[Group]:
        return rows_where(self.res, keys.GROUPS(self.year), "subject_id", self.raw.get("id"))


@strawberry.type(description="A teacher in the academic year (GET Teachers)." + TEACHERS_CLAIM)
class Teacher(Row, id="The unique identifier for the teacher."):
    COLUMNS = columns("""
        title                 The title associated with the teacher, e.g. Mrs.
        first_name            The forename of the teacher.
        last_name             The surname of the teacher.
        preferred_first_name  Preferred forename of the teacher.
        preferred_last_name   Preferred surname of the teacher.
        initials              The initials of the teacher.
        code                  The code associated with the teacher (as used in timetables).
    """)

    @relation(keys.GROUP_TEACHERS, keys.GROUPS, description="The teaching groups this teacher is assigned to (GET Groups and Teachers, GET Groups)." + CURRICULUM_CLAIM)
    def groups(self) -> list[Group]:
        return groups_linking(self.res, self.year, keys.GROUP_TEACHERS, "teacher_ids", self.raw.get("id"))

    @relation(keys.STAFF, description="The teacher's staff user account, if they have one (GET Staff, by teacher_id)." + STAFF_CLAIM)
    def staff_account(self) -> StaffMember | None:
        return row_by(self.res, keys.STAFF(), self.raw.get("id"), "teacher_id")


@strawberry.type(description="A staff user account of the school (GET Staff). MIS schools give legal and preferred names; other schools first and last names." + STAFF_CLAIM)
class StaffMember(Row, id="The unique identifier for the staff member."):
    # ``year``: the academic year whose teachers ``teacher`` is read from (GET Staff has none).
    COLUMNS = columns("""
        email_address         The email address for the staff member.
        first_name            The forename of the staff member (non-MIS schools only).
        last_name             The surname of the staff member (non-MIS schools only).
        legal_first_name      The legal first name of the staff member (MIS schools only).
        legal_last_name       The legal surname of the staff member (MIS schools only).
        preferred_first_name  The preferred first name of the staff member (MIS schools only).
        preferred_last_name   The preferred surname of the staff member (MIS schools only).
        display_name          The display name of the staff member, e.g. Mrs S Jones.
        title                 The title of the staff member.
    """)
    is_current: bool | None = column("is_current", "The current status of the staff member.")
    teacher_id: strawberry.ID | None = column("teacher_id", "The corresponding teacher's unique identifier, if the staff member is a teacher.", convert=to_id)
    start_date: dt.datetime | None = column("start_date", "The start date and time for the teacher, as GO4Schools gives it (MIS schools only).", convert=to_datetime)
    end_date: dt.datetime | None = column("end_date", "The end date and time for the teacher, as GO4Schools gives it (MIS schools only).", convert=to_datetime)

    @relation(keys.TEACHERS, link="teacher_id", description="The teacher this staff member is, in this academic year (GET Teachers, by teacher_id)." + TEACHERS_CLAIM)
    def teacher(self) -> Teacher | None:
        return row_by(self.res, keys.TEACHERS(self.year), self.raw.get("teacher_id"))


@strawberry.type(description="A teaching group of a subject (GET Groups)." + CURRICULUM_CLAIM)
class Group(GroupTimetableFields, Row, id="The unique identifier for the group."):
    name: str = column("name", "The name of the group.", convert=lambda v: str(v or ""))
    code: str = column("code", "The code of the group, e.g. \"10/Ma1\" (timetabled classes name their group by it).",
                       convert=lambda v: str(v or ""))

    @relation(keys.SUBJECTS, link="subject_id", description="The subject that the group belongs to (GET Subjects)." + CURRICULUM_CLAIM)
    def subject(self) -> Subject | None:
        return row_by(self.res, keys.SUBJECTS(self.year), self.raw.get("subject_id"))

    @relation(keys.GROUP_STUDENTS, keys.STUDENTS, description="The students in this group (GET Groups and Students, GET Students)." + CURRICULUM_CLAIM + STUDENTS_CLAIM)
    def students(self) -> list[StudentRef]:
        ids = group_member_ids(self.res, self.year, self.raw.get("id"), keys.GROUP_STUDENTS, "student_ids")
        return rows_by(self.res, keys.STUDENTS(self.year), ids)

    @relation(keys.GROUP_TEACHERS, keys.TEACHERS, description="The teachers assigned to this group (GET Groups and Teachers, GET Teachers)." + CURRICULUM_CLAIM + TEACHERS_CLAIM)
    def teachers(self) -> list[Teacher]:
        ids = group_member_ids(self.res, self.year, self.raw.get("id"), keys.GROUP_TEACHERS, "teacher_ids")
        return rows_by(self.res, keys.TEACHERS(self.year), ids)


# --- fields this domain adds to Student and AcademicYear ----------------------------------------

@strawberry.type
class StudentTeachingFields(Row):
    """Fields this domain adds to Student (composed in students.py)."""

    @relation(keys.GROUP_STUDENTS, keys.GROUPS, description="The teaching groups this student is in (GET Groups and Students, GET Groups)." + CURRICULUM_CLAIM)
    def groups(self) -> list[Group]:
        return groups_linking(self.res, self.year, keys.GROUP_STUDENTS, "student_ids", self.raw.get("id"))


@strawberry.type
class AcademicYearTeachingFields(YearScoped):
    """Fields this domain adds to AcademicYear (composed in academic_year.py)."""

    @relation(keys.DEPARTMENTS, description="The departments of the school in this academic year." + CURRICULUM_CLAIM)
    def departments(self) -> list[Department]:
        return all_rows(self.res, keys.DEPARTMENTS(self.year))

    @relation(keys.SUBJECTS, description="The subjects taught in this academic year (one per subject and year group)." + CURRICULUM_CLAIM)
    def subjects(self, year_group: Annotated[str | None, strawberry.argument(
            description="Only the subjects of this year group, e.g. \"10\".")] = None) -> list[Subject]:
        rows = all_rows(self.res, keys.SUBJECTS(self.year))
        if year_group is not None:
            wanted = year_group.strip()
            rows = [r for r in rows if str(r.get("year_group")) == wanted]
        return rows

    @relation(keys.TEACHERS, description="The teachers in this academic year." + TEACHERS_CLAIM)
    def teachers(self) -> list[Teacher]:
        return all_rows(self.res, keys.TEACHERS(self.year))

    @relation(keys.STAFF, description="The school's staff user accounts (GET Staff: not tied to the academic year)." + STAFF_CLAIM)
    def staff(self) -> list[StaffMember]:
        return all_rows(self.res, keys.STAFF())

    @relation(keys.GROUPS, description="The teaching groups of every subject in this academic year." + CURRICULUM_CLAIM)
    def groups(self) -> list[Group]:
        return all_rows(self.res, keys.GROUPS(self.year))

    @relation(keys.GROUPS, check=_one_of_id_or_code,
              description="One teaching group, by id or by code (exactly one of them); null when the school has no such group." + CURRICULUM_CLAIM)
    def group(self,
              id: Annotated[strawberry.ID | None, strawberry.argument(  # noqa: A002
                  description="The group's GO4Schools id.")] = None,
              code: Annotated[str | None, strawberry.argument(
                  description="The group's code, e.g. \"10/Ma1\".")] = None) -> Group | None:
        if code is not None:
            return row_by(self.res, keys.GROUPS(self.year), code.strip(), "code")
        return row_by(self.res, keys.GROUPS(self.year), parse_id(id, "group id"))
