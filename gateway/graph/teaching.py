"""Departments, subjects, teachers, staff accounts and teaching groups (the Teaching routes, GET Staff)."""

from __future__ import annotations

import strawberry


@strawberry.type
class StudentTeachingFields:
    """Fields this domain adds to Student (composed in students.py / academic_year.py / teaching.py)."""


@strawberry.type
class AcademicYearTeachingFields:
    """Fields this domain adds to AcademicYear (composed in students.py / academic_year.py / teaching.py)."""
