"""Attendance codes and aliases, session and lesson marks, attendance summaries."""

from __future__ import annotations

import strawberry


@strawberry.type
class StudentAttendanceFields:
    """Fields this domain adds to Student (composed in students.py / academic_year.py / teaching.py)."""


@strawberry.type
class AcademicYearAttendanceFields:
    """Fields this domain adds to AcademicYear (composed in students.py / academic_year.py / teaching.py)."""
