"""Markbooks (one per subject, sharing its id), their marksheets and markslots, marks and marksheet grades.

Also the grade scales the attainment data share: KS3 steps, GCSE 9-1, A level A*-U.
"""

from __future__ import annotations

import random
from functools import cached_property
from typing import TYPE_CHECKING, Any

from gateway.simulator.school import KIND_MARKBOOK

if TYPE_CHECKING:
    from gateway.simulator.curriculum import Subject
    from gateway.simulator.roster import Person
    from gateway.simulator.school import YearData

Json = dict[str, Any]

KS3 = (("E", "Emerging"), ("D", "Developing"), ("S", "Secure"), ("M", "Mastered"))
GCSE = tuple((str(g), None) for g in range(1, 10))
A_LEVEL = (("U", None), ("E", None), ("D", None), ("C", None), ("B", None), ("A", None),
           ("A*", None))
TERMS = ("Autumn", "Spring", "Summer")
TOPICS = ("Knowledge test", "Extended writing", "Practical task", "Homework project",
          "End of unit test", "Presentation", "Mock paper", "Retrieval quiz")
MARKSLOT_BASE = 500_000


def scale(nc: int) -> tuple[tuple[str, str | None], ...]:
    return KS3 if nc <= 9 else GCSE if nc <= 11 else A_LEVEL


def grade_for(nc: int, fraction: float) -> tuple[str, str | None]:
    """The grade (and its school alias) for an attainment between 0 and 1 on the year's scale."""
    steps = scale(nc)
    index = min(int(max(fraction, 0.0) * len(steps)), len(steps) - 1)
    return steps[index]


def attainment(rng: random.Random, person: Person, spread: float = 0.12) -> float:
    return min(max(rng.gauss(person.ability, spread), 0.0), 1.0)


class Assessment:
    def __init__(self, yd: YearData) -> None:
        self.yd = yd

    @cached_property
    def structure(self) -> list[tuple[Subject, list[tuple[int, str, list[tuple[int, str, int]]]]]]:
        """(subject, [(marksheet id, name, [(markslot id, name, max)])]) for every subject."""
        rng = self.yd.rng("markbooks")
        out = []
        sheet_n = slot_n = 0
        for subject in self.yd.curriculum.subjects:
            sheets = []
            for term in TERMS[:rng.randint(2, 3)]:
                sheet_n += 1
                slots = []
                for k in range(rng.randint(2, 4)):
                    slot_n += 1
                    slots.append((self.yd.ident(KIND_MARKBOOK, MARKSLOT_BASE + slot_n),
                                  f"Assessment {k + 1}: {rng.choice(TOPICS)}",
                                  rng.choice((10, 20, 25, 40, 50, 60, 80, 100))))
                sheets.append((self.yd.ident(KIND_MARKBOOK, sheet_n),
                               f"{term} {subject.definition.name}", slots))
            out.append((subject, sheets))
        return out

    @cached_property
    def markbooks(self) -> list[Json]:
        return [{"id": subject.id,
                 "marksheets": [{"id": sid, "name": name,
                                 "markslots": [{"id": i, "name": n, "max": m} for i, n, m in slots]}
                                for sid, name, slots in sheets]}
                for subject, sheets in self.structure]

    @cached_property
    def _scores(self) -> dict[int, dict[int, float]]:
        """Each pupil's attainment (0..1) per markslot they sat; absent pupils have none."""
        rng = self.yd.rng("marks")
        people = self.yd.pupil_by_id
        scores: dict[int, dict[int, float]] = {}
        for subject, sheets in self.structure:
            takers = [people[s] for s in subject.student_ids]
            for _, _, slots in sheets:
                for slot_id, _, _ in slots:
                    scores[slot_id] = {p.id: attainment(rng, p) for p in takers
                                       if rng.random() < 0.92}
        return scores

    @cached_property
    def marks(self) -> list[Json]:
        out = []
        for subject, sheets in self.structure:
            nc = subject.nc
            for _, _, slots in sheets:
                for slot_id, _, top in slots:
                    rows = []
                    for sid, f in self._scores[slot_id].items():
                        grade, alias = grade_for(nc, f)
                        rows.append({"student_id": sid, "grade": grade, "alias": alias,
                                     "mark": f"{round(f * top):.5f}"})
                    out.append({"id": slot_id, "marks": rows})
        return out

    @cached_property
    def marksheet_grades(self) -> list[Json]:
        out = []
        for subject, sheets in self.structure:
            for sheet_id, _, slots in sheets:
                totals: dict[int, list[float]] = {}
                for slot_id, _, _ in slots:
                    for sid, f in self._scores[slot_id].items():
                        totals.setdefault(sid, []).append(f)
                rows = []
                for sid, fs in totals.items():
                    grade, alias = grade_for(subject.nc, sum(fs) / len(fs))
                    rows.append({"student_id": sid, "grade": grade, "alias": alias})
                out.append({"id": sheet_id, "grades": rows})
        return out

    @property
    def marks_count(self) -> int:
        return sum(len(s) for s in self._scores.values())
