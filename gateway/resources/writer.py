"""Writes to the upstream, next to the store: a POST and the invalidation of what it changes.

The graph validates and audits a write, then hands it here; the writer posts it and drops
what the write changed from the request's memo and from the shared cache, so the next read
shows the upstream's truth. A POST whose outcome is unknown (a timeout, a reset connection,
a server error: it may have been saved) invalidates too; a refusal (a 4xx) changed nothing
and invalidates nothing. A write is never retried here (``UpstreamOutcomeUnknown``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.resources.keys import ResourceKey, key
from gateway.resources.memo import Resources
from gateway.resources.store import ResourceStore
from gateway.upstream.errors import UpstreamOutcomeUnknown, UpstreamServerError

RECORD_SESSION_MARK = "record-session-mark"


def session_mark_changes(year: int, day: str) -> list[ResourceKey]:
    """What a saved session mark changes: that day's session marks and the year's summary."""
    return [key("session-marks", year, day), key("attendance-summary", year)]


def outcome_unknown(exc: BaseException) -> bool:
    """Whether a failed POST may have been saved all the same."""
    return isinstance(exc, UpstreamOutcomeUnknown | UpstreamServerError)


class ResourceWriter:
    """Posts writes through the store's upstream client and invalidates what they change."""

    def __init__(self, store: ResourceStore) -> None:
        self.store = store

    async def record_session_mark(self, res: Resources, year: int,
                                  body: Mapping[str, Any]) -> None:
        """POST Student Session Attendance for one row (``body`` already validated)."""
        await self.post(res, RECORD_SESSION_MARK, {"academicYear": year}, body,
                        changes=session_mark_changes(year, str(body["date"])))

    async def post(self, res: Resources, route: str, params: Mapping[str, object],
                   body: Mapping[str, Any], *, changes: list[ResourceKey]) -> None:
        try:
            await self.store.client.post(route, res.tenant.credential, params, body)
        except Exception as exc:
            if outcome_unknown(exc):
                await self.invalidate(res, changes)
            raise
        await self.invalidate(res, changes)

    async def invalidate(self, res: Resources, changes: list[ResourceKey]) -> None:
        """Drop ``changes`` from the request memo and from the shared cache (every replica)."""
        for changed in changes:
            res.forget(changed)
        for changed in changes:
            await self.store.invalidate(res.tenant, changed)
