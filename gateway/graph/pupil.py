"""A student's personal-data categories beyond the basics: attributes (general, demographic, SEND, sensitive), photo, medical conditions, parental contacts and parent accounts."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated, Any, cast

import strawberry

from gateway.graph import keys
from gateway.graph.base import to_datetime, to_id, to_int, to_text
from gateway.graph.claims import CONTACTS_CLAIM, MEDICAL_CLAIM, PARENTS_CLAIM, PHOTOS_CLAIM
from gateway.graph.lookups import Record, row_by, rows_where
from gateway.graph.of_student import OfStudent, StudentRef, student_id_column, student_of
from gateway.graph.relation import relation
from gateway.graph.row import Row, column
from gateway.resources.keys import ResourceKey


@strawberry.enum(description="The category of a student attribute; each is its own GO4Schools route and permission.")
class AttributeCategory(Enum):
    # A category's value is the route it is read from (so the two are said together, once).
    GENERAL = strawberry.enum_value(keys.GENERAL_ATTRIBUTES, description="Custom and system attributes (GET General Attributes, students.attributes.read).")
    DEMOGRAPHIC = strawberry.enum_value(keys.DEMOGRAPHIC_ATTRIBUTES, description="Country of birth, home and first language, nationality (students.attributes.demographic.read).")
    SEND = strawberry.enum_value(keys.SEND_ATTRIBUTES, description="SEN code and status, educational needs, gifted and talented (students.attributes.send.read).")
    SENSITIVE = strawberry.enum_value(keys.SENSITIVE_ATTRIBUTES, description="FSM, EAL, disadvantaged, ethnicity, looked after, pupil premium… (students.attributes.sensitive.read).")
    PRIOR_ATTAINMENT = strawberry.enum_value(keys.PRIOR_ATTAINMENT, description="Prior attainment such as KS2 results (GET Prior Attainment, students.prior-attainment.read).")

    @property
    def route(self) -> keys.YearRoute:
        return cast(keys.YearRoute, self.value)  # strawberry.enum made each value the route itself


def _category(self: AttributeValue) -> AttributeCategory:
    return self.category_value


@strawberry.type(description="One value of a student attribute (an attribute route or prior attainment).")
class AttributeValue:
    """Built by the field that read it (it knows the category); reads nothing more."""

    raw: strawberry.Private[dict[str, Any]]
    category_value: strawberry.Private[AttributeCategory]

    category: AttributeCategory = strawberry.field(
        resolver=_category, description="The category (and so the route and permission) the value comes from.")
    attribute_id: strawberry.ID | None = column(
        "attribute_id", "The unique identifier for the attribute (absent for prior attainment).", convert=to_id)
    code: str | None = column("code", "The unique system code for the attribute, e.g. countryOfBirth or priorAttainmentKS2.")
    name: str | None = column("name", "The name of the attribute.")
    is_system: bool | None = column("is_system", "Whether the attribute is a system attribute (retrieved from the MIS).")
    value: str | None = column("value", "The value recorded for this attribute and student.", convert=to_text)
    academic_year: int | None = column(
        "academic_year", "Only populated if this value was timestamped against the requested academic year.", convert=to_int)
    date: dt.datetime | None = column(
        "date", "The dated timestamp of the value, as GO4Schools gives it (a UTC date and time).", convert=to_datetime)


# --- routes and claims ----------------------------------------------------------------------

#: What ``attributes`` without a category reads: the four attribute routes (not prior attainment).
DEFAULT_CATEGORIES = (AttributeCategory.GENERAL, AttributeCategory.DEMOGRAPHIC,
                      AttributeCategory.SEND, AttributeCategory.SENSITIVE)

ATTRIBUTES_CLAIM = (" Needs, per category, Students-Attributes (students.attributes.read), "
                    "Students-Attributes(demographic) (students.attributes.demographic.read), "
                    "Students-Attributes(SEND) (students.attributes.send.read), "
                    "Students-Attributes(sensitive) (students.attributes.sensitive.read) or "
                    "Students-Prior Attainment (students.prior-attainment.read) permission.")


def _categories(category: AttributeCategory | None) -> tuple[AttributeCategory, ...]:
    return DEFAULT_CATEGORIES if category is None else (category,)


def _attribute_keys(year: int, category: AttributeCategory | None = None) -> list[ResourceKey]:
    return [c.route(year) for c in _categories(category)]


# --- types ----------------------------------------------------------------------------------

@strawberry.type(description="A parental contact of a student (GET Parental Contacts)." + CONTACTS_CLAIM)
class ParentalContact(OfStudent):
    PLAN_FIELDS = ("student_id", "student_contact_mis_id", "parent_display_name")

    student_id: strawberry.ID | None = student_id_column("The unique identifier for the student.")
    parent_display_name: str | None = column("parent_display_name", "Full name of the student's parent.")
    priority: int | None = column("priority", "Parent's communication policy (priority).", convert=to_int)
    email_address: str | None = column("email_address", "Parent's email address.")
    home_telephone: str | None = column("home_telephone", "Parent's home telephone number.", convert=to_text)
    main_telephone: str | None = column("main_telephone", "Parent's main telephone number.", convert=to_text)
    mobile: str | None = column("mobile", "Parent's mobile telephone number.", convert=to_text)
    is_main_email_address_for_contact: bool | None = column(
        "is_main_email_address_for_contact", "States whether a parent would like to be contacted via email.")
    student_contact_mis_id: str | None = column(
        "student_contact_mis_id", "The identifier for the contact from an external MIS.", convert=to_text)
    student: StudentRef | None = student_of("The student this is a contact of (GET Students).", null_note=False)


@strawberry.type(description="A parent user account, one per parent and student (GET Parents)." + PARENTS_CLAIM)
class ParentAccount(OfStudent):
    # ``year``: the academic year ``student`` is read in (GET Parents itself has no year).
    PLAN_FIELDS = ("email_address", "student_id")

    email_address: str | None = column("email_address", "The email address for the parent account.")
    display_name: str | None = column("display_name", "The display name of the parent.")
    student_id: strawberry.ID | None = student_id_column("The unique identifier for the student associated with this parent.")
    student: StudentRef | None = student_of("The student associated with this parent (GET Students).", null_note=False)


# --- Student fields -------------------------------------------------------------------------

CategoryArg = Annotated[AttributeCategory | None, strawberry.argument(
    description="Only the values of this category (one route); null: general, demographic, SEND and sensitive together.")]


def _rows_of(student: Row, route: keys.YearRoute | keys.SchoolRoute) -> list[Record]:
    """A student's records of a route (through its by-student index)."""
    return rows_where(student.res, route(student.year), "student_id", student.raw.get("id"))


