"""Markbooks, marksheets, markslots, marks and marksheet grades (the Assessment routes).

The markbook structure (GET Markbooks) is one resource; marks (GET Marks) and
marksheet grades (GET Marksheets) are one resource each for the whole year, so
a marks grid of any size costs those pages and nothing more. Each link is one
``@relation``: what it reads and how it finds its records, said once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import strawberry

from gateway.graph import keys
from gateway.graph.base import parse_id
from gateway.graph.claims import CURRICULUM_CLAIM, MARKBOOK_CLAIM, MARKS_CLAIM, SHEET_GRADES_CLAIM
from gateway.graph.connections import Connection, connection
from gateway.graph.links import StudentRef, SubjectRef, student_link
from gateway.graph.lookups import Record, all_rows, row_by, rows_where
from gateway.graph.relation import relation
from gateway.graph.row import Row, YearScoped, column
from gateway.resources.memo import Resources
from gateway.resources.normalise import to_float
from gateway.resources.table import Table

# --- look-ups (records in, records out) -------------------------------------------------------
# GET Markbooks is one table of markbooks; its marksheets and markslots are tables in its meta.


def _part(res: Resources, year: int, part: str) -> Table:
    table: Table = res.get(keys.MARKBOOKS(year)).meta[part]
    return table


def marksheet_rows(res: Resources, year: int, field: str, value: Any) -> list[Record]:
    return list(_part(res, year, "marksheets").group(field).get(value, ()))


def markslot_rows(res: Resources, year: int, field: str, value: Any) -> list[Record]:
    return list(_part(res, year, "markslots").group(field).get(value, ()))


def marksheet_row(res: Resources, year: int, marksheet_id: Any) -> Record:
    return _part(res, year, "marksheets").unique("id").get(marksheet_id)


def markslot_row(res: Resources, year: int, markslot_id: Any) -> Record:
    return _part(res, year, "markslots").unique("id").get(markslot_id)


def _marksheet(self: Row) -> Marksheet:
    return marksheet_row(self.res, self.year, self.raw.get("marksheet_id"))


def _markslot(self: Row) -> Markslot:
    return markslot_row(self.res, self.year, self.raw.get("markslot_id"))


def _text(value: Any) -> str:
    return str(value or "")


def _id_check(what: str) -> Callable[..., None]:
    """A ``check`` for an ``id`` argument: a clear BAD_USER_INPUT before any upstream call."""

    def check(id: Any) -> None:  # noqa: A002
        parse_id(id, what)

    return check


# --- types ------------------------------------------------------------------------------------

@strawberry.type(description="A subject's markbook: its marksheets and their markslots (GET Markbooks)." + MARKBOOK_CLAIM)
class Markbook(Row, id="The unique identifier for the markbook. A subject is associated with a single markbook and they share the same Id."):
    @relation(keys.SUBJECTS, description="The subject this markbook belongs to (same id)." + CURRICULUM_CLAIM)
    def subject(self) -> SubjectRef | None:
        return row_by(self.res, keys.SUBJECTS(self.year), self.raw.get("id"))

    @relation(keys.MARKBOOKS, description="The marksheets within the markbook." + MARKBOOK_CLAIM)
    def marksheets(self) -> list[Marksheet]:
        return marksheet_rows(self.res, self.year, "markbook_id", self.raw.get("id"))


@strawberry.type(description="A marksheet within a markbook, holding markslots (assessments) (GET Markbooks)." + MARKBOOK_CLAIM)
class Marksheet(Row, id="The unique identifier for the marksheet."):
    name: str = column("name", "The name of the marksheet.", convert=_text)

    @relation(keys.MARKBOOKS, link="markbook_id", description="The markbook the marksheet belongs to." + MARKBOOK_CLAIM)
    def markbook(self) -> Markbook:
        return row_by(self.res, keys.MARKBOOKS(self.year), self.raw.get("markbook_id"))

    @relation(keys.MARKBOOKS, description="The markslots (assessments) within the marksheet." + MARKBOOK_CLAIM)
    def markslots(self) -> list[Markslot]:
        return markslot_rows(self.res, self.year, "marksheet_id", self.raw.get("id"))

    @relation(keys.MARKSHEET_GRADES, description="Grades achieved by students for this marksheet (GET Marksheets)." + SHEET_GRADES_CLAIM)
    def grades(self) -> list[MarksheetGrade]:
        return rows_where(self.res, keys.MARKSHEET_GRADES(self.year), "marksheet_id", self.raw.get("id"))


@strawberry.type(description="A markslot: one assessment within a marksheet (GET Markbooks)." + MARKBOOK_CLAIM)
class Markslot(Row, id="The unique identifier for the markslot (assessment)."):
    name: str = column("name", "The name of the markslot.", convert=_text)
    max: float | None = column("max", "The max mark of the markslot.", convert=to_float)

    marksheet: Marksheet = relation(keys.MARKBOOKS, link="marksheet_id", description="The marksheet the markslot belongs to." + MARKBOOK_CLAIM)(_marksheet)

    @relation(keys.MARKS, description="Marks achieved by students for this markslot (GET Marks)." + MARKS_CLAIM)
    def marks(self) -> list[Mark]:
        return rows_where(self.res, keys.MARKS(self.year), "markslot_id", self.raw.get("id"))

    marks_connection: Connection[Mark] = connection(marks)


@strawberry.type
class MarkbookResult(Row):
    """A student's result for one part of a markbook: a markslot's mark, a marksheet's grade.

    ``part=`` names the part ("markslot" or "marksheet"): the type's first field is the link to
    it (the record's ``<part>_id``, described by ``about=``), and the planner knows a result by
    its part and its student."""

    def __init_subclass__(cls, part: str = "", about: str = "", **kwargs: Any) -> None:
        cls.PLAN_FIELDS = (f"{part}_id", "student_id")
        super().__init_subclass__(**kwargs)
        type_name, find = _PARTS[part]
        setattr(cls, part, relation(keys.MARKBOOKS, link=f"{part}_id", description=about + MARKBOOK_CLAIM)(find))
        # Before the class body's fields, so that the link stays the first field in the schema.
        cls.__annotations__ = {part: type_name, **cls.__dict__.get("__annotations__", {})}


#: A part's type (the link's annotation) and how a result finds its part.
_PARTS: dict[str, tuple[str, Callable[[Row], Any]]] = {
    "markslot": ("Markslot", _markslot), "marksheet": ("Marksheet", _marksheet)}


@strawberry.type(description="The mark a student achieved for one markslot (GET Marks)." + MARKS_CLAIM)
class Mark(MarkbookResult, part="markslot", about="The markslot (assessment) the mark is for."):
    student: StudentRef | None = student_link("The student awarded the mark; null when GET Students does not list them.")
    grade: str | None = column("grade", "The grade awarded.")
    alias: str | None = column("alias", "School name of the grade.")
    mark: float | None = column("mark", "The value of the awarded grade.", convert=to_float)


@strawberry.type(description="The grade a student achieved for one marksheet (GET Marksheets)." + SHEET_GRADES_CLAIM)
class MarksheetGrade(MarkbookResult, part="marksheet", about="The marksheet the grade is for."):
    student: StudentRef | None = student_link("The student awarded the grade; null when GET Students does not list them.")
    grade: str | None = column("grade", "Name of the grade recorded.")
    alias: str | None = column("alias", "School name of the grade.")


# --- fields this domain adds to Student, Subject and AcademicYear -------------------------------

@strawberry.type
class StudentAssessmentFields(Row):
    """Fields this domain adds to Student (composed in students.py)."""

    @relation(keys.MARKS, description="The marks this student achieved, one per markslot (GET Marks)." + MARKS_CLAIM)
    def marks(self) -> list[Mark]:
        return rows_where(self.res, keys.MARKS(self.year), "student_id", self.raw.get("id"))

    marks_connection: Connection[Mark] = connection(marks)

    @relation(keys.MARKSHEET_GRADES, description="The marksheet grades this student achieved (GET Marksheets)." + SHEET_GRADES_CLAIM)
    def marksheet_grades(self) -> list[MarksheetGrade]:
        return rows_where(self.res, keys.MARKSHEET_GRADES(self.year), "student_id", self.raw.get("id"))


@strawberry.type
class SubjectAssessmentFields(Row):
    """Fields this domain adds to Subject (composed in teaching.py)."""

    @relation(keys.MARKBOOKS, link="id", description="The subject's markbook (it shares the subject's id)." + MARKBOOK_CLAIM)
    def markbook(self) -> Markbook | None:
        return row_by(self.res, keys.MARKBOOKS(self.year), self.raw.get("id"))


IdArg = Annotated[strawberry.ID, strawberry.argument(description="The upstream id.")]


@strawberry.type
class AcademicYearAssessmentFields(YearScoped):
    """Fields this domain adds to AcademicYear (composed in academic_year.py)."""

    @relation(keys.MARKBOOKS, description="Every markbook of the year, one per subject, with its marksheets and markslots." + MARKBOOK_CLAIM)
    def markbooks(self) -> list[Markbook]:
        return all_rows(self.res, keys.MARKBOOKS(self.year))

    @relation(keys.MARKBOOKS, check=_id_check("markbook id"), description="One markbook by id (the id of its subject)." + MARKBOOK_CLAIM)
    def markbook(self, id: IdArg) -> Markbook | None:  # noqa: A002
        return row_by(self.res, keys.MARKBOOKS(self.year), parse_id(id, "markbook id"))

    @relation(keys.MARKBOOKS, check=_id_check("marksheet id"), description="One marksheet by id." + MARKBOOK_CLAIM)
    def marksheet(self, id: IdArg) -> Marksheet | None:  # noqa: A002
        return marksheet_row(self.res, self.year, parse_id(id, "marksheet id"))

    @relation(keys.MARKBOOKS, check=_id_check("markslot id"), description="One markslot (assessment) by id." + MARKBOOK_CLAIM)
    def markslot(self, id: IdArg) -> Markslot | None:  # noqa: A002
        return markslot_row(self.res, self.year, parse_id(id, "markslot id"))
