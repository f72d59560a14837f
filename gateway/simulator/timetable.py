"""The two-week timetable: periods, the calendar JSON, timetabled classes and pupils' classes.

Each unit of a year group's programme (a subject, or an option block) is given
its own periods of the fortnight, and every group of the unit meets then: so a
pupil's classes never clash, and each group meets two to four times a fortnight.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gateway.simulator.calendar import WEEKDAYS, iso_day, utc_instant
from gateway.simulator.school import KIND_CLASS, KIND_TIMETABLE

if TYPE_CHECKING:
    from gateway.simulator.curriculum import Group
    from gateway.simulator.school import YearData

Json = dict[str, Any]

#: (display name, start, end, session) of each period of a day, London time.
DAY_PLAN: tuple[tuple[str, tuple[int, int], tuple[int, int], str], ...] = (
    ("Tutorial", (8, 40), (9, 0), "AM"),
    ("P1", (9, 0), (10, 0), "AM"),
    ("P2", (10, 0), (11, 0), "AM"),
    ("P3", (11, 20), (12, 20), "AM"),
    ("P4", (12, 20), (13, 20), "PM"),
    ("P5", (14, 0), (15, 0), "PM"),
)


@dataclass(frozen=True, slots=True)
class Period:
    id: int
    week: int
    weekday: int  # 0 = Monday
    slot: int  # index into DAY_PLAN
    record: Json

    @property
    def session(self) -> str:
        return DAY_PLAN[self.slot][3]


@dataclass(slots=True)
class Timetable:
    id: int
    periods: list[Period]
    classes: list[Json]
    classes_of_group: dict[int, list[Json]]
    classes_at: dict[int, list[Json]]  # by period id
    period_by_id: dict[int, Period]
    group_of_class: dict[int, Group]

    def periods_on(self, week: int, weekday: int) -> list[Period]:
        return [p for p in self.periods if p.week == week and p.weekday == weekday]


def _first_dates(yd: YearData) -> dict[tuple[int, int], dt.date]:
    """The first date of each (week, weekday) of the cycle, to date the periods' times."""
    firsts: dict[tuple[int, int], dt.date] = {}
    for day in yd.days:
        if day.week is not None:
            monday = day.date - dt.timedelta(days=day.date.weekday())
            for wd in range(5):
                firsts.setdefault((day.week, wd), monday + dt.timedelta(days=wd))
    start = yd.days[0].date + dt.timedelta(days=(7 - yd.days[0].date.weekday()) % 7)
    for week in (1, 2):  # a year without open days still has a timetable
        for wd in range(5):
            firsts.setdefault((week, wd), start + dt.timedelta(days=7 * (week - 1) + wd))
    return firsts


def build_periods(yd: YearData) -> tuple[int, list[Period]]:
    timetable_id = yd.ident(KIND_TIMETABLE, 1)
    firsts = _first_dates(yd)
    periods: list[Period] = []
    for week in (1, 2):
        for wd, day_name in enumerate(WEEKDAYS):
            for slot, (display, start, end, _) in enumerate(DAY_PLAN):
                date = firsts[(week, wd)]
                pid = yd.ident(KIND_TIMETABLE, 100 + len(periods) + 1)
                record = {"id": pid, "name": f"Wk{week} {day_name} {display}",
                          "display_name": display, "week": week, "day_of_week": day_name,
                          "start": utc_instant(date, *start), "end": utc_instant(date, *end)}
                periods.append(Period(pid, week, wd, slot, record))
    return timetable_id, periods


def build_timetable(yd: YearData) -> Timetable:
    rng = yd.rng("timetable")
    timetable_id, periods = build_periods(yd)
    lessons = [p for p in periods if p.slot > 0]  # tutorial time is registration, not classes
    cur = yd.curriculum
    classes: list[Json] = []
    of_group: dict[int, list[Json]] = {}
    at: dict[int, list[Json]] = {}
    group_of_class: dict[int, Group] = {}
    for nc, units in cur.units.items():
        free = list(lessons)
        rng.shuffle(free)
        subjects = [s for s in cur.subjects if s.nc == nc]
        for ui, unit in enumerate(units):
            slots = sorted(free[:unit.lessons], key=lambda p: p.id)
            del free[:unit.lessons]
            for subject in (s for s in subjects if s.unit == ui):
                for group in subject.groups:
                    for period in slots:
                        rooms = [group.room]
                        if group.room == "Sports Hall" and rng.random() < 0.3:
                            rooms.append("Field")
                        class_id = yd.ident(KIND_CLASS, len(classes) + 1)
                        record = {"id": class_id,
                                  "year_group": str(nc), "subject_code": subject.definition.code,
                                  "group_code": group.code, "period_id": period.id,
                                  "rooms": rooms, "teacher_ids": list(group.teacher_ids)}
                        classes.append(record)
                        of_group.setdefault(group.id, []).append(record)
                        at.setdefault(period.id, []).append(record)
                        group_of_class[class_id] = group
    return Timetable(timetable_id, periods, classes, of_group, at, {p.id: p for p in periods},
                     group_of_class)


def timetables_json(yd: YearData) -> list[Json]:
    tt = yd.timetable
    return [{"id": tt.id, "periods": [p.record for p in tt.periods]}]


def calendar_json(yd: YearData) -> list[Json]:
    tt_id = yd.timetable.id
    return [{"timetable_id": tt_id if d.week is not None else None, "week": d.week,
             "date": iso_day(d.date), "day_type_code": d.day_type} for d in yd.days]


def student_classes_json(yd: YearData) -> list[Json]:
    """Each pupil's classes with the dates they joined (and left) them."""
    tt = yd.timetable
    first = yd.days[0].date
    out: list[Json] = []
    for p in yd.pupils:
        start = iso_day(max(p.admission, first + dt.timedelta(days=31)))  # 1 September at the earliest
        end = iso_day(p.leaving) if p.leaving else None
        entries = [{"id": c["id"], "start": start, "end": end}
                   for g in yd.curriculum.groups_of.get(p.id, ())
                   for c in tt.classes_of_group.get(g.id, ())]
        entries.sort(key=lambda e: e["id"])
        out.append({"student_id": p.id, "classes": entries})
    return out