def _row_of(student: Row, route: keys.YearRoute) -> Record:
    return row_by(student.res, route(student.year), student.raw.get("id"), "student_id")


@strawberry.type
class StudentPupilDataFields(Row):
    """Fields this domain adds to Student (composed in students.py)."""

    @relation(keys.by_args(_attribute_keys, *(c.route.route for c in AttributeCategory)),
              description="The student's attribute values of one category, or (no category) of the general, demographic, SEND and sensitive routes together; each category is its own route and permission, and a missing one fails the field." + ATTRIBUTES_CLAIM)
    def attributes(self, category: CategoryArg = None) -> list[AttributeValue]:
        return [AttributeValue(raw=r, category_value=c) for c in _categories(category)
                for r in _rows_of(self, c.route)]

    @relation(keys.PHOTOS, description="The student's photo as a base64 data URL, e.g. \"data:image/jpeg;base64,…\" (GET Photos)." + PHOTOS_CLAIM)
    def photo(self) -> str | None:
        return (_row_of(self, keys.PHOTOS) or {}).get("photo")

    @relation(keys.MEDICAL_CONDITIONS, description="Medical conditions taken from the school's MIS, e.g. \"Other Allergies; Other Medical\" (GET Medical Conditions)." + MEDICAL_CLAIM)
    def medical_conditions(self) -> str | None:
        return (_row_of(self, keys.MEDICAL_CONDITIONS) or {}).get("medical_conditions")

    @relation(keys.PARENTAL_CONTACTS, description="The student's parental contacts (GET Parental Contacts)." + CONTACTS_CLAIM)
    def contacts(self) -> list[ParentalContact]:
        return [ParentalContact(raw=r, year=self.year, res=self.res, owner=self) for r in _rows_of(self, keys.PARENTAL_CONTACTS)]

    @relation(keys.PARENTS, description="The parent user accounts linked to the student (GET Parents)." + PARENTS_CLAIM)
    def parent_accounts(self) -> list[ParentAccount]:
        return [ParentAccount(raw=r, year=self.year, res=self.res, owner=self) for r in _rows_of(self, keys.PARENTS)]
