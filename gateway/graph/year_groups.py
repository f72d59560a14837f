"""Year groups: built from GO4Schools education details, enriched by Assembly where a school has it.

Assembly and GO4Schools ids differ, so Assembly's students are matched to
GO4Schools students by UPN; Assembly students with no match are listed in
``unmatchedStudents`` rather than dropped. An Assembly failure (say a 401) is an
error on the Assembly fields only; ``students`` then falls back to GO4Schools'
own list, so the rest of the query is still answered. ``yearGroups(yearCode:)`` sends
Assembly's ``year_code`` filter; ``assemblyYearGroup(id:)`` is Assembly's "View a Year Group".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from gateway.categories import Category
from gateway.graph import keys
from gateway.graph.base import parse_id, to_date, to_datetime, to_id
from gateway.graph.claims import EDU_CLAIM
from gateway.graph.errors import bad_input
from gateway.graph.lookups import Record, rows_by
from gateway.graph.relation import relation
from gateway.graph.row import Row, YearScoped, column
from gateway.resources.keys import ResourceKey
from gateway.resources.memo import Resources
from gateway.upstream.errors import UpstreamError
from gateway.upstream.routes import ASSEMBLY as ASSEMBLY_SOURCE

if TYPE_CHECKING:
    from gateway.graph.students import Student

StudentRef = Annotated["Student", strawberry.lazy("gateway.graph.students")]
ASSEMBLY = (" From Assembly (needs a school-scoped Assembly token with the school scope); null "
            "when Assembly is not configured for this school or for other than its current year.")
_GROUPS, _GROUP, _GROUP_STUDENTS = (keys.ASSEMBLY_YEAR_GROUPS.route, keys.ASSEMBLY_YEAR_GROUP.route,
                                    keys.ASSEMBLY_YEAR_GROUP_STUDENTS.route)


def _year_group_sort(code: str) -> tuple[int, str]:
    return (int(code), code) if code.isdigit() else (999, code)


@strawberry.type(description="A student as Assembly lists them, when no GO4Schools student has their UPN.")
class AssemblyStudent(Row):
    assembly_id: strawberry.ID = column("id", "Assembly's id for the student (not a GO4Schools id).",
                                        convert=lambda v: strawberry.ID(str(v)))
    upn: str | None = column("upn", "The student's UPN as Assembly holds it.", category=Category.UPN)
    first_name: str | None = column("first_name", "First name.")
    middle_name: str | None = column("middle_name", "Middle name.")
    last_name: str | None = column("last_name", "Last name.")
    dob: dt.date | None = column("dob", "Date of birth.", convert=to_date, category=Category.DEMOGRAPHIC)


def _assembly_keys(group: YearGroup) -> list[ResourceKey]:
    return [group.source or keys.ASSEMBLY_YEAR_GROUPS()] if group.assembly else []


#: What a year group's Assembly fields read: the Assembly listing (or view) it came from.
ASSEMBLY_ROW = keys.per_parent(_assembly_keys, _GROUPS, _GROUP)


def _assembly_field(name: str, graphql_type: Any, description: str, convert: Any = None) -> Any:
    """A field of the group's Assembly row (null without Assembly)."""

    @relation(ASSEMBLY_ROW, description=description + ASSEMBLY, graphql_type=graphql_type)
    def value(self: YearGroup) -> Any:
        found = (self.assembly_row() or {}).get(name)
        return found if convert is None or found is None else convert(found)

    return value


def _ids(values: Any) -> list[strawberry.ID]:
    return [strawberry.ID(str(i)) for i in values]


def _students_keys(scope: Any, parents: Sequence[Any], args: dict[str, Any]) -> list[ResourceKey]:
    out = [keys.STUDENTS(scope.year), keys.EDUCATION_DETAILS(scope.year)]
    for parent in parents:
        if not parent.assembly:
            continue
        try:
            row = parent.assembly_row()
        except (UpstreamError, LookupError):
            continue
        if row is not None:
            out.append(keys.ASSEMBLY_YEAR_GROUP_STUDENTS(row.get("id")))
    return out


