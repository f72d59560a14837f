"""The one write: record session attendance (POST Student Session Attendance), validated first.

A wrong mark about a child's attendance is a safeguarding matter, so every row
is checked against what the gateway can know before anything is posted: the
date is a day the school is open in an academic year it has, the student is
the school's, the mark is in use for the year, the alias belongs to the mark,
minutes late go with a late mark. Each attempt (refused, saved, failed or of
unknown outcome) is audited. After a save the day's session marks are dropped
from the request memo and the shared cache, so the next read shows the write.
A POST that timed out is reported as an unknown outcome and never retried.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

import strawberry
from graphql import get_named_type

from gateway.graph.attendance import (
    Session,
    SessionMark,
    codes_key,
    session_mark_objects,
    session_marks_key,
    summary_key,
)
from gateway.graph.base import parse_id
from gateway.graph.context import Context, Info
from gateway.graph.dates import OPEN, calendar_key, year_of
from gateway.graph.errors import GatewayError, bad_input, upstream_extensions
from gateway.graph.plan import Scope, planned, prefetch
from gateway.graph.school import SCHOOL, tenant_for
from gateway.graph.students import edu_key, students_key
from gateway.resources.memo import Resources
from gateway.shared.upn import upn_problem
from gateway.upstream.errors import UpstreamBadRequest, UpstreamError, UpstreamOutcomeUnknown

ROUTE = "record-session-mark"
#: Marks that say the student came late: the only ones that may carry minutes late.
LATE_CODES = frozenset({"L", "U"})
MAX_MINUTES_LATE = 300
MAX_NOTES = 500
MAX_ROWS = 200
#: Rows of one register posted at once.
POST_CONCURRENCY = 4
CLAIM = (" Needs the Attendance - Session marks (write) (students.attendance.session.write) "
         "permission, and reads education details, attendance codes and the calendar.")


@strawberry.input(description="One student's mark for one session. Name the student by id or UPN, and the mark by id or by its code text.")
class SessionAttendanceInput:
    student_id: strawberry.ID | None = strawberry.field(default=None, description="The student's GO4Schools id (resolved to the UPN the upstream needs).")
    student_upn: str | None = strawberry.field(default=None, description="The student's UPN (13 characters; format and check letter are verified).")
    date: dt.date = strawberry.field(description="The date of the session (yyyy-mm-dd); a day the school is open.")
    session: Session = strawberry.field(description="AM or PM.")
    code_id: strawberry.ID | None = strawberry.field(default=None, description="The attendance mark's id (GET Attendance Codes).")
    code: str | None = strawberry.field(default=None, description="The attendance mark's code text, e.g. \"/\", \"L\", \"N\".")
    alias_id: strawberry.ID | None = strawberry.field(default=None, description="An alias of the mark, by id; it must belong to the mark.")
    alias_code: str | None = strawberry.field(default=None, description="An alias of the mark, by its code text.")
    minutes_late: int | None = strawberry.field(default=None, description=f"Minutes late, 0 to {MAX_MINUTES_LATE}; only with a late mark (L or U).")
    notes: str | None = strawberry.field(default=None, description=f"A note for the session, at most {MAX_NOTES} characters.")


@strawberry.type(description="Why one row of a register was not saved.")
class RowError:
    code: str = strawberry.field(description="BAD_USER_INPUT, FORBIDDEN, UNAUTHENTICATED, RATE_LIMITED, UPSTREAM_UNAVAILABLE or INTERNAL.")
    message: str = strawberry.field(description="What was wrong, in words a teacher understands.")


@strawberry.type(description="The outcome of one row of recordSessionAttendances, in input order.")
class SessionAttendanceResult:
    index: int = strawberry.field(description="The row's position in the inputs, from 0.")
    saved: strawberry.Private[SessionMark | None]
    error: RowError | None = strawberry.field(description="Why the row was not saved (null when it was).")

    @strawberry.field(description="The saved mark (null when the row was not saved).")
    @planned(expand=lambda scope, parents, args: [p.saved for p in parents if p.saved])
    def mark(self) -> SessionMark | None:
        return self.saved


@dataclass
class _Checked:
    year: int
    body: dict[str, Any]
    student_id: Any


async def _prepare(ctx: Context, school: str | None, years: set[int]) -> Resources:
    """Load, in one gather, what validation reads for every academic year the rows touch."""
    res = ctx.resources_for(tenant_for(ctx, school))
    raw = (await res.load(SCHOOL)).meta
    have = {int(y) for y in raw.get("academic_years") or ()}
    keys = []
    for year in years & have:
        keys += [calendar_key(year), codes_key(year), edu_key(year), students_key(year)]
    await res.load_many(keys)
    res.school_years = have  # type: ignore[attr-defined]
    return res


def _check(res: Resources, row: SessionAttendanceInput) -> _Checked:
    """The upstream body for a row, or BAD_USER_INPUT saying what is wrong (nothing posted)."""
    year = year_of(row.date)
    if year not in res.school_years:  # type: ignore[attr-defined]
        raise bad_input(f"{row.date} falls in academic year {year}, which the school does not have")
    day = row.date.isoformat()
    cal = res.get(calendar_key(year)).unique("date").get(day)
    if cal is None or str(cal.get("day_type_code", "")).lower() != OPEN.lower():
        kind = (cal or {}).get("day_type_code") or "not in the school calendar"
        raise bad_input(f"The school is not open on {day} ({kind}): no attendance can be recorded")
    edu = res.get(edu_key(year))
    if (row.student_id is None) == (row.student_upn is None):
        raise bad_input("Name the student by exactly one of studentId or studentUpn")
    if row.student_upn is not None:
        upn = row.student_upn.strip().upper()
        problem = upn_problem(upn)
        if problem:
            raise bad_input(f"{row.student_upn!r} is not a valid UPN: {problem}")
        details = edu.unique("upn").get(upn)
        if details is None:
            raise bad_input(f"No student of this school has UPN {upn}")
    else:
        sid = parse_id(row.student_id, "studentId")
        details = edu.unique("student_id").get(sid)
        if details is None or sid not in res.get(students_key(year)).unique("id"):
            raise bad_input(f"No student of this school has id {sid}")
        if not details.get("upn"):
            raise bad_input(f"Student {sid} has no UPN in GO4Schools, so attendance cannot be posted")
    codes = res.get(codes_key(year))
    if (row.code_id is None) == (row.code is None):
        raise bad_input("Give the mark by exactly one of codeId or code")
    if row.code_id is not None:
        mark = codes.unique("id").get(parse_id(row.code_id, "codeId"))
        if mark is None:
            raise bad_input(f"Mark id {row.code_id} is not in use for academic year {year}")
    else:
        text = row.code.strip() if row.code else ""
        mark = codes.unique("code").get(text)
        if mark is None:
            raise bad_input(f"Mark {text!r} is not in use for academic year {year}")
    aliases = mark.get("aliases") or []
    alias = None
    if row.alias_id is not None and row.alias_code is not None:
        raise bad_input("Give the alias by aliasId or aliasCode, not both")
    if row.alias_id is not None:
        aid = parse_id(row.alias_id, "aliasId")
        alias = next((a for a in aliases if a.get("id") == aid), None)
        if alias is None:
            raise bad_input(f"Alias id {aid} does not belong to mark {mark.get('code')!r}")
    elif row.alias_code is not None:
        alias = next((a for a in aliases if a.get("code") == row.alias_code.strip()), None)
        if alias is None:
            raise bad_input(f"Alias {row.alias_code!r} does not belong to mark {mark.get('code')!r}")
    if row.minutes_late is not None:
        if str(mark.get("code")) not in LATE_CODES:
            raise bad_input(f"Minutes late go only with a late mark (L or U), not {mark.get('code')!r}")
        if not 0 <= row.minutes_late <= MAX_MINUTES_LATE:
            raise bad_input(f"Minutes late must be between 0 and {MAX_MINUTES_LATE}")
    notes = row.notes
    if notes is not None:
        notes = notes.strip() or None
        if notes is not None and len(notes) > MAX_NOTES:
            raise bad_input(f"Notes may be at most {MAX_NOTES} characters (these are {len(notes)})")
    body = {"student_upn": details.get("upn"), "date": day, "session": row.session.value,
            "session_mark_id": mark.get("id"),
            "session_mark_alias_id": alias.get("id") if alias else None,
            "session_minutes_late": row.minutes_late, "session_notes": notes,
            "student_mis_id": None}
    return _Checked(year, body, details.get("student_id"))


def _error(exc: Exception) -> GatewayError:
    """A failure of the POST in the public terms (Attendance Invalid Mode is FORBIDDEN)."""
    if isinstance(exc, GatewayError):
        return exc
    if isinstance(exc, UpstreamOutcomeUnknown):
        return GatewayError("UPSTREAM_UNAVAILABLE", "GO4Schools did not answer in time, so the mark "
                            "may or may not have been saved: read the session marks for that date "
                            "before trying again", outcome="unknown")
    if isinstance(exc, UpstreamBadRequest) and "attendance invalid mode" in exc.message.lower():
        return GatewayError("FORBIDDEN", "The school's attendance mode does not allow recording "
                            "session marks through the API", reason="Attendance Invalid Mode")
    if isinstance(exc, UpstreamError):
        code, message, extensions = upstream_extensions(exc)
        return GatewayError(code, message, **extensions)
    raise exc


async def _record(info: Info, res: Resources, row: SessionAttendanceInput,
                  gate: asyncio.Semaphore) -> SessionMark:
    ctx = info.context
    audit = {"student_id": row.student_id, "date": row.date.isoformat(),
             "session": row.session.value, "mark_id": row.code_id, "mark_code": row.code}
    try:
        checked = _check(res, row)
    except (GatewayError, UpstreamError) as exc:
        err = _error(exc)
        _audit(ctx, res, "refused", audit, reason=err.message)
        raise err from None
    audit.update(student_id=checked.student_id, mark_id=checked.body["session_mark_id"],
                 alias_id=checked.body["session_mark_alias_id"])
    async with gate:
        try:
            await ctx.services.upstreams.go4schools.post(
                ROUTE, res.tenant.credential, {"academicYear": checked.year}, checked.body)
        except Exception as exc:
            err = _error(exc)
            _audit(ctx, res, "unknown" if err.extensions.get("outcome") == "unknown" else "failed",
                   audit, reason=err.message)
            raise err from None
    _audit(ctx, res, "saved", audit)
    key = session_marks_key(checked.year, row.date)
    res.forget(key)
    res.forget(summary_key(checked.year))
    await ctx.store.invalidate(res.tenant, key)
    await ctx.store.invalidate(res.tenant, summary_key(checked.year))
    saved = {"date": checked.body["date"], "session": checked.body["session"],
             "student_id": checked.student_id, "session_mark_id": checked.body["session_mark_id"],
             "session_alias_id": checked.body["session_mark_alias_id"],
             "session_minutes_late": checked.body["session_minutes_late"],
             "session_notes": checked.body["session_notes"]}
    return session_mark_objects(res, checked.year, [saved], day=row.date)[0]


def _audit(ctx: Context, res: Resources, outcome: str, fields: dict[str, Any], **extra: Any) -> None:
    from gateway.audit import record

    if ctx.services.audit is None:
        return
    ctx.services.audit.write(record(action="record-session-attendance", tenant=res.tenant.id,
                                    caller=res.tenant.caller, outcome=outcome,
                                    request_id=ctx.request_id, **fields, **extra))


async def _plan_result(info: Info, res: Resources, results: list[Any]) -> None:
    """Load what the selection below the written marks reads, as queries do (no per-mark awaits)."""
    raw = info._raw_info
    years = {getattr(r, "year", None) or getattr(getattr(r, "saved", None), "year", None) for r in results}
    years.discard(None)
    for year in years:
        await prefetch(Scope(info.context, res, int(year)), raw, get_named_type(raw.return_type), results,  # type: ignore[arg-type]
                       [node.selection_set for node in raw.field_nodes])


SchoolArg = Annotated[str | None, strawberry.argument(
    description="The school's code; needed only when the gateway serves several schools.")]


@strawberry.type(description="Writes. The only write GO4Schools offers is session attendance.")
class Mutation:
    @strawberry.mutation(description="Record one student's mark for one session, after checking it against the school's calendar, students and attendance codes; returns the saved mark." + CLAIM)
    async def record_session_attendance(self, info: Info, input: Annotated[SessionAttendanceInput, strawberry.argument(description="The mark to record.")],
                                        school: SchoolArg = None) -> SessionMark:
        res = await _prepare(info.context, school, {year_of(input.date)})
        mark = await _record(info, res, input, asyncio.Semaphore(1))
        await _plan_result(info, res, [mark])
        return mark

    @strawberry.mutation(description=f"Record a whole register (at most {MAX_ROWS} rows): one result per input, in order; a bad row is reported in its own result and never stops the others. Rows are posted a few at a time." + CLAIM)
    async def record_session_attendances(self, info: Info, inputs: Annotated[list[SessionAttendanceInput], strawberry.argument(description="The marks to record.")],
                                         school: SchoolArg = None) -> list[SessionAttendanceResult]:
        if len(inputs) > MAX_ROWS:
            raise bad_input(f"At most {MAX_ROWS} rows in one call (this one has {len(inputs)})")
        res = await _prepare(info.context, school, {year_of(i.date) for i in inputs})
        gate = asyncio.Semaphore(POST_CONCURRENCY)

        async def one(index: int, row: SessionAttendanceInput) -> SessionAttendanceResult:
            try:
                mark = await _record(info, res, row, gate)
            except GatewayError as exc:
                return SessionAttendanceResult(index=index, saved=None,
                                               error=RowError(code=exc.code, message=exc.message))
            return SessionAttendanceResult(index=index, saved=mark, error=None)

        results = list(await asyncio.gather(*(one(i, row) for i, row in enumerate(inputs))))
        await _plan_result(info, res, results)
        return results


