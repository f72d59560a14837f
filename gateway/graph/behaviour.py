"""Behaviour classifications, event types, immediate and follow-up actions, and events (the Behaviour routes).

The behaviour scheme (classifications, event types, actions) is one resource
each for the year; events are one resource per date (cursor paged), and a
range of dates fans out over the days the school calendar says are open. A
school day is a Europe/London day: the date resource GO4Schools files an
event under decides its day, while ``eventDate`` is the UTC instant.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry

from gateway.graph.base import read, rk, to_datetime, to_int, to_text
from gateway.graph.context import Info
from gateway.graph.dates import (
    check_range,
    max_days,
    open_day_expand,
    open_day_needs,
    read_open_days,
)
from gateway.graph.plan import Scope, planned
from gateway.resources.keys import ResourceKey
from gateway.resources.memo import Resources

if TYPE_CHECKING:
    from gateway.graph.students import Student
    from gateway.graph.teaching import StaffMember

StudentRef = Annotated["Student", strawberry.lazy("gateway.graph.students")]
StaffRef = Annotated["StaffMember", strawberry.lazy("gateway.graph.teaching")]

SCHEME_CLAIM = " Needs the Behaviour-Behaviour Scheme (school.behaviour.read) permission."
EVENTS_CLAIM = " Needs the Behaviour-Student Behaviour (students.behaviour.read) permission."
STUDENTS_CLAIM = " Needs the Student-Students (students.read) permission."
STAFF_CLAIM = " Needs the Users-Staff Accounts (school.accounts.staff.read) permission."
CALENDAR_NOTE = (" Fans out over the days the school calendar says are open; 'to' defaults to 'from', "
                 "and the range may cover at most the configured number of days (93 by default) within "
                 "the academic year.")
CALENDAR_CLAIM = " Reads the calendar too: needs the Timetable-School Timetable (school.timetable.read) permission."

FromArg = Annotated[dt.date, strawberry.argument(
    name="from", description="The first date of the range (yyyy-mm-dd, a Europe/London school day).")]
ToArg = Annotated[dt.date | None, strawberry.argument(
    description="The last date of the range, included (yyyy-mm-dd); defaults to 'from'.")]

EVENTS = "behaviour-events"
IMMEDIATE = "immediate-actions"
FOLLOW_UP = "follow-up-actions"


def events_key(year: int, date: dt.date | str) -> ResourceKey:
    return rk(EVENTS, year, date if isinstance(date, str) else date.isoformat())


def event_types_key(year: int) -> ResourceKey:
    return rk("behaviour-event-types", year)


def classifications_key(year: int) -> ResourceKey:
    return rk("behaviour-classifications", year)


def actions_key(year: int, kind: str) -> ResourceKey:
    """``kind`` is IMMEDIATE or FOLLOW_UP (the two action routes share one shape)."""
    return rk(kind, year)


def _staff_key() -> ResourceKey:
    return rk("staff-accounts")


def _students_key(year: int) -> ResourceKey:
    return rk("students", year)


def _needs(*make: Any) -> Any:
    """A ``needs`` for fields reading whole-year resources (``make(year)`` each)."""
    def needs(scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[ResourceKey]:
        return [m(scope.year) for m in make]
    return needs


# --- enums ----------------------------------------------------------------------------------

@strawberry.enum(description="The type of a behaviour action.")
class BehaviourActionType(Enum):
    STANDARD = strawberry.enum_value("Standard", description="A standard action.")
    DETENTION = strawberry.enum_value("Detention", description="A detention.")


@strawberry.enum(description="Whether an action of a classification must, should or may be completed.")
class CompletionType(Enum):
    MANDATORY = strawberry.enum_value("Mandatory", description="The action must be completed.")
    RECOMMENDED = strawberry.enum_value("Recommended", description="The action is recommended.")
    OPTIONAL = strawberry.enum_value("Optional", description="The action is optional.")


@strawberry.enum(description="The significance of a behaviour event type.")
class Significance(Enum):
    POSITIVE = strawberry.enum_value("Positive", description="Positive behaviour (e.g. an achievement).")
    NEUTRAL = strawberry.enum_value("Neutral", description="Neither positive nor negative.")
    NEGATIVE = strawberry.enum_value("Negative", description="Negative behaviour.")


E = TypeVar("E", bound=Enum)


def _enum(kind: type[E], value: Any) -> E | None:
    """An upstream spelling ('Standard', 'standard'…) as the enum member; None when unknown."""
    text = str(value or "").strip().lower()
    for member in kind:
        if member.value.lower() == text:
            return member
    return None




def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


# --- the behaviour scheme -----------------------------------------------------------------------

@strawberry.type(description="An immediate or follow-up behaviour action (GET Immediate Actions, GET Follow-up Actions)." + SCHEME_CLAIM)
class BehaviourAction:
    raw: strawberry.Private[dict]
    kind: strawberry.Private[str]

    @property
    def plan_id(self) -> tuple[str, Any]:
        return (self.kind, self.raw.get("id"))

    @strawberry.field(description="The unique identifier for the action.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.raw.get("id")))

    @strawberry.field(description="The name of the action.")
    def name(self) -> str:
        return str(self.raw.get("name") or "")

    @strawberry.field(description="The name displayed to parents and students for the action.")
    def alias(self) -> str | None:
        return to_text(self.raw.get("alias"))

    @strawberry.field(description="The type of this action: one of Standard or Detention (null for a type the reference does not list).")
    def type(self) -> BehaviourActionType | None:
        return _enum(BehaviourActionType, self.raw.get("type"))


def actions_by_ids(res: Resources, year: int, kind: str, ids: Any) -> list[BehaviourAction]:
    """Actions for upstream ids, in the given order (ids the scheme does not list are left out)."""
    by_id = res.get(actions_key(year, kind)).unique("id")
    return [BehaviourAction(raw=row, kind=kind) for i in ids or () if (row := by_id.get(i)) is not None]


@strawberry.type(description="An action defined for a behaviour classification, with how far it must be completed (GET Classification)." + SCHEME_CLAIM)
class ClassificationAction:
    raw: strawberry.Private[dict]
    kind: strawberry.Private[str]
    classification_id: strawberry.Private[Any]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]

    @property
    def plan_id(self) -> tuple[Any, ...]:
        return ("classification-action", self.kind, self.classification_id, self.raw.get("id"))

    @strawberry.field(description="The action (null when the actions list does not have it)." + SCHEME_CLAIM)
    @planned(needs=lambda s, ps, a: list({actions_key(s.year, p.kind) for p in ps}),
             expand=lambda s, ps, a: [x for p in ps if (x := p._action()) is not None])
    def action(self) -> BehaviourAction | None:
        return read(self.res, [actions_key(self.year, self.kind)], self._action)

    def _action(self) -> BehaviourAction | None:
        found = actions_by_ids(self.res, self.year, self.kind, [self.raw.get("id")])
        return found[0] if found else None

    @strawberry.field(description="Whether the action is Mandatory, Recommended or Optional (null for a value the reference does not list).")
    def completion_type(self) -> CompletionType | None:
        return _enum(CompletionType, self.raw.get("completion_type"))


@strawberry.type(description="A behaviour classification group, with its severity score and actions (GET Classification)." + SCHEME_CLAIM)
class BehaviourClassification:
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]

    @property
    def plan_id(self) -> tuple[str, Any]:
        return ("behaviour-classification", self.raw.get("id"))

    @strawberry.field(description="The unique identifier for the behaviour classification group.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.raw.get("id")))

    @strawberry.field(description="The name of the behaviour classification group.")
    def name(self) -> str:
        return str(self.raw.get("name") or "")

    @strawberry.field(description="The severity score of the behaviour classification group.")
    def score(self) -> int | None:
        return to_int(self.raw.get("score"))

    @strawberry.field(description="The immediate actions defined for this classification.")
    @planned(expand=lambda s, ps, a: [x for p in ps for x in p._actions(IMMEDIATE)])
    def immediate_actions(self) -> list[ClassificationAction]:
        return self._actions(IMMEDIATE)

    @strawberry.field(description="The follow-up actions defined for this classification.")
    @planned(expand=lambda s, ps, a: [x for p in ps for x in p._actions(FOLLOW_UP)])
    def follow_up_actions(self) -> list[ClassificationAction]:
        return self._actions(FOLLOW_UP)

    def _actions(self, kind: str) -> list[ClassificationAction]:
        field = "immediate_actions" if kind == IMMEDIATE else "follow_up_actions"
        return [ClassificationAction(raw=r, kind=kind, classification_id=self.raw.get("id"),
                                     year=self.year, res=self.res)
                for r in self.raw.get(field) or () if isinstance(r, dict)]


def classification_of(res: Resources, year: int, classification_id: Any) -> BehaviourClassification | None:
    row = res.get(classifications_key(year)).unique("id").get(classification_id)
    return None if row is None else BehaviourClassification(raw=row, year=year, res=res)


@strawberry.type(description="A behaviour event type of the school's scheme (GET Event Types)." + SCHEME_CLAIM)
class BehaviourEventType:
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]

    @property
    def plan_id(self) -> tuple[str, Any]:
        return ("behaviour-event-type", self.raw.get("id"))

    @strawberry.field(description="The unique identifier for the event type.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.raw.get("id")))

    @strawberry.field(description="The classification group that the event type belongs to (null when GET Classification does not list it)." + SCHEME_CLAIM)
    @planned(needs=_needs(classifications_key),
             expand=lambda s, ps, a: [x for p in ps if (x := p._classification()) is not None])
    def classification(self) -> BehaviourClassification | None:
        return read(self.res, [classifications_key(self.year)], self._classification)

    def _classification(self) -> BehaviourClassification | None:
        return classification_of(self.res, self.year, self.raw.get("classification_id"))

    @strawberry.field(description="The code of the event type.")
    def code(self) -> str | None:
        return to_text(self.raw.get("code"))

    @strawberry.field(description="The name of the event type (empty when GET Event Types does not list the type).")
    def name(self) -> str:
        return str(self.raw.get("name") or "")

    @strawberry.field(description="The name displayed to parents and students for the event type.")
    def alias(self) -> str | None:
        return to_text(self.raw.get("alias"))

    @strawberry.field(description="Significance of the event type: one of Positive, Neutral or Negative (null for a value the reference does not list).")
    def significance(self) -> Significance | None:
        return _enum(Significance, self.raw.get("significance"))

    @strawberry.field(description="Flag whether to prioritise for group behaviour.")
    def prioritise(self) -> bool | None:
        v = self.raw.get("prioritise")
        return None if v is None else _bool(v)


def event_type_of(res: Resources, year: int, type_id: Any) -> BehaviourEventType:
    """The event type for an upstream id (an id GET Event Types does not list still gives a
    type object, with only its id, so that one unknown type spoils no list of events)."""
    row = res.get(event_types_key(year)).unique("id").get(type_id)
    return BehaviourEventType(raw=row if row is not None else {"id": type_id}, year=year, res=res)


# --- events -------------------------------------------------------------------------------------

def _staff_of(res: Resources, year: int, staff_id: Any) -> StaffMember | None:
    from gateway.graph.teaching import staff_by_id

    return None if staff_id is None else staff_by_id(res, year, staff_id)


def _staff_needs(field: str) -> Any:
    def needs(scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[ResourceKey]:
        return [_staff_key()] if any(p.raw.get(field) is not None for p in parents) else []
    return needs


@strawberry.type(description="A behaviour event logged against one or more students (GET Events)." + EVENTS_CLAIM)
class BehaviourEvent:
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]
    day: strawberry.Private[str]

    @property
    def plan_id(self) -> tuple[str, Any]:
        return ("behaviour-event", self.raw.get("id"))

    @strawberry.field(description="The unique identifier for the behaviour event.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.raw.get("id")))

    @strawberry.field(description="The UTC instant of the event (event_date).")
    def event_date(self) -> dt.datetime:
        return (to_datetime(self.raw.get("event_date"))
                or dt.datetime.fromisoformat(self.day).replace(tzinfo=dt.UTC))

    @strawberry.field(description="The school day (Europe/London) GO4Schools files the event under: the date it was asked for.")
    def date(self) -> dt.date:
        return dt.date.fromisoformat(self.day)

    @strawberry.field(description="The type of behaviour event (event_type_id)." + SCHEME_CLAIM)
    @planned(needs=_needs(event_types_key), expand=lambda s, ps, a: [p._type() for p in ps])
    def type(self) -> BehaviourEventType:
        return read(self.res, [event_types_key(self.year)], self._type)

    def _type(self) -> BehaviourEventType:
        return event_type_of(self.res, self.year, self.raw.get("event_type_id"))

    @strawberry.field(description="The students that this event was logged against." + STUDENTS_CLAIM)
    @planned(needs=_needs(_students_key), expand=lambda s, ps, a: [x for p in ps for x in p._students()])
    def students(self) -> list[StudentRef]:
        return read(self.res, [_students_key(self.year)], self._students)

    def _students(self) -> list[Student]:
        from gateway.graph.students import students_by_ids

        return students_by_ids(self.res, self.year, self.raw.get("student_ids") or ())

    @strawberry.field(description="Flag to determine whether the event is closed.")
    def closed(self) -> bool:
        return _bool(self.raw.get("closed"))

    @strawberry.field(description="Flag to determine whether the event has been cancelled.")
    def cancelled(self) -> bool:
        return _bool(self.raw.get("cancelled"))

    @strawberry.field(description="The room where the event took place.")
    def room_name(self) -> str | None:
        return to_text(self.raw.get("room_name"))

    @strawberry.field(description="The group name logged against the event.")
    def group_name(self) -> str | None:
        return to_text(self.raw.get("group_name"))

    @strawberry.field(description="The subject code logged against the event.")
    def subject_code(self) -> str | None:
        return to_text(self.raw.get("subject_code"))

    @strawberry.field(description="The year group logged against the event.")
    def year_group(self) -> str | None:
        return to_text(self.raw.get("year_group"))

    @strawberry.field(description="Home notes logged against the event.")
    def home_notes(self) -> str | None:
        return to_text(self.raw.get("home_notes"))

    @strawberry.field(description="School notes logged against the event.")
    def school_notes(self) -> str | None:
        return to_text(self.raw.get("school_notes"))

    @strawberry.field(description="The immediate actions attached to this event (event_action_ids)." + SCHEME_CLAIM)
    @planned(needs=lambda s, ps, a: [actions_key(s.year, IMMEDIATE)],
             expand=lambda s, ps, a: [x for p in ps for x in p._actions(IMMEDIATE)])
    def immediate_actions(self) -> list[BehaviourAction]:
        return read(self.res, [actions_key(self.year, IMMEDIATE)], lambda: self._actions(IMMEDIATE))

    @strawberry.field(description="The follow-up actions attached to this event (event_followup_type_ids)." + SCHEME_CLAIM)
    @planned(needs=lambda s, ps, a: [actions_key(s.year, FOLLOW_UP)],
             expand=lambda s, ps, a: [x for p in ps for x in p._actions(FOLLOW_UP)])
    def follow_up_actions(self) -> list[BehaviourAction]:
        return read(self.res, [actions_key(self.year, FOLLOW_UP)], lambda: self._actions(FOLLOW_UP))

    def _actions(self, kind: str) -> list[BehaviourAction]:
        field = "event_action_ids" if kind == IMMEDIATE else "event_followup_type_ids"
        return actions_by_ids(self.res, self.year, kind, self.raw.get(field))

    @strawberry.field(description="The member of staff that created the event (null when GET Staff does not list them)." + STAFF_CLAIM)
    @planned(needs=_staff_needs("created_by"),
             expand=lambda s, ps, a: [x for p in ps if (x := _staff_of(p.res, p.year, p.raw.get("created_by")))])
    def created_by(self) -> StaffRef | None:
        if self.raw.get("created_by") is None:
            return None
        return read(self.res, [_staff_key()], lambda: _staff_of(self.res, self.year, self.raw.get("created_by")))

    @strawberry.field(description="The UTC instant when the event was created.")
    def created_at(self) -> dt.datetime:
        return (to_datetime(self.raw.get("created_timestamp"))
                or dt.datetime.fromisoformat(self.day).replace(tzinfo=dt.UTC))

    @strawberry.field(description="The member of staff that last modified the event (null when never modified, or when GET Staff does not list them)." + STAFF_CLAIM)
    @planned(needs=_staff_needs("modified_by"),
             expand=lambda s, ps, a: [x for p in ps if (x := _staff_of(p.res, p.year, p.raw.get("modified_by")))])
    def modified_by(self) -> StaffRef | None:
        if self.raw.get("modified_by") is None:
            return None
        return read(self.res, [_staff_key()], lambda: _staff_of(self.res, self.year, self.raw.get("modified_by")))

    @strawberry.field(description="The UTC instant when the event was last modified.")
    def modified_at(self) -> dt.datetime | None:
        return to_datetime(self.raw.get("modified_timestamp"))


def event_objects(res: Resources, year: int, day: dt.date | str, rows: list[dict]) -> list[BehaviourEvent]:
    text = day if isinstance(day, str) else day.isoformat()
    return [BehaviourEvent(raw=r, year=year, res=res, day=text) for r in rows]


def _events(res: Resources, year: int, days: list[dt.date], student_id: Any = None) -> list[BehaviourEvent]:
    """Events of the given days in date order (of one student, through each day's index)."""
    out: list[BehaviourEvent] = []
    for d in days:
        table = res.get(events_key(year, d))
        rows = table.rows if student_id is None else table.group("student_ids").get(student_id, [])
        out.extend(event_objects(res, year, d, rows))
    return out


# --- Student and AcademicYear fields ------------------------------------------------------------

@strawberry.type
class StudentBehaviourFields:
    """Fields this domain adds to Student (composed in students.py)."""

    @strawberry.field(description="The behaviour events logged against the student over a range of dates." + CALENDAR_NOTE + EVENTS_CLAIM + CALENDAR_CLAIM)
    @planned(needs=open_day_needs(EVENTS),
             expand=open_day_expand(lambda p, days: _events(p.res, p.year, days, p.student_id)))
    def behaviour_events(self, info: Info, from_: FromArg, to: ToArg = None) -> list[BehaviourEvent]:
        start, end = check_range(self.year, from_, to, max_days(info))  # type: ignore[attr-defined]
        return read_open_days(self.res, self.year, EVENTS, start, end,  # type: ignore[attr-defined]
                              lambda days: _events(self.res, self.year, days, self.student_id))  # type: ignore[attr-defined]


def _year_list(make_key: Any, build: Any) -> Any:
    """(needs, expand) for a whole-year list field."""
    return dict(needs=_needs(make_key), expand=lambda s, ps, a: build(s.resources, s.year))


def _event_types(res: Resources, year: int) -> list[BehaviourEventType]:
    return [BehaviourEventType(raw=r, year=year, res=res) for r in res.get(event_types_key(year)).rows]


def _classifications(res: Resources, year: int) -> list[BehaviourClassification]:
    return [BehaviourClassification(raw=r, year=year, res=res)
            for r in res.get(classifications_key(year)).rows]


def _all_actions(kind: str) -> Any:
    def build(res: Resources, year: int) -> list[BehaviourAction]:
        return [BehaviourAction(raw=r, kind=kind) for r in res.get(actions_key(year, kind)).rows]
    return build


@strawberry.type
class AcademicYearBehaviourFields:
    """Fields this domain adds to AcademicYear (composed in academic_year.py)."""

    @strawberry.field(description="The behaviour events logged over a range of dates, in date order." + CALENDAR_NOTE + EVENTS_CLAIM + CALENDAR_CLAIM)
    @planned(needs=open_day_needs(EVENTS),
             expand=open_day_expand(lambda p, days: _events(p.res, p.year, days)))
    def behaviour_events(self, info: Info, from_: FromArg, to: ToArg = None) -> list[BehaviourEvent]:
        start, end = check_range(self.year, from_, to, max_days(info))  # type: ignore[attr-defined]
        return read_open_days(self.res, self.year, EVENTS, start, end,  # type: ignore[attr-defined]
                              lambda days: _events(self.res, self.year, days))  # type: ignore[attr-defined]

    @strawberry.field(description="The behaviour event types of the school's scheme." + SCHEME_CLAIM)
    @planned(**_year_list(event_types_key, _event_types))
    def behaviour_event_types(self) -> list[BehaviourEventType]:
        return read(self.res, [event_types_key(self.year)],  # type: ignore[attr-defined]
                    lambda: _event_types(self.res, self.year))  # type: ignore[attr-defined]

    @strawberry.field(description="The behaviour classification groups of the school's scheme." + SCHEME_CLAIM)
    @planned(**_year_list(classifications_key, _classifications))
    def behaviour_classifications(self) -> list[BehaviourClassification]:
        return read(self.res, [classifications_key(self.year)],  # type: ignore[attr-defined]
                    lambda: _classifications(self.res, self.year))  # type: ignore[attr-defined]

    @strawberry.field(description="The immediate behaviour actions of the school's scheme." + SCHEME_CLAIM)
    @planned(**_year_list(lambda y: actions_key(y, IMMEDIATE), _all_actions(IMMEDIATE)))
    def immediate_actions(self) -> list[BehaviourAction]:
        return read(self.res, [actions_key(self.year, IMMEDIATE)],  # type: ignore[attr-defined]
                    lambda: _all_actions(IMMEDIATE)(self.res, self.year))  # type: ignore[attr-defined]

    @strawberry.field(description="The follow-up behaviour actions of the school's scheme." + SCHEME_CLAIM)
    @planned(**_year_list(lambda y: actions_key(y, FOLLOW_UP), _all_actions(FOLLOW_UP)))
    def follow_up_actions(self) -> list[BehaviourAction]:
        return read(self.res, [actions_key(self.year, FOLLOW_UP)],  # type: ignore[attr-defined]
                    lambda: _all_actions(FOLLOW_UP)(self.res, self.year))  # type: ignore[attr-defined]
