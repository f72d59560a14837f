"""Departments, subjects, teachers, staff accounts and teaching groups (the Teaching routes, GET Staff).

Each route is one whole-year resource (staff accounts: one for the school), so
links in both directions (Group.students and Student.groups, Group.teachers and
Teacher.groups…) are index look-ups into those tables, built once per request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from gateway.graph.assessment import SubjectAssessmentFields
from gateway.graph.base import parse_id, read, rk, to_date, to_id
from gateway.graph.errors import bad_input
from gateway.graph.plan import Scope, planned
from gateway.graph.timetable import GroupTimetableFields, each_parent, needs
from gateway.resources.keys import ResourceKey
from gateway.resources.memo import Resources

if TYPE_CHECKING:
    from gateway.graph.students import Student

StudentRef = Annotated["Student", strawberry.lazy("gateway.graph.students")]

CURRICULUM_CLAIM = " Needs the Teaching-Curriculum (school.curriculum.read) permission."
TEACHERS_CLAIM = " Needs the Teaching-Teachers (school.teachers.read) permission."
STAFF_CLAIM = " Needs the Users-Staff Accounts (school.accounts.staff.read) permission."
STUDENTS_CLAIM = " Needs the Student-Students (students.read) permission."


# --- keys ---------------------------------------------------------------------------------

def departments_key(year: int) -> ResourceKey:
    return rk("departments", year)


def subjects_key(year: int) -> ResourceKey:
    return rk("subjects", year)


def teachers_key(year: int) -> ResourceKey:
    return rk("teachers", year)


def staff_key(year: int | None = None) -> ResourceKey:
    """GET Staff is one resource for the school, whatever the year (the argument is ignored)."""
    return rk("staff-accounts")


def groups_key(year: int) -> ResourceKey:
    return rk("groups", year)


def group_students_key(year: int) -> ResourceKey:
    return rk("groups-students", year)


def group_teachers_key(year: int) -> ResourceKey:
    return rk("groups-teachers", year)


def _students_key(year: int) -> ResourceKey:
    return rk("students", year)


def _keys(year: int, *makers: Callable[[int], ResourceKey]) -> list[ResourceKey]:
    return [make(year) for make in makers]


# --- look-ups other domains use (each reads tables the caller's plan loaded) -----------------

def group_by_id(res: Resources, year: int, group_id: Any) -> Group | None:
    row = res.get(groups_key(year)).unique("id").get(group_id)
    return None if row is None else Group(raw=row, year=year, res=res)


def group_by_code(res: Resources, year: int, code: Any) -> Group | None:
    if code is None:
        return None
    row = res.get(groups_key(year)).unique("code").get(str(code))
    return None if row is None else Group(raw=row, year=year, res=res)


def groups_by_ids(res: Resources, year: int, group_ids: Iterable[Any]) -> list[Group]:
    by_id = res.get(groups_key(year)).unique("id")
    out = []
    for gid in group_ids:
        row = by_id.get(gid)
        if row is not None:
            out.append(Group(raw=row, year=year, res=res))
    return out


def subject_by_id(res: Resources, year: int, subject_id: Any) -> Subject | None:
    if subject_id is None:
        return None
    row = res.get(subjects_key(year)).unique("id").get(subject_id)
    return None if row is None else Subject(raw=row, year=year, res=res)


def department_by_id(res: Resources, year: int, department_id: Any) -> Department | None:
    if department_id is None:
        return None
    row = res.get(departments_key(year)).unique("id").get(department_id)
    return None if row is None else Department(raw=row, year=year, res=res)


def teacher_by_id(res: Resources, year: int, teacher_id: Any) -> Teacher | None:
    if teacher_id is None:
        return None
    row = res.get(teachers_key(year)).unique("id").get(teacher_id)
    return None if row is None else Teacher(raw=row, year=year, res=res)


def teachers_by_ids(res: Resources, year: int, teacher_ids: Iterable[Any]) -> list[Teacher]:
    by_id = res.get(teachers_key(year)).unique("id")
    out = []
    for tid in dict.fromkeys(teacher_ids):
        row = by_id.get(tid)
        if row is not None:
            out.append(Teacher(raw=row, year=year, res=res))
    return out


def staff_by_id(res: Resources, year: int, staff_id: Any) -> StaffMember | None:
    """A staff account by its id (GET Staff); ``year`` is the year its teacher link reads."""
    if staff_id is None:
        return None
    row = res.get(staff_key()).unique("id").get(staff_id)
    return None if row is None else StaffMember(raw=row, year=year, res=res)


def _students(res: Resources, year: int, student_ids: Iterable[Any]) -> list[Student]:
    from gateway.graph.students import students_by_ids

    return students_by_ids(res, year, dict.fromkeys(student_ids))


# --- relationships (index look-ups) -------------------------------------------------------

def _group_student_ids(group: Any) -> list[Any]:
    row = group.res.get(group_students_key(group.year)).unique("group_id").get(group.raw.get("id"))
    return list((row or {}).get("student_ids") or ())


def _group_teacher_ids(group: Any) -> list[Any]:
    row = group.res.get(group_teachers_key(group.year)).unique("group_id").get(group.raw.get("id"))
    return list((row or {}).get("teacher_ids") or ())


def _group_students(group: Any) -> list[Student]:
    return _students(group.res, group.year, _group_student_ids(group))


def _group_teachers(group: Any) -> list[Teacher]:
    return teachers_by_ids(group.res, group.year, _group_teacher_ids(group))


def _group_subject(group: Any) -> Subject | None:
    return subject_by_id(group.res, group.year, group.raw.get("subject_id"))


def _student_groups(student: Any) -> list[Group]:
    rows = student.res.get(group_students_key(student.year)).group("student_ids").get(student.student_id, [])
    return groups_by_ids(student.res, student.year, dict.fromkeys(r.get("group_id") for r in rows))


def _teacher_groups(teacher: Any) -> list[Group]:
    rows = teacher.res.get(group_teachers_key(teacher.year)).group("teacher_ids").get(teacher.raw.get("id"), [])
    return groups_by_ids(teacher.res, teacher.year, dict.fromkeys(r.get("group_id") for r in rows))


def _subject_groups(subject: Any) -> list[Group]:
    rows = subject.res.get(groups_key(subject.year)).group("subject_id").get(subject.raw.get("id"), [])
    return [Group(raw=r, year=subject.year, res=subject.res) for r in rows]


def _department_subjects(department: Any) -> list[Subject]:
    rows = department.res.get(subjects_key(department.year)).group("department_id").get(department.raw.get("id"), [])
    return [Subject(raw=r, year=department.year, res=department.res) for r in rows]


def _subject_department(subject: Any) -> Department | None:
    return department_by_id(subject.res, subject.year, subject.raw.get("department_id"))


def _teacher_staff(teacher: Any) -> StaffMember | None:
    row = teacher.res.get(staff_key()).unique("teacher_id").get(teacher.raw.get("id"))
    return None if row is None else StaffMember(raw=row, year=teacher.year, res=teacher.res)


def _staff_teacher(staff: Any) -> Teacher | None:
    return teacher_by_id(staff.res, staff.year, staff.raw.get("teacher_id"))


# --- types --------------------------------------------------------------------------------

@strawberry.type(description="A department of the school in the academic year (GET Departments)." + CURRICULUM_CLAIM)
class Department:
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]

    @property
    def plan_id(self) -> tuple[str, Any]:
        return ("department", self.raw.get("id"))

    @strawberry.field(description="The unique identifier for the department.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.raw.get("id")))

    @strawberry.field(description="Department name.")
    def name(self) -> str | None:
        return self.raw.get("name")

    @strawberry.field(description="The subjects that belong to this department (GET Subjects)." + CURRICULUM_CLAIM)
    @planned(needs=needs(subjects_key), expand=each_parent(_department_subjects))
    def subjects(self) -> list[Subject]:
        return read(self.res, _keys(self.year, subjects_key), lambda: _department_subjects(self))


@strawberry.type(description="A subject taught in the academic year, for one year group (GET Subjects)." + CURRICULUM_CLAIM)
class Subject(SubjectAssessmentFields):
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]

    @property
    def plan_id(self) -> tuple[str, Any]:
        return ("subject", self.raw.get("id"))

    @strawberry.field(description="The unique identifier for the subject.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.raw.get("id")))

    @strawberry.field(description="The name of the subject.")
    def name(self) -> str | None:
        return self.raw.get("name")

    @strawberry.field(description="The code of the subject.")
    def code(self) -> str | None:
        return self.raw.get("code")

    @strawberry.field(description="The year group of the subject, e.g. \"10\".")
    def year_group(self) -> str | None:
        v = self.raw.get("year_group")
        return None if v is None else str(v)

    @strawberry.field(description="The Qualification Accreditation Number associated with the subject.")
    def qan(self) -> str | None:
        return self.raw.get("qan")

    @strawberry.field(description="The qualification title associated with the subject.")
    def qualification_title(self) -> str | None:
        return self.raw.get("qualification_title")

    @strawberry.field(description="The scheme name of the subject.")
    def qualification_scheme_name(self) -> str | None:
        return self.raw.get("qualification_scheme_name")

    @strawberry.field(description="Whether the subject is included in the year group statistics.")
    def include_in_stats(self) -> bool | None:
        return self.raw.get("include_in_stats")

    @strawberry.field(description="The department that the subject belongs to (GET Departments)." + CURRICULUM_CLAIM)
    @planned(needs=needs(departments_key), expand=each_parent(_subject_department))
    def department(self) -> Department | None:
        return read(self.res, _keys(self.year, departments_key), lambda: _subject_department(self))

    @strawberry.field(description="The teaching groups of this subject (GET Groups)." + CURRICULUM_CLAIM)
    @planned(needs=needs(groups_key), expand=each_parent(_subject_groups))
    def groups(self) -> list[Group]:
        return read(self.res, _keys(self.year, groups_key), lambda: _subject_groups(self))


@strawberry.type(description="A teacher in the academic year (GET Teachers)." + TEACHERS_CLAIM)
class Teacher:
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]

    @property
    def plan_id(self) -> tuple[str, Any]:
        return ("teacher", self.raw.get("id"))

    @strawberry.field(description="The unique identifier for the teacher.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.raw.get("id")))

    @strawberry.field(description="The title associated with the teacher, e.g. Mrs.")
    def title(self) -> str | None:
        return self.raw.get("title")

    @strawberry.field(description="The forename of the teacher.")
    def first_name(self) -> str | None:
        return self.raw.get("first_name")

    @strawberry.field(description="The surname of the teacher.")
    def last_name(self) -> str | None:
        return self.raw.get("last_name")

    @strawberry.field(description="Preferred forename of the teacher.")
    def preferred_first_name(self) -> str | None:
        return self.raw.get("preferred_first_name")

    @strawberry.field(description="Preferred surname of the teacher.")
    def preferred_last_name(self) -> str | None:
        return self.raw.get("preferred_last_name")

    @strawberry.field(description="The initials of the teacher.")
    def initials(self) -> str | None:
        return self.raw.get("initials")

    @strawberry.field(description="The code associated with the teacher (as used in timetables).")
    def code(self) -> str | None:
        return self.raw.get("code")

    @strawberry.field(description="The teaching groups this teacher is assigned to (GET Groups and Teachers, GET Groups)." + CURRICULUM_CLAIM)
    @planned(needs=needs(group_teachers_key, groups_key), expand=each_parent(_teacher_groups))
    def groups(self) -> list[Group]:
        return read(self.res, _keys(self.year, group_teachers_key, groups_key),
                    lambda: _teacher_groups(self))

    @strawberry.field(description="The teacher's staff user account, if they have one (GET Staff, by teacher_id)." + STAFF_CLAIM)
    @planned(needs=needs(staff_key), expand=each_parent(_teacher_staff))
    def staff_account(self) -> StaffMember | None:
        return read(self.res, [staff_key()], lambda: _teacher_staff(self))


@strawberry.type(description="A staff user account of the school (GET Staff). MIS schools give legal and preferred names; other schools first and last names." + STAFF_CLAIM)
class StaffMember:
    raw: strawberry.Private[dict]
    #: The academic year whose teachers ``teacher`` is read from (GET Staff itself has no year).
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]

    @property
    def plan_id(self) -> tuple[str, Any]:
        return ("staff", self.raw.get("id"))

    @strawberry.field(description="The unique identifier for the staff member.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.raw.get("id")))

    @strawberry.field(description="The email address for the staff member.")
    def email_address(self) -> str | None:
        return self.raw.get("email_address")

    @strawberry.field(description="The forename of the staff member (non-MIS schools only).")
    def first_name(self) -> str | None:
        return self.raw.get("first_name")

    @strawberry.field(description="The surname of the staff member (non-MIS schools only).")
    def last_name(self) -> str | None:
        return self.raw.get("last_name")

    @strawberry.field(description="The legal first name of the staff member (MIS schools only).")
    def legal_first_name(self) -> str | None:
        return self.raw.get("legal_first_name")

    @strawberry.field(description="The legal surname of the staff member (MIS schools only).")
    def legal_last_name(self) -> str | None:
        return self.raw.get("legal_last_name")

    @strawberry.field(description="The preferred first name of the staff member (MIS schools only).")
    def preferred_first_name(self) -> str | None:
        return self.raw.get("preferred_first_name")

    @strawberry.field(description="The preferred surname of the staff member (MIS schools only).")
    def preferred_last_name(self) -> str | None:
        return self.raw.get("preferred_last_name")

    @strawberry.field(description="The display name of the staff member, e.g. Mrs S Jones.")
    def display_name(self) -> str | None:
        return self.raw.get("display_name")

    @strawberry.field(description="The title of the staff member.")
    def title(self) -> str | None:
        return self.raw.get("title")

    @strawberry.field(description="The current status of the staff member.")
    def is_current(self) -> bool | None:
        return self.raw.get("is_current")

    @strawberry.field(description="The corresponding teacher's unique identifier, if the staff member is a teacher.")
    def teacher_id(self) -> strawberry.ID | None:
        return to_id(self.raw.get("teacher_id"))

    @strawberry.field(description="The start date for the teacher (given by MIS schools only).")
    def start_date(self) -> dt.date | None:
        return to_date(self.raw.get("start_date"))

    @strawberry.field(description="The end date for the teacher (given by MIS schools only).")
    def end_date(self) -> dt.date | None:
        return to_date(self.raw.get("end_date"))

    @strawberry.field(description="The teacher this staff member is, in this academic year (GET Teachers, by teacher_id)." + TEACHERS_CLAIM)
    @planned(needs=needs(teachers_key), expand=each_parent(_staff_teacher))
    def teacher(self) -> Teacher | None:
        return read(self.res, _keys(self.year, teachers_key), lambda: _staff_teacher(self))


@strawberry.type(description="A teaching group of a subject (GET Groups)." + CURRICULUM_CLAIM)
class Group(GroupTimetableFields):
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]

    @property
    def plan_id(self) -> tuple[str, Any]:
        return ("group", self.raw.get("id"))

    @strawberry.field(description="The unique identifier for the group.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.raw.get("id")))

    @strawberry.field(description="The name of the group.")
    def name(self) -> str:
        return str(self.raw.get("name") or "")

    @strawberry.field(description="The code of the group, e.g. \"10/Ma1\" (timetabled classes name their group by it).")
    def code(self) -> str:
        return str(self.raw.get("code") or "")

    @strawberry.field(description="The subject that the group belongs to (GET Subjects)." + CURRICULUM_CLAIM)
    @planned(needs=needs(subjects_key), expand=each_parent(_group_subject))
    def subject(self) -> Subject | None:
        return read(self.res, _keys(self.year, subjects_key), lambda: _group_subject(self))

    @strawberry.field(description="The students in this group (GET Groups and Students, GET Students)." + CURRICULUM_CLAIM + STUDENTS_CLAIM)
    @planned(needs=needs(group_students_key, _students_key), expand=each_parent(_group_students))
    def students(self) -> list[StudentRef]:
        return read(self.res, _keys(self.year, group_students_key, _students_key),
                    lambda: _group_students(self))

    @strawberry.field(description="The teachers assigned to this group (GET Groups and Teachers, GET Teachers)." + CURRICULUM_CLAIM + TEACHERS_CLAIM)
    @planned(needs=needs(group_teachers_key, teachers_key), expand=each_parent(_group_teachers))
    def teachers(self) -> list[Teacher]:
        return read(self.res, _keys(self.year, group_teachers_key, teachers_key),
                    lambda: _group_teachers(self))


# --- Student fields -----------------------------------------------------------------------

@strawberry.type
class StudentTeachingFields:
    """Fields this domain adds to Student (composed in students.py)."""

    @strawberry.field(description="The teaching groups this student is in (GET Groups and Students, GET Groups)." + CURRICULUM_CLAIM)
    @planned(needs=needs(group_students_key, groups_key), expand=each_parent(_student_groups))
    def groups(self) -> list[Group]:
        me: Any = self
        return read(me.res, _keys(me.year, group_students_key, groups_key), lambda: _student_groups(me))


# --- AcademicYear fields ------------------------------------------------------------------

def _departments(res: Resources, year: int) -> list[Department]:
    return [Department(raw=r, year=year, res=res) for r in res.get(departments_key(year)).rows]


def _subjects(res: Resources, year: int, year_group: str | None) -> list[Subject]:
    rows = res.get(subjects_key(year)).rows
    if year_group is not None:
        wanted = year_group.strip()
        rows = [r for r in rows if str(r.get("year_group")) == wanted]
    return [Subject(raw=r, year=year, res=res) for r in rows]


def _teachers(res: Resources, year: int) -> list[Teacher]:
    return [Teacher(raw=r, year=year, res=res) for r in res.get(teachers_key(year)).rows]


def _staff(res: Resources, year: int) -> list[StaffMember]:
    return [StaffMember(raw=r, year=year, res=res) for r in res.get(staff_key()).rows]


def _groups(res: Resources, year: int) -> list[Group]:
    return [Group(raw=r, year=year, res=res) for r in res.get(groups_key(year)).rows]


def _find_group(res: Resources, year: int, id: Any, code: str | None) -> Group | None:
    if (id is None) == (code is None):
        raise bad_input("Give exactly one of id or code")
    if code is not None:
        return group_by_code(res, year, code.strip())
    return group_by_id(res, year, parse_id(id, "group id"))


def _group_needs(scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[ResourceKey]:
    # Bad arguments fail here, before any upstream call (the resolver reports them).
    if (args.get("id") is None) == (args.get("code") is None):
        raise bad_input("Give exactly one of id or code")
    return [groups_key(scope.year)]


@strawberry.type
class AcademicYearTeachingFields:
    """Fields this domain adds to AcademicYear (composed in academic_year.py)."""

    @strawberry.field(description="The departments of the school in this academic year." + CURRICULUM_CLAIM)
    @planned(needs=needs(departments_key), expand=lambda s, ps, a: _departments(s.resources, s.year))
    def departments(self) -> list[Department]:
        me: Any = self
        return read(me.res, _keys(me.year, departments_key), lambda: _departments(me.res, me.year))

    @strawberry.field(description="The subjects taught in this academic year (one per subject and year group)." + CURRICULUM_CLAIM)
    @planned(needs=needs(subjects_key),
             expand=lambda s, ps, a: _subjects(s.resources, s.year, a.get("yearGroup")))
    def subjects(self, year_group: Annotated[str | None, strawberry.argument(
            description="Only the subjects of this year group, e.g. \"10\".")] = None) -> list[Subject]:
        me: Any = self
        return read(me.res, _keys(me.year, subjects_key), lambda: _subjects(me.res, me.year, year_group))

    @strawberry.field(description="The teachers in this academic year." + TEACHERS_CLAIM)
    @planned(needs=needs(teachers_key), expand=lambda s, ps, a: _teachers(s.resources, s.year))
    def teachers(self) -> list[Teacher]:
        me: Any = self
        return read(me.res, _keys(me.year, teachers_key), lambda: _teachers(me.res, me.year))

    @strawberry.field(description="The school's staff user accounts (GET Staff: not tied to the academic year)." + STAFF_CLAIM)
    @planned(needs=needs(staff_key), expand=lambda s, ps, a: _staff(s.resources, s.year))
    def staff(self) -> list[StaffMember]:
        me: Any = self
        return read(me.res, [staff_key()], lambda: _staff(me.res, me.year))

    @strawberry.field(description="The teaching groups of every subject in this academic year." + CURRICULUM_CLAIM)
    @planned(needs=needs(groups_key), expand=lambda s, ps, a: _groups(s.resources, s.year))
    def groups(self) -> list[Group]:
        me: Any = self
        return read(me.res, _keys(me.year, groups_key), lambda: _groups(me.res, me.year))

    @strawberry.field(description="One teaching group, by id or by code (exactly one of them); null when the school has no such group." + CURRICULUM_CLAIM)
    @planned(needs=_group_needs,
             expand=lambda s, ps, a: [g for g in [_find_group(s.resources, s.year, a.get("id"), a.get("code"))] if g])
    def group(self,
              id: Annotated[strawberry.ID | None, strawberry.argument(
                  description="The group's GO4Schools id.")] = None,
              code: Annotated[str | None, strawberry.argument(
                  description="The group's code, e.g. \"10/Ma1\".")] = None) -> Group | None:
        me: Any = self
        if (id is None) == (code is None):
            raise bad_input("Give exactly one of id or code")
        return read(me.res, _keys(me.year, groups_key), lambda: _find_group(me.res, me.year, id, code))
