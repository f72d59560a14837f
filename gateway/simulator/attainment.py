"""Headline grades, grade types, exam results, prior attainment and progress reports for one year."""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import TYPE_CHECKING, Any

from gateway.simulator.assessment import attainment, grade_for
from gateway.simulator.calendar import iso_day, utc_instant
from gateway.simulator.school import KIND_REPORT

if TYPE_CHECKING:
    from gateway.simulator.curriculum import Subject
    from gateway.simulator.roster import Person
    from gateway.simulator.school import YearData

Json = dict[str, Any]

GRADE_TYPES = {1: "External target", 2: "Teacher target", 3: "Combined target", 4: "Current",
               5: "Projected", 6: "Actual", 7: "Honest", 8: "Aspirational",
               9: "Additional target", 10: "Baseline grade"}
#: (academic years before this one, qan, title) of the GCSEs a sixth former brings.
GCSES = (("601/4700/3", "Pearson Edexcel Level 1/Level 2 GCSE (9-1) in Mathematics"),
         ("601/4292/3", "AQA Level 1/Level 2 GCSE (9-1) in English Language"),
         ("601/4447/6", "AQA Level 1/Level 2 GCSE (9-1) in English Literature"),
         ("601/8758/X", "AQA Level 1/Level 2 GCSE (9-1) in Combined Science: Trilogy"),
         ("601/8400/0", "AQA Level 1/Level 2 GCSE (9-1) in History"),
         ("601/8410/3", "AQA Level 1/Level 2 GCSE (9-1) in Geography"),
         ("601/8157/6", "AQA Level 1/Level 2 GCSE (9-1) in French"),
         ("601/8355/X", "OCR Level 1/Level 2 GCSE (9-1) in Computer Science"))
STATISTICS = ("601/8640/9", "Pearson Edexcel Level 1/Level 2 GCSE (9-1) in Statistics")
COMMENTS = ("{n} has worked with real commitment this term and produces accurate, careful work.",
            "{n} contributes thoughtfully in lessons; the next step is to extend written answers.",
            "{n} is making steady progress. Remember to meet homework deadlines.",
            "{n} shows good understanding of the key ideas and should now practise exam questions.",
            "{n} needs to focus in lessons and review notes each week to secure progress.")
#: (year group, name, comments enabled, prepared for publication, (month, day) of preparation)
REPORTS = ((7, "Year 7 Autumn Progress Report", False, True, (12, 10)),
           (9, "Year 9 End of Year Report", True, True, (7, 8)),
           (11, "Year 11 Mock Results Report", True, False, (2, 5)),
           (13, "Year 13 Spring Report", True, True, (3, 20)))
ATTRIBUTES = (("Attitude to learning", "Students attitude to their learning in this subject",
               (("Excellent", 5, "Consistently engaged and committed."),
                ("Good", 4, "Usually engaged and works well."),
                ("Requires improvement", 2, "Engagement is inconsistent."),
                ("Concern", 1, "Rarely engaged; a cause for concern."))),
              ("Homework", "Completion and quality of homework",
               (("Always", 4, "Always completed to a high standard."),
                ("Usually", 3, "Usually completed on time."),
                ("Rarely", 1, "Often missing or incomplete."))))


