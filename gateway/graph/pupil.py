"""A student's personal-data categories beyond the basics: attributes (general, demographic, SEND, sensitive), photo, medical conditions, parental contacts and parent accounts."""

from __future__ import annotations

import strawberry


@strawberry.type
class StudentPupilDataFields:
    """Fields this domain adds to Student (composed in students.py / academic_year.py / teaching.py)."""
