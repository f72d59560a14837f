"""The links a per-student record makes to its student and its subject, declared once.

A mark, a headline grade, an exam result, a report grade… each carries a ``student_id`` and
often a ``subject_id``; each such type says ``student = student_link("The student …")`` and
gets a field that reads GET Students (or GET Subjects) and is null when the upstream's list
lacks that id (a record whose student has left GET Students must not fail the whole list).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from gateway.graph import keys
from gateway.graph.claims import CURRICULUM_CLAIM, STUDENTS_CLAIM
from gateway.graph.lookups import row_by
from gateway.graph.relation import relation
from gateway.graph.row import Row

if TYPE_CHECKING:
    from gateway.graph.students import Student
    from gateway.graph.teaching import Subject

StudentRef = Annotated["Student", strawberry.lazy("gateway.graph.students")]
SubjectRef = Annotated["Subject", strawberry.lazy("gateway.graph.teaching")]


def _student(self: Row) -> StudentRef | None:
    return row_by(self.res, keys.STUDENTS(self.year), self.raw.get("student_id"))


def _subject(self: Row) -> SubjectRef | None:
    return row_by(self.res, keys.SUBJECTS(self.year), self.raw.get("subject_id"))


def student_link(description: str) -> Any:
    """A nullable ``student`` field: the student of the record's ``student_id`` (GET Students)."""
    return relation(keys.STUDENTS, link="student_id", description=description + STUDENTS_CLAIM)(_student)


def subject_link(description: str) -> Any:
    """A nullable ``subject`` field: the subject of the record's ``subject_id`` (GET Subjects)."""
    return relation(keys.SUBJECTS, link="subject_id", description=description + CURRICULUM_CLAIM)(_subject)