class Attainment:
    def __init__(self, yd: YearData) -> None:
        self.yd = yd
        self._grades: dict[str, list[Json]] = {}
        self._exams: dict[str, list[Json]] = {}
        #: A report's rows, generated once (as grades are): a cursor-paged route is asked
        #: once per page, and generating the whole list again for every page of it was CPU
        #: the simulator spent on top of its configured latency (~3-5 ms a page of report
        #: comments, ~8 ms a report's grades), delaying every answer it had to give meanwhile.
        self._reports: dict[tuple[str, int, bool], list[Json]] = {}

    def _year_group(self, nc: int) -> list[Person]:
        return [p for p in self.yd.pupils if self.yd.nc(p) == nc]

    def _subjects(self, nc: int, stats_only: bool = True) -> list[Subject]:
        return [s for s in self.yd.curriculum.subjects if s.nc == nc and s.groups
                and (s.definition.stats or not stats_only)]

    # --- grade types and headline grades ---------------------------------------------
    def grade_types(self, nc: int) -> list[Json]:
        target = 2 if nc <= 9 else 1
        return [{"id": i, "name": name, "short_name": name.replace(" target", " tgt"),
                 "description": f"{name} grade for Year {nc}",
                 "is_preferred_progress_grade": i == 4, "is_preferred_target_grade": i == target}
                for i, name in GRADE_TYPES.items()]

    def grades(self, nc: int) -> list[Json]:
        key = str(nc)
        if key not in self._grades:
            rng = self.yd.rng("grades", nc)
            kinds = ((10, -0.05), (2, 0.1), (4, 0.0)) if nc <= 9 else ((1, 0.12), (4, 0.0), (5, 0.04))
            rows = []
            for subject in self._subjects(nc):
                for sid in subject.student_ids:
                    p = self.yd.pupil_by_id[sid]
                    for kind, lift in kinds:
                        name, alias = grade_for(nc, attainment(rng, p, 0.08) + lift)
                        rows.append({"grade_type_id": kind, "subject_id": subject.id,
                                     "student_id": sid, "name": name, "alias": alias or f"Grade {name}"})
            self._grades[key] = rows
        return self._grades[key]

    # --- exam results -------------------------------------------------------------------
    def exam_results(self, nc: int) -> list[Json]:
        key = str(nc)
        if key in self._exams:
            return self._exams[key]
        rng = self.yd.rng("exam-results", nc)
        rows: list[Json] = []
        stats = {s.definition.code: s.id for s in self._subjects(nc)}
        for p in self._year_group(nc):
            if nc == 11 and rng.random() < 0.3:  # an early entry in Year 10
                rows.append(self._exam(p, self.yd.year - 1, STATISTICS, 11, rng, stats.get("Ma")))
            elif nc >= 12:
                taken = list(GCSES[:4]) + rng.sample(GCSES[4:], 3)
                for qan_title in taken:
                    rows.append(self._exam(p, p.cohort + 4, qan_title, 11, rng, None))
        self._exams[key] = rows
        return rows

    def _exam(self, p: Person, year: int, qan_title: tuple[str, str], nc: int, rng: Any,
              subject_id: int | None) -> Json:
        grade, _ = grade_for(nc, attainment(rng, p, 0.1))
        return {"student_id": p.id, "exam_academic_year": year, "qan": qan_title[0],
                "qualification_title": qan_title[1],
                "exam_date": iso_day(dt.date(year, 6, 1 + rng.randrange(20))), "grade": grade,
                "ks123literal": grade, "subject_id": subject_id}

    # --- prior attainment ------------------------------------------------------------------
    @cached_property
    def prior_attainment(self) -> list[Json]:
        rng = self.yd.rng("prior-attainment")
        ps = self.yd.pupils

        def values(make: Any, who: list[Person]) -> list[Json]:
            return [{"student_id": p.id, "value": make(p),
                     "academic_year": None, "date": iso_day(dt.date(p.cohort - 1, 7, 1))}
                    for p in who if rng.random() < 0.96]

        def band(p: Person) -> str:
            return "LPA" if p.ability < 0.35 else "MPA" if p.ability < 0.7 else "HPA"

        def score(p: Person) -> str:
            return str(int(min(max(rng.gauss(80 + p.ability * 40, 4), 80), 120)))
        sixth = [p for p in ps if self.yd.nc(p) >= 12]
        return [
            {"code": "priorAttainmentKS2", "name": "Prior Attainment (KS2)", "values": values(band, ps)},
            {"code": "ks2ReadingScaledScore", "name": "KS2 Reading scaled score",
             "values": values(score, ps)},
            {"code": "ks2MathsScaledScore", "name": "KS2 Maths scaled score", "values": values(score, ps)},
            {"code": "ks2GpsScaledScore", "name": "KS2 GPS scaled score", "values": values(score, ps)},
            {"code": "averageGcsePointScore", "name": "Average GCSE point score",
             "values": values(lambda p: f"{min(max(rng.gauss(2 + p.ability * 7, 0.6), 1), 9):.2f}",
                              sixth)},
        ]

    # --- reports ---------------------------------------------------------------------------
    @cached_property
    def reports(self) -> list[Json]:
        out = []
        choice_n = 0
        y = self.yd.year
        for i, (nc, name, comments, prepared, (month, day)) in enumerate(REPORTS):
            target = 2 if nc <= 9 else 1
            attrs = []
            for a, (aname, desc, choices) in enumerate(ATTRIBUTES):
                listed = []
                for cname, points, details in choices:
                    choice_n += 1
                    listed.append({"id": self.yd.ident(KIND_REPORT, 5000 + choice_n), "name": cname,
                                   "points": points, "details": details})
                attrs.append({"id": self.yd.ident(KIND_REPORT, 1000 + 10 * i + a), "name": aname,
                              "description": desc, "display_name": aname.title(),
                              "choices": listed})
            when = dt.date(y - 1 if month >= 8 else y, month, day)
            out.append({"id": self.yd.ident(KIND_REPORT, i + 1), "name": name, "year_group": str(nc),
                        "enable_comments": comments,
                        "prepared_at": utc_instant(when, 16, 30) if prepared else None,
                        "preferred_target_grade_type": target, "preferred_progress_grade_type": 4,
                        "presentation_name": name.replace(" End of Year", "").replace(" Progress", ""),
                        "presentation_date": iso_day(when + dt.timedelta(days=7)),
                        "grades": [{"type": 4, "name": "Current grade",
                                    "description": "The grade the student is working at now."},
                                   {"type": target, "name": GRADE_TYPES[target],
                                    "description": "The grade the student is aiming for."}],
                        "attributes_and_choices": attrs})
        return out

    def report(self, report_id: int) -> Json | None:
        return next((r for r in self.reports if r["id"] == report_id), None)

    def _excluded(self, report: Json) -> set[int]:
        """Students left out of the take-home report (a long absence, a late arrival)."""
        rng = self.yd.rng("report-exclusions", report["id"])
        return {p.id for p in self._year_group(int(report["year_group"])) if rng.random() < 0.02}

    def report_grades(self, report: Json, exclusions: bool) -> list[Json]:
        key = ("report_grades", int(report["id"]), exclusions)
        if key not in self._reports:
            self._reports[key] = self._report_grades(report, exclusions)
        return self._reports[key]

    def _report_grades(self, report: Json, exclusions: bool) -> list[Json]:
        rng = self.yd.rng("report-grades", report["id"])
        nc = int(report["year_group"])
        excluded = self._excluded(report) if exclusions else set()
        types = [g["type"] for g in report["grades"]]
        out = []
        for subject in self._subjects(nc, stats_only=exclusions):
            rows = []
            for sid in subject.student_ids:
                p = self.yd.pupil_by_id[sid]
                for t in types:
                    name, _ = grade_for(nc, attainment(rng, p, 0.08) + (0.1 if t != 4 else 0))
                    if sid not in excluded:
                        rows.append({"type": t, "name": name, "student_id": sid})
            out.append({"subject_id": subject.id, "qan": subject.record["qan"],
                        "qualification_title": subject.record["qualification_title"],
                        "grades": rows})
        return out

    def report_attributes(self, report: Json) -> list[Json]:
        key = ("report_attributes", int(report["id"]), False)
        if key not in self._reports:
            self._reports[key] = self._report_attributes(report)
        return self._reports[key]

    def _report_attributes(self, report: Json) -> list[Json]:
        rng = self.yd.rng("report-attributes", report["id"])
        nc = int(report["year_group"])
        out = []
        for subject in self._subjects(nc):
            choices = []
            for sid in subject.student_ids:
                p = self.yd.pupil_by_id[sid]
                for attr in report["attributes_and_choices"]:
                    options = attr["choices"]
                    # Better-attaining pupils are more often given the better choices.
                    k = min(int((1 - attainment(rng, p, 0.2)) * len(options)), len(options) - 1)
                    choices.append({"choice_id": options[k]["id"], "student_id": sid})
            out.append({"subject_id": subject.id, "choices": choices})
        return out

    def report_comments(self, report: Json) -> list[Json]:
        key = ("report_comments", int(report["id"]), False)
        if key not in self._reports:
            self._reports[key] = self._report_comments(report)
        return self._reports[key]

    def _report_comments(self, report: Json) -> list[Json]:
        if not (report["enable_comments"] and report["prepared_at"]):
            return []  # comments are served only once a report is prepared for publication
        rng = self.yd.rng("report-comments", report["id"])
        nc = int(report["year_group"])
        authors = {int(t.record["id"]): t.display_name for t in self.yd.staffing.teachers}
        out = []
        for subject in self._subjects(nc):
            for group in subject.groups:
                author = authors.get(group.teacher_ids[0]) if group.teacher_ids else None
                for sid in group.student_ids:
                    p = self.yd.pupil_by_id[sid]
                    out.append({"subject_id": subject.id, "student_id": sid, "author": author,
                                "details": rng.choice(COMMENTS).format(n=p.preferred_first_name)})
        return out
