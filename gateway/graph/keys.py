"""Every resource the graph reads, named once: how each route's key is built from a year (and its
one other parameter). A field declares what it reads with these (``@relation(keys.SUBJECTS)``);
the planner asks them for keys, so a field's plan and its resolver cannot disagree.

No types live here, and nothing here imports a domain module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol, TypeVar

from gateway.resources.keys import ResourceKey, key

KeyList = Iterable[ResourceKey] | Awaitable[Iterable[ResourceKey]]
#: What a query says of every object of a level, from an ancestor field's arguments, e.g.
#: ``{"year_group": "9"}`` for the students of ``students(yearGroup: "9")`` (graph/plan.py).
Hints = dict[str, Any]
#: Keys from the year and the hints (None: the hints do not say enough).
Hinted = Callable[[int, Hints], "list[ResourceKey] | None"]


class Reads(Protocol):
    """What a field reads, as resource keys for a batch of parents (``scope`` is the plan's
    ``Scope``: context, resources, year; ``args`` the field's Python-named arguments).

    ``static`` is True when the keys follow from the year and the arguments alone (not from
    the parents or from other loaded data), so a plan may start loading them at once."""

    @property
    def static(self) -> bool: ...

    def keys(self, scope: Any, parents: Sequence[Any], args: dict[str, Any]) -> KeyList: ...


@dataclass(frozen=True, slots=True)
class YearRoute:
    """A route with one resource per academic year (``/academic-years/{academicYear}/…``)."""

    route: str
    static: bool = True

    def __call__(self, year: int) -> ResourceKey:
        return _year_key(self.route, year)

    def keys(self, scope: Any, parents: Sequence[Any], args: dict[str, Any]) -> list[ResourceKey]:
        return [self(scope.year)]


@dataclass(frozen=True, slots=True)
class SchoolRoute:
    """A route with one resource for the school, whatever the year (GET Staff, GET Parents)."""

    route: str
    static: bool = True

    def __call__(self, year: int | None = None) -> ResourceKey:
        return _year_key(self.route, None)

    def keys(self, scope: Any, parents: Sequence[Any], args: dict[str, Any]) -> list[ResourceKey]:
        return [self()]


@dataclass(frozen=True, slots=True)
class ArgRoute:
    """A route with one resource per year and per value of its other parameter (a date, a
    year group, a report id)."""

    route: str

    def __call__(self, year: int, arg: Any) -> ResourceKey:
        return _arg_key(self.route, year, arg)  # a date becomes its ISO text (once, cached)


@dataclass(frozen=True, slots=True)
class FlaggedArgRoute:
    """An :class:`ArgRoute` that also takes one boolean query parameter, ``flag``; the key for
    the upstream's default sends nothing (so it is the key, and the call, of the plain route)."""

    route: str
    flag: str
    default: bool

    def __call__(self, year: int, arg: Any, flag: bool | None = None) -> ResourceKey:
        if flag is None or flag == self.default:
            return _arg_key(self.route, year, arg)
        return _flag_key(self.route, year, arg, ((self.flag, "true" if flag else "false"),))


@dataclass(frozen=True, slots=True)
class Keyed:
    """Keys computed by a function: ``of(scope, parents, args) -> keys`` (for reads that depend
    on the parents, on an argument or on other loaded data). ``static``: see :class:`Reads`."""

    of: Callable[[Any, Sequence[Any], dict[str, Any]], KeyList]
    static: bool = False
    #: The routes whose keys ``of`` makes (their data categories are the field's).
    routes: tuple[str, ...] = ()
    #: The keys, from what the query says of every parent (``Hints``), or None when it says
    #: too little: lets a plan start them before the parents' data is in.
    hinted: Hinted | None = None

    def keys(self, scope: Any, parents: Sequence[Any], args: dict[str, Any]) -> KeyList:
        return self.of(scope, parents, args)


@dataclass(frozen=True, slots=True)
class PerParent:
    """Keys that each parent names (``of(parent)``), de-duplicated across the batch; ``routes``
    are the routes they belong to."""

    of: Callable[[Any], Iterable[ResourceKey]]
    routes: tuple[str, ...] = ()
    static: bool = False
    hinted: Hinted | None = None  # as Keyed's

    def keys(self, scope: Any, parents: Sequence[Any], args: dict[str, Any]) -> list[ResourceKey]:
        of = self.of
        return list(dict.fromkeys(k for p in parents for k in of(p)))


def per_parent(of: Callable[[Any], Iterable[ResourceKey]], *routes: str,
               hinted: Hinted | None = None) -> PerParent:
    """Keys that each parent names (``of(parent)``); ``routes``: the routes they belong to."""
    return PerParent(of, routes, hinted=hinted)


def by_args(of: Callable[..., Iterable[ResourceKey]], *routes: str) -> Keyed:
    """Keys that follow from the year and the field's arguments: ``of(year, **args)``."""

    def keys(scope: Any, parents: Sequence[Any], args: dict[str, Any]) -> Iterable[ResourceKey]:
        return of(scope.year, **args)

    return Keyed(keys, static=True, routes=routes)


@dataclass(frozen=True, slots=True)
class SchoolArgRoute:
    """A route with one resource per value of its one parameter, whatever the year (Assembly's
    year groups, by ``year_code`` filter or by id)."""

    route: str

    def __call__(self, arg: Any = None) -> ResourceKey:
        return _arg_key(self.route, None, arg)


@lru_cache(maxsize=4096)
def _year_key(route: str, year: int | None) -> ResourceKey:
    return key(route, year)


@lru_cache(maxsize=16384)
def _arg_key(route: str, year: int | None, arg: Any) -> ResourceKey:
    # A date and its ISO text are different cache entries but the same key.
    return key(route, year, arg.isoformat() if isinstance(arg, dt.date) else arg)


@lru_cache(maxsize=4096)
def _flag_key(route: str, year: int, arg: Any, options: tuple[tuple[str, str], ...]) -> ResourceKey:
    return key(route, year, arg, options)


# --- the routes ----------------------------------------------------------------------------
# Declared by domain, a kind at a time; each name is its route in capitals (tests/graph/test_keys.py).

_R = TypeVar("_R")


def routes(kind: Callable[[str], _R], *names: str) -> tuple[_R, ...]:
    """One route of ``kind`` for each of ``names``, in order."""
    return tuple(kind(name) for name in names)


SCHOOL = key("school")

# A student's details and personal data (one resource each per academic year), and the accounts.
STUDENTS, EDUCATION_DETAILS, PHOTOS, MEDICAL_CONDITIONS, PARENTAL_CONTACTS = routes(
    YearRoute, "students", "education-details", "photos", "medical-conditions", "parental-contacts")
GENERAL_ATTRIBUTES, DEMOGRAPHIC_ATTRIBUTES, SEND_ATTRIBUTES, SENSITIVE_ATTRIBUTES, PRIOR_ATTAINMENT = routes(
    YearRoute, "general-attributes", "demographic-attributes", "send-attributes", "sensitive-attributes",
    "prior-attainment")
PARENTS, STAFF = routes(SchoolRoute, "parent-accounts", "staff-accounts")

# Teaching, timetables and markbooks.
DEPARTMENTS, SUBJECTS, TEACHERS, GROUPS, GROUP_STUDENTS, GROUP_TEACHERS = routes(
    YearRoute, "departments", "subjects", "teachers", "groups", "groups-students", "groups-teachers")
TIMETABLES, CALENDAR, CLASSES, STUDENT_CLASSES = routes(
    YearRoute, "timetables", "calendar", "classes", "student-classes")
MARKBOOKS, MARKS, MARKSHEET_GRADES = routes(YearRoute, "markbooks", "marks", "marksheet-grades")

# Attainment: one resource per year group.
GRADE_TYPES, GRADES, EXAM_RESULTS = routes(ArgRoute, "grade-types", "grades", "exam-results")

# Reports: the list for the year, and one resource per report id.
REPORTS = YearRoute("reports")
REPORT_GRADES = FlaggedArgRoute("report-grades", "applyTakeHomeReportExclusions", True)
REPORT_ATTRIBUTES, REPORT_COMMENTS = routes(ArgRoute, "report-attributes", "report-comments")

# Attendance: codes and summaries for the year, marks one resource per date.
ATTENDANCE_CODES, ATTENDANCE_SUMMARY = routes(YearRoute, "attendance-codes", "attendance-summary")
SESSION_MARKS, LESSON_MARKS = routes(ArgRoute, "session-marks", "lesson-marks")

# Behaviour: events one resource per date, the scheme one per year.
BEHAVIOUR_EVENTS = ArgRoute("behaviour-events")
BEHAVIOUR_EVENT_TYPES, BEHAVIOUR_CLASSIFICATIONS, IMMEDIATE_ACTIONS, FOLLOW_UP_ACTIONS = routes(
    YearRoute, "behaviour-event-types", "behaviour-classifications", "immediate-actions", "follow-up-actions")

# Assembly's year groups, whatever the year: the list by year_code filter, one group and its
# students by Assembly id.
ASSEMBLY_YEAR_GROUPS, ASSEMBLY_YEAR_GROUP, ASSEMBLY_YEAR_GROUP_STUDENTS = routes(
    SchoolArgRoute, "assembly-year-groups", "assembly-year-group", "assembly-year-group-students")
