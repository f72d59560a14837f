"""Grade types, headline grades, exam results and prior attainment (the Attainment routes)."""

from __future__ import annotations

import strawberry


@strawberry.type
class StudentAttainmentFields:
    """Fields this domain adds to Student (composed in students.py / academic_year.py / teaching.py)."""


@strawberry.type
class AcademicYearAttainmentFields:
    """Fields this domain adds to AcademicYear (composed in students.py / academic_year.py / teaching.py)."""
