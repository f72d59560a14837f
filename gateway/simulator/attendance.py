"""Attendance: the statutory English codes (with a few school aliases), session and lesson marks per
date, the year's summary, and the one write (a session mark posted by the gateway).

Marks for a date are generated on request from that date's own random stream,
only for open days up to today, and only for pupils on roll that day.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import TYPE_CHECKING, Any

from gateway.simulator.calendar import iso_day
from gateway.simulator.school import KIND_ATTENDANCE

if TYPE_CHECKING:
    from gateway.simulator.school import YearData

Json = dict[str, Any]

#: (code, label, category, attendance officer only). Categories match the summary's columns.
CODES: tuple[tuple[str, str, str, bool], ...] = (
    ("/", "Present (AM)", "present", False),
    ("\\", "Present (PM)", "present", False),
    ("L", "Late (before registers closed)", "present", False),
    ("K", "Attending education provision arranged by the local authority", "aea", True),
    ("V", "Attending an educational visit or trip", "aea", False),
    ("P", "Participating in a supervised sporting activity", "aea", False),
    ("W", "Attending work experience", "aea", True),
    ("B", "Attending any other approved educational activity", "aea", False),
    ("D", "Dual registered - at another school", "not_required", True),
    ("C1", "Leave of absence: regulated performance or employment abroad", "authorised", True),
    ("M", "Leave of absence: medical or dental appointment", "authorised", False),
    ("J1", "Leave of absence: interview", "authorised", True),
    ("S", "Leave of absence: study leave", "authorised", True),
    ("X", "Not required to be in school (non-compulsory school age)", "not_required", True),
    ("C2", "Leave of absence: part-time timetable", "authorised", True),
    ("C", "Leave of absence: exceptional circumstances", "authorised", True),
    ("T", "Parent travelling for occupational purposes", "authorised", True),
    ("R", "Religious observance", "authorised", False),
    ("I", "Illness (not medical or dental appointment)", "authorised", False),
    ("E", "Suspended or permanently excluded, no alternative provision", "authorised", True),
    ("Q", "Unable to attend: lack of access arrangements", "not_required", True),
    ("Y1", "Unable to attend: transport normally provided not available", "not_required", True),
    ("Y2", "Unable to attend: widespread disruption to travel", "not_required", True),
    ("Y3", "Unable to attend: part of the school premises closed", "not_required", True),
    ("Y4", "Unable to attend: whole school site unexpectedly closed", "not_required", True),
    ("Y5", "Unable to attend: criminal justice detention", "not_required", True),
    ("Y6", "Unable to attend: public health guidance or law", "not_required", True),
    ("Y7", "Unable to attend: any other unavoidable reason", "not_required", True),
    ("G", "Holiday not granted by the school", "unauthorised", True),
    ("N", "Reason for absence not yet provided", "unauthorised", False),
    ("O", "Absent in other or unknown circumstances", "unauthorised", True),
    ("U", "Arrived in school after registers closed", "unauthorised", False),
    ("Z", "Prospective pupil not on admission register", "not_required", True),
    ("#", "Planned whole-school closure", "not_required", True),
)
#: The school's own aliases: (code they belong to, alias code, label).
ALIASES = (("/", "IR", "Isolation Room"), ("L", "LB", "Late - bus delayed"),
           ("B", "OS", "Off-site provision"), ("B", "HT", "Home tuition"),
           ("I", "IS", "Illness - sent home"), ("N", "NC", "No contact yet - calls made"),
           ("M", "MD", "Dental appointment"))
#: How a day's absence is explained: (code, weight, whole day, note).
ABSENCES = (("I", 50, True, "Parent phoned: unwell"), ("M", 10, False, "Appointment"),
            ("N", 10, True, None), ("O", 5, True, None), ("G", 6, True, "Holiday refused"),
            ("V", 5, True, "Year group trip"), ("P", 3, False, "Area sports fixture"),
            ("B", 4, False, None), ("C", 3, True, "Family circumstances"),
            ("E", 1, True, None), ("R", 2, True, None), ("U", 1, False, "Arrived 10:05"))


class Attendance:
    def __init__(self, yd: YearData) -> None:
        self.yd = yd

    @cached_property
    def codes(self) -> list[Json]:
        out = []
        alias_n = 0
        for n, (code, label, _, officer) in enumerate(CODES, start=1):
            aliases = []
            for owner, alias, alias_label in ALIASES:
                if owner == code:
                    alias_n += 1
                    aliases.append({"id": self.yd.ident(KIND_ATTENDANCE, 500 + alias_n),
                                    "alias_code": alias, "alias_label": alias_label})
            out.append({"id": self.yd.ident(KIND_ATTENDANCE, n), "code": code, "label": label,
                        "attendance_officer_only": officer,
                        "protect_if_entered_by_attendance_officer": officer,
                        "protect_if_entered_by_school_manager": code in ("E", "G", "C"),
                        "protect_if_entered_by_behaviour_manager": code == "E",
                        "aliases": aliases})
        return out

    @cached_property
    def by_code(self) -> dict[str, Json]:
        return {c["code"]: c for c in self.codes}

    @cached_property
    def by_id(self) -> dict[int, Json]:
        return {c["id"]: c for c in self.codes}

    @cached_property
    def category_of(self) -> dict[int, str]:
        return {self.by_code[code]["id"]: cat for code, _, cat, _ in CODES}

    def _alias(self, code: str, alias_code: str) -> int:
        return int(next(a["id"] for a in self.by_code[code]["aliases"]
                        if a["alias_code"] == alias_code))

    def has_marks(self, day: dt.date) -> bool:
        d = self.yd.day_by_date.get(day)
        return d is not None and d.day_type == "Open" and day <= self.yd.today()

    # --- session marks -----------------------------------------------------------------
    def _generated(self, day: dt.date) -> list[Json]:
        if not self.has_marks(day):
            return []
        rng = self.yd.rng("session-marks", day)
        when = iso_day(day)
        out = []
        for p in self.yd.pupils:
            if not p.on_roll_on(day):
                continue
            # session -> (code, alias id, minutes late, notes)
            marks: dict[str, tuple[str, int | None, int | None, str | None]] = {
                "AM": ("/", None, None, None), "PM": ("\\", None, None, None)}
            if rng.random() < p.absence:
                code, _, whole, note = rng.choices(ABSENCES, weights=[a[1] for a in ABSENCES])[0]
                alias = self._alias(code, "IS") if code == "I" and rng.random() < 0.1 else None
                sessions = ("AM", "PM") if whole else (rng.choice(("AM", "PM")),)
                for s in sessions:
                    marks[s] = (code, alias, None, note)
            elif rng.random() < 0.035:
                late_bus = rng.random() < 0.3
                marks["AM"] = ("L", self._alias("L", "LB") if late_bus else None,
                               rng.randint(2, 25), "Bus was late" if late_bus else None)
            elif rng.random() < 0.002:
                marks["AM"] = ("/", self._alias("/", "IR"), None, None)
            for session in ("AM", "PM"):
                code, alias, late, note = marks[session]
                out.append({"date": when, "session": session, "student_id": p.id,
                            "session_mark_id": self.by_code[code]["id"], "session_alias_id": alias,
                            "session_minutes_late": late, "session_notes": note})
        return out

    def session_marks(self, day: dt.date) -> list[Json]:
        def build() -> list[Json]:
            marks = self._generated(day)
            posted = {(k[1], k[2]): v for k, v in self.yd.posted_marks.items() if k[0] == day}
            if not posted:
                return marks
            merged = [posted.pop((m["student_id"], m["session"]), m) for m in marks]
            return merged + [posted[k] for k in sorted(posted)]
        result: list[Json] = self.yd.daily("session-marks", day, build)
        return result

    def record(self, day: dt.date, student_id: int, session: str, mark_id: int,
               alias_id: int | None, minutes_late: int | None, notes: str | None) -> None:
        """Keep a posted mark: it replaces the generated one in later reads."""
        self.yd.posted_marks[(day, student_id, session)] = {
            "date": iso_day(day), "session": session, "student_id": student_id,
            "session_mark_id": mark_id, "session_alias_id": alias_id,
            "session_minutes_late": minutes_late, "session_notes": notes}
        self.yd.forget_day(day)

    # --- lesson marks ------------------------------------------------------------------------
    def lesson_marks(self, day: dt.date) -> list[Json]:
        def build() -> list[Json]:
            d = self.yd.day_by_date.get(day)
            if d is None or d.week is None or not self.has_marks(day):
                return []
            rng = self.yd.rng("lesson-marks", day)
            session = {(m["student_id"], m["session"]): m for m in self.session_marks(day)}
            tt = self.yd.timetable
            present, late = self.by_code["/"]["id"], self.by_code["L"]["id"]
            out = []
            for period in tt.periods_on(d.week, day.weekday()):
                for cls in tt.classes_at.get(period.id, ()):
                    for sid in tt.group_of_class[cls["id"]].student_ids:
                        s = session.get((sid, period.session))
                        if s is None:
                            continue  # not on roll that day
                        mark, alias, minutes, note = s["session_mark_id"], s["session_alias_id"], None, None
                        if self.category_of.get(mark) == "present":
                            mark, alias = present, None
                            if s["session_minutes_late"] and period.slot == 1:
                                mark, minutes = late, s["session_minutes_late"]
                            elif rng.random() < 0.015:
                                mark, minutes, note = late, rng.randint(1, 10), "Late from previous lesson"
                        out.append({"date": iso_day(day), "student_id": sid, "class_id": cls["id"],
                                    "lesson_mark_id": mark, "lesson_alias_id": alias,
                                    "lesson_minutes_late": minutes, "lesson_notes": note})
            return out
        result: list[Json] = self.yd.daily("lesson-marks", day, build)
        return result

    # --- the summary ----------------------------------------------------------------------------
    def summary(self) -> list[Json]:
        """Session totals per pupil for the year up to (not including) today."""
        today = self.yd.today()
        result: list[Json] = self.yd.daily("attendance-summary", today,
                                           lambda: self._summary(today))
        return result

    def _summary(self, today: dt.date) -> list[Json]:
        rng = self.yd.rng("attendance-summary", today)
        out = []
        for p in self.yd.pupils:
            days = sum(1 for d in self.yd.open_days if d < today and p.on_roll_on(d))
            possible = 2 * days
            absent = min(possible, round(possible * p.absence * rng.uniform(0.7, 1.3)))
            aea = round(absent * 0.12)
            unauth = round((absent - aea) * rng.uniform(0.1, 0.35))
            not_required = 1 if absent and rng.random() < 0.05 else 0
            missing = 1 if possible and rng.random() < 0.03 else 0
            auth = max(absent - aea - unauth - not_required - missing, 0)
            present = possible - aea - auth - unauth - not_required - missing
            out.append({"student_id": p.id, "possible_sessions": possible, "present": present,
                        "approved_educational_activity": aea, "authorised_absence": auth,
                        "unauthorised_absence": unauth, "attendance_not_required": not_required,
                        "missing_mark": missing, "late": round(present * 0.035 * rng.uniform(0, 2))})
        return out
