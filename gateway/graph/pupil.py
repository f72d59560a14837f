"""A student's personal-data categories beyond the basics: attributes (general, demographic, SEND, sensitive), photo, medical conditions, parental contacts and parent accounts."""

from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry

from gateway.graph.base import to_date


@strawberry.enum(description="The category of a student attribute; each is its own GO4Schools route and permission.")
class AttributeCategory(Enum):
    GENERAL = strawberry.enum_value("general", description="Custom and system attributes (GET General Attributes, students.attributes.read).")
    DEMOGRAPHIC = strawberry.enum_value("demographic", description="Country of birth, home and first language, nationality (students.attributes.demographic.read).")
    SEND = strawberry.enum_value("send", description="SEN code and status, educational needs, gifted and talented (students.attributes.send.read).")
    SENSITIVE = strawberry.enum_value("sensitive", description="FSM, EAL, disadvantaged, ethnicity, looked after, pupil premium… (students.attributes.sensitive.read).")
    PRIOR_ATTAINMENT = strawberry.enum_value("prior-attainment", description="Prior attainment such as KS2 results (GET Prior Attainment, students.prior-attainment.read).")


@strawberry.type(description="One value of a student attribute (an attribute route or prior attainment).")
class AttributeValue:
    raw: strawberry.Private[dict]
    category_value: strawberry.Private[AttributeCategory]

    @strawberry.field(description="The category (and so the route and permission) the value comes from.")
    def category(self) -> AttributeCategory:
        return self.category_value

    @strawberry.field(description="The unique identifier for the attribute (absent for prior attainment).")
    def attribute_id(self) -> strawberry.ID | None:
        v = self.raw.get("attribute_id")
        return None if v is None else strawberry.ID(str(v))

    @strawberry.field(description="The unique system code for the attribute, e.g. countryOfBirth or priorAttainmentKS2.")
    def code(self) -> str | None:
        return self.raw.get("code")

    @strawberry.field(description="The name of the attribute.")
    def name(self) -> str | None:
        return self.raw.get("name")

    @strawberry.field(description="Whether the attribute is a system attribute (retrieved from the MIS).")
    def is_system(self) -> bool | None:
        return self.raw.get("is_system")

    @strawberry.field(description="The value recorded for this attribute and student.")
    def value(self) -> str | None:
        v = self.raw.get("value")
        return None if v is None else str(v)

    @strawberry.field(description="Only populated if this value was timestamped against the requested academic year.")
    def academic_year(self) -> int | None:
        v = self.raw.get("academic_year")
        try:
            return None if v in (None, "") else int(v)
        except (TypeError, ValueError):
            return None

    @strawberry.field(description="The dated timestamp of the value.")
    def date(self) -> dt.date | None:
        return to_date(self.raw.get("date"))


@strawberry.type
class StudentPupilDataFields:
    """Fields this domain adds to Student (composed in students.py)."""
