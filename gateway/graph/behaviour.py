"""Behaviour classifications, event types, immediate and follow-up actions, and events."""

from __future__ import annotations

import strawberry


@strawberry.type
class StudentBehaviourFields:
    """Fields this domain adds to Student (composed in students.py / academic_year.py / teaching.py)."""


@strawberry.type
class AcademicYearBehaviourFields:
    """Fields this domain adds to AcademicYear (composed in students.py / academic_year.py / teaching.py)."""
