"""Who is writing attendance, and the audit of it: refusals by a fixed word, and records
that hold nothing free-text (the audit itself, and its fail-closed write, is ``gateway.audit``)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from gateway.audit import Auditor, AuditUnavailable, bound, caller_request_id, record
from gateway.graph import keys
from gateway.graph.base import parse_id
from gateway.graph.context import Context
from gateway.graph.dates import year_of
from gateway.graph.errors import GatewayError
from gateway.resources.memo import Resources

if TYPE_CHECKING:
    from gateway.graph.attendance_write import SessionAttendanceInput

ACTION = "record-session-attendance"


# --- who is writing, and the audit of it --------------------------------------------------------

class Refused(GatewayError):
    """A refusal before anything was posted, with the fixed word the audit record names it by."""

    def __init__(self, problem: str, message: str, code: str = "BAD_USER_INPUT", **extensions: Any) -> None:
        super().__init__(code, message, **extensions)
        self.problem = problem


def refuse(problem: str, message: str, **extensions: Any) -> Refused:
    return Refused(problem, message, **extensions)


#: Audit words for refusals that arrive as public errors (authentication, tenancy, limits).
_PROBLEM_OF_CODE = {"UNAUTHENTICATED": "authentication", "FORBIDDEN": "not-permitted",
                    "LIMIT_EXCEEDED": "limit", "RATE_LIMITED": "rate-limited",
                    "BAD_USER_INPUT": "bad-input", "UPSTREAM_UNAVAILABLE": "upstream-unavailable",
                    "NOT_FOUND": "not-found", "INTERNAL": "internal"}


def problem_of(err: GatewayError) -> str:
    if isinstance(err, Refused):
        return err.problem
    if err.extensions.get("reason") == "School Not Granted":
        return "school-not-granted"
    return _PROBLEM_OF_CODE.get(err.code, "refused")


class WriteAudit:
    """The audit records of one write request: who, which request, and each row's story."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.auditor = Auditor(ctx.services)
        request = ctx.request
        state = getattr(request, "state", None)
        rid = getattr(state, "go4graph_request_id", None) if state is not None else None
        if rid is None:
            rid = uuid.uuid4().hex[:16]
            if state is not None:
                state.go4graph_request_id = rid
        self.request_id = str(rid)
        if state is not None and hasattr(state, "go4graph_caller_request_id"):
            self.caller_request_id = state.go4graph_caller_request_id  # as sent, before the server's id
        else:
            headers = getattr(request, "headers", None)
            self.caller_request_id = caller_request_id(headers.get("x-request-id") if headers is not None else None)
        self.tenant: str | None = None
        self.caller: str | None = None
        if len(ctx.tenants) == 1:
            only = next(iter(ctx.tenants.values()))
            self.tenant, self.caller = only.id, only.caller
        elif ctx.tenants:
            self.caller = next(iter(ctx.tenants.values())).caller
        self.key_hash: str | None = None

    def _entry(self, outcome: str, fields: dict[str, Any]) -> dict[str, Any]:
        state = getattr(self.ctx.request, "state", None)
        if state is not None:
            state.go4graph_audited = True  # the HTTP layer's catch-all need not record it again
        extra = {"idempotency_key_sha256": self.key_hash} if self.key_hash else {}
        return record(action=ACTION, tenant=self.tenant, caller=self.caller, outcome=outcome,
                      request_id=self.request_id, caller_request_id=self.caller_request_id,
                      **extra, **fields)

    async def must(self, outcome: str, **fields: Any) -> None:
        """Write a record the write depends on (raises AuditUnavailable)."""
        await self.auditor.write(self._entry(outcome, fields), "attempt")

    async def note(self, outcome: str, stage: str = "outcome", **fields: Any) -> None:
        """Write a record after the fact: a failure is logged and counted, never hidden from the client."""
        try:
            await self.auditor.write(self._entry(outcome, fields), stage)
        except AuditUnavailable:
            pass

    async def refused(self, err: GatewayError, **fields: Any) -> None:
        await self.note("refused", "refusal", problem=problem_of(err), code=err.code, **fields)


def row_fields(row: SessionAttendanceInput, index: int | None, res: Resources | None) -> dict[str, Any]:
    """What a record may say about a row as the caller sent it: nothing free-text, all bounded."""
    student_id = None
    try:
        student_id = parse_id(row.student_id, "studentId") if row.student_id is not None else None
    except GatewayError:
        pass
    year = year_of(row.date)
    known: set[str] = set()
    if res is not None and res.has(keys.ATTENDANCE_CODES(year)):
        known = set(res.get(keys.ATTENDANCE_CODES(year)).unique("code"))
    code = row.code.strip() if row.code else None
    return {"row": index, "student_id": student_id, "date": row.date.isoformat(),
            "session": row.session.value,
            "mark_code": bound(code, 8) if code in known else None,
            "minutes_late": row.minutes_late,
            "notes_chars": len(row.notes) if row.notes is not None else None}