#: What a year group's students read: GO4Schools' students and education details, and
#: Assembly's students of the group where Assembly applies (known once its listing is in).
STUDENTS = keys.Keyed(_students_keys, routes=("students", "education-details", _GROUP_STUDENTS))


@strawberry.type(description="A year group (NC year) of the school: its students from GO4Schools education details, and Assembly's id, name, dates and supervisors where the school has Assembly." + EDU_CLAIM)
class YearGroup:
    code_value: strawberry.Private[str]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]
    assembly: strawberry.Private[bool]
    #: The Assembly resource this group's Assembly row comes from (a listing or a view).
    source: strawberry.Private[ResourceKey | None] = None

    @property
    def plan_id(self) -> tuple[str, str]:
        return ("year-group", self.code_value)

    def assembly_row(self) -> dict[str, Any] | None:
        """Assembly's year group (raises Assembly's error); None without Assembly."""
        if not self.assembly:
            return None
        return self.res.get(self.source or keys.ASSEMBLY_YEAR_GROUPS()).unique("code").get(self.code_value)

    @strawberry.field(description="The NC year code, e.g. \"10\" (from GO4Schools education details).")
    def code(self) -> str:
        return self.code_value

    name = _assembly_field("name", str | None, "Assembly's name for the year group, e.g. \"Year 10\".")
    assembly_id = _assembly_field("id", strawberry.ID | None, "Assembly's id for the year group.", to_id)
    start_date = _assembly_field("start_date", dt.datetime | None, "The start of the year group's academic year: a date and time (UTC), as Assembly gives it.", to_datetime)
    end_date = _assembly_field("end_date", dt.datetime | None, "The end of the year group's academic year: a date and time (UTC), as Assembly gives it (e.g. 23:59 on its last day).", to_datetime)
    assembly_student_ids = _assembly_field("student_ids", list[strawberry.ID] | None, "Assembly ids of the students in the year group (Assembly's student_ids; not GO4Schools ids).", _ids)
    supervisor_ids = _assembly_field("supervisor_ids", list[strawberry.ID] | None, "Assembly staff ids of the year group's supervisors (needs the staff_members scope).", _ids)

    def _assembly_students(self) -> list[Record] | None:
        """Assembly's students of this group, or None (no Assembly, or Assembly failed)."""
        if not self.assembly:
            return None
        try:
            row = self.assembly_row()
            if row is None:
                return None
            return self.res.get(keys.ASSEMBLY_YEAR_GROUP_STUDENTS(row.get("id"))).rows
        except UpstreamError:
            return None

    @relation(STUDENTS, description="The students of the year group: Assembly's list matched to GO4Schools students by UPN where Assembly is configured, else GO4Schools' own." + EDU_CLAIM)
    def students(self) -> list[StudentRef]:
        edu = self.res.get(keys.EDUCATION_DETAILS(self.year))
        listed = self._assembly_students()
        if listed is None:
            ids = [e.get("student_id") for e in edu.group("national_curriculum_year").get(self.code_value, ())]
        else:
            by_upn = edu.unique("upn")
            ids = [by_upn[s["upn"]].get("student_id") for s in listed if s.get("upn") in by_upn]
        return rows_by(self.res, keys.STUDENTS(self.year), ids)

    @relation(STUDENTS, description="Assembly students of this year group whose UPN matches no GO4Schools student; null without Assembly." + ASSEMBLY)
    def unmatched_students(self) -> list[AssemblyStudent] | None:
        listed = self._assembly_students()
        if listed is None:
            if self.assembly:
                self.assembly_row()  # re-raise Assembly's error on this field
            return None
        by_upn = self.res.get(keys.EDUCATION_DETAILS(self.year)).unique("upn")
        return [s for s in listed if s.get("upn") not in by_upn]


