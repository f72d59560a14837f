"""The access log: one JSON line per request and school that read a sensitive category.

DOMAIN.md: SEND, sensitive attributes, medical conditions, photos, contacts and UPNs need
special care. Whenever a request reads any of them, a line says when, who (the caller's token
id or key fingerprint, never a secret), for which school, which categories and how many
students' records were touched, and never a value. It is written apart from the request log,
like the audit log (``GO4GRAPH_ACCESS_LOG``: stdout, a file path, or off), and it fails closed:
when the line cannot be written, the answer is withheld (the endpoint answers an error).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from prometheus_client import Counter

from gateway import clock, metrics
from gateway.categories import SENSITIVE_CATEGORIES, Category

log = logging.getLogger("go4graph.access")

ACCESS_FAILURES = Counter("go4graph_access_log_failures", "Access-log lines that could not be written "
                          "(the answer they were for was withheld)", registry=metrics.REGISTRY)


class AccessLogUnavailable(Exception):
    """The access line could not be written: the sensitive answer must not go out."""


class Touched:
    """What one request read of one school's sensitive categories: student ids by category."""

    __slots__ = ("by_category",)

    def __init__(self) -> None:
        self.by_category: dict[Category, set[Any]] = {}

    def add(self, categories: Iterable[Category], student_ids: Iterable[Any]) -> None:
        ids = [s for s in student_ids if s is not None]
        for category in categories:
            if category in SENSITIVE_CATEGORIES:
                self.by_category.setdefault(category, set()).update(ids)

    def __bool__(self) -> bool:
        return bool(self.by_category)


def sensitive(categories: frozenset[Category]) -> frozenset[Category]:
    return categories & SENSITIVE_CATEGORIES


def student_ids(parent: Any, found: Any) -> list[Any]:
    """The students a sensitive read touched: the parent student's id, else the records'."""
    own = getattr(parent, "student_id", None)
    if own is not None:
        return [own]
    records = found if isinstance(found, list) else [found]
    out = []
    for r in records:
        raw = r if isinstance(r, dict) else getattr(r, "raw", None)
        if isinstance(raw, dict):
            out.append(raw.get("student_id"))
    return out


def lines(request_id: str, tenants_touched: Iterable[tuple[Any, Touched]]) -> list[dict[str, Any]]:
    """The records of one request: one per school whose sensitive data it read."""
    read = [(tenant, touched) for tenant, touched in tenants_touched if touched]
    if not read:
        return []  # the common case: nothing sensitive, no clock, no line
    at = clock.utcnow().isoformat(timespec="milliseconds")
    out = []
    for tenant, touched in read:
        students = set().union(*touched.by_category.values())
        out.append({"type": "access", "at": at, "request_id": request_id,
                    "caller": tenant.caller or "server", "school": tenant.school_code or tenant.id,
                    "categories": sorted(c.value for c in touched.by_category),
                    "students": len(students)})
    return out


async def write(sink: Any, records: list[dict[str, Any]]) -> None:
    """Write the request's records; raise ``AccessLogUnavailable`` (and count it) on failure."""
    if sink is None or not records:
        return
    try:
        await asyncio.to_thread(_write_all, sink, records)
    except Exception as exc:
        ACCESS_FAILURES.inc(len(records))
        log.error("access log line not written", extra={"error": type(exc).__name__,
                                                         "request_id": records[0].get("request_id")})
        raise AccessLogUnavailable(type(exc).__name__) from None


def _write_all(sink: Any, records: list[dict[str, Any]]) -> None:
    for record in records:
        sink.write(record)


def touch(res: Any, categories: frozenset[Category], parent: Any, found: Any) -> None:
    """Note, on the request's resources of one school, a sensitive read (for ``lines``)."""
    res.touched.add(categories, student_ids(parent, found))
