"""Which generator answers each year-level GO4Schools route (routes without a date, year group or report)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gateway.simulator.timetable import calendar_json, student_classes_json, timetables_json

if TYPE_CHECKING:
    from gateway.simulator.school import YearData

Build = Callable[["YearData"], Any]


def _groups(yd: YearData) -> list[dict[str, Any]]:
    return [{"id": g.id, "name": g.name, "code": g.code, "subject_id": g.subject_id}
            for g in yd.curriculum.groups]


#: Route name -> the JSON of that resource for one academic year.
YEAR_RESOURCES: dict[str, Build] = {
    "markbooks": lambda yd: yd.assessment.markbooks,
    "marksheet-grades": lambda yd: yd.assessment.marksheet_grades,
    "marks": lambda yd: yd.assessment.marks,
    "prior-attainment": lambda yd: yd.attainment.prior_attainment,
    "reports": lambda yd: yd.attainment.reports,
    "attendance-codes": lambda yd: yd.attendance.codes,
    "attendance-summary": lambda yd: yd.attendance.summary(),
    "follow-up-actions": lambda yd: yd.behaviour.follow_up_actions,
    "immediate-actions": lambda yd: yd.behaviour.immediate_actions,
    "behaviour-classifications": lambda yd: yd.behaviour.classifications,
    "behaviour-event-types": lambda yd: yd.behaviour.event_types,
    "parental-contacts": lambda yd: yd.records.parental_contacts,
    "parent-accounts": lambda yd: yd.records.parent_accounts,
    "staff-accounts": lambda yd: yd.staffing.staff_accounts,
    "students": lambda yd: yd.records.students,
    "general-attributes": lambda yd: yd.records.general_attributes,
    "demographic-attributes": lambda yd: yd.records.demographic_attributes,
    "send-attributes": lambda yd: yd.records.send_attributes,
    "sensitive-attributes": lambda yd: yd.records.sensitive_attributes,
    "education-details": lambda yd: yd.records.education_details,
    "photos": lambda yd: yd.records.photos,
    "medical-conditions": lambda yd: yd.records.medical_conditions,
    "departments": lambda yd: yd.staffing.departments,
    "subjects": lambda yd: [s.record for s in yd.curriculum.subjects],
    "teachers": lambda yd: [t.record for t in yd.staffing.teachers],
    "groups": _groups,
    "groups-students": lambda yd: [{"group_id": g.id, "student_ids": list(g.student_ids)}
                                   for g in yd.curriculum.groups],
    "groups-teachers": lambda yd: [{"group_id": g.id, "teacher_ids": list(g.teacher_ids)}
                                   for g in yd.curriculum.groups],
    "timetables": timetables_json,
    "calendar": calendar_json,
    "classes": lambda yd: yd.timetable.classes,
    "student-classes": student_classes_json,
}

#: Resources rebuilt on every call are cached here per year (they are large and never change).
CACHED = frozenset({"subjects", "teachers", "groups", "groups-students", "groups-teachers",
                    "timetables", "calendar", "student-classes"})
