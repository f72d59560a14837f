"""``unknown.listed_enum``: the reference's values, then one UNKNOWN member for any other value."""

from __future__ import annotations

from enum import Enum

import strawberry

from gateway.graph import behaviour_scheme as scheme
from gateway.graph.unknown import listed_enum, match


@listed_enum("A colour.", unknown="A colour")
class Colour(Enum):
    RED = strawberry.enum_value("Red", description="Red.")
    BLUE = strawberry.enum_value("Blue", description="Blue.")


def test_the_listed_members_come_first_and_unknown_last() -> None:
    assert [m.name for m in Colour] == ["RED", "BLUE", "UNKNOWN"]
    assert (Colour.__name__, Colour.__module__) == ("Colour", __name__)
    definition = Colour.__strawberry_definition__  # type: ignore[attr-defined]
    assert definition.description == "A colour."
    described = {v.name: v.description for v in definition.values}
    assert described == {"RED": "Red.", "BLUE": "Blue.",
                         "UNKNOWN": "A colour the reference does not list (GO4Schools gave another value)."}


def test_unknown_is_never_matched_by_a_value() -> None:
    assert match(Colour, " red ") is Colour["RED"]
    assert match(Colour, "?") is None


def test_the_scheme_enums_end_with_unknown() -> None:
    for kind in (scheme.BehaviourActionType, scheme.CompletionType, scheme.Significance):
        assert list(kind)[-1].name == "UNKNOWN"
