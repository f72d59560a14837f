"""Upstream values outside the reference's list: reported, never dropped in silence.

Where a record's value is shown as an enum (a session, an action type, a significance…), a
value the reference does not list is counted in ``go4graph_unknown_values_total{type,field}``
(once per record and field in a request) and logged once per request for each type, field
and value. The log line names the GraphQL type, the field and the upstream value (cut to 40
characters) and nothing else: never a student, an id or a note.

What the field then shows is the field's choice:

- :func:`member_or_unknown`: the enum's ``UNKNOWN`` member, for descriptive categories a
  front end can show as "other" (behaviour action types, completion types, significances),
  declared with :func:`listed_enum`;
- :func:`unknown_value_error`: an error at that record's field, for values the record
  cannot be read without (a session mark's AM/PM session).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from enum import Enum
from typing import Any, Protocol, TypeVar

import strawberry
from prometheus_client import Counter

from gateway import metrics
from gateway.resources.memo import Resources
from gateway.upstream.errors import UpstreamProtocolError

log = logging.getLogger("go4graph.graph.unknown")

UNKNOWN_VALUES = Counter(
    "go4graph_unknown_values",
    "Upstream records with a value the reference does not list, by GraphQL type and field "
    "(shown as UNKNOWN or as an error at the record)",
    ["type", "field"], registry=metrics.REGISTRY)

#: The longest upstream value a log line or an error message quotes.
MAX_SHOWN = 40
#: Distinct (type, field, value) warnings one request logs at most.
MAX_WARNINGS = 20

E = TypeVar("E", bound=Enum)


class _Reported:
    """What one request has reported: records counted, values logged."""

    __slots__ = ("records", "logged")

    def __init__(self) -> None:
        self.records: set[tuple[str, str, int]] = set()
        self.logged: set[tuple[str, str, str]] = set()


# Keyed by the request's resource memo (one per request and school), held weakly: an entry
# goes with its request, so nothing request-scoped outlives it.
_REPORTED: weakref.WeakKeyDictionary[Resources, _Reported] = weakref.WeakKeyDictionary()


def shown(value: Any) -> str:
    """An upstream value as a log line or a message may quote it."""
    text = str(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


class Reported(Protocol):
    """What a value is reported from: a Row (its record and the request's resources)."""

    raw: dict[str, Any]
    res: Resources


def report(row: Reported, field: str, value: Any) -> None:
    """Count ``row``'s unknown ``value`` of ``field`` (once per record and request) and log it
    (once per request and value). The type is named by the row's class (its GraphQL name)."""
    type_name = type(row).__name__
    seen = _REPORTED.get(row.res)
    if seen is None:
        seen = _REPORTED[row.res] = _Reported()
    counted = (type_name, field, id(row.raw))
    if counted in seen.records:
        return
    seen.records.add(counted)
    UNKNOWN_VALUES.labels(type_name, field).inc()
    text = shown(value)
    logged = (type_name, field, text)
    if logged not in seen.logged and len(seen.logged) < MAX_WARNINGS:
        seen.logged.add(logged)
        log.warning("an upstream value the reference does not list",
                    extra={"type": type_name, "field": field, "value": text})


#: Each enum's members by their value's lower-case text (UNKNOWN left out), made once.
_BY_TEXT: dict[type[Enum], dict[str, Any]] = {}


def match(kind: type[E], value: Any) -> E | None:
    """The member whose value is ``value`` in any case and spacing (None when none is; an
    ``UNKNOWN`` member is never matched: it stands for values the reference does not list)."""
    by_text = _BY_TEXT.get(kind)
    if by_text is None:
        by_text = _BY_TEXT[kind] = {}
        for member in kind:
            if member.name != "UNKNOWN":
                by_text.setdefault(str(member.value).lower(), member)  # the first, as listed
    found: E | None = by_text.get(str(value).strip().lower())
    return found


def listed_enum(description: str, unknown: str) -> Callable[[type[E]], type[E]]:
    """A strawberry enum of the values the reference lists (the class's members) and one more,
    ``UNKNOWN``, for any other value (what :func:`member_or_unknown` shows): ``unknown`` names
    what it stands for, e.g. "A significance".

        @listed_enum("The significance of a behaviour event type.", unknown="A significance")
        class Significance(Enum):
            POSITIVE = strawberry.enum_value("Positive", description="Positive behaviour …")
    """
    note = f"{unknown} the reference does not list (GO4Schools gave another value)."

    def build(listed: type[E]) -> type[E]:
        # An enum with members cannot be extended: the enum is made again, with UNKNOWN last.
        members = [(m.name, m.value) for m in listed]
        members.append(("UNKNOWN", strawberry.enum_value("?", description=note)))
        functional: Any = Enum  # mypy reads Enum(...) only with a literal name and members
        whole: type[E] = functional(listed.__name__, members, module=listed.__module__, qualname=listed.__qualname__)
        return strawberry.enum(whole, description=description)

    return build


def member_or_unknown(kind: type[E], row: Reported, field: str, value: Any) -> E | None:
    """``value`` of ``row``'s ``field`` as a member of ``kind`` (which has an ``UNKNOWN``
    member): None when absent; ``UNKNOWN``, reported, when the reference does not list it."""
    if value is None or value == "":
        return None
    member = match(kind, value)
    if member is None:
        report(row, field, value)
        member = kind["UNKNOWN"]
    return member


def unknown_value_error(row: Reported, field: str, value: Any, route: str) -> UpstreamProtocolError:
    """The error a field raises for a value it cannot be shown without (reported first)."""
    report(row, field, value)
    return UpstreamProtocolError(
        f"{type(row).__name__}.{field}: {shown(value)!r} is not a value the reference lists", route=route)
