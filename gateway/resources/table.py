"""A loaded resource's rows with lazily built, memoised indexes (by id, by student, by group…)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any

Row = dict[str, Any]


def index_unique(idx: dict[Any, Row], rows: Iterable[Row], field: str) -> None:
    """Add ``rows`` to a by-``field`` index of unique values (the first row wins)."""
    for row in rows:
        value = row.get(field)
        if value is not None and value not in idx:
            idx[value] = row


def index_group(idx: dict[Any, list[Row]], rows: Iterable[Row], field: str) -> None:
    """Add ``rows`` to a by-``field`` grouping (a list-valued field puts the row under each)."""
    for row in rows:
        value = row.get(field)
        if isinstance(value, list):
            for v in value:
                idx.setdefault(v, []).append(row)
        elif value is not None:
            idx.setdefault(value, []).append(row)


#: How each kind of index is built: "u" unique, "g" grouped.
INDEXERS: dict[str, Callable[[Any, Iterable[Row], str], None]] = {"u": index_unique, "g": index_group}


class Table:
    """Rows of one resource. ``unique``/``group`` build an index on first use and keep it."""

    __slots__ = ("rows", "meta", "_indexes", "_used", "__weakref__")  # weakly referenced by kept answers

    def __init__(self, rows: Iterable[Row], meta: Any = None, *,
                 used: set[tuple[str, str]] | None = None) -> None:
        self.rows: list[Row] = list(rows)
        self.meta = meta  # e.g. the /school object, or nested structure kept whole
        self._indexes: dict[Hashable, Any] = {}
        #: Where the ``unique``/``group`` indexes built on this table are noted, as ("u"|"g",
        #: field): the next walk of the route builds them page by page (``PageRows``).
        self._used = used

    def preset(self, kind: str, field: str, index: dict[Any, Any]) -> None:
        """An index built elsewhere, exactly as ``unique``/``group`` would build it."""
        self._indexes[(kind, field)] = index

    def __len__(self) -> int:
        return len(self.rows)

    def unique(self, field: str) -> dict[Any, Row]:
        """rows by a field whose values are unique (the first row wins on a duplicate)."""
        idx = self._indexes.get(("u", field))
        if idx is None:
            idx = {}
            index_unique(idx, self.rows, field)
            self._indexes[("u", field)] = idx
            if self._used is not None:
                self._used.add(("u", field))
        return idx

    def group(self, field: str) -> dict[Any, list[Row]]:
        """rows grouped by a field's value (list-valued fields put the row under each value)."""
        idx = self._indexes.get(("g", field))
        if idx is None:
            idx = {}
            index_group(idx, self.rows, field)
            self._indexes[("g", field)] = idx
            if self._used is not None:
                self._used.add(("g", field))
        return idx

    def derived(self, name: str, build: Callable[[Table], Any]) -> Any:
        """Any other index, built once by ``build(self)`` and kept under ``name``."""
        idx = self._indexes.get(("d", name))
        if idx is None:
            idx = build(self)
            self._indexes[("d", name)] = idx
        return idx
