"""Personal-data categories (DOMAIN.md "Personal-data categories"): what a gateway token may read.

A school's GO4Schools key reads everything the school enabled; a gateway token reads only the
categories it was issued with, field by field. Every upstream route belongs to one category
(``ROUTE_CATEGORY``), so a field's category follows from what it reads; a plain field of a
record can name a stricter one (a student's UPN, date of birth).
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    BASIC = "basic"                        # names, year and registration groups, groups, timetable, teachers
    UPN = "upn"                            # unique pupil numbers (current and former)
    DEMOGRAPHIC = "demographic"            # date of birth, gender, demographic attributes
    SEND = "send"                          # special educational needs and disabilities
    SENSITIVE = "sensitive"                # FSM, pupil premium, looked after, ethnicity…
    MEDICAL = "medical"                    # medical conditions
    PHOTOS = "photos"                      # student photos
    CONTACTS = "contacts"                  # parental contacts and parent accounts
    ASSESSMENT = "assessment"              # markbooks, marks, grades, exam results, prior attainment
    ATTENDANCE = "attendance"              # attendance codes, marks and summaries (read)
    ATTENDANCE_WRITE = "attendance-write"  # recording session marks
    BEHAVIOUR = "behaviour"                # behaviour scheme and events
    REPORTS = "reports"                    # student reports: grades, attributes, comments
    STAFF = "staff"                        # staff user accounts (GET Staff)


ALL = frozenset(Category)

#: The categories whose reads are written to the access log (DOMAIN.md: special care).
SENSITIVE_CATEGORIES = frozenset({Category.SEND, Category.SENSITIVE, Category.MEDICAL,
                                  Category.PHOTOS, Category.CONTACTS, Category.UPN})

ROUTE_CATEGORY: dict[str, Category] = {
    "school": Category.BASIC,
    "students": Category.BASIC,
    "education-details": Category.BASIC,
    "departments": Category.BASIC,
    "subjects": Category.BASIC,
    "groups": Category.BASIC,
    "groups-students": Category.BASIC,
    "groups-teachers": Category.BASIC,
    "timetables": Category.BASIC,
    "calendar": Category.BASIC,
    "classes": Category.BASIC,
    "student-classes": Category.BASIC,
    "assembly-year-groups": Category.BASIC,
    "assembly-year-group": Category.BASIC,
    "assembly-year-group-students": Category.BASIC,
    # A class's teachers (names, codes) are timetable data; staff accounts (emails, MIS
    # names, employment dates) are the staff category.
    "teachers": Category.BASIC,
    "staff-accounts": Category.STAFF,
    "general-attributes": Category.DEMOGRAPHIC,
    "demographic-attributes": Category.DEMOGRAPHIC,
    "send-attributes": Category.SEND,
    "sensitive-attributes": Category.SENSITIVE,
    "medical-conditions": Category.MEDICAL,
    "photos": Category.PHOTOS,
    "parental-contacts": Category.CONTACTS,
    "parent-accounts": Category.CONTACTS,
    "markbooks": Category.ASSESSMENT,
    "marks": Category.ASSESSMENT,
    "marksheet-grades": Category.ASSESSMENT,
    "grade-types": Category.ASSESSMENT,
    "grades": Category.ASSESSMENT,
    "exam-results": Category.ASSESSMENT,
    "prior-attainment": Category.ASSESSMENT,
    "reports": Category.REPORTS,
    "report-grades": Category.REPORTS,
    "report-attributes": Category.REPORTS,
    "report-comments": Category.REPORTS,
    "attendance-codes": Category.ATTENDANCE,
    "attendance-summary": Category.ATTENDANCE,
    "session-marks": Category.ATTENDANCE,
    "lesson-marks": Category.ATTENDANCE,
    "record-session-mark": Category.ATTENDANCE_WRITE,
    "behaviour-events": Category.BEHAVIOUR,
    "behaviour-event-types": Category.BEHAVIOUR,
    "behaviour-classifications": Category.BEHAVIOUR,
    "immediate-actions": Category.BEHAVIOUR,
    "follow-up-actions": Category.BEHAVIOUR,
}


def parse(values: str | list[str] | None) -> frozenset[Category]:
    """``"basic,attendance"`` (or a list) as categories; ``"all"`` is every one; a clear error
    names an unknown category."""
    if values is None:
        return ALL
    items = values.split(",") if isinstance(values, str) else list(values)
    out: set[Category] = set()
    for item in (i.strip().lower() for i in items):
        if not item:
            continue
        if item == "all":
            return ALL
        try:
            out.add(Category(item))
        except ValueError:
            known = ", ".join(c.value for c in Category)
            raise ValueError(f"unknown data category {item!r}; the categories are: {known}, or all") from None
    return frozenset(out)
