"""The behaviour scheme (classifications, actions, event types) and the events logged on each open day."""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
from functools import cached_property
from typing import TYPE_CHECKING, Any

from gateway.simulator.calendar import utc_instant
from gateway.simulator.school import KIND_BEHAVIOUR, KIND_EVENT

if TYPE_CHECKING:
    from gateway.simulator.school import YearData

Json = dict[str, Any]
EVENTS_PER_PUPIL_PER_DAY = 0.03
_EVENTS_PER_DAY_CAP = 399

IMMEDIATE = (("Verbal warning", None, "Standard"), ("Moved seat", "Moved", "Standard"),
             ("Remove student from classroom", "Remove", "Standard"),
             ("Break detention", "Break DT", "Detention"), ("Praise postcard", "Postcard", "Standard"))
FOLLOW_UP = (("Phone call home", "Call home", "Standard"),
             ("After-school detention", "Detention", "Detention"),
             ("Head of Year meeting", None, "Standard"), ("Report card", None, "Standard"),
             ("Letter home", None, "Standard"))
#: (name, score, [(immediate action index, completion)], [(follow-up index, completion)])
CLASSIFICATIONS: tuple[tuple[str, int, list[tuple[int, str]], list[tuple[int, str]]], ...] = (
    ("Achievement", 0, [(4, "Optional")], [(4, "Optional")]),
    ("Effort and attitude", 0, [(4, "Optional")], []),
    ("Low-level disruption", 5, [(0, "Recommended"), (1, "Optional")], [(0, "Optional")]),
    ("Disruptive behaviour", 15, [(2, "Mandatory"), (3, "Recommended")],
     [(0, "Mandatory"), (1, "Recommended")]),
    ("Serious incident", 40, [(2, "Mandatory")], [(2, "Mandatory"), (4, "Recommended")]),
)
#: (classification index, code, name, alias, significance, prioritise, weight)
EVENT_TYPES = (
    (0, "ACH1", "Excellent classwork", "Excellent work", "Positive", False, 30),
    (0, "ACH2", "Outstanding homework", "Great homework", "Positive", False, 12),
    (0, "ACH3", "Star of the week", None, "Positive", False, 4),
    (1, "EFF1", "Helpful to others", "Helpful", "Positive", False, 9),
    (1, "EFF2", "Uniform reminder", None, "Neutral", False, 3),
    (1, "EFF3", "Parent contact logged", None, "Neutral", False, 2),
    (2, "DB1", "First Verbal Warning", "FVW", "Negative", False, 14),
    (2, "DB2", "Second Warning", "SW", "Negative", False, 7),
    (2, "HW1", "Homework not completed", "No homework", "Negative", False, 9),
    (2, "EQ1", "No equipment", None, "Negative", False, 4),
    (3, "DB3", "Removed from lesson", "Removal", "Negative", False, 3),
    (3, "DEF", "Defiance", None, "Negative", False, 2),
    (4, "BUL", "Bullying", None, "Negative", True, 0.5),
    (4, "FGT", "Fighting", None, "Negative", True, 0.5),
)
NOTES = {"Positive": ("Excellent effort today - well done!", "A real pleasure to teach this lesson."),
         "Neutral": ("Reminder given.", "Logged for information."),
         "Negative": ("Made no effort at all to complete the work despite help being given.",
                      "Repeatedly talked over the teacher.", "Did not follow instructions.")}


