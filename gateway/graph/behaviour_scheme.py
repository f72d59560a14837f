"""The behaviour scheme: classifications, event types, immediate and follow-up actions (one
resource each for the year; events, per date, are in ``behaviour``).

The two action routes share one shape, so an action knows which route it came from (``route``):
ids of the two lists may repeat. A value of an enum field the reference does not list shows as
``UNKNOWN``, counted and logged (``gateway.graph.unknown``).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry

from gateway.graph import keys
from gateway.graph.base import to_int, to_text
from gateway.graph.claims import SCHEME_CLAIM
from gateway.graph.lookups import Record, all_rows, row_by
from gateway.graph.relation import relation
from gateway.graph.row import Row, column
from gateway.graph.unknown import listed_enum, member_or_unknown
from gateway.resources.memo import Resources

UNKNOWN_NOTE = " UNKNOWN for a value the reference does not list (counted and logged); null when absent."


def flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


# --- actions ------------------------------------------------------------------------------------

@listed_enum("The type of a behaviour action.", unknown="A type")
class BehaviourActionType(Enum):
    STANDARD = strawberry.enum_value("Standard", description="A standard action.")
    DETENTION = strawberry.enum_value("Detention", description="A detention.")


def _action_type(self: BehaviourAction) -> BehaviourActionType | None:
    return member_or_unknown(BehaviourActionType, self, "type", self.raw.get("type"))


@strawberry.type(description="An immediate or follow-up behaviour action (GET Immediate Actions, GET Follow-up Actions)." + SCHEME_CLAIM)
class BehaviourAction(Row, id="The unique identifier for the action."):
    #: The route the action was read from (IMMEDIATE_ACTIONS or FOLLOW_UP_ACTIONS).
    route: strawberry.Private[keys.YearRoute]

    @property
    def plan_id(self) -> tuple[Any, ...]:
        return (self.route.route, self.raw.get("id"))

    name: str = column("name", "The name of the action.", convert=lambda v: str(v or ""))
    alias: str | None = column("alias", "The name displayed to parents and students for the action.", convert=to_text)
    type: BehaviourActionType | None = strawberry.field(
        resolver=_action_type, description="The type of this action: one of Standard or Detention." + UNKNOWN_NOTE)


def actions(res: Resources, year: int, route: keys.YearRoute, ids: Any = None) -> list[BehaviourAction]:
    """The actions of one route: all of them, or those of ``ids`` in their order (ids the route
    does not list are left out)."""
    if ids is None:
        rows = all_rows(res, route(year))
    else:
        by_id = res.get(route(year)).unique("id")
        rows = [row for i in ids if (row := by_id.get(i)) is not None]
    return [BehaviourAction(raw=r, year=year, res=res, route=route) for r in rows]


# --- classifications -----------------------------------------------------------------------------

@listed_enum("Whether an action of a classification must, should or may be completed.", unknown="A completion type")
class CompletionType(Enum):
    MANDATORY = strawberry.enum_value("Mandatory", description="The action must be completed.")
    RECOMMENDED = strawberry.enum_value("Recommended", description="The action is recommended.")
    OPTIONAL = strawberry.enum_value("Optional", description="The action is optional.")


def _completion_type(self: ClassificationAction) -> CompletionType | None:
    return member_or_unknown(CompletionType, self, "completionType", self.raw.get("completion_type"))


def _per_route(action: ClassificationAction) -> list[Any]:
    return [action.route(action.year)]


@relation(keys.per_parent(_per_route, keys.IMMEDIATE_ACTIONS.route, keys.FOLLOW_UP_ACTIONS.route),
          description="The action (null when the actions list does not have it)." + SCHEME_CLAIM)
def _action(self: ClassificationAction) -> BehaviourAction | None:
    found = actions(self.res, self.year, self.route, [self.raw.get("id")])
    return found[0] if found else None


@strawberry.type(description="An action defined for a behaviour classification, with how far it must be completed (GET Classification)." + SCHEME_CLAIM)
class ClassificationAction(Row):
    route: strawberry.Private[keys.YearRoute]
    classification_id: strawberry.Private[Any]

    @property
    def plan_id(self) -> tuple[Any, ...]:
        return ("classification-action", self.route.route, self.classification_id, self.raw.get("id"))

    action: BehaviourAction | None = _action
    completion_type: CompletionType | None = strawberry.field(
        resolver=_completion_type,
        description="Whether the action is Mandatory, Recommended or Optional." + UNKNOWN_NOTE)


def classification_actions(route: keys.YearRoute, list_key: str, description: str) -> Any:
    """The field of a classification's actions of one route (its ``list_key`` list)."""

    @relation(keys.BEHAVIOUR_CLASSIFICATIONS, description=description)
    def field(self: Row) -> list[ClassificationAction]:
        return [ClassificationAction(raw=r, year=self.year, res=self.res, route=route,
                                     classification_id=self.raw.get("id"))
                for r in self.raw.get(list_key) or () if isinstance(r, dict)]

    return field


