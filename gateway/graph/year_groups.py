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
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from gateway.graph.base import parse_id, read, to_date, to_datetime, to_id
from gateway.graph.context import Info
from gateway.graph.errors import bad_input
from gateway.graph.plan import Scope, planned
from gateway.resources.keys import ResourceKey
from gateway.resources.keys import key as rk
from gateway.resources.memo import Resources
from gateway.upstream.errors import UpstreamError
from gateway.upstream.routes import ASSEMBLY as ASSEMBLY_SOURCE

if TYPE_CHECKING:
    from gateway.graph.students import Student

StudentRef = Annotated["Student", strawberry.lazy("gateway.graph.students")]
EDU_CLAIM = " Needs the Students-Education Details (students.education.read) permission."
ASSEMBLY = (" From Assembly (needs a school-scoped Assembly token with the school scope); null "
            "when Assembly is not configured for this school or for other than its current year.")


def groups_key(year_code: str | None = None) -> ResourceKey:
    """List Year Groups, filtered by Assembly's ``year_code`` when one is given."""
    return rk("assembly-year-groups", None, year_code or None)


def group_key(group_id: Any) -> ResourceKey:
    """View a Year Group: one group by its Assembly id."""
    return rk("assembly-year-group", None, group_id)


def group_students_key(group_id: Any) -> ResourceKey:
    return rk("assembly-year-group-students", None, group_id)


def _year_group_sort(code: str) -> tuple[int, str]:
    return (int(code), code) if code.isdigit() else (999, code)


def _edu(year: int) -> ResourceKey:
    from gateway.graph.students import edu_key

    return edu_key(year)


def _students(year: int) -> ResourceKey:
    from gateway.graph.students import students_key

    return students_key(year)