class Behaviour:
    def __init__(self, yd: YearData) -> None:
        self.yd = yd

    def _id(self, n: int) -> int:
        return self.yd.ident(KIND_BEHAVIOUR, n)

    @cached_property
    def immediate_actions(self) -> list[Json]:
        return [{"id": self._id(100 + i), "name": n, "alias": a, "type": t}
                for i, (n, a, t) in enumerate(IMMEDIATE)]

    @cached_property
    def follow_up_actions(self) -> list[Json]:
        return [{"id": self._id(200 + i), "name": n, "alias": a, "type": t}
                for i, (n, a, t) in enumerate(FOLLOW_UP)]

    @cached_property
    def classifications(self) -> list[Json]:
        return [{"id": self._id(1 + i), "name": name, "score": score,
                 "immediate_actions": [{"id": self.immediate_actions[k]["id"], "completion_type": c}
                                       for k, c in immediate],
                 "follow_up_actions": [{"id": self.follow_up_actions[k]["id"], "completion_type": c}
                                       for k, c in follow]}
                for i, (name, score, immediate, follow) in enumerate(CLASSIFICATIONS)]

    @cached_property
    def event_types(self) -> list[Json]:
        return [{"id": self._id(300 + i), "classification_id": self.classifications[c]["id"],
                 "code": code, "name": name, "alias": alias, "significance": sig,
                 "prioritise": prio}
                for i, (c, code, name, alias, sig, prio, _) in enumerate(EVENT_TYPES)]

    @cached_property
    def _conduct_weights(self) -> list[float]:
        return list(itertools.accumulate(p.conduct for p in self.yd.pupils))

    def events(self, day: dt.date) -> list[Json]:
        result: list[Json] = self.yd.daily("behaviour-events", day, lambda: self._events(day))
        return result

    def _events(self, day: dt.date) -> list[Json]:
        d = self.yd.day_by_date.get(day)
        if d is None or d.day_type != "Open" or day > self.yd.today():
            return []
        rng = self.yd.rng("behaviour-events", day)
        on_roll = [p for p in self.yd.pupils if p.on_roll_on(day)]
        if not on_roll:
            return []
        mean = EVENTS_PER_PUPIL_PER_DAY * len(on_roll)
        count = min(max(0, round(rng.gauss(mean, math.sqrt(mean)))), _EVENTS_PER_DAY_CAP)
        pupils, cum = self.yd.pupils, self._conduct_weights
        teachers = {int(t.record["id"]): t.staff_id for t in self.yd.staffing.teachers}
        staff = [s["id"] for s in self.yd.staffing.staff_accounts if s["is_current"]]
        day_index = (day - self.yd.days[0].date).days
        stale = (self.yd.today() - day).days > 7
        out = []
        for i in range(count):
            t = rng.choices(range(len(EVENT_TYPES)), weights=[e[6] for e in EVENT_TYPES])[0]
            c, _, _, _, sig, _, _ = EVENT_TYPES[t]
            who: list[int] = []
            for _ in range(rng.choices((1, 2, 3), weights=(80, 15, 5))[0]):
                if sig == "Negative":  # some pupils are in trouble far more often than others
                    p = pupils[min(bisect.bisect(cum, rng.random() * cum[-1]), len(pupils) - 1)]
                else:
                    p = rng.choice(on_roll)
                if p.on_roll_on(day) and p.id not in who:
                    who.append(p.id)
            if not who:
                who.append(rng.choice(on_roll).id)
            first = self.yd.pupil_by_id[who[0]]
            groups = self.yd.curriculum.groups_of.get(first.id, [])
            group = rng.choice(groups) if groups and rng.random() < 0.9 else None
            subject = self.yd.curriculum.subject_by_id[group.subject_id] if group else None
            creator = teachers.get(group.teacher_ids[0]) if group and group.teacher_ids else None
            creator = creator or rng.choice(staff)
            minute = rng.randrange(8 * 60 + 45, 15 * 60 + 15)
            at = (minute // 60, minute % 60, rng.randrange(60))
            created_minute = min(minute + rng.randint(1, 90), 23 * 60)
            modified = rng.random() < 0.3
            changed = min(created_minute + rng.randint(5, 300), 23 * 60 + 59)
            immediate = [a["id"] for a in self.classifications[c]["immediate_actions"]
                         if rng.random() < 0.7]
            follow = [a["id"] for a in self.classifications[c]["follow_up_actions"]
                      if rng.random() < 0.4]
            note = rng.choice(NOTES[sig])
            out.append({
                "id": self.yd.ident(KIND_EVENT, day_index * 400 + i + 1),
                "event_type_id": self.event_types[t]["id"], "event_date": utc_instant(day, *at),
                "closed": sig != "Negative" or stale or rng.random() < 0.6,
                "cancelled": rng.random() < 0.02,
                "room_name": group.room if group else rng.choice(("Playground", "Canteen", None)),
                "group_name": group.code if group else None,
                "subject_code": subject.definition.code if subject else None,
                "year_group": str(self.yd.nc(first)),
                "home_notes": note if sig != "Neutral" and rng.random() < 0.6 else None,
                "school_notes": note,
                "created_timestamp": utc_instant(day, created_minute // 60, created_minute % 60),
                "created_by": creator,
                "modified_timestamp": utc_instant(day, changed // 60, changed % 60) if modified else None,
                "modified_by": rng.choice(staff) if modified else None,
                "student_ids": who, "event_action_ids": immediate,
                "event_followup_type_ids": follow})
        return out
