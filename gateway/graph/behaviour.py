"""Behaviour events (GET Events) and the behaviour fields of Student and AcademicYear; the scheme
(classifications, event types, actions) is in ``behaviour_scheme``.

Events are one resource per date (cursor paged), and a range of dates fans out over the days the
school calendar says are open. A school day is a Europe/London day: the date resource GO4Schools
files an event under decides its day, while ``eventDate`` is the UTC instant.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from gateway.categories import Category
from gateway.graph import behaviour_scheme as scheme
from gateway.graph import claims, dates, keys
from gateway.graph.base import to_datetime, to_text
from gateway.graph.connections import Connection, connection
from gateway.graph.lookups import Record, all_rows, row_by, rows_by, rows_where
from gateway.graph.plan import Scope
from gateway.graph.relation import relation
from gateway.graph.row import Row, YearScoped, column, columns
from gateway.resources.keys import ResourceKey
from gateway.resources.memo import Resources

if TYPE_CHECKING:
    from gateway.graph.students import Student
    from gateway.graph.teaching import StaffMember

StudentRef = Annotated["Student", strawberry.lazy("gateway.graph.students")]
StaffRef = Annotated["StaffMember", strawberry.lazy("gateway.graph.teaching")]

FromArg = Annotated[dt.date, strawberry.argument(
    name="from", description="The first date of the range (yyyy-mm-dd, a Europe/London school day).")]
ToArg = Annotated[dt.date | None, strawberry.argument(
    description="The last date of the range, included (yyyy-mm-dd); defaults to 'from'.")]


# --- the fields of an event that are not plain columns ----------------------------------------

def _instant(key: str) -> Any:
    """A UTC instant of the record (the event's day at midnight UTC when absent)."""

    def resolve(self: BehaviourEvent) -> dt.datetime:
        return to_datetime(self.raw.get(key)) or dt.datetime.fromisoformat(self.day).replace(tzinfo=dt.UTC)

    return resolve


def _day(self: BehaviourEvent) -> dt.date:
    return dt.date.fromisoformat(self.day)


def _staff_keys(raw_key: str) -> keys.PerParent:
    """GET Staff, for the events that name a member of staff in ``raw_key``."""

    def of(event: Row) -> list[ResourceKey]:
        return [keys.STAFF()] if event.raw.get(raw_key) is not None else []

    return keys.per_parent(of, keys.STAFF.route)


def staff_link(raw_key: str, description: str) -> Any:
    """The field of the member of staff an event names (null when none, or not in GET Staff)."""

    @relation(_staff_keys(raw_key), link=raw_key, description=description + claims.STAFF_CLAIM)
    def staff(self: Row) -> StaffRef | None:
        return row_by(self.res, keys.STAFF(), self.raw.get(raw_key))

    return staff


def event_actions(route: keys.YearRoute, ids_key: str, description: str) -> Any:
    """The field of the actions of one route an event lists (its ``ids_key``)."""

    @relation(route, link=lambda event: tuple(event.raw.get(ids_key) or ()), description=description + claims.SCHEME_CLAIM)
    def field(self: Row) -> list[scheme.BehaviourAction]:
        return scheme.actions(self.res, self.year, route, self.raw.get(ids_key) or ())

    return field


@relation(keys.BEHAVIOUR_EVENT_TYPES, link="event_type_id", description="The type of behaviour event (event_type_id)." + claims.SCHEME_CLAIM)
def _event_type(self: Row) -> scheme.BehaviourEventType:
    return scheme.event_type_record(self.res, self.year, self.raw.get("event_type_id"))


@relation(keys.STUDENTS, description="The students that this event was logged against." + claims.STUDENTS_CLAIM)
def _students(self: Row) -> list[StudentRef]:
    return rows_by(self.res, keys.STUDENTS(self.year), self.raw.get("student_ids") or ())


def _flag(key: str, description: str) -> Any:
    return column(key, description, convert=scheme.flag)


@strawberry.type(description="A behaviour event logged against one or more students (GET Events)." + claims.EVENTS_CLAIM)
class BehaviourEvent(Row, id="The unique identifier for the behaviour event."):
    #: The date GO4Schools files the event under (the date it was asked for).
    day: strawberry.Private[str]

    event_date: dt.datetime = strawberry.field(resolver=_instant("event_date"), description="The UTC instant of the event (event_date).")
    date: dt.date = strawberry.field(resolver=_day, description="The school day (Europe/London) GO4Schools files the event under: the date it was asked for.")
    type: scheme.BehaviourEventType = _event_type
    students: list[StudentRef] = _students
    closed: bool = _flag("closed", "Flag to determine whether the event is closed.")
    cancelled: bool = _flag("cancelled", "Flag to determine whether the event has been cancelled.")
    COLUMNS = columns("""
        room_name     The room where the event took place.
        group_name    The group name logged against the event.
        subject_code  The subject code logged against the event.
        year_group    The year group logged against the event.
        home_notes    Home notes logged against the event.
        school_notes  School notes logged against the event.
    """, convert=to_text)
    immediate_actions: list[scheme.BehaviourAction] = event_actions(
        keys.IMMEDIATE_ACTIONS, "event_action_ids", "The immediate actions attached to this event (event_action_ids).")
    follow_up_actions: list[scheme.BehaviourAction] = event_actions(
        keys.FOLLOW_UP_ACTIONS, "event_followup_type_ids", "The follow-up actions attached to this event (event_followup_type_ids).")
    created_by: StaffRef | None = staff_link("created_by", "The member of staff that created the event (null when GET Staff does not list them).")
    created_at: dt.datetime = strawberry.field(resolver=_instant("created_timestamp"), description="The UTC instant when the event was created.")
    modified_by: StaffRef | None = staff_link("modified_by", "The member of staff that last modified the event (null when never modified, or when GET Staff does not list them).")
    modified_at: dt.datetime | None = column("modified_timestamp", "The UTC instant when the event was last modified.", convert=to_datetime)


def event_objects(res: Resources, year: int, day: dt.date | str, rows: Iterable[Record]) -> list[BehaviourEvent]:
    text = day if isinstance(day, str) else day.isoformat()
    return [BehaviourEvent(raw=r, year=year, res=res, day=text) for r in rows]


def events(res: Resources, year: int, days: list[dt.date], student_id: Any = None) -> list[BehaviourEvent]:
    """Events of the given days in date order (of one student, through each day's index)."""
    out: list[BehaviourEvent] = []
    for d in days:
        key = keys.BEHAVIOUR_EVENTS(year, d)
        rows = all_rows(res, key) if student_id is None else rows_where(res, key, "student_ids", student_id)
        out.extend(event_objects(res, year, d, rows))
    return out


# --- fields this domain adds to Student and AcademicYear ----------------------------------------

@strawberry.type
class StudentBehaviourFields(Row):
    """Fields this domain adds to Student (composed in students.py)."""

    @relation(dates.open_day_reads(keys.BEHAVIOUR_EVENTS), category=Category.BEHAVIOUR,
              description="The behaviour events logged against the student over a range of dates." + claims.CALENDAR_NOTE + claims.EVENTS_CLAIM + claims.CALENDAR_CLAIM)
    def behaviour_events(self, scope: Scope, from_: FromArg, to: ToArg = None) -> list[BehaviourEvent]:
        return events(self.res, self.year, dates.open_days_of(scope, self.year, from_, to), self.raw.get("id"))


@strawberry.type
class AcademicYearBehaviourFields(YearScoped):
    """Fields this domain adds to AcademicYear (composed in academic_year.py)."""

    @relation(dates.open_day_reads(keys.BEHAVIOUR_EVENTS), category=Category.BEHAVIOUR,
              description="The behaviour events logged over a range of dates, in date order." + claims.CALENDAR_NOTE + claims.EVENTS_CLAIM + claims.CALENDAR_CLAIM)
    def behaviour_events(self, scope: Scope, from_: FromArg, to: ToArg = None) -> list[BehaviourEvent]:
        return events(self.res, self.year, dates.open_days_of(scope, self.year, from_, to))

    behaviour_events_connection: Connection[BehaviourEvent] = connection(behaviour_events)

    @relation(keys.BEHAVIOUR_EVENT_TYPES, description="The behaviour event types of the school's scheme." + claims.SCHEME_CLAIM)
    def behaviour_event_types(self) -> list[scheme.BehaviourEventType]:
        return all_rows(self.res, keys.BEHAVIOUR_EVENT_TYPES(self.year))

    @relation(keys.BEHAVIOUR_CLASSIFICATIONS, description="The behaviour classification groups of the school's scheme." + claims.SCHEME_CLAIM)
    def behaviour_classifications(self) -> list[scheme.BehaviourClassification]:
        return all_rows(self.res, keys.BEHAVIOUR_CLASSIFICATIONS(self.year))

    @relation(keys.IMMEDIATE_ACTIONS, description="The immediate behaviour actions of the school's scheme." + claims.SCHEME_CLAIM)
    def immediate_actions(self) -> list[scheme.BehaviourAction]:
        return scheme.actions(self.res, self.year, keys.IMMEDIATE_ACTIONS)

    @relation(keys.FOLLOW_UP_ACTIONS, description="The follow-up behaviour actions of the school's scheme." + claims.SCHEME_CLAIM)
    def follow_up_actions(self) -> list[scheme.BehaviourAction]:
        return scheme.actions(self.res, self.year, keys.FOLLOW_UP_ACTIONS)
