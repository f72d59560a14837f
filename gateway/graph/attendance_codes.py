"""Attendance codes and the school's aliases of them (GET Attendance Codes, one resource a year).

The codes table keeps the aliases of every code as a second table (``meta["aliases"]``), so a
mark's alias is one index look-up; an alias carries the record of its code (``code_raw``), so
``mark`` and a code's ``aliases`` read nothing more. A mark id the codes do not list still gives
a code (with only its id), so that one unknown mark spoils no list of marks.
"""

from __future__ import annotations

from typing import Any

import strawberry

from gateway.graph import keys
from gateway.graph.base import to_text
from gateway.graph.claims import CODES_CLAIM
from gateway.graph.lookups import Record, row_by
from gateway.graph.nullability import semantic_non_null
from gateway.graph.relation import relation
from gateway.graph.row import Row, column
from gateway.resources.memo import Resources


def flag(value: Any) -> bool | None:
    """The reference types these flags as strings but shows booleans: accept both."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, int):
        return bool(value)
    return None


def code_record(res: Resources, year: int, mark_id: Any) -> Record:
    """The code for an upstream mark id (one with only its id when the codes do not list it)."""
    return row_by(res, keys.ATTENDANCE_CODES(year), mark_id) or {"id": mark_id, "aliases": []}


def alias_record(res: Resources, year: int, alias_id: Any) -> Record:
    """The alias for an upstream alias id (None when absent or not listed)."""
    if alias_id is None:
        return None
    return res.get(keys.ATTENDANCE_CODES(year)).meta["aliases"].unique("id").get(alias_id)


# --- a mark's code and alias (session and lesson marks name them the same way) ---------------

def mark_code(id_key: str, description: str) -> Any:
    """The field of a record's attendance code, the record's ``id_key`` in GET Attendance Codes."""

    @relation(keys.ATTENDANCE_CODES, description=description + CODES_CLAIM)
    def code(self: Row) -> AttendanceCode:
        return code_record(self.res, self.year, self.raw.get(id_key))

    return code


def mark_alias(id_key: str, description: str) -> Any:
    """The field of a record's alias (null when it has none), the record's ``id_key``."""

    @relation(keys.ATTENDANCE_CODES, description=description + CODES_CLAIM)
    def alias(self: Row) -> AttendanceAlias | None:
        found = alias_record(self.res, self.year, self.raw.get(id_key))
        if found is None:
            return None
        code = code_record(self.res, self.year, found.get("mark_id"))
        return AttendanceAlias(raw=found, year=self.year, res=self.res, code_raw=code)

    return alias


# --- within one code's record: nothing more is read ------------------------------------------

def aliases_of(code: AttendanceCode) -> list[AttendanceAlias]:
    return [AttendanceAlias(raw=a, year=code.year, res=code.res, code_raw=code.raw)
            for a in code.raw.get("aliases") or ()]


def code_of(alias: AttendanceAlias) -> AttendanceCode:
    return AttendanceCode(raw=alias.code_raw, year=alias.year, res=alias.res)


def _aliases(self: AttendanceCode) -> list[AttendanceAlias]:
    return aliases_of(self)


def _mark(self: AttendanceAlias) -> AttendanceCode:
    return code_of(self)


@strawberry.type(description="An attendance code that staff use to record attendance, with the school's aliases of it (GET Attendance Codes)." + CODES_CLAIM)
class AttendanceCode(Row, id="The unique identifier for the Attendance Code. This is unique for a school and academic year. It will not be unique across a trust."):
    code: str = column("code", "The attendance code that staff use to record attendance, e.g. \"/\" or \"N\" (empty when GET Attendance Codes does not list the mark).",
                       convert=lambda v: str(v or ""))
    label: str | None = column("label", "The description of the attendance code.", convert=to_text)
    attendance_officer_only: bool | None = column(
        "attendance_officer_only", "Only attendance officers can use this mark.", convert=flag)
    protect_if_entered_by_attendance_officer: bool | None = column(
        "protect_if_entered_by_attendance_officer",
        "This mark has protected access if entered by an attendance officer - in this case only an attendance officer may edit it.",
        convert=flag)
    protect_if_entered_by_school_manager: bool | None = column(
        "protect_if_entered_by_school_manager",
        "This mark has protected access if entered by a school manager - in this case only an attendance officer or school manager may edit it.",
        convert=flag)
    protect_if_entered_by_behaviour_manager: bool | None = column(
        "protect_if_entered_by_behaviour_manager",
        "This mark has protected access if entered by a behaviour manager - in this case only an attendance officer, school manager or behaviour manager may edit it.",
        convert=flag)

    aliases: list[AttendanceAlias] = strawberry.field(
        resolver=_aliases, description="The aliases the school uses for this attendance code.")


@strawberry.type(description="A school's own alias of an attendance code, e.g. \"IR\" (Isolation Room) for present (GET Attendance Codes)." + CODES_CLAIM)
class AttendanceAlias(Row, id="The unique identifier for the alias."):
    code: str | None = column("code", "The alias code.", convert=to_text)
    label: str | None = column("label", "The description of the alias.", convert=to_text)

    #: The record of the code the alias belongs to (GET Attendance Codes gives aliases within it).
    code_raw: strawberry.Private[dict[str, Any]]

    # The code came with the alias (nothing is read), but the field keeps its published
    # @semanticNonNull from the days it looked the code up.
    mark: AttendanceCode = strawberry.field(
        resolver=_mark, directives=[semantic_non_null()],
        description="The attendance code this alias stands for." + CODES_CLAIM)