@strawberry.type(description="A student as Assembly lists them, when no GO4Schools student has their UPN.")
class AssemblyStudent:
    raw: strawberry.Private[dict]

    @strawberry.field(description="Assembly's id for the student (not a GO4Schools id).")
    def assembly_id(self) -> strawberry.ID:
        return strawberry.ID(str(self.raw.get("id")))

    @strawberry.field(description="The student's UPN as Assembly holds it.")
    def upn(self) -> str | None:
        return self.raw.get("upn")

    @strawberry.field(description="First name.")
    def first_name(self) -> str | None:
        return self.raw.get("first_name")

    @strawberry.field(description="Middle name.")
    def middle_name(self) -> str | None:
        return self.raw.get("middle_name")

    @strawberry.field(description="Last name.")
    def last_name(self) -> str | None:
        return self.raw.get("last_name")

    @strawberry.field(description="Date of birth.")
    def dob(self) -> dt.date | None:
        return to_date(self.raw.get("dob"))


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

    def assembly_row(self) -> dict | None:
        """Assembly's year group (raises Assembly's error); None without Assembly."""
        if not self.assembly:
            return None
        return self.res.get(self.source or groups_key()).unique("code").get(self.code_value)

    @strawberry.field(description="The NC year code, e.g. \"10\" (from GO4Schools education details).")
    def code(self) -> str:
        return self.code_value

    @strawberry.field(description="Assembly's name for the year group, e.g. \"Year 10\"." + ASSEMBLY)
    def name(self) -> str | None:
        return read(self.res, self._assembly_keys(), lambda: (self.assembly_row() or {}).get("name"))

    @strawberry.field(description="Assembly's id for the year group." + ASSEMBLY)
    def assembly_id(self) -> strawberry.ID | None:
        return read(self.res, self._assembly_keys(), lambda: to_id((self.assembly_row() or {}).get("id")))

    @strawberry.field(description="The start of the year group's academic year: a date and time (UTC), as Assembly gives it." + ASSEMBLY)
    def start_date(self) -> dt.datetime | None:
        return read(self.res, self._assembly_keys(),
                    lambda: to_datetime((self.assembly_row() or {}).get("start_date")))

    @strawberry.field(description="The end of the year group's academic year: a date and time (UTC), as Assembly gives it (e.g. 23:59 on its last day)." + ASSEMBLY)
    def end_date(self) -> dt.datetime | None:
        return read(self.res, self._assembly_keys(),
                    lambda: to_datetime((self.assembly_row() or {}).get("end_date")))

    @strawberry.field(description="Assembly ids of the students in the year group (Assembly's student_ids; not GO4Schools ids)." + ASSEMBLY)
    def assembly_student_ids(self) -> list[strawberry.ID] | None:
        def build() -> list[strawberry.ID] | None:
            row = self.assembly_row()
            if row is None:
                return None
            return [strawberry.ID(str(i)) for i in row.get("student_ids") or ()]
        return read(self.res, self._assembly_keys(), build)

    @strawberry.field(description="Assembly staff ids of the year group's supervisors (needs the staff_members scope)." + ASSEMBLY)
    def supervisor_ids(self) -> list[strawberry.ID] | None:
        def build() -> list[strawberry.ID] | None:
            row = self.assembly_row()
            if row is None:
                return None
            return [strawberry.ID(str(i)) for i in row.get("supervisor_ids") or ()]
        return read(self.res, self._assembly_keys(), build)

    def _assembly_keys(self) -> list[ResourceKey]:
        return [self.source or groups_key()] if self.assembly else []

    def _assembly_students(self) -> list[dict] | None:
        """Assembly's students of this group, or None (no Assembly, or Assembly failed)."""
        if not self.assembly:
            return None
        try:
            row = self.assembly_row()
            if row is None:
                return None
            return self.res.get(group_students_key(row.get("id"))).rows
        except UpstreamError:
            return None

    @strawberry.field(description="The students of the year group: Assembly's list matched to GO4Schools students by UPN where Assembly is configured, else GO4Schools' own." + EDU_CLAIM)
    @planned(needs=lambda scope, parents, args: _students_needs(scope, parents),
             expand=lambda scope, parents, args: [s for p in parents for s in p.students_now()])
    def students(self, info: Info) -> list[StudentRef]:
        return read(self.res, [_students(self.year), _edu(self.year)], self.students_now)

    def students_now(self) -> list[Student]:
        from gateway.graph.students import students_by_ids

        edu = self.res.get(_edu(self.year))
        listed = self._assembly_students()
        if listed is None:
            ids = [e.get("student_id") for e in edu.group("national_curriculum_year").get(self.code_value, ())]
        else:
            by_upn = edu.unique("upn")
            ids = [by_upn[s["upn"]].get("student_id") for s in listed if s.get("upn") in by_upn]
        return students_by_ids(self.res, self.year, ids)

    @strawberry.field(description="Assembly students of this year group whose UPN matches no GO4Schools student; null without Assembly." + ASSEMBLY)
    @planned(needs=lambda scope, parents, args: _students_needs(scope, parents))
    def unmatched_students(self) -> list[AssemblyStudent] | None:
        def build() -> list[AssemblyStudent] | None:
            listed = self._assembly_students()
            if listed is None:
                if self.assembly:
                    self.assembly_row()  # re-raise Assembly's error on this field
                return None
            by_upn = self.res.get(_edu(self.year)).unique("upn")
            return [AssemblyStudent(raw=s) for s in listed if s.get("upn") not in by_upn]
        return read(self.res, [_edu(self.year)], build)


def _students_needs(scope: Scope, parents: list[Any]) -> list[ResourceKey]:
    keys = [_students(scope.year), _edu(scope.year)]
    res = scope.resources
    for parent in parents:
        if not parent.assembly:
            continue
        try:
            row = parent.assembly_row()
        except (UpstreamError, LookupError):
            continue
        if row is not None:
            keys.append(group_students_key(row.get("id")))
    return keys if res is not None else keys


def _assembly_applies(ay: Any) -> bool:
    return (ay.res.tenant.assembly is not None and ay.res.store.serves(ASSEMBLY_SOURCE)
            and int(ay.school_raw.get("current_academic_year") or 0) == ay.year)


