"""POST Student Session Attendance: validated in the reference's own terms, then kept as data.

Checks run in the order a model binder then a service would: the packet's shape
("Invalid model state"), then the student, session, date, open day, mark and
alias, each with the message of the reference's error table.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import orjson
from starlette.responses import Response

from gateway.simulator.calendar import parse_day
from gateway.simulator.post_faults import after_save
from gateway.simulator.responses import INVALID_DATE, bad_request

if TYPE_CHECKING:
    from gateway.simulator.app import Simulator
    from gateway.simulator.go4schools import Ask

MODEL_STATE = "Invalid model state"
_INT = re.compile(r"^-?\d+$")


def _int(value: Any, *, nullable: bool) -> int | None:
    """An integer field that may arrive as a number or a numeric string (the table says string)."""
    if value is None and nullable:
        return None
    if isinstance(value, bool):
        raise bad_request(MODEL_STATE)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INT.match(value.strip()):
        return int(value.strip())
    raise bad_request(MODEL_STATE)


def _text(value: Any, *, nullable: bool) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise bad_request(MODEL_STATE)
    return value


async def record_session_mark(sim: Simulator, ask: Ask, attendance_mode_ok: bool) -> Response:
    if not attendance_mode_ok:
        raise bad_request("Attendance Invalid Mode")
    try:
        body = orjson.loads(await ask.request.body())
    except orjson.JSONDecodeError:
        raise bad_request(MODEL_STATE) from None
    if not isinstance(body, dict):
        raise bad_request(MODEL_STATE)
    upn = _text(body.get("student_upn"), nullable=False)
    session = _text(body.get("session"), nullable=False)
    date_text = _text(body.get("date"), nullable=False)
    mark_id = _int(body.get("session_mark_id"), nullable=False)
    alias_id = _int(body.get("session_mark_alias_id"), nullable=True)
    minutes = _int(body.get("session_minutes_late"), nullable=True)
    notes = _text(body.get("session_notes"), nullable=True)
    # student_mis_id is informative only: the UPN names the student.

    yd = ask.yd
    assert yd is not None and upn is not None and session is not None and date_text is not None
    student = yd.pupil_by_upn.get(upn.strip().upper())
    if student is None:
        raise bad_request("Unknown student UPN")
    if session not in ("AM", "PM"):
        raise bad_request("Unknown session type.")
    day = parse_day(date_text)
    if day is None:
        raise bad_request(INVALID_DATE)
    school_day = yd.day_by_date.get(day)
    if school_day is None or school_day.day_type != "Open":
        raise bad_request("Date school not open.")
    code = yd.attendance.by_id.get(mark_id) if mark_id is not None else None
    if code is None:
        raise bad_request("Unknown Attendance Mark")
    if alias_id is not None and alias_id not in {a["id"] for a in code["aliases"]}:
        raise bad_request("Unknown Attendance Alias Mark")
    yd.attendance.record(day, student.id, session, code["id"], alias_id, minutes, notes)
    sim.control.posted.append(body)
    return await after_save(sim.post_faults.take(), Response(b"", status_code=200))
