"""Timetables, periods, the calendar, timetabled classes and student classes (the Timetables routes)."""

from __future__ import annotations

import strawberry


@strawberry.type
class StudentTimetableFields:
    """Fields this domain adds to Student (composed in students.py / academic_year.py / teaching.py)."""


@strawberry.type
class AcademicYearTimetableFields:
    """Fields this domain adds to AcademicYear (composed in students.py / academic_year.py / teaching.py)."""


@strawberry.type
class GroupTimetableFields:
    """Fields this domain adds to GroupTimetable (composed in students.py / academic_year.py / teaching.py)."""