def _groups_needs(scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[ResourceKey]:
    keys = [_edu(scope.year)]
    if parents and _assembly_applies(parents[0]):
        keys.append(groups_key(_year_code(args.get("yearCode"))))
    return keys


def _year_code(value: Any) -> str | None:
    """The yearCode argument: an NC year code such as "10" (BAD_USER_INPUT otherwise)."""
    if value is None:
        return None
    text = str(value).strip()
    if not text or len(text) > 10 or not text.replace("-", "").isalnum():
        raise bad_input("yearCode must be an NC year code, e.g. \"10\"")
    return text


def _year_groups(ay: Any, year_code: str | None = None) -> list[YearGroup]:
    applies = _assembly_applies(ay)
    source = groups_key(year_code)
    codes = {str(c) for c in ay.res.get(_edu(ay.year)).group("national_curriculum_year")}
    if applies:
        try:
            codes |= {str(g.get("code")) for g in ay.res.get(source).rows if g.get("code")}
        except UpstreamError:
            pass
    if year_code is not None:
        codes &= {year_code}
    return [YearGroup(code_value=c, year=ay.year, res=ay.res, assembly=applies, source=source)
            for c in sorted(codes, key=_year_group_sort)]


def _view_needs(scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[ResourceKey]:
    keys = [_edu(scope.year)]
    if parents and _assembly_applies(parents[0]):
        keys.append(group_key(parse_id(args.get("id"), "id")))
    return keys


def _viewed_group(ay: Any, group_id: Any) -> YearGroup | None:
    """View a Year Group: None without Assembly or when it lists no such group; Assembly's
    error (a 404 for an unknown id reads NOT_FOUND) on this field otherwise."""
    if not _assembly_applies(ay):
        return None
    source = group_key(parse_id(group_id, "id"))
    rows = ay.res.get(source).rows
    if not rows or rows[0].get("code") is None:
        return None
    return YearGroup(code_value=str(rows[0]["code"]), year=ay.year, res=ay.res, assembly=True,
                     source=source)


@strawberry.type
class AcademicYearYearGroupFields:
    @strawberry.field(description="The year groups of the school in this year (NC years from education details), enriched by Assembly where configured. With yearCode, only that year group, and Assembly is asked with its year_code filter." + EDU_CLAIM)
    @planned(needs=_groups_needs,
             expand=lambda scope, parents, args: _year_groups(parents[0], _year_code(args.get("yearCode"))))
    def year_groups(self, year_code: Annotated[str | None, strawberry.argument(description="Only this NC year code, e.g. \"10\" (sent to Assembly as its year_code filter).")] = None) -> list[YearGroup]:
        return read(self.res, [_edu(self.year)],  # type: ignore[attr-defined]
                    lambda: _year_groups(self, _year_code(year_code)))

    @strawberry.field(description="One year group by its Assembly id (Assembly's View a Year Group); null without Assembly for this school and year." + ASSEMBLY)
    @planned(needs=_view_needs,
             expand=lambda scope, parents, args: [g for g in [_viewed_group(parents[0], args.get("id"))] if g])
    def assembly_year_group(self, id: Annotated[strawberry.ID, strawberry.argument(description="Assembly's id of the year group (YearGroup.assemblyId).")]) -> YearGroup | None:
        keys = [group_key(parse_id(id, "id"))] if _assembly_applies(self) else []
        return read(self.res, keys, lambda: _viewed_group(self, id))  # type: ignore[attr-defined]

    @strawberry.field(description="One year group by its NC year code, e.g. \"10\"; null when the school has none." + EDU_CLAIM)
    @planned(needs=_groups_needs,
             expand=lambda scope, parents, args: [g for g in _year_groups(parents[0]) if g.code_value == args.get("code")])
    def year_group(self, code: Annotated[str, strawberry.argument(description="The NC year code, e.g. \"10\".")]) -> YearGroup | None:
        return read(self.res, [_edu(self.year)],  # type: ignore[attr-defined]
                    lambda: next((g for g in _year_groups(self) if g.code_value == code), None))
