"""Records of one student (``student_id``): their ``studentId`` and ``student`` fields, declared once.

A session mark, a lesson mark, an attendance summary, a parental contact, a parent account…
each names its student by ``student_id``. Reached from that student (``owner``), the record
links back to it without reading GET Students; reached from elsewhere (the year, a date), it
looks the student up there and is null when GET Students does not list them, so that a record
of a student who has left spoils no list (``studentId`` still says who it is).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from gateway.graph import keys
from gateway.graph.base import to_id
from gateway.graph.claims import STUDENTS_CLAIM
from gateway.graph.lookups import row_by
from gateway.graph.relation import relation
from gateway.graph.row import Row, column
from gateway.resources.keys import ResourceKey

if TYPE_CHECKING:
    from gateway.graph.students import Student

StudentRef = Annotated["Student", strawberry.lazy("gateway.graph.students")]


@strawberry.type
class OfStudent(Row):
    """The base of a record of one student; ``owner``: the Student it was reached from."""

    owner: strawberry.Private[Any] = None


def _students_unless_owned(record: OfStudent) -> list[ResourceKey]:
    return [] if record.owner is not None else [keys.STUDENTS(record.year)]


def _student(self: OfStudent) -> StudentRef | None:
    if self.owner is not None:
        return self.owner  # type: ignore[no-any-return]
    return row_by(self.res, keys.STUDENTS(self.year), self.raw.get("student_id"))


def student_of(description: str, null_note: bool = True) -> Any:
    """The record's ``student`` field (null when GET Students does not list them)."""
    note = " Null when GET Students does not list the student (studentId still says who)." if null_note else ""
    return relation(keys.per_parent(_students_unless_owned, keys.STUDENTS.route),
                    description=description + note + STUDENTS_CLAIM)(_student)


def student_id_column(description: str = "The unique identifier for the student (student_id), whether or not GET Students lists them.") -> Any:
    """The record's ``studentId`` field."""
    return column("student_id", description, convert=to_id)
