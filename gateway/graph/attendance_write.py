"""The one write: record session attendance (POST Student Session Attendance), validated first.

A wrong mark about a child's attendance is a safeguarding matter, so every row
is checked against what the gateway can know before anything is posted: the
date is in the write window (today and ``GO4GRAPH_WRITE_WINDOW_DAYS`` school days
back, in today's academic year) and a day the school is open, the student is the
school's, the mark is in use for the year, the alias belongs to the mark, minutes
late go with a present or late mark. Every attempt is audited (``gateway.audit``),
and the audit fails closed: no attempt record, no POST. After a save, and after a
POST whose outcome is unknown, the day's session marks are dropped from the request
memo and the shared cache (``gateway.resources.writer`` posts and invalidates), so the next
read shows the upstream's truth. A POST that
timed out (or answered a server error) is reported as an unknown outcome and never
retried. A register save may carry an idempotency key (``gateway.graph.idempotency``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import logging
import math
from typing import Annotated, Any

import orjson
import strawberry
from graphql import get_named_type

from gateway.audit import AuditUnavailable
from gateway.categories import Category
from gateway.graph import scopes
from gateway.graph.attendance import Session, SessionMark, session_mark_objects
from gateway.graph.attendance_audit import WriteAudit, problem_of, refuse, row_fields
from gateway.graph.attendance_checks import MAX_MINUTES_LATE, MAX_NOTES, check, prepare
from gateway.graph.attendance_window import Window
from gateway.graph.context import Context, Info
from gateway.graph.dates import year_of
from gateway.graph.errors import GatewayError, upstream_extensions
from gateway.graph.idempotency import IdempotencyStore, check_key
from gateway.graph.plan import Scope, planned, prefetch
from gateway.resources.memo import Resources
from gateway.resources.writer import ResourceWriter
from gateway.upstream.errors import (
    UpstreamBadRequest,
    UpstreamError,
    UpstreamOutcomeUnknown,
    UpstreamServerError,
    UpstreamUnauthorized,
)

log = logging.getLogger("go4graph.write")

MAX_ROWS = 200
#: Rows of one register posted at once.
POST_CONCURRENCY = 4
CLAIM = (" Needs the Attendance - Session marks (write) (students.attendance.session.write) "
         "permission, and reads education details, attendance codes and the calendar.")


@strawberry.input(description="One student's mark for one session. Name the student by id or UPN, and the mark by id or by its code text.")
class SessionAttendanceInput:
    student_id: strawberry.ID | None = strawberry.field(default=None, description="The student's GO4Schools id (resolved to the UPN the upstream needs).")
    student_upn: str | None = strawberry.field(default=None, description="The student's UPN (13 characters; format and check letter are verified).")
    date: dt.date = strawberry.field(description="The date of the session (yyyy-mm-dd): a day the school is open, within the write window (today and GO4GRAPH_WRITE_WINDOW_DAYS school days back, in today's academic year).")
    session: Session = strawberry.field(description="AM or PM.")
    code_id: strawberry.ID | None = strawberry.field(default=None, description="The attendance mark's id (GET Attendance Codes).")
    code: str | None = strawberry.field(default=None, description="The attendance mark's code text, e.g. \"/\", \"L\", \"N\".")
    alias_id: strawberry.ID | None = strawberry.field(default=None, description="An alias of the mark, by id; it must belong to the mark.")
    alias_code: str | None = strawberry.field(default=None, description="An alias of the mark, by its code text.")
    minutes_late: int | None = strawberry.field(default=None, description=f"Minutes late, 0 to {MAX_MINUTES_LATE}; only with a present or late mark (/, \\, L or U), as the reference's own example records / with 10 minutes late.")
    notes: str | None = strawberry.field(default=None, description=f"A note for the session, at most {MAX_NOTES} characters.")


@strawberry.type(description="Why one row of a register was not saved.")
class RowError:
    code: str = strawberry.field(description="BAD_USER_INPUT, FORBIDDEN, UNAUTHENTICATED, RATE_LIMITED, UPSTREAM_UNAVAILABLE or INTERNAL.")
    message: str = strawberry.field(description="What was wrong, in words a teacher understands.")
    outcome_unknown: bool = strawberry.field(default=False, description="True when GO4Schools' answer to the POST never came (a timeout, a reset connection, a server error): the mark may or may not have been saved. Read the session marks back before trying again; the gateway never retries it.")


@strawberry.type(description="The outcome of one row of recordSessionAttendances, in input order.")
class SessionAttendanceResult:
    index: int = strawberry.field(description="The row's position in the inputs, from 0.")
    saved: strawberry.Private[SessionMark | None]
    error: RowError | None = strawberry.field(description="Why the row was not saved (null when it was).")

    @strawberry.field(description="The saved mark (null when the row was not saved).")
    @planned(expand=lambda scope, parents, args: [p.saved for p in parents if p.saved])
    def mark(self) -> SessionMark | None:
        return self.saved



UNKNOWN_ADVICE = "read the session marks for that date before trying again (the gateway never retries it)"


def _error(exc: Exception) -> GatewayError:
    """A failure of the POST (or of what validation loads) in the public terms."""
    if isinstance(exc, GatewayError):
        return exc
    if isinstance(exc, UpstreamOutcomeUnknown):
        return GatewayError("UPSTREAM_UNAVAILABLE", "GO4Schools did not answer in time, so the mark "
                            f"may or may not have been saved: {UNKNOWN_ADVICE}", outcome="unknown")
    if isinstance(exc, UpstreamServerError):
        return GatewayError("UPSTREAM_UNAVAILABLE", f"GO4Schools answered a server error ({exc.status}), "
                            f"so the mark may or may not have been saved: {UNKNOWN_ADVICE}",
                            outcome="unknown")
    if isinstance(exc, UpstreamBadRequest) and "attendance invalid mode" in exc.message.lower():
        return GatewayError("BAD_USER_INPUT", "GO4Schools refused: the school's attendance mode does "
                            "not allow recording session marks through the API (Attendance Invalid "
                            "Mode)", reason="Attendance Invalid Mode")
    if isinstance(exc, UpstreamUnauthorized):
        return GatewayError("UNAUTHENTICATED", "GO4Schools refused the credential: nothing was saved")
    if isinstance(exc, UpstreamError):
        code, message, extensions = upstream_extensions(exc)
        return GatewayError(code, message, **extensions)
    raise exc


AUDIT_DOWN = ("The audit log cannot be written, so this mark was not saved (nothing was sent to "
              "GO4Schools). Tell the gateway's operator; try again once the audit log works.")


async def _record(ctx: Context, audit: WriteAudit, res: Resources, window: Window,
                  row: SessionAttendanceInput, index: int | None,
                  gate: asyncio.Semaphore) -> dict[str, Any]:
    """Check, audit, post and audit one row; its outcome as data (``saved`` row or GatewayError)."""
    fields = row_fields(row, index, res)
    try:
        checked = check(res, window, row)
    except GatewayError as exc:
        await audit.refused(exc, **fields)
        raise
    body = checked.body
    fields.update(student_id=checked.student_id, upn_hmac=audit.auditor.upn_hash(body["student_upn"]),
                  mark_id=body["session_mark_id"], alias_id=body["session_mark_alias_id"],
                  mark_code=None)
    try:
        await audit.must("attempt", **fields)
    except AuditUnavailable:
        raise GatewayError("INTERNAL", AUDIT_DOWN, reason="Audit Unavailable") from None
    async with gate:
        try:
            # Posts and drops the day's marks and the summary from the memo and the shared
            # cache (after a save, and after a POST whose outcome is unknown).
            await ResourceWriter(ctx.store).record_session_mark(res, checked.year, body)
        except Exception as exc:
            err = _error(exc)
            unknown = err.extensions.get("outcome") == "unknown"
            await audit.note("unknown" if unknown else "failed", problem=problem_of(err),
                             code=err.code, **fields)
            err.posted = True  # type: ignore[attr-defined]
            raise err from None
    await audit.note("saved", **fields)
    return {"date": body["date"], "session": body["session"], "student_id": checked.student_id,
            "session_mark_id": body["session_mark_id"],
            "session_alias_id": body["session_mark_alias_id"],
            "session_minutes_late": body["session_minutes_late"],
            "session_notes": body["session_notes"], "_year": checked.year}


def _mark(res: Resources, saved: dict[str, Any]) -> SessionMark:
    raw = {k: v for k, v in saved.items() if k != "_year"}
    return session_mark_objects(res, int(saved["_year"]), [raw], day=str(saved["date"]))[0]


async def _plan_result(info: Info, res: Resources, results: list[Any]) -> None:
    """Load what the selection below the written marks reads, as queries do (no per-mark awaits)."""
    raw = info._raw_info
    years = {getattr(r, "year", None) or getattr(getattr(r, "saved", None), "year", None) for r in results}
    years.discard(None)
    for year in years:
        await prefetch(Scope(info.context, res, int(year)), raw, get_named_type(raw.return_type), results,  # type: ignore[arg-type]
                       [node.selection_set for node in raw.field_nodes])


def _digest(inputs: list[SessionAttendanceInput], school: str | None) -> str:
    rows = [dataclasses.asdict(r) for r in inputs]
    return hashlib.sha256(orjson.dumps({"school": school, "rows": rows}, default=str,
                                       option=orjson.OPT_SORT_KEYS)).hexdigest()


def _result(res: Resources, kept: dict[str, Any]) -> SessionAttendanceResult:
    error = kept.get("error")
    if error:
        return SessionAttendanceResult(index=kept["index"], saved=None, error=RowError(
            code=error["code"], message=error["message"], outcome_unknown=bool(error.get("unknown"))))
    return SessionAttendanceResult(index=kept["index"], saved=_mark(res, kept["saved"]), error=None)


SchoolArg = Annotated[str | None, strawberry.argument(
    description="The school's code; needed only when the gateway serves several schools.")]
KeyArg = Annotated[str | None, strawberry.argument(
    description="Optional, one per save (a UUID, say): a repeat of the same save with the same key "
                "within GO4GRAPH_IDEMPOTENCY_TTL (a day by default) answers the first save's "
                "outcome and posts nothing, across the gateway's replicas. Reusing a key for "
                "different rows is BAD_USER_INPUT.")]


WRITES = frozenset({Category.ATTENDANCE_WRITE})


async def _entry(ctx: Context, audit: WriteAudit, school: str | None,
                 dates: list[dt.date], rows: int) -> tuple[Resources, Window]:
    """Authentication, tenancy and what validation reads; a refusal here is audited for the request."""
    try:
        res, window = await prepare(ctx, school, {year_of(d) for d in dates})
        scopes.require(res.allowed, WRITES)  # a token without attendance-write posts nothing
    except (GatewayError, UpstreamError) as exc:
        err = _error(exc)
        await audit.refused(err, rows=rows)
        raise err from None
    audit.tenant, audit.caller = res.tenant.id, res.tenant.caller
    return res, window


@strawberry.type(description="Writes. The only write GO4Schools offers is session attendance.")
class Mutation:
    @strawberry.mutation(description="Record one student's mark for one session, after checking it against the write window, the school's calendar, students and attendance codes; returns the saved mark. Every attempt is audited, and nothing is posted unless its audit record was written first." + CLAIM)
    @scopes.declares(Category.ATTENDANCE_WRITE)
    async def record_session_attendance(self, info: Info, input: Annotated[SessionAttendanceInput, strawberry.argument(description="The mark to record.")],
                                        school: SchoolArg = None) -> SessionMark:
        ctx = info.context
        audit = WriteAudit(ctx)
        res, window = await _entry(ctx, audit, school, [input.date], 1)
        saved = await _record(ctx, audit, res, window, input, None, asyncio.Semaphore(1))
        mark = _mark(res, saved)
        await _plan_result(info, res, [mark])
        return mark

    @strawberry.mutation(description=f"Record a whole register (at most {MAX_ROWS} rows): one result per input, in order; a bad row is reported in its own result and never stops the others. Rows are posted a few at a time; with an idempotencyKey a repeated save posts nothing and answers the first outcome." + CLAIM)
    @scopes.declares(Category.ATTENDANCE_WRITE)
    async def record_session_attendances(self, info: Info, inputs: Annotated[list[SessionAttendanceInput], strawberry.argument(description="The marks to record.")],
                                         school: SchoolArg = None,
                                         idempotency_key: KeyArg = None) -> list[SessionAttendanceResult]:
        ctx = info.context
        audit = WriteAudit(ctx)
        if idempotency_key is not None:
            # The same on every replica (a per-process audit key would not be): a digest, not the key.
            audit.key_hash = hashlib.sha256(idempotency_key[:256].encode()).hexdigest()
        if len(inputs) > MAX_ROWS:
            err = refuse("too-many-rows", f"At most {MAX_ROWS} rows in one call (this one has {len(inputs)})")
            await audit.refused(err, rows=len(inputs))
            raise err
        if idempotency_key is not None:
            try:
                check_key(idempotency_key)
            except GatewayError as exc:
                err = refuse("bad-idempotency-key", exc.message)
                await audit.refused(err, rows=len(inputs))
                raise err from None
        res, window = await _entry(ctx, audit, school, [i.date for i in inputs], len(inputs))
        claim = None
        if idempotency_key is not None:
            assert audit.key_hash is not None
            store = IdempotencyStore.of(ctx.services)
            timeout = ctx.settings.upstream_timeout
            hold = min(ctx.settings.idempotency_ttl,
                       timeout * (math.ceil(max(len(inputs), 1) / POST_CONCURRENCY) + 2))
            try:
                claim = await store.claim(res.tenant, audit.key_hash, _digest(inputs, school),
                                          hold=hold, wait=2 * timeout)
            except GatewayError as err:
                await audit.refused(err, rows=len(inputs))
                raise
            if claim.previous is not None:
                await audit.note("replayed", rows=len(inputs))
                results = [_result(res, kept) for kept in claim.previous]
                await _plan_result(info, res, results)
                return results
        gate = asyncio.Semaphore(POST_CONCURRENCY)

        async def one(index: int, row: SessionAttendanceInput) -> dict[str, Any]:
            try:
                saved = await _record(ctx, audit, res, window, row, index, gate)
            except GatewayError as exc:
                return {"index": index, "posted": getattr(exc, "posted", False),
                        "error": {"code": exc.code, "message": exc.message,
                                  "unknown": exc.extensions.get("outcome") == "unknown"}}
            return {"index": index, "posted": True, "saved": saved}

        try:
            kept = list(await asyncio.gather(*(one(i, row) for i, row in enumerate(inputs))))
        except BaseException:
            if claim is not None:
                await claim.abandon()
            raise
        if claim is not None:
            if any(k["posted"] for k in kept):
                await claim.finish(kept)
            else:  # nothing reached GO4Schools (all refused, or the audit log was down): a repeat runs afresh
                await claim.abandon()
        results = [_result(res, k) for k in kept]
        await _plan_result(info, res, results)
        return results
