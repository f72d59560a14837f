"""AcademicYear: one school's year, composed from the fields every domain adds."""

from __future__ import annotations

import strawberry

from gateway.graph.assessment import AcademicYearAssessmentFields
from gateway.graph.attainment import AcademicYearAttainmentFields
from gateway.graph.attendance import AcademicYearAttendanceFields
from gateway.graph.behaviour import AcademicYearBehaviourFields
from gateway.graph.reports import AcademicYearReportFields
from gateway.graph.row import YearScoped
from gateway.graph.students import AcademicYearStudentFields
from gateway.graph.teaching import AcademicYearTeachingFields
from gateway.graph.timetable import AcademicYearTimetableFields
from gateway.graph.year_groups import AcademicYearYearGroupFields


@strawberry.type(description="One academic year of a school, named by the calendar year it ends in (2026 = September 2025 to July 2026). Everything of the school in that year hangs from here.")
class AcademicYear(AcademicYearStudentFields, AcademicYearTeachingFields,
                   AcademicYearTimetableFields, AcademicYearAssessmentFields,
                   AcademicYearAttainmentFields, AcademicYearReportFields,
                   AcademicYearAttendanceFields, AcademicYearBehaviourFields,
                   AcademicYearYearGroupFields, YearScoped):
    school_raw: strawberry.Private[dict]

    @property
    def plan_id(self) -> tuple[str, int]:
        return ("academic-year", self.year)
