"""Look-ups over a request's loaded tables: records in, records out (no types).

They return ``Record`` (``Any``): a relation's function returns records where its annotation
names the field's type, and the relation makes the objects (graph/relation.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gateway.resources.keys import ResourceKey
from gateway.resources.memo import Resources

Record = Any


def row_by(res: Resources, key: ResourceKey, value: Any, field: str = "id") -> Record:
    """The record of ``key``'s table whose ``field`` is ``value`` (None when absent or None)."""
    if value is None:
        return None
    return res.get(key).unique(field).get(value)


def rows_by(res: Resources, key: ResourceKey, values: Iterable[Any], field: str = "id") -> list[Record]:
    """The records for ``values`` in their order, each once; values the table lacks are skipped."""
    index = res.get(key).unique(field)
    return [row for v in dict.fromkeys(values) if (row := index.get(v)) is not None]


def rows_where(res: Resources, key: ResourceKey, field: str, value: Any) -> list[Record]:
    """The records of ``key``'s table whose ``field`` is (or, for a list field, holds) ``value``."""
    return list(res.get(key).group(field).get(value, ()))


def all_rows(res: Resources, key: ResourceKey) -> list[Record]:
    return list(res.get(key).rows)
