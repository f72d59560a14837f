"""Departments, teachers and staff accounts of a generated school (the same in both years served)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from gateway.simulator import names
from gateway.simulator.profiles import SchoolProfile

Json = dict[str, Any]

#: (name, share of the teaching staff, room prefix)
DEPARTMENTS: tuple[tuple[str, float, str], ...] = (
    ("English", 0.12, "E"),
    ("Mathematics", 0.12, "M"),
    ("Science", 0.14, "S"),
    ("Humanities", 0.10, "H"),
    ("Modern Foreign Languages", 0.08, "L"),
    ("Creative Arts", 0.10, "A"),
    ("Computing and Technology", 0.09, "T"),
    ("Physical Education", 0.09, "PE"),
    ("Social Sciences and Business", 0.09, "B"),
    ("Personal Development", 0.07, "R"),
)
DEPARTMENT_BASE = 400
TEACHER_BASE = 20_000
STAFF_BASE = 30_000


@dataclass(slots=True)
class Teacher:
    record: Json  # the GET Teachers object
    department: int  # index into DEPARTMENTS
    staff_id: int
    display_name: str  # "Mrs S Jones", as staff accounts and report comments spell it


@dataclass(slots=True)
class Staffing:
    departments: list[Json]
    teachers: list[Teacher]
    staff_accounts: list[Json]

    def teachers_of(self, department: int) -> list[Teacher]:
        return [t for t in self.teachers if t.department == department]


def _title(rng: random.Random, sex: str) -> str:
    if rng.random() < 0.06:
        return "Dr"
    return "Mr" if sex == "M" else rng.choice(("Mrs", "Ms", "Miss"))


def _initials(first: str, middle: str | None, last: str, used: set[str]) -> str:
    base = first[0] + (middle[0] if middle else "X") + last[0].upper()
    code = base.upper()
    letter = 0
    while code in used:  # another teacher has these initials: vary the middle letter
        code = (first[0] + "ABCDEFGHJKLMNPRSTUVWYZ"[letter % 22] + last[0]).upper()
        letter += 1
        if letter > 22:
            code = f"{base.upper()}{letter - 22}"
    used.add(code)
    return code


def build_staffing(profile: SchoolProfile, seed: int, students: int) -> Staffing:
    rng = random.Random(f"{seed}|{profile.salt}|staff")
    off = profile.id_offset
    departments = [{"id": off + DEPARTMENT_BASE + i + 1, "name": name}
                   for i, (name, _, _) in enumerate(DEPARTMENTS)]
    count = max(len(DEPARTMENTS) * 2, round(students / 15))
    per_dept = [max(2, round(count * share)) for _, share, _ in DEPARTMENTS]
    teachers: list[Teacher] = []
    accounts: list[Json] = []
    used_codes: set[str] = set()
    used_names: set[tuple[str, str]] = set()

    def person() -> tuple[str, str, str, str | None]:
        for attempt in range(1000):
            sex = rng.choice("MF")
            first = rng.choice(names.STAFF_FIRST_MEN if sex == "M" else names.STAFF_FIRST_WOMEN)
            last = rng.choice(names.STAFF_SURNAMES)
            # Names are unique while the pools last; a huge school may repeat one.
            if (first, last) not in used_names or attempt > 50:
                used_names.add((first, last))
                middle = rng.choice(names.MIDDLE_BOYS if sex == "M" else names.MIDDLE_GIRLS) \
                    if rng.random() < 0.4 else None
                return sex, first, last, middle
        raise AssertionError("unreachable")

    def account(title: str, first: str, last: str, teacher_id: int | None,
                current: bool = True) -> Json:
        staff_id = off + STAFF_BASE + len(accounts) + 1
        email = f"{first}.{last}".lower().replace("'", "") + f"@{profile.email_domain}"
        record = {"id": staff_id, "email_address": email, "first_name": first,
                  "last_name": last, "display_name": f"{title} {first[0]} {last}",
                  "title": title, "is_current": current, "teacher_id": teacher_id,
                  "start_date": None, "end_date": None}
        accounts.append(record)
        return record

    for dept, n in enumerate(per_dept):
        for _ in range(n):
            sex, first, last, middle = person()
            title = _title(rng, sex)
            code = _initials(first, middle, last, used_codes)
            tid = off + TEACHER_BASE + len(teachers) + 1
            preferred = first if rng.random() > 0.1 else names.NICKNAMES.get(first, first)
            rec = {"id": tid, "title": title, "first_name": first, "last_name": last,
                   "preferred_first_name": preferred, "preferred_last_name": last,
                   "initials": code, "code": code}
            acc = account(title, preferred, last, tid)
            teachers.append(Teacher(rec, dept, acc["id"], acc["display_name"]))
    # Support staff: office, pastoral and technicians; two have left and are not current.
    support = max(3, round(len(teachers) * 0.35))
    for i in range(support):
        sex, first, last, _ = person()
        account(_title(rng, sex), first, last, None, current=i >= 2)
    return Staffing(departments, teachers, accounts)
