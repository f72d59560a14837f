"""The base of every type built from one upstream record: the record, the academic year it was
read for, the school's loaded resources, the planner's identity and (optionally) the ``id`` field.

    @strawberry.type(description="A department …")
    class Department(Row, id="The unique identifier for the department."):
        ...

``id=`` adds the ``id: ID!`` field (the record's ``id``) with that description; ``plan_id`` is
(the type's name, the record's id) unless a type says otherwise (``PLAN_FIELDS``). Mixins that
add fields to a type (``StudentTeachingFields``…) subclass :class:`Row` too, so the attributes
their fields read are declared, not assumed.

A field is one :func:`column` of the record, or a run of text columns written as the
reference's field tables are, a key and its description a line (``COLUMNS``, :func:`columns`).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import strawberry

from gateway import access_log
from gateway.categories import Category
from gateway.graph import scopes
from gateway.resources.memo import Resources


def _record_id(self: Row) -> strawberry.ID:
    return strawberry.ID(str(self.raw.get("id")))


@strawberry.type
class Row:
    raw: strawberry.Private[dict[str, Any]]
    year: strawberry.Private[int]
    res: strawberry.Private[Resources]

    #: The record fields that identify it for the planner (objects met twice are asked once).
    PLAN_FIELDS: ClassVar[tuple[str, ...]] = ("id",)

    #: The planner identity of a record (built once per class from PLAN_FIELDS: the planner asks
    #: it of every object it meets, so it is a plain function, not a generator).
    _plan_key: ClassVar[Callable[[dict[str, Any]], tuple[Any, ...]]]

    #: Text columns, given as a table (:func:`columns`); their fields stand where it stands.
    COLUMNS: ClassVar[Columns | None] = None

    def __init_subclass__(cls, id: str | None = None, **kwargs: Any) -> None:  # noqa: A002
        super().__init_subclass__(**kwargs)
        cls._plan_key = staticmethod(_plan_key(cls.__name__, cls.PLAN_FIELDS))
        table = cls.__dict__.get("COLUMNS")
        if table is not None:
            table.add_to(cls)
        if id is not None:
            # Before the class body's fields, so that `id` stays the first field in the schema.
            cls.id = strawberry.field(resolver=_record_id, description=id)  # type: ignore[attr-defined]
            cls.__annotations__ = {"id": "strawberry.ID", **cls.__dict__.get("__annotations__", {})}

    @property
    def plan_id(self) -> tuple[Any, ...]:
        return type(self)._plan_key(self.raw)


@functools.cache
def added_fields(kind: type) -> tuple[str, ...] | None:
    """The values a Row type's objects hold besides their record, year and resources (a grade
    type's year group), or None for a type that is not a Row: with none, one record's object
    answers alike whichever way it was reached (the relation memo, the builders' memo)."""
    if not (isinstance(kind, type) and issubclass(kind, Row) and dataclasses.is_dataclass(kind)):
        return None
    return tuple(f.name for f in dataclasses.fields(kind) if f.init and f.name not in ("raw", "year", "res"))


def _plan_key(name: str, fields: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    if len(fields) == 1:
        (only,) = fields
        return lambda raw: (name, raw.get(only))
    if len(fields) == 2:
        first, second = fields
        return lambda raw: (name, raw.get(first), raw.get(second))
    if len(fields) == 3:
        first, second, third = fields
        return lambda raw: (name, raw.get(first), raw.get(second), raw.get(third))
    return lambda raw: (name, *[raw.get(f) for f in fields])


@strawberry.type
class YearScoped:
    """The base of AcademicYear's mixins: what their fields read."""

    res: strawberry.Private[Resources]
    year: int = strawberry.field(description="The academic year, e.g. 2026 for September 2025 to July 2026.")


def column(key: str, description: str, *, convert: Callable[[Any], Any] | None = None,
           name: str | None = None, category: Category | None = None) -> Any:
    """A field that shows one value of the record as it is (or through ``convert``); its type is
    the class annotation: ``title: str | None = column("title", "The teacher's title.")``.

    ``category``: a data category stricter than the record's (a student's UPN or date of birth),
    checked against the caller's categories (issue 17)."""
    if category is None and convert is None:
        def resolve(self: Row) -> Any:
            return self.raw.get(key)
    elif category is None:
        def resolve(self: Row) -> Any:
            return convert(self.raw.get(key))  # type: ignore[misc]
    else:
        convert = convert or _same
        needed = frozenset({category})
        sensitive = access_log.sensitive(needed)

        def resolve(self: Row) -> Any:
            scopes.require(self.res.allowed, needed)
            value = convert(self.raw.get(key))
            if sensitive:
                access_log.touch(self.res, sensitive, self, None)
            return value
        resolve.category = needed  # type: ignore[attr-defined]
    return strawberry.field(resolver=resolve, description=description, name=name)


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Columns:
    """Text columns of the record: (key, description) pairs, each a ``str | None`` field."""

    rows: tuple[tuple[str, str], ...]
    convert: Callable[[Any], Any] | None = None

    def add_to(self, owner: type) -> None:
        """Add the fields to ``owner`` where its ``COLUMNS`` stands in the class body, so that
        the schema keeps the order the class is written in (strawberry reads the annotations)."""
        body = list(owner.__dict__)
        later = set(body[body.index("COLUMNS") + 1:])
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for name, annotation in owner.__dict__.get("__annotations__", {}).items():
            (after if name in later else before)[name] = annotation
        for key, description in self.rows:
            setattr(owner, key, column(key, description, convert=self.convert))
        owner.__annotations__ = {**before, **{key: "str | None" for key, _ in self.rows}, **after}


def columns(table: str, *, convert: Callable[[Any], Any] | None = None) -> Columns:
    """Text columns shown as the record has them (or through ``convert``), written as a table:
    a line each, the record's key (the field's Python name too) and the field's description.

        COLUMNS = columns(\"""
            title       The title associated with the teacher, e.g. Mrs.
            first_name  The forename of the teacher.
        \""")
    """
    rows = []
    for line in table.strip().splitlines():
        key, _, description = line.strip().partition(" ")
        if not key.isidentifier() or not description.strip():
            raise ValueError(f"a column is a key and a description: {line.strip()!r}")
        rows.append((key, description.strip()))
    return Columns(tuple(rows), convert)
