"""Subjects per year group, option blocks, teaching groups and the teachers who take them.

Key stage 3 takes every subject (one language of two), key stage 4 a core plus
one subject from each option block, the sixth form three or four A levels from
four blocks. A block's subjects are taught at the same periods (timetable.py),
so no pupil is ever in two places at once.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gateway.simulator.roster import Person
from gateway.simulator.school import KIND_GROUP, KIND_SUBJECT
from gateway.simulator.staff import DEPARTMENTS

if TYPE_CHECKING:
    from gateway.simulator.school import YearData

Json = dict[str, Any]
GROUP_SIZE = 28


@dataclass(frozen=True, slots=True)
class SubjectDef:
    code: str
    name: str
    department: int  # index into staff.DEPARTMENTS
    title: str = ""  # qualification title's subject, when it differs from the name
    board: str = "AQA"
    stats: bool = True
    popularity: float = 1.0


def _s(code: str, name: str, dept: int, **kw: Any) -> SubjectDef:
    return SubjectDef(code, name, dept, **kw)


EN, MA, SC = _s("En", "English", 0, title="English Language"), _s("Ma", "Mathematics", 1,
              board="Pearson Edexcel"), _s("Sc", "Science", 2, title="Combined Science: Trilogy")
HI, GG = _s("Hi", "History", 3, popularity=1.2), _s("Gg", "Geography", 3)
FR, SP = _s("Fr", "French", 4), _s("Sp", "Spanish", 4, popularity=1.3)
AR, MU, DT = _s("Ar", "Art", 5, title="Art and Design"), _s("Mu", "Music", 5, board="OCR"), \
    _s("Dt", "Design and Technology", 6)
CP = _s("Cp", "Computing", 6, title="Computer Science", board="OCR")
PE = _s("PE", "Physical Education", 7, stats=False)
RS = _s("RS", "Religious Studies", 9, board="WJEC Eduqas")
BS = _s("Bs", "Business", 8, board="Pearson Edexcel", popularity=0.8)

KS5_BLOCKS: tuple[tuple[SubjectDef, ...], ...] = (
    (_s("Ma", "Mathematics", 1, board="Pearson Edexcel", popularity=1.5), HI,
     _s("Ar", "Art", 5, title="Art and Design", popularity=0.6)),
    (_s("Bi", "Biology", 2, board="OCR"), _s("Ps", "Psychology", 8, popularity=1.4), BS),
    (_s("Ch", "Chemistry", 2), _s("El", "English Literature", 0), GG),
    (_s("Ph", "Physics", 2), _s("Cp", "Computer Science", 6, board="OCR"),
     _s("So", "Sociology", 8)),
)
ENRICHMENT = _s("Enr", "Enrichment", 9, stats=False)


@dataclass(frozen=True, slots=True)
class Unit:
    """Subjects taught at the same periods: one subject, or an option block."""

    subjects: tuple[SubjectDef, ...]
    lessons: int  # per fortnight
    setted: bool = False  # groups formed by ability (sets) rather than mixed


def programme(nc: int, rng: random.Random) -> list[Unit]:
    """The units a year group is taught in, with lessons per fortnight."""
    r = rng.randint
    if nc <= 9:
        return [Unit((EN,), 4, True), Unit((MA,), 4, True), Unit((SC,), 4, True),
                Unit((HI,), r(2, 3)), Unit((GG,), r(2, 3)), Unit((FR, SP), 3), Unit((AR,), 2),
                Unit((MU,), 2), Unit((CP,), 2), Unit((DT,), 2), Unit((PE,), r(2, 3))]
    if nc <= 11:
        return [Unit((EN,), 4, True), Unit((MA,), 4, True), Unit((SC,), 4, True),
                Unit((PE,), 2), Unit((RS,), 2), Unit((HI, GG), 3), Unit((FR, SP, CP), 3),
                Unit((AR, BS, DT), 3)]
    return [Unit(block, 4) for block in KS5_BLOCKS] + [Unit((ENRICHMENT,), 2)]


def scheme(nc: int) -> str | None:
    return ("KS3 steps: Emerging, Developing, Secure, Mastered" if nc <= 9 else
            "GCSE grades 9-1" if nc <= 11 else "A level grades A*-E")


@dataclass(slots=True)
class Group:
    id: int
    code: str
    name: str
    subject_id: int
    nc: int
    student_ids: list[int]
    teacher_ids: list[int] = field(default_factory=list)
    room: str = ""


@dataclass(slots=True)
class Subject:
    record: Json  # the GET Subjects object
    definition: SubjectDef
    nc: int
    unit: int  # index of its unit within the year group's programme
    groups: list[Group] = field(default_factory=list)

    @property
    def id(self) -> int:
        return int(self.record["id"])

    @property
    def student_ids(self) -> list[int]:
        return [s for g in self.groups for s in g.student_ids]


@dataclass(slots=True)
class Curriculum:
    subjects: list[Subject]
    groups: list[Group]
    units: dict[int, list[Unit]]  # by NC year
    groups_of: dict[int, list[Group]]  # by student id
    subject_by_id: dict[int, Subject]


def _qan(rng: random.Random, level: int) -> str:
    return f"{600 + rng.randint(0, 3)}/{rng.randint(1000, 9999)}/{rng.choice('0123456789X')}" \
        if level else ""


def _subject_record(yd: YearData, rng: random.Random, n: int, d: SubjectDef, nc: int,
                    dept_ids: list[int]) -> Json:
    exam = d.stats and nc >= 10
    title = d.title or d.name
    qualification = None
    if exam:
        qualification = (f"{d.board} Level 1/Level 2 GCSE (9-1) in {title}" if nc <= 11 else
                         f"{d.board} Level 3 Advanced GCE in {title}")
    return {"id": yd.ident(KIND_SUBJECT, n), "name": d.name, "code": d.code,
            "year_group": str(nc), "department_id": dept_ids[d.department],
            "qan": _qan(rng, 1) if exam else None, "qualification_title": qualification,
            "qualification_scheme_name": scheme(nc) if d.stats else None,
            "include_in_stats": d.stats}


def _choose(rng: random.Random, pupils: list[Person], unit: Unit) -> list[list[Person]]:
    """Which pupils take each subject of a unit (everyone, or one subject of a block each)."""
    if len(unit.subjects) == 1:
        return [list(pupils)]
    chosen: list[list[Person]] = [[] for _ in unit.subjects]
    weights = [d.popularity for d in unit.subjects]
    for p in pupils:
        chosen[rng.choices(range(len(unit.subjects)), weights=weights)[0]].append(p)
    return chosen


def _sixth_form(rng: random.Random, pupils: list[Person], units: list[Unit]) -> list[list[list[Person]]]:
    """Three blocks (a quarter take four) per sixth former, one A level from each."""
    per_unit: list[list[list[Person]]] = [[[] for _ in u.subjects] for u in units]
    blocks = [i for i, u in enumerate(units) if u.subjects[0] is not ENRICHMENT]
    for p in pupils:
        taken = blocks if rng.random() < 0.25 else rng.sample(blocks, 3)
        for b in taken:
            unit = units[b]
            k = rng.choices(range(len(unit.subjects)), weights=[d.popularity for d in unit.subjects])[0]
            per_unit[b][k].append(p)
    for i, u in enumerate(units):
        if u.subjects[0] is ENRICHMENT:
            per_unit[i][0] = list(pupils)
    return per_unit


def build_curriculum(yd: YearData) -> Curriculum:
    rng = yd.rng("curriculum")
    dept_ids = [int(d["id"]) for d in yd.staffing.departments]
    by_year: dict[int, list[Person]] = {}
    for p in yd.pupils:
        by_year.setdefault(yd.nc(p), []).append(p)
    subjects: list[Subject] = []
    groups: list[Group] = []
    units_by_year: dict[int, list[Unit]] = {}
    for nc in range(7, 14):
        units = programme(nc, rng)
        units_by_year[nc] = units
        pupils = by_year.get(nc, [])
        takers = _sixth_form(rng, pupils, units) if nc >= 12 else \
            [_choose(rng, pupils, u) for u in units]
        for ui, unit in enumerate(units):
            for d, who in zip(unit.subjects, takers[ui], strict=True):
                subject = Subject(_subject_record(yd, rng, len(subjects) + 1, d, nc, dept_ids),
                                  d, nc, ui)
                subjects.append(subject)
                _form_groups(yd, rng, subject, who, unit.setted, groups)
    _assign_teachers(yd, rng, subjects)
    groups_of: dict[int, list[Group]] = {}
    for g in groups:
        for sid in g.student_ids:
            groups_of.setdefault(sid, []).append(g)
    return Curriculum(subjects, groups, units_by_year, groups_of,
                      {s.id: s for s in subjects})


def _form_groups(yd: YearData, rng: random.Random, subject: Subject, who: list[Person],
                 setted: bool, groups: list[Group]) -> None:
    if not who:
        return
    count = math.ceil(len(who) / GROUP_SIZE)
    ordered = sorted(who, key=lambda p: -p.ability) if setted else rng.sample(who, len(who))
    size = math.ceil(len(ordered) / count)
    d = subject.definition
    for k in range(count):
        members = sorted(p.id for p in ordered[k * size:(k + 1) * size])
        if not members:
            continue
        code = f"{subject.nc}/{d.code}{k + 1}"
        group = Group(yd.ident(KIND_GROUP, len(groups) + 1), code,
                      f"Year {subject.nc} {d.name} {k + 1}", subject.id, subject.nc, members)
        subject.groups.append(group)
        groups.append(group)


def _assign_teachers(yd: YearData, rng: random.Random, subjects: list[Subject]) -> None:
    """One teacher a group (a fifth share two), the least loaded of the department first."""
    load: dict[int, float] = {t.record["id"]: 0.0 for t in yd.staffing.teachers}
    rooms: dict[int, int] = {}
    for subject in subjects:
        dept = subject.definition.department
        staff = yd.staffing.teachers_of(dept) or yd.staffing.teachers
        for group in subject.groups:
            ranked = sorted(staff, key=lambda t: (load[t.record["id"]], rng.random()))
            chosen = ranked[:2] if rng.random() < 0.2 and len(ranked) > 1 else ranked[:1]
            group.teacher_ids = [int(t.record["id"]) for t in chosen]
            for t in chosen:
                load[t.record["id"]] += 1 / len(chosen)
            prefix = DEPARTMENTS[dept][2]
            rooms[dept] = rooms.get(dept, 0) % 9 + 1
            group.room = "Sports Hall" if prefix == "PE" and rng.random() < 0.5 else \
                f"{prefix}{rooms[dept]}"
