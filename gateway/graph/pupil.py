"""A student's personal-data categories beyond the basics: attributes (general, demographic, SEND, sensitive), photo, medical conditions, parental contacts and parent accounts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from gateway.graph.base import read, rk, to_date, to_id, to_text
from gateway.graph.plan import Scope, planned
from gateway.resources.keys import ResourceKey
from gateway.resources.memo import Resources

if TYPE_CHECKING:
    from gateway.graph.students import Student

StudentRef = Annotated["Student", strawberry.lazy("gateway.graph.students")]


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



# --- routes and claims ----------------------------------------------------------------------

ATTRIBUTE_ROUTES: dict[AttributeCategory, str] = {
    AttributeCategory.GENERAL: "general-attributes",
    AttributeCategory.DEMOGRAPHIC: "demographic-attributes",
    AttributeCategory.SEND: "send-attributes",
    AttributeCategory.SENSITIVE: "sensitive-attributes",
    AttributeCategory.PRIOR_ATTAINMENT: "prior-attainment",
}
#: What ``attributes`` without a category reads: the four attribute routes (not prior attainment).
DEFAULT_CATEGORIES = (AttributeCategory.GENERAL, AttributeCategory.DEMOGRAPHIC,
                      AttributeCategory.SEND, AttributeCategory.SENSITIVE)

ATTRIBUTES_CLAIM = (" Needs, per category, Students-Attributes (students.attributes.read), "
                    "Students-Attributes(demographic) (students.attributes.demographic.read), "
                    "Students-Attributes(SEND) (students.attributes.send.read), "
                    "Students-Attributes(sensitive) (students.attributes.sensitive.read) or "
                    "Students-Prior Attainment (students.prior-attainment.read) permission.")
PHOTOS_CLAIM = " Needs the Students-Photos (students.photos.read) permission."
MEDICAL_CLAIM = " Needs the Students-Attributes (medical) (students.medical.read) permission."
CONTACTS_CLAIM = " Needs the Contacts-Student Parents (students.parents.read) permission."
PARENTS_CLAIM = " Needs the Users-Parent Accounts (school.accounts.parents.read) permission."
STUDENTS_CLAIM = " Needs the Student-Students (students.read) permission."


def attribute_key(year: int, category: AttributeCategory) -> ResourceKey:
    return rk(ATTRIBUTE_ROUTES[category], year)


def photos_key(year: int) -> ResourceKey:
    return rk("photos", year)


def medical_key(year: int) -> ResourceKey:
    return rk("medical-conditions", year)


def contacts_key(year: int) -> ResourceKey:
    return rk("parental-contacts", year)


def parents_key(year: int | None = None) -> ResourceKey:
    """GET Parents is one resource for the school, whatever the year (the argument is ignored)."""
    return rk("parent-accounts")


def _students_key(year: int) -> ResourceKey:
    return rk("students", year)


def _category(value: Any) -> AttributeCategory | None:
    """The category argument as the plan (graphql-core) or the resolver (strawberry) sees it."""
    if value is None or isinstance(value, AttributeCategory):
        return value
    for member in AttributeCategory:
        if value in (member.value, member.name):
            return member
    return None


def _categories(value: Any) -> tuple[AttributeCategory, ...]:
    category = _category(value)
    return DEFAULT_CATEGORIES if category is None else (category,)


def _needs(*makers: Callable[[int], ResourceKey]) -> Callable[[Scope, list[Any], dict[str, Any]], list[ResourceKey]]:
    def plan(scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[ResourceKey]:
        return [make(scope.year) for make in makers]

    return plan


def _student_of(obj: Any) -> Any:
    from gateway.graph.students import student_by_id

    return student_by_id(obj.res, obj.year, obj.raw.get("student_id"))


def _students_expand(scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[Any]:
    return [s for s in (_student_of(p) for p in parents) if s is not None]


# --- types ----------------------------------------------------------------------------------

@strawberry.type(description="A parental contact of a student (GET Parental Contacts)." + CONTACTS_CLAIM)
class ParentalContact:
    raw: strawberry.Private[dict]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]

    @property
    def plan_id(self) -> tuple[str, Any, Any, Any]:
        return ("parental-contact", self.raw.get("student_id"), self.raw.get("student_contact_mis_id"),
                self.raw.get("parent_display_name"))

    @strawberry.field(description="The unique identifier for the student.")
    def student_id(self) -> strawberry.ID | None:
        return to_id(self.raw.get("student_id"))

    @strawberry.field(description="Full name of the student's parent.")
    def parent_display_name(self) -> str | None:
        return self.raw.get("parent_display_name")

    @strawberry.field(description="Parent's communication policy (priority).")
    def priority(self) -> int | None:
        v = self.raw.get("priority")
        try:
            return None if v is None else int(v)
        except (TypeError, ValueError):
            return None

    @strawberry.field(description="Parent's email address.")
    def email_address(self) -> str | None:
        return self.raw.get("email_address")

    @strawberry.field(description="Parent's home telephone number.")
    def home_telephone(self) -> str | None:
        return to_text(self.raw.get("home_telephone"))

    @strawberry.field(description="Parent's main telephone number.")
    def main_telephone(self) -> str | None:
        return to_text(self.raw.get("main_telephone"))

    @strawberry.field(description="Parent's mobile telephone number.")
    def mobile(self) -> str | None:
        return to_text(self.raw.get("mobile"))

    @strawberry.field(description="States whether a parent would like to be contacted via email.")
    def is_main_email_address_for_contact(self) -> bool | None:
        return self.raw.get("is_main_email_address_for_contact")

    @strawberry.field(description="The identifier for the contact from an external MIS.")
    def student_contact_mis_id(self) -> str | None:
        return to_text(self.raw.get("student_contact_mis_id"))

    @strawberry.field(description="The student this is a contact of (GET Students)." + STUDENTS_CLAIM)
    @planned(needs=_needs(_students_key), expand=_students_expand)
    def student(self) -> StudentRef | None:
        return read(self.res, [_students_key(self.year)], lambda: _student_of(self))


@strawberry.type(description="A parent user account, one per parent and student (GET Parents)." + PARENTS_CLAIM)
class ParentAccount:
    raw: strawberry.Private[dict]
    #: The academic year ``student`` is read in (GET Parents itself has no year).
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]

    @property
    def plan_id(self) -> tuple[str, Any, Any]:
        return ("parent-account", self.raw.get("email_address"), self.raw.get("student_id"))

    @strawberry.field(description="The email address for the parent account.")
    def email_address(self) -> str | None:
        return self.raw.get("email_address")

    @strawberry.field(description="The display name of the parent.")
    def display_name(self) -> str | None:
        return self.raw.get("display_name")

    @strawberry.field(description="The unique identifier for the student associated with this parent.")
    def student_id(self) -> strawberry.ID | None:
        return to_id(self.raw.get("student_id"))

    @strawberry.field(description="The student associated with this parent (GET Students)." + STUDENTS_CLAIM)
    @planned(needs=_needs(_students_key), expand=_students_expand)
    def student(self) -> StudentRef | None:
        return read(self.res, [_students_key(self.year)], lambda: _student_of(self))



# --- Student fields -------------------------------------------------------------------------

def _attributes_of(student: Any, categories: tuple[AttributeCategory, ...]) -> list[AttributeValue]:
    out: list[AttributeValue] = []
    for category in categories:
        rows = student.res.get(attribute_key(student.year, category)).group("student_id").get(student.student_id, [])
        out.extend(AttributeValue(raw=r, category_value=category) for r in rows)
    return out


def _photo_of(student: Any) -> str | None:
    row = student.res.get(photos_key(student.year)).unique("student_id").get(student.student_id)
    return None if row is None else row.get("photo")


def _medical_of(student: Any) -> str | None:
    row = student.res.get(medical_key(student.year)).unique("student_id").get(student.student_id)
    return None if row is None else row.get("medical_conditions")


def _contacts_of(student: Any) -> list[ParentalContact]:
    rows = student.res.get(contacts_key(student.year)).group("student_id").get(student.student_id, [])
    return [ParentalContact(raw=r, year=student.year, res=student.res) for r in rows]


def _parents_of(student: Any) -> list[ParentAccount]:
    rows = student.res.get(parents_key()).group("student_id").get(student.student_id, [])
    return [ParentAccount(raw=r, year=student.year, res=student.res) for r in rows]


def _each(fn: Callable[[Any], list[Any]]) -> Callable[[Scope, list[Any], dict[str, Any]], list[Any]]:
    def expand(scope: Scope, parents: list[Any], args: dict[str, Any]) -> list[Any]:
        return [child for p in parents for child in fn(p)]

    return expand


CategoryArg = Annotated[AttributeCategory | None, strawberry.argument(
    description="Only the values of this category (one route); null: general, demographic, SEND and sensitive together.")]


@strawberry.type
class StudentPupilDataFields:
    """Fields this domain adds to Student (composed in students.py)."""

    @strawberry.field(description="The student's attribute values of one category, or (no category) of the general, demographic, SEND and sensitive routes together; each category is its own route and permission, and a missing one fails the field." + ATTRIBUTES_CLAIM)
    @planned(needs=lambda s, ps, a: [attribute_key(s.year, c) for c in _categories(a.get("category"))])
    def attributes(self, category: CategoryArg = None) -> list[AttributeValue]:
        me: Any = self
        categories = _categories(category)
        return read(me.res, [attribute_key(me.year, c) for c in categories],
                    lambda: _attributes_of(me, categories))

    @strawberry.field(description="The student's photo as a base64 data URL, e.g. \"data:image/jpeg;base64,…\" (GET Photos)." + PHOTOS_CLAIM)
    @planned(needs=_needs(photos_key))
    def photo(self) -> str | None:
        me: Any = self
        return read(me.res, [photos_key(me.year)], lambda: _photo_of(me))

    @strawberry.field(description="Medical conditions taken from the school's MIS, e.g. \"Other Allergies; Other Medical\" (GET Medical Conditions)." + MEDICAL_CLAIM)
    @planned(needs=_needs(medical_key))
    def medical_conditions(self) -> str | None:
        me: Any = self
        return read(me.res, [medical_key(me.year)], lambda: _medical_of(me))

    @strawberry.field(description="The student's parental contacts (GET Parental Contacts)." + CONTACTS_CLAIM)
    @planned(needs=_needs(contacts_key), expand=_each(_contacts_of))
    def contacts(self) -> list[ParentalContact]:
        me: Any = self
        return read(me.res, [contacts_key(me.year)], lambda: _contacts_of(me))

    @strawberry.field(description="The parent user accounts linked to the student (GET Parents)." + PARENTS_CLAIM)
    @planned(needs=_needs(parents_key), expand=_each(_parents_of))
    def parent_accounts(self) -> list[ParentAccount]:
        me: Any = self
        return read(me.res, [parents_key()], lambda: _parents_of(me))
