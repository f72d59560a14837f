"""The serialisation floor: each workload's answer built by hand, as plain dicts, from the
resources the gateway has already loaded and indexed, then dumped with orjson.

No GraphQL, no objects per student: only index look-ups into the same ``Table``s the
gateway's cache holds, and the same value conversions the schema applies (ids as text,
instants in ISO 8601, enum names). The bench checks that each builder's answer equals the
gateway's ``data`` exactly, so the floor is the cost of the same bytes, not of a smaller answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from gateway.graph.base import rk
from gateway.resources.keys import ResourceKey
from gateway.resources.memo import Resources
from gateway.resources.table import Table


class Missing(Exception):
    """A builder asked for a resource not yet in the memo (loaded, then the builder runs again)."""

    def __init__(self, key: ResourceKey) -> None:
        super().__init__(str(key))
        self.key = key


class Tables:
    """``t(route, arg)`` -> the loaded Table for this year (raises Missing the first time)."""

    def __init__(self, res: Resources, year: int) -> None:
        self.res, self.year = res, year

    def __call__(self, route: str, arg: object = None, *, yearless: bool = False) -> Table:
        k = rk(route, None if yearless else self.year, arg)
        if not self.res.has(k):
            raise Missing(k)
        return self.res.get(k)


async def prepare(res: Resources, year: int, build: Callable[[Tables, dict[str, Any]], Any],
                  variables: dict[str, Any]) -> Tables:
    """Load (from the warm cache) every table ``build`` reads, so that timing it reads only memory."""
    tables = Tables(res, year)
    for _ in range(200):
        try:
            build(tables, variables)
            return tables
        except Missing as m:
            await res.load(m.key)
    raise RuntimeError("builder kept asking for more resources")


# --- conversions the schema applies ---------------------------------------------------------

def _id(v: Any) -> str | None:
    return None if v is None else str(v)


def _text(v: Any) -> str | None:
    return None if v is None else str(v)


def _int(v: Any) -> int | None:
    if v is None or v == "" or isinstance(v, bool):
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def _float(v: Any) -> float | None:
    if v is None or v == "":
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _instant(v: Any) -> str | None:
    if not v or not isinstance(v, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.isoformat()


def _enum(value: Any, names: dict[str, str]) -> str | None:
    return names.get(str(value or "").strip().lower())


SIGNIFICANCE = {"positive": "POSITIVE", "neutral": "NEUTRAL", "negative": "NEGATIVE"}
ACTION_TYPE = {"standard": "STANDARD", "detention": "DETENTION"}


def _open_days(t: Tables, start: dt.date, end: dt.date) -> list[str]:
    by_date = t("calendar").unique("date")
    out = []
    day = start
    while day <= end:
        text = day.isoformat()
        if (by_date.get(text) or {}).get("day_type_code", "").lower() == "open":
            out.append(text)
        day += dt.timedelta(days=1)
    return out


def _as_date(v: Any) -> dt.date:
    return v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v))


# --- the workloads ----------------------------------------------------------------------------

def register(t: Tables, v: dict[str, Any]) -> dict[str, Any]:
    cls = t("classes").unique("id")[int(v["classId"])]
    teachers = t("teachers").unique("id")
    students = t("students").unique("id")
    edu = t("education-details").unique("student_id")
    codes = t("attendance-codes")
    code_by_id = codes.unique("id")
    alias_by_id = codes.meta["aliases"].unique("id")
    period = t("timetables").unique("id").get(cls.get("period_id"))
    opened = _open_days(t, _as_date(v["date"]), _as_date(v["date"]))
    marks_by_student = [t("session-marks", d).group("student_id") for d in opened]
    out_students = []
    links = t("student-classes").group("class_id").get(cls["id"], [])
    for sid in dict.fromkeys(r.get("student_id") for r in links):
        s = students.get(sid)
        if s is None:
            continue
        marks = []
        for by_student in marks_by_student:
            for m in by_student.get(sid, []):
                session = str(m.get("session") or "").strip().upper()
                if session not in ("AM", "PM"):
                    continue
                code = code_by_id.get(m.get("session_mark_id")) or {}
                alias = alias_by_id.get(m.get("session_alias_id")) if m.get("session_alias_id") is not None else None
                marks.append({
                    "session": session,
                    "code": {"code": str(code.get("code") or ""), "label": _text(code.get("label"))},
                    "alias": None if alias is None else {"code": _text(alias.get("code")),
                                                         "label": _text(alias.get("label"))},
                    "minutesLate": _int(m.get("session_minutes_late")),
                    "notes": _text(m.get("session_notes")),
                })
        out_students.append({
            "id": str(sid),
            "preferredFirstName": s.get("preferred_first_name"),
            "preferredLastName": s.get("preferred_last_name"),
            "registrationGroup": (edu.get(sid) or {}).get("registration_group"),
            "sessionMarks": marks,
        })
    return {"academicYear": {
        "class": {
            "id": str(cls["id"]),
            "groupCode": _text(cls.get("group_code")),
            "subjectCode": cls.get("subject_code"),
            "rooms": [str(r) for r in cls.get("rooms") or ()],
            "period": None if period is None else {"name": period.get("name"),
                                                   "start": _instant(period.get("start")),
                                                   "end": _instant(period.get("end"))},
            "teachers": [{"code": tr.get("code"), "title": tr.get("title"),
                          "lastName": tr.get("last_name")}
                         for tid in dict.fromkeys(cls.get("teacher_ids") or ())
                         if (tr := teachers.get(tid)) is not None],
            "students": out_students,
        },
        "attendanceCodes": [{"id": str(c["id"]), "code": str(c.get("code") or ""),
                             "label": _text(c.get("label")),
                             "aliases": [{"id": str(a["id"]), "code": _text(a.get("code")),
                                          "label": _text(a.get("label"))}
                                         for a in c.get("aliases") or ()]}
                            for c in codes.rows],
    }}


def pastoral(t: Tables, v: dict[str, Any]) -> dict[str, Any]:
    students = t("students")
    edu = t("education-details").unique("student_id")
    summary = t("attendance-summary").unique("student_id")
    opened = _open_days(t, _as_date(v["from"]), _as_date(v.get("to") or v["from"]))
    events_by_student = [t("behaviour-events", d).group("student_ids") for d in opened]
    types = t("behaviour-event-types").unique("id")
    classes = t("behaviour-classifications").unique("id")
    immediate = t("immediate-actions").unique("id")
    follow_up = t("follow-up-actions").unique("id")
    subjects = t("subjects").unique("id")
    year_group = v["yearGroup"]
    out = []
    for s in students.rows:
        sid = s.get("id")
        e = edu.get(sid) or {}
        if str(e.get("national_curriculum_year")) != year_group or bool(e.get("deleted_from_source")):
            continue
        summ = summary.get(sid)
        events = []
        for by_student in events_by_student:
            for ev in by_student.get(sid, []):
                ty = types.get(ev.get("event_type_id")) or {"id": ev.get("event_type_id")}
                cl = classes.get(ty.get("classification_id"))
                events.append({
                    "id": str(ev["id"]),
                    "eventDate": _instant(ev.get("event_date")),
                    "type": {"name": str(ty.get("name") or ""),
                             "significance": _enum(ty.get("significance"), SIGNIFICANCE),
                             "classification": None if cl is None else {
                                 "name": str(cl.get("name") or ""), "score": _int(cl.get("score"))}},
                    "immediateActions": [{"name": str(a.get("name") or ""),
                                          "type": _enum(a.get("type"), ACTION_TYPE)}
                                         for i in ev.get("event_action_ids") or ()
                                         if (a := immediate.get(i)) is not None],
                    "followUpActions": [{"name": str(a.get("name") or ""),
                                         "type": _enum(a.get("type"), ACTION_TYPE)}
                                        for i in ev.get("event_followup_type_ids") or ()
                                        if (a := follow_up.get(i)) is not None],
                })
        grades = []
        yg = e.get("national_curriculum_year")
        if yg not in (None, ""):
            gtypes = t("grade-types", str(yg)).unique("id")
            for g in t("grades", str(yg)).group("student_id").get(sid, []):
                gt = gtypes.get(g.get("grade_type_id"))
                sub = subjects.get(g.get("subject_id")) if g.get("subject_id") is not None else None
                grades.append({"name": g.get("name"), "alias": g.get("alias"),
                               "gradeType": None if gt is None else {"name": gt.get("name")},
                               "subject": None if sub is None else {"name": sub.get("name")}})
        out.append({
            "id": str(sid),
            "preferredFirstName": s.get("preferred_first_name"),
            "preferredLastName": s.get("preferred_last_name"),
            "registrationGroup": e.get("registration_group"),
            "attendanceSummary": None if summ is None else {
                "possibleSessions": _int(summ.get("possible_sessions")),
                "present": _int(summ.get("present")),
                "approvedEducationalActivity": _int(summ.get("approved_educational_activity")),
                "authorisedAbsence": _int(summ.get("authorised_absence")),
                "unauthorisedAbsence": _int(summ.get("unauthorised_absence")),
                "late": _int(summ.get("late"))},
            "behaviourEvents": events,
            "grades": grades,
        })
    return {"academicYear": {"students": out}}


def marks_grid(t: Tables, v: dict[str, Any]) -> dict[str, Any]:
    group = t("groups").unique("code")[v["groupCode"]]
    subject = t("subjects").unique("id").get(group.get("subject_id"))
    markbooks = t("markbooks")
    sheets = markbooks.meta["marksheets"].group("markbook_id")
    slots = markbooks.meta["markslots"].group("marksheet_id")
    teachers = t("teachers").unique("id")
    students = t("students").unique("id")
    marks = t("marks").group("student_id")
    gt = t("groups-teachers").unique("group_id").get(group["id"]) or {}
    gs = t("groups-students").unique("group_id").get(group["id"]) or {}
    book = markbooks.unique("id").get(subject["id"]) if subject is not None else None
    subject_out = None
    if subject is not None:
        subject_out = {"name": subject.get("name"), "markbook": None if book is None else {
            "marksheets": [{"id": str(sh["id"]), "name": str(sh.get("name") or ""),
                            "markslots": [{"id": str(sl["id"]), "name": str(sl.get("name") or ""),
                                           "max": _float(sl.get("max"))}
                                          for sl in slots.get(sh["id"], [])]}
                           for sh in sheets.get(book["id"], [])]}}
    return {"academicYear": {"group": {
        "id": str(group["id"]),
        "code": str(group.get("code") or ""),
        "name": str(group.get("name") or ""),
        "subject": subject_out,
        "teachers": [{"code": tr.get("code")} for tid in dict.fromkeys(gt.get("teacher_ids") or ())
                     if (tr := teachers.get(tid)) is not None],
        "students": [{"id": str(sid),
                      "preferredFirstName": s.get("preferred_first_name"),
                      "preferredLastName": s.get("preferred_last_name"),
                      "marks": [{"markslot": {"id": str(m.get("markslot_id"))}, "mark": _float(m.get("mark")),
                                 "grade": m.get("grade"), "alias": m.get("alias")}
                                for m in marks.get(sid, [])]}
                     for sid in dict.fromkeys(gs.get("student_ids") or ())
                     if (s := students.get(sid)) is not None],
    }}}


def roster(t: Tables, v: dict[str, Any]) -> dict[str, Any]:
    edu = t("education-details").unique("student_id")
    by_student = t("groups-students").group("student_ids")
    groups = t("groups").unique("id")
    subjects = t("subjects").unique("id")
    teachers_of = t("groups-teachers").unique("group_id")
    teachers = t("teachers").unique("id")
    out = []
    for s in t("students").rows:
        sid = s.get("id")
        mine = []
        for gid in dict.fromkeys(r.get("group_id") for r in by_student.get(sid, [])):
            row = groups.get(gid)
            if row is None:
                continue
            sub = subjects.get(row.get("subject_id")) if row.get("subject_id") is not None else None
            tids = (teachers_of.get(gid) or {}).get("teacher_ids") or ()
            mine.append({
                "id": str(gid), "code": str(row.get("code") or ""), "name": str(row.get("name") or ""),
                "subject": None if sub is None else {"id": str(sub["id"]), "name": sub.get("name")},
                "teachers": [{"id": str(tr["id"]), "code": tr.get("code")}
                             for tid in dict.fromkeys(tids) if (tr := teachers.get(tid)) is not None]})
        out.append({"id": str(sid), "legalFirstName": s.get("legal_first_name"),
                    "legalLastName": s.get("legal_last_name"),
                    "yearGroup": (edu.get(sid) or {}).get("national_curriculum_year"),
                    "groups": mine})
    return {"academicYear": {"students": out}}


def student_report(t: Tables, v: dict[str, Any]) -> dict[str, Any]:
    rid, sid = int(v["reportId"]), int(v["studentId"])
    report = t("reports").unique("id").get(rid)
    student = t("students").unique("id").get(sid)
    edu = t("education-details").unique("student_id")
    subjects = t("subjects").unique("id")
    choices: dict[Any, tuple[dict, dict]] = {}
    if report is not None:
        for attribute in report.get("attributes_and_choices") or ():
            for choice in attribute.get("choices") or ():
                choices.setdefault(choice.get("id"), (attribute, choice))

    def sub(row: dict) -> dict | None:
        s = subjects.get(row.get("subject_id")) if row.get("subject_id") is not None else None
        return None if s is None else {"name": s.get("name")}

    report_out = None if report is None else {
        "id": str(report["id"]), "name": report.get("name"),
        "presentationName": report.get("presentation_name"),
        "presentationDate": _instant(report.get("presentation_date")),
        "gradeTypes": [{"type": _int(g.get("type")), "name": g.get("name")}
                       for g in report.get("grades") or () if isinstance(g, dict)],
        "attributes": [{"id": str(a["id"]), "displayName": a.get("display_name"),
                        "choices": [{"id": str(c["id"]), "name": c.get("name"), "points": _int(c.get("points"))}
                                    for c in a.get("choices") or () if isinstance(c, dict)]}
                       for a in report.get("attributes_and_choices") or () if isinstance(a, dict)],
    }
    student_out = None
    if student is not None:
        grades = t("report-grades", rid).group("student_id").get(sid, [])
        attrs = t("report-attributes", rid).group("student_id").get(sid, [])
        comments = t("report-comments", rid).group("student_id").get(sid, [])
        student_out = {
            "id": str(sid), "preferredFirstName": student.get("preferred_first_name"),
            "preferredLastName": student.get("preferred_last_name"),
            "yearGroup": (edu.get(sid) or {}).get("national_curriculum_year"),
            "reportGrades": [{"subject": sub(g), "type": _int(g.get("type")), "name": _text(g.get("name"))}
                             for g in grades],
            "reportAttributes": [{"subject": sub(a),
                                  "attribute": None if (f := choices.get(a.get("choice_id"))) is None
                                  else {"displayName": f[0].get("display_name")},
                                  "choice": None if f is None else {"name": f[1].get("name"),
                                                                    "points": _int(f[1].get("points"))}}
                                 for a in attrs],
            "reportComments": [{"subject": sub(c), "author": _text(c.get("author")),
                                "details": _text(c.get("details"))} for c in comments],
        }
    return {"academicYear": {"report": report_out, "student": student_out}}


BUILDERS: dict[str, Callable[[Tables, dict[str, Any]], Any]] = {
    "register": register, "pastoral": pastoral, "marks_grid": marks_grid, "roster": roster,
    "student_report": student_report,
}
