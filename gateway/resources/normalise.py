"""Turn each route's upstream JSON into flat rows: the tolerant reader lives here.

Nested answers (marks within markslots, values within attributes…) are
flattened into one row per leaf carrying its parents' ids, so that every
relationship is a plain index look-up. Where the reference spells a field two
ways (GET Grades ``grade_type_id``/``grade_type``; GET Medical Conditions
``medical_conditions``/``medical_details``; attendance alias ``alias_code``/
``code``), every spelling is accepted and one is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.resources.table import INDEXERS, Row, Table
from gateway.upstream.routes import ROUTES

Normaliser = Callable[[Any], Table]


def _rows(data: Any) -> list[Row]:
    if data is None:
        return []
    if isinstance(data, dict):  # a single object where a list was expected
        return [data]
    return [r for r in data if isinstance(r, dict)]


def _day(value: Any) -> Any:
    """'2019-01-31T00:00:00Z' -> '2019-01-31' (calendar and attendance dates are days)."""
    if isinstance(value, str) and len(value) >= 10:
        return value[:10]
    return value


def _flat(data: Any, child: str, parent_fields: dict[str, str]) -> list[Row]:
    out: list[Row] = []
    for parent in _rows(data):
        carried = {dst: parent.get(src) for src, dst in parent_fields.items()}
        for leaf in parent.get(child) or ():
            if isinstance(leaf, dict):
                out.append({**leaf, **carried})
    return out


def _plain(data: Any) -> Table:
    return Table(_rows(data))


def _school(data: Any) -> Table:
    return Table([], meta=data if isinstance(data, dict) else {})


def _markbooks(data: Any) -> Table:
    books = _rows(data)
    sheets: list[Row] = []
    slots: list[Row] = []
    for book in books:
        for sheet in book.get("marksheets") or ():
            sheets.append({**sheet, "markbook_id": book.get("id")})
            for slot in sheet.get("markslots") or ():
                slots.append({**slot, "marksheet_id": sheet.get("id"), "markbook_id": book.get("id")})
    return Table(books, meta={"marksheets": Table(sheets), "markslots": Table(slots)})


def _marks(data: Any) -> Table:
    rows = _flat(data, "marks", {"id": "markslot_id"})
    for row in rows:
        row["mark"] = to_float(row.get("mark"))
    return Table(rows)


def to_float(value: Any) -> float | None:
    """A mark as a float ('5.00000' -> 5.0); None when absent or unreadable."""
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _marksheet_grades(data: Any) -> Table:
    return Table(_flat(data, "grades", {"id": "marksheet_id"}))


def _grades(data: Any) -> Table:
    rows = _rows(data)
    for row in rows:
        if "grade_type_id" not in row:
            row["grade_type_id"] = row.get("grade_type")
    return Table(rows)


def _attributes(data: Any) -> Table:
    return Table(_flat(data, "students_and_attribute_values",
                       {"id": "attribute_id", "code": "code", "name": "name",
                        "is_system": "is_system"}))


def _prior(data: Any) -> Table:
    return Table(_flat(data, "values", {"code": "code", "name": "name"}))


def _report_attributes(data: Any) -> Table:
    return Table(_flat(data, "choices", {"subject_id": "subject_id"}))


def _report_grades(data: Any) -> Table:
    return Table(_flat(data, "grades", {"subject_id": "subject_id", "qan": "qan",
                                        "qualification_title": "qualification_title"}),
                 meta=_rows(data))


def _codes(data: Any) -> Table:
    rows = _rows(data)
    aliases: list[Row] = []
    for code in rows:
        fixed = []
        for alias in code.get("aliases") or ():
            if not isinstance(alias, dict):
                continue
            a = {"id": alias.get("id"),
                 "code": alias.get("alias_code", alias.get("code")),
                 "label": alias.get("alias_label", alias.get("label")),
                 "mark_id": code.get("id")}
            fixed.append(a)
            aliases.append(a)
        code["aliases"] = fixed
    return Table(rows, meta={"aliases": Table(aliases)})


def _dated(data: Any) -> Table:
    rows = _rows(data)
    for row in rows:
        row["date"] = _day(row.get("date"))
    return Table(rows)


def _medical(data: Any) -> Table:
    rows = _rows(data)
    for row in rows:
        if "medical_conditions" not in row:
            row["medical_conditions"] = row.get("medical_details")
    return Table(rows)


def _timetables(data: Any) -> Table:
    return Table(_flat(data, "periods", {"id": "timetable_id"}), meta=_rows(data))


def _student_classes(data: Any) -> Table:
    rows = _flat(data, "classes", {"student_id": "student_id"})
    for row in rows:
        row["class_id"] = row.pop("id", None)
    return Table(rows)


def conditional_envelope(items: Any, last_modified: str | None, fresh_until: float) -> dict[str, Any]:
    """What the store caches for a conditional route: the rows, their Last-Modified (sent back
    as If-Modified-Since once stale) and the instant they stop being fresh."""
    return {"items": items, "last_modified": last_modified, "fresh_until": fresh_until}


def _conditional(data: Any) -> Table:
    data = data if isinstance(data, dict) else {}
    return Table(_rows(data.get("items")), meta={"last_modified": data.get("last_modified"),
                                                 "fresh_until": data.get("fresh_until", 0.0)})


#: Every route's normaliser, registered here and nowhere else.
NORMALISERS: dict[str, Normaliser] = {
    "school": _school,
    "markbooks": _markbooks,
    "marksheet-grades": _marksheet_grades,
    "marks": _marks,
    "grades": _grades,
    "prior-attainment": _prior,
    "report-attributes": _report_attributes,
    "report-grades": _report_grades,
    "attendance-codes": _codes,
    "session-marks": _dated,
    "lesson-marks": _dated,
    "calendar": _dated,
    "general-attributes": _attributes,
    "demographic-attributes": _attributes,
    "send-attributes": _attributes,
    "sensitive-attributes": _attributes,
    "medical-conditions": _medical,
    "timetables": _timetables,
    "student-classes": _student_classes,
    # Conditional routes (Assembly's listings) are cached in their envelope.
    **{route.name: _conditional for route in ROUTES.values() if route.conditional},
}


def normalise(route: str, data: Any) -> Table:
    """The route's rows as a ``Table`` (plain lists pass through)."""
    return NORMALISERS.get(route, _plain)(data)


