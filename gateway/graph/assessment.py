"""Markbooks, marksheets, markslots, marks and marksheet grades (the Assessment routes)."""

from __future__ import annotations

import strawberry


@strawberry.type
class StudentAssessmentFields:
    """Fields this domain adds to Student (composed in students.py / academic_year.py / teaching.py)."""


@strawberry.type
class AcademicYearAssessmentFields:
    """Fields this domain adds to AcademicYear (composed in students.py / academic_year.py / teaching.py)."""


@strawberry.type
class SubjectAssessmentFields:
    """Fields this domain adds to SubjectAssessment (composed in students.py / academic_year.py / teaching.py)."""