def _assembly_applies(ay: Any) -> bool:
    return (ay.res.tenant.assembly is not None and ay.res.store.serves(ASSEMBLY_SOURCE)
            and int(ay.school_raw.get("current_academic_year") or 0) == ay.year)


def _year_code(value: Any) -> str | None:
    """The yearCode argument: an NC year code such as "10" (BAD_USER_INPUT otherwise)."""
    if value is None:
        return None
    text = str(value).strip()
    if not text or len(text) > 10 or not text.replace("-", "").isalnum():
        raise bad_input("yearCode must be an NC year code, e.g. \"10\"")
    return text


def _groups_keys(scope: Any, parents: Sequence[Any], args: dict[str, Any]) -> list[ResourceKey]:
    out = [keys.EDUCATION_DETAILS(scope.year)]
    if parents and _assembly_applies(parents[0]):
        out.append(keys.ASSEMBLY_YEAR_GROUPS(_year_code(args.get("year_code"))))
    return out


def _view_keys(scope: Any, parents: Sequence[Any], args: dict[str, Any]) -> list[ResourceKey]:
    out = [keys.EDUCATION_DETAILS(scope.year)]
    if parents and _assembly_applies(parents[0]):
        out.append(keys.ASSEMBLY_YEAR_GROUP(parse_id(args.get("id"), "id")))
    return out


GROUPS = keys.Keyed(_groups_keys, routes=("education-details", _GROUPS))
VIEW = keys.Keyed(_view_keys, routes=("education-details", _GROUP))


def _year_groups(ay: Any, year_code: str | None = None) -> list[YearGroup]:
    applies = _assembly_applies(ay)
    source = keys.ASSEMBLY_YEAR_GROUPS(year_code)
    codes = {str(c) for c in ay.res.get(keys.EDUCATION_DETAILS(ay.year)).group("national_curriculum_year")}
    if applies:
        try:
            codes |= {str(g.get("code")) for g in ay.res.get(source).rows if g.get("code")}
        except UpstreamError:
            pass
    if year_code is not None:
        codes &= {year_code}
    return [YearGroup(code_value=c, year=ay.year, res=ay.res, assembly=applies, source=source)
            for c in sorted(codes, key=_year_group_sort)]


@strawberry.type
class AcademicYearYearGroupFields(YearScoped):
    school_raw: strawberry.Private[dict[str, Any]]

    @relation(GROUPS, description="The year groups of the school in this year (NC years from education details), enriched by Assembly where configured. With yearCode, only that year group, and Assembly is asked with its year_code filter." + EDU_CLAIM)
    def year_groups(self, year_code: Annotated[str | None, strawberry.argument(description="Only this NC year code, e.g. \"10\" (sent to Assembly as its year_code filter).")] = None) -> list[YearGroup]:
        return _year_groups(self, _year_code(year_code))

    @relation(VIEW, description="One year group by its Assembly id (Assembly's View a Year Group); null without Assembly for this school and year." + ASSEMBLY)
    def assembly_year_group(self, id: Annotated[strawberry.ID, strawberry.argument(description="Assembly's id of the year group (YearGroup.assemblyId).")]) -> YearGroup | None:  # noqa: A002
        """View a Year Group: None without Assembly or when it lists no such group; Assembly's
        error (a 404 for an unknown id reads NOT_FOUND) on this field otherwise."""
        if not _assembly_applies(self):
            return None
        source = keys.ASSEMBLY_YEAR_GROUP(parse_id(id, "id"))
        rows = self.res.get(source).rows
        if not rows or rows[0].get("code") is None:
            return None
        return YearGroup(code_value=str(rows[0]["code"]), year=self.year, res=self.res, assembly=True,
                         source=source)

    @relation(GROUPS, description="One year group by its NC year code, e.g. \"10\"; null when the school has none." + EDU_CLAIM)
    def year_group(self, code: Annotated[str, strawberry.argument(description="The NC year code, e.g. \"10\".")]) -> YearGroup | None:
        return next((g for g in _year_groups(self) if g.code_value == code), None)