#: Normalisers that read each upstream row on its own and keep no ``meta``: the rows of a
#: list are the rows of its parts one after another, so a walk's pages can be normalised
#: one by one as they come (``PageRows``).
ROW_WISE: frozenset[Normaliser] = frozenset({
    _plain, _marks, _grades, _marksheet_grades, _prior, _attributes, _medical, _dated,
    _student_classes})


def row_wise(route: str) -> bool:
    return NORMALISERS.get(route, _plain) in ROW_WISE


class PageRows:
    """A walk's rows, normalised page by page while the next page is on its way, so that
    what is left after the last page is that page's share alone (marks: ~60 ms for the
    whole year's after the walk, the last step of the marks grid's critical path).

    ``used`` notes the indexes built on the route's tables (``Table.unique``/``group``): those
    are built page by page too (the marks grid's marks by student: ~20 ms after the walk).
    Only for ``row_wise`` routes; like ``normalise``, it may rewrite the pages' rows in place.
    """

    __slots__ = ("_normalise", "rows", "_used", "_indexes")

    def __init__(self, route: str, used: set[tuple[str, str]] | None = None) -> None:
        if not row_wise(route):
            raise ValueError(f"{route} is not normalised row by row")
        self._normalise = NORMALISERS.get(route, _plain)
        self.rows: list[Row] = []
        self._used = used
        self._indexes: dict[tuple[str, str], dict[Any, Any]] = {
            spec: {} for spec in sorted(used or ())}

    def add(self, items: Any) -> None:
        rows = self._normalise(items).rows
        self.rows.extend(rows)
        for (kind, field), idx in self._indexes.items():
            INDEXERS[kind](idx, rows, field)  # as Table.unique / Table.group build them

    def table(self) -> Table:
        table = Table(self.rows, used=self._used)
        for (kind, field), idx in self._indexes.items():
            table.preset(kind, field, idx)
        return table
