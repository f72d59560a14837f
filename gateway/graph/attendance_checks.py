"""The checks of one attendance row before anything is posted (what the gateway can know).

The date is in the write window and a day the school is open, the student is the school's
(named by id or UPN), the mark is in use for the year, the alias belongs to the mark, minutes
late go with a present or late mark, notes are bounded. A refusal names the row's problem by a
fixed word (``refuse``) and never echoes a UPN.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gateway.audit import bound
from gateway.graph import keys
from gateway.graph.attendance_audit import refuse
from gateway.graph.attendance_window import Window, today, write_window
from gateway.graph.base import parse_id, to_text
from gateway.graph.context import Context
from gateway.graph.dates import OPEN, year_of
from gateway.graph.errors import GatewayError
from gateway.graph.school import tenant_for
from gateway.resources.memo import Resources
from gateway.shared.upn import upn_problem

if TYPE_CHECKING:
    from gateway.graph.attendance_write import SessionAttendanceInput

#: Marks that may carry minutes late: the present and late marks (the reference's own POST
#: example records "/" with 10 minutes late; L and U are late before / after registers closed).
MINUTES_CODES = frozenset({"/", "\\", "L", "U"})
MAX_MINUTES_LATE = 300
MAX_NOTES = 500

@dataclass
class Checked:
    year: int
    body: dict[str, Any]
    student_id: Any


#: What the checks read for each academic year the rows touch.
READ = (keys.CALENDAR, keys.ATTENDANCE_CODES, keys.EDUCATION_DETAILS, keys.STUDENTS)


async def prepare(ctx: Context, school: str | None, years: set[int]) -> tuple[Resources, Window]:
    """Load, in one gather, what validation reads for every academic year the rows touch."""
    res = ctx.resources_for(tenant_for(ctx, school))
    raw = (await res.load(keys.SCHOOL)).meta
    have = frozenset(int(y) for y in raw.get("academic_years") or ())
    years = years | {year_of(today(ctx))}
    await res.load_many([made(year) for year in years & have for made in READ])
    return res, write_window(ctx, res, have)


def check(res: Resources, window: Window, row: SessionAttendanceInput) -> Checked:
    """The upstream body for a row, or BAD_USER_INPUT saying what is wrong (nothing posted).

    Messages name the row's problem without echoing a UPN."""
    window.check(row.date)
    year = year_of(row.date)
    if year not in window.school_years:
        raise refuse("unknown-academic-year", f"{row.date} falls in academic year {year}, which the school does not have")
    day = row.date.isoformat()
    cal = res.get(keys.CALENDAR(year)).unique("date").get(day)
    if cal is None or str(cal.get("day_type_code", "")).lower() != OPEN.lower():
        kind = bound((cal or {}).get("day_type_code") or "not in the school calendar", 40)
        raise refuse("school-closed", f"The school is not open on {day} ({kind}): no attendance can be recorded")
    edu = res.get(keys.EDUCATION_DETAILS(year))
    students = res.get(keys.STUDENTS(year)).unique("id")
    if (row.student_id is None) == (row.student_upn is None):
        raise refuse("student-not-named", "Name the student by exactly one of studentId or studentUpn")
    if row.student_upn is not None:
        upn = row.student_upn.strip().upper()
        problem = upn_problem(upn)
        if problem:
            raise refuse("invalid-upn", f"studentUpn is not a valid UPN: {problem}")
        details = edu.unique("upn").get(upn)
        if details is None:
            raise refuse("unknown-student", "No student of this school has that UPN")
    else:
        try:
            sid = parse_id(row.student_id, "studentId")
        except GatewayError as exc:
            raise refuse("invalid-student-id", exc.message) from None
        details = edu.unique("student_id").get(sid)
        if details is None or sid not in students:
            raise refuse("unknown-student", f"No student of this school has id {sid}")
        if not details.get("upn"):
            raise refuse("student-without-upn", f"Student {sid} has no UPN in GO4Schools, so attendance cannot be posted")
    codes = res.get(keys.ATTENDANCE_CODES(year))
    if (row.code_id is None) == (row.code is None):
        raise refuse("mark-not-named", "Give the mark by exactly one of codeId or code")
    if row.code_id is not None:
        try:
            mark = codes.unique("id").get(parse_id(row.code_id, "codeId"))
        except GatewayError as exc:
            raise refuse("invalid-mark-id", exc.message) from None
        if mark is None:
            raise refuse("unknown-mark", f"Mark id {bound(row.code_id, 20)} is not in use for academic year {year}")
    else:
        text = row.code.strip() if row.code else ""
        mark = codes.unique("code").get(text)
        if mark is None:
            raise refuse("unknown-mark", f"Mark {bound(text, 20)!r} is not in use for academic year {year}")
    aliases = mark.get("aliases") or []
    alias = None
    if row.alias_id is not None and row.alias_code is not None:
        raise refuse("alias-twice", "Give the alias by aliasId or aliasCode, not both")
    if row.alias_id is not None:
        try:
            aid = parse_id(row.alias_id, "aliasId")
        except GatewayError as exc:
            raise refuse("invalid-alias-id", exc.message) from None
        alias = next((a for a in aliases if a.get("id") == aid), None)
        if alias is None:
            raise refuse("unknown-alias", f"Alias id {aid} does not belong to mark {mark.get('code')!r}")
    elif row.alias_code is not None:
        wanted = row.alias_code.strip()
        alias = next((a for a in aliases if wanted in (a.get("code"), a.get("alias_code"))), None)
        if alias is None:
            raise refuse("unknown-alias", f"Alias {bound(wanted, 20)!r} does not belong to mark {mark.get('code')!r}")
    if row.minutes_late is not None:
        if str(mark.get("code")) not in MINUTES_CODES:
            raise refuse("minutes-late-with-absence", "Minutes late go only with a present or late mark "
                          f"(/, \\, L or U), not {mark.get('code')!r}")
        if not 0 <= row.minutes_late <= MAX_MINUTES_LATE:
            raise refuse("minutes-late-range", f"Minutes late must be between 0 and {MAX_MINUTES_LATE}")
    notes = row.notes
    if notes is not None:
        notes = notes.strip() or None
        if notes is not None and len(notes) > MAX_NOTES:
            raise refuse("notes-too-long", f"Notes may be at most {MAX_NOTES} characters (these are {len(notes)})")
    student = students.get(details.get("student_id")) or {}
    body = {"student_upn": details.get("upn"), "date": day, "session": row.session.value,
            "session_mark_id": mark.get("id"),
            "session_mark_alias_id": alias.get("id") if alias else None,
            "session_minutes_late": row.minutes_late, "session_notes": notes,
            "student_mis_id": to_text(student.get("student_mis_id") or details.get("student_mis_id"))}
    return Checked(year, body, details.get("student_id"))
