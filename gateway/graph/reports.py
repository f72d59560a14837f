"""Progress reports: grade types, attributes and choices, student grades, attribute choices and comments."""

from __future__ import annotations

import strawberry


@strawberry.type
class StudentReportFields:
    """Fields this domain adds to Student (composed in students.py / academic_year.py / teaching.py)."""


@strawberry.type
class AcademicYearReportFields:
    """Fields this domain adds to AcademicYear (composed in students.py / academic_year.py / teaching.py)."""
