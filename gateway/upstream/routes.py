"""The one table of upstream routes: every upstream path lives here and nowhere else.

Code refers to a route by its name (``ROUTES["marks"]``); a path that turns out
to be wrong is corrected in this table alone. Each route names its ``source``:
GO4Schools (``/customer/v1``, cursor paging) or the Assembly Platform (page/per_page
paging, conditional GETs); code branches on that column, never on a route's name.
Four GO4Schools paths are missing from the reference (school, parental contacts,
parent and staff accounts); DESIGN.md gives the assumed ones used below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote

Paging = Literal["none", "cursor", "page"]
Source = Literal["go4schools", "assembly"]
GO4SCHOOLS: Source = "go4schools"
ASSEMBLY: Source = "assembly"
#: How each source is named in messages, metrics and errors.
SOURCE_TITLES: dict[str, str] = {GO4SCHOOLS: "GO4Schools", ASSEMBLY: "Assembly"}

_PARAM = re.compile(r"{(\w+)}")


@dataclass(frozen=True, slots=True)
class Route:
    """One upstream endpoint: its name, template, permission claim, paging style and source."""

    name: str
    template: str
    claim: str
    title: str
    description: str
    method: Literal["GET", "POST"] = "GET"
    paging: Paging = "none"
    #: For cursor-paged routes, the envelope key holding the page's items.
    items_key: str | None = None
    #: The upstream module a 403 "Module Disabled" refers to (for messages and docs).
    module: str = ""
    source: Source = GO4SCHOOLS
    #: An optional query parameter a resource key's argument may fill (a filter).
    query: str | None = None
    #: Further optional query parameters a resource key may carry, as (name, value) pairs
    #: (GET Report Grades' applyTakeHomeReportExclusions).
    options: tuple[str, ...] = ()
    #: Answers carry Last-Modified and honour If-Modified-Since: a stale cached copy is
    #: revalidated (a 304 keeps it) instead of downloaded again.
    conditional: bool = False
    params: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", tuple(_PARAM.findall(self.template)))

    @property
    def paged(self) -> bool:
        return self.paging == "cursor"

    @property
    def source_title(self) -> str:
        return SOURCE_TITLES[self.source]

    def path(self, **values: object) -> str:
        """The concrete path for these parameter values (each one URL-quoted)."""
        missing = [p for p in self.params if p not in values]
        if missing:
            raise ValueError(f"route {self.name!r} needs {', '.join(missing)}")
        extra = set(values) - set(self.params)
        if extra:
            raise ValueError(f"route {self.name!r} takes no {', '.join(sorted(extra))}")
        return _PARAM.sub(lambda m: quote(str(values[m.group(1)]), safe=""), self.template)


_Y = "/academic-years/{academicYear}"

_TABLE: tuple[Route, ...] = (
    # --- Schools -----------------------------------------------------------
    Route("school", "/school", "school.read", "GET Schools",
          "Details of the school and the available academic years.", module="General"),
    # --- Assessment --------------------------------------------------------
    Route("markbooks", _Y + "/assessment/markbooks", "school.assessment.read", "GET Markbooks",
          "The structure of markbooks: their marksheets and the markslots within each.",
          module="Assessment"),
    Route("marksheet-grades", _Y + "/assessment/marksheet-grades",
          "students.assessment.marksheets.read", "GET Marksheets",
          "Grades achieved by students for individual marksheets.",
          paging="cursor", items_key="marksheets", module="Assessment"),
    Route("marks", _Y + "/assessment/marks", "students.assessment.markslots.read", "GET Marks",
          "Marks achieved by students for individual markslots (assessments).",
          paging="cursor", items_key="markslots", module="Assessment"),
    # --- Attainment --------------------------------------------------------
    Route("grade-types", _Y + "/attainment/grade-types/year-group/{yearGroup}",
          "school.attainment.read", "GET Grade Types",
          "The available types of headline grades for a year group.", module="Attainment"),
    Route("grades", _Y + "/attainment/grades/year-group/{yearGroup}",
          "students.attainment.read", "GET Grades",
          "Headline grades of the students of a year group.",
          paging="cursor", items_key="grades", module="Attainment"),
    Route("exam-results", _Y + "/attainment/exam-results/year-group/{yearGroup}",
          "students.attainment.exam-results.read", "GET Exam Results",
          "Exam results achieved by the students of a year group.", module="Attainment"),
    Route("prior-attainment", _Y + "/attainment/prior-attainment",
          "students.prior-attainment.read", "GET Prior Attainment",
          "Prior attainment values for students.",
          paging="cursor", items_key="prior_attainment", module="Attainment"),
    Route("reports", _Y + "/attainment/reports", "students.attainment.reports.read",
          "GET Reports", "Progress reports of the year with their grade types and attributes.",
          module="Reports"),
    Route("report-attributes", _Y + "/attainment/reports/{reportId}/attributes",
          "students.attainment.reports.read", "GET Report Attributes",
          "The attribute choices made for students in one report.", module="Reports"),
    Route("report-grades", _Y + "/attainment/reports/{reportId}/grades",
          "students.attainment.reports.read", "GET Report Grades",
          "The subjects and student grades of one report.", module="Reports",
          options=("applyTakeHomeReportExclusions",)),
    Route("report-comments", _Y + "/attainment/reports/{reportId}/comments",
          "students.attainment.reports.comments.read", "GET Report Comments",
          "Teachers' comments for one report (once prepared for publication).",
          paging="cursor", items_key="report_comments", module="Reports"),
    # --- Attendance --------------------------------------------------------
    Route("attendance-codes", _Y + "/attendance/codes", "school.attendance.read",
          "GET Attendance Codes", "Attendance codes and their aliases in use for the year.",
          module="Attendance"),
    Route("session-marks", _Y + "/attendance/student-session-marks/date/{date}",
          "students.attendance.session.read", "GET Student Session Marks",
          "Students' AM/PM session attendance marks for one date.", module="Attendance"),
    Route("lesson-marks", _Y + "/attendance/student-lesson-marks/date/{date}",
          "students.attendance.lesson.read", "GET Student Lesson Marks",
          "Students' lesson attendance marks for one date.", module="Attendance"),
    Route("attendance-summary", _Y + "/attendance/student-session-summary",
          "school.attendance.read", "GET Students Attendance Summary",
          "Session attendance totals per student for the year up to (not including) today.",
          module="Attendance"),
    Route("record-session-mark", _Y + "/attendance/student-session-marks",
          "students.attendance.session.write", "POST Student Session Attendance",
          "Saves one session's attendance mark for one student.", method="POST",
          module="Attendance"),
    # --- Behaviour ---------------------------------------------------------
    Route("follow-up-actions", _Y + "/behaviour/actions/follow-up", "school.behaviour.read",
          "GET Follow-up Actions", "Definitions of follow-up behaviour actions.",
          module="Behaviour"),
    Route("immediate-actions", _Y + "/behaviour/actions/immediate", "school.behaviour.read",
          "GET Immediate Actions", "Definitions of immediate behaviour actions.",
          module="Behaviour"),
    Route("behaviour-classifications", _Y + "/behaviour/classification",
          "school.behaviour.read", "GET Classification",
          "Behaviour classification groups with their actions.", module="Behaviour"),
    Route("behaviour-event-types", _Y + "/behaviour/event-types", "school.behaviour.read",
          "GET Event Types", "Definitions of behaviour event types.", module="Behaviour"),
    Route("behaviour-events", _Y + "/behaviour/events/date/{date}",
          "students.behaviour.read", "GET Events", "Behaviour events logged on one date.",
          paging="cursor", items_key="behaviour_events", module="Behaviour"),
    # --- Contacts and user accounts -----------------------------------------
    Route("parental-contacts", _Y + "/students/parental-contacts", "students.parents.read",
          "GET Parental Contacts", "Parental contact details for students.",
          module="Contacts"),
    Route("parent-accounts", "/user-accounts/parents", "school.accounts.parents.read",
          "GET Parents", "Parent user accounts.", module="User Accounts"),
    Route("staff-accounts", "/user-accounts/staff", "school.accounts.staff.read",
          "GET Staff", "Staff user accounts.", module="User Accounts"),
    # --- Students ----------------------------------------------------------
    Route("students", _Y + "/students", "students.read", "GET Students",
          "Personal details of the students at school in the academic year.",
          module="Students"),
    Route("general-attributes", _Y + "/students/attributes", "students.attributes.read",
          "GET General Attributes", "General (custom and system) student attributes.",
          paging="cursor", items_key="students_and_attributes", module="Students"),
    Route("demographic-attributes", _Y + "/students/attributes/demographic",
          "students.attributes.demographic.read", "GET Demographic Attributes",
          "Country of birth, home and first language, nationality.",
          paging="cursor", items_key="students_and_attributes", module="Students"),
    Route("send-attributes", _Y + "/students/attributes/send",
          "students.attributes.send.read", "GET SEND Attributes",
          "SEN code and status, educational needs, gifted and talented.",
          paging="cursor", items_key="students_and_attributes", module="Students"),
    Route("sensitive-attributes", _Y + "/students/attributes/sensitive",
          "students.attributes.sensitive.read", "GET Sensitive Attributes",
          "FSM, EAL, disadvantaged, ethnicity, looked after, pupil premium and similar.",
          paging="cursor", items_key="students_and_attributes", module="Students"),
    Route("education-details", _Y + "/students/education-details",
          "students.education.read", "GET Education Details",
          "UPN, year group, registration group, house, admission and leaving of students.",
          paging="cursor", items_key="students_and_education_details", module="Students"),
    Route("photos", _Y + "/students/photos", "students.photos.read", "GET Photos",
          "Student photos as base64 data URLs.",
          paging="cursor", items_key="students_and_photos", module="Photos"),
    Route("medical-conditions", _Y + "/students/medical-conditions", "students.medical.read",
          "GET Medical Conditions", "Medical conditions taken from the school's MIS.",
          paging="cursor", items_key="students_and_medical_conditions", module="Medical"),
    # --- Teaching ----------------------------------------------------------
    Route("departments", _Y + "/teaching/departments", "school.curriculum.read",
          "GET Departments", "Departments in the academic year.", module="Teaching"),
    Route("subjects", _Y + "/teaching/subjects", "school.curriculum.read", "GET Subjects",
          "All subjects in the academic year.", module="Teaching"),
    Route("teachers", _Y + "/teaching/teachers", "school.teachers.read", "GET Teachers",
          "Teachers in the academic year.", module="Teaching"),
    Route("groups", _Y + "/teaching/groups", "school.curriculum.read", "GET Groups",
          "Teaching groups for each subject.", module="Teaching"),
    Route("groups-students", _Y + "/teaching/groups/students", "school.curriculum.read",
          "GET Groups and Students", "The students in each teaching group.",
          module="Teaching"),
    Route("groups-teachers", _Y + "/teaching/groups/teachers", "school.curriculum.read",
          "GET Groups and Teachers", "The teachers assigned to each teaching group.",
          module="Teaching"),
    # --- Timetables --------------------------------------------------------
    Route("timetables", _Y + "/timetables", "school.timetable.read", "GET Timetables",
          "Timetables and their periods.", module="Timetable"),
    Route("calendar", _Y + "/timetables/calendar", "school.timetable.read", "GET Calendar",
          "Which days the school is open, closed or open for staff training.",
          module="Timetable"),
    Route("classes", _Y + "/timetables/classes", "school.timetable.read", "GET Classes",
          "All timetabled classes of the year.",
          paging="cursor", items_key="classes", module="Timetable"),
    Route("student-classes", _Y + "/timetables/student-classes",
          "students.timetable.read", "GET Student Classes",
          "Which students are linked to which timetabled classes.",
          paging="cursor", items_key="student_classes", module="Timetable"),
    # --- Assembly Platform (year groups) --------------------------------------
    Route("assembly-year-groups", "/year_groups", "school", "List Year Groups",
          "The school's year groups (by default of its current academic year), in name order.",
          paging="page", module="Year Groups", source=ASSEMBLY, query="year_code",
          conditional=True),
    Route("assembly-year-group", "/year_groups/{group_id}", "school", "View a Year Group",
          "One year group by its Assembly id, with the ids of its students.",
          module="Year Groups", source=ASSEMBLY),
    Route("assembly-year-group-students", "/year_groups/{group_id}/students", "students",
          "List Students for Year Group", "The students of one year group.",
          paging="page", module="Year Groups", source=ASSEMBLY, conditional=True),
)

ROUTES: dict[str, Route] = {r.name: r for r in _TABLE}
if len(ROUTES) != len(_TABLE):  # pragma: no cover - guards the table itself
    raise RuntimeError("duplicate route name in the routes table")

#: GO4Schools' readable routes (the customer API's GET endpoints); filter ``ROUTES`` by
#: ``source`` for Assembly's.
GET_ROUTES: tuple[Route, ...] = tuple(r for r in _TABLE
                                      if r.method == "GET" and r.source == GO4SCHOOLS)
