"""What an upstream client answers for a read: the whole resource, or "not modified"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Fetched:
    """A whole upstream resource: the items of every page (or the object), how many pages it
    took, and its Last-Modified (conditional routes)."""

    data: Any
    pages: int
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class NotModified:
    """A conditional GET answered 304: the cached copy is still current."""

    last_modified: str | None