@strawberry.type(description="A behaviour classification group, with its severity score and actions (GET Classification)." + SCHEME_CLAIM)
class BehaviourClassification(Row, id="The unique identifier for the behaviour classification group."):
    name: str = column("name", "The name of the behaviour classification group.", convert=lambda v: str(v or ""))
    score: int | None = column("score", "The severity score of the behaviour classification group.", convert=to_int)
    immediate_actions: list[ClassificationAction] = classification_actions(
        keys.IMMEDIATE_ACTIONS, "immediate_actions", "The immediate actions defined for this classification.")
    follow_up_actions: list[ClassificationAction] = classification_actions(
        keys.FOLLOW_UP_ACTIONS, "follow_up_actions", "The follow-up actions defined for this classification.")


# --- event types ---------------------------------------------------------------------------------

@listed_enum("The significance of a behaviour event type.", unknown="A significance")
class Significance(Enum):
    POSITIVE = strawberry.enum_value("Positive", description="Positive behaviour (e.g. an achievement).")
    NEUTRAL = strawberry.enum_value("Neutral", description="Neither positive nor negative.")
    NEGATIVE = strawberry.enum_value("Negative", description="Negative behaviour.")


def event_type_record(res: Resources, year: int, type_id: Any) -> Record:
    """The event type for an upstream id (one with only its id when GET Event Types does not
    list it, so that one unknown type spoils no list of events)."""
    return row_by(res, keys.BEHAVIOUR_EVENT_TYPES(year), type_id) or {"id": type_id}


def _significance(self: BehaviourEventType) -> Significance | None:
    return member_or_unknown(Significance, self, "significance", self.raw.get("significance"))


@relation(keys.BEHAVIOUR_CLASSIFICATIONS, link="classification_id", description="The classification group that the event type belongs to (null when GET Classification does not list it)." + SCHEME_CLAIM)
def _classification(self: Row) -> BehaviourClassification | None:
    return row_by(self.res, keys.BEHAVIOUR_CLASSIFICATIONS(self.year), self.raw.get("classification_id"))


def _prioritise(value: Any) -> bool | None:
    return None if value is None else flag(value)


@strawberry.type(description="A behaviour event type of the school's scheme (GET Event Types)." + SCHEME_CLAIM)
class BehaviourEventType(Row, id="The unique identifier for the event type."):
    classification: BehaviourClassification | None = _classification
    code: str | None = column("code", "The code of the event type.", convert=to_text)
    name: str = column("name", "The name of the event type (empty when GET Event Types does not list the type).",
                       convert=lambda v: str(v or ""))
    alias: str | None = column("alias", "The name displayed to parents and students for the event type.", convert=to_text)
    significance: Significance | None = strawberry.field(
        resolver=_significance,
        description="Significance of the event type: one of Positive, Neutral or Negative." + UNKNOWN_NOTE)
    prioritise: bool | None = column("prioritise", "Flag whether to prioritise for group behaviour.", convert=_prioritise)
