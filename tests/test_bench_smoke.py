"""The bench, small enough for the suite (``python -m bench --smoke``), so that it cannot rot.

A tiny school with no upstream latency, one run of every workload: each at its upstream
floor, each hand-built serialisation floor giving the gateway's exact answer, the naive
baseline counted, both throughput workloads without an error, the no-cache upstream workload
(4 clients for half a second, one worker), peak RSS measured, and the table printed; and the
critical path's definition on a hand-made request log.
"""

from __future__ import annotations

from typing import Any

from bench.critical import critical_path
from bench.report import table
from bench.run import Bench, Options
from bench.workloads import WORKLOADS


async def test_bench_smoke() -> None:
    report = await Bench(Options.smoke()).run()
    assert report["ok"], report["failures"]
    assert set(report["workloads"]) == {w.name for w in WORKLOADS}
    for name, r in report["workloads"].items():
        up = r["upstream"]
        assert up["upstream"] == up["floor"] > 0, (name, up)
        assert r["warm"]["runs"] >= 1 and r["warm"]["p50_ms"] > 0
        assert r["naive"]["upstream"] > 0
        cp = r["critical_path"]  # at least the year and one walk, at most every page in a row
        assert 2 <= cp["round_trips"] <= up["floor"] and cp["chain"][0] == "school x1", (name, cp)
        assert cp["ms"] == 0 and r["cold_over_critical"] is None  # no latency: no floor in time
        if name == "register-write":
            assert up["posts"] == r["warm_upstream"] > 0  # every run posts each row once
        else:
            assert r["serialisation_floor"]["same_answer"], name
            assert r["warm_upstream"] == 0  # warm: nothing from the upstream
            assert r["repeat"]["runs"] >= 1
    # The naive tool makes more calls wherever there is a list to walk.
    assert report["workloads"]["roster"]["naive"]["upstream"] > 10 * report["workloads"]["roster"]["upstream"]["upstream"]
    levels = report["throughput"]["levels"]
    assert set(levels) == {"register", "pastoral"}
    assert all(lv["errors"] == 0 and lv["requests"] >= lv["clients"] for ls in levels.values() for lv in ls)
    assert report["throughput"]["upstream_during"] == {"register": 0, "pastoral": 0}
    assert 20 < report["memory"]["peak_rss_mb"] < 1000
    assert report["memory"]["failed"] == 0
    up = report["upstream"]
    assert up["answer"]["students"] == 97 and up["answer"]["teachers"] > 0
    assert [u["workers"] for u in up["runs"]] == [1]
    for u in [*up["runs"], up["alone"]]:
        assert u["errors"] == 0 and u["requests"] >= u["clients"] and u["rps_per_core"] > 0, u
        assert u["upstream_per_answer"] > 0 and u["gateway_cpu_ms_per_answer"] > 0, u
    # Alone, nothing to share: each answer walks the year, every students page and the teachers.
    assert up["alone"]["upstream_per_answer"] >= 3
    assert report["summary"]["upstream"]["1"]["rps"] == up["runs"][0]["rps"]
    text = table(report)
    assert "roster" in text and "upstream/floor" in text and "Peak RSS" in text
    assert "cold/crit." in text and "Upstream path" in text and "Previous" in text


class Rec:
    def __init__(self, route: str, path: str, cursor: str | None = None, method: str = "GET") -> None:
        self.route, self.method, self.path = route, method, "/customer/v1" + path
        self.query: dict[str, Any] = {} if cursor is None else {"cursor": cursor}


def test_critical_path_chains_dependent_walks() -> None:
    y = "/academic-years/2027"
    log = [Rec("school", "/school"),
           *[Rec("classes", y + "/timetables/classes", c) for c in (None, "a", "b")],
           Rec("calendar", y + "/timetables/calendar"),
           # named by the query: needs only the year
           Rec("session-marks", y + "/attendance/student-session-marks/date/2026-11-27"),
           # a day of a range: needs the calendar
           Rec("behaviour-events", y + "/behaviour/events/date/2026-11-26"),
           *[Rec("education-details", y + "/students/education-details", c) for c in (None, "x")],
           # a student's year group: needs their education details
           *[Rec("grades", y + "/attainment/grades/year-group/9", c) for c in (None, "p", "q")]]
    cp = critical_path(log, {"date": "2026-11-27", "from": "2026-11-20"}, 30.0)
    assert cp["round_trips"] == 1 + 2 + 3 and cp["ms"] == 180.0
    assert cp["chain"] == ["school x1", "education-details x2", "grades x3"]
    assert cp["resources"] == 7 and cp["pages"] == 12
    # The year group named by the query: grades wait for the year alone; classes lead.
    named = critical_path(log, {"yearGroup": "9"}, 30.0)
    assert named["round_trips"] == 4 and named["chain"][-1] in ("classes x3", "grades x3")
    # A write posts after what it needs (the UPNs), its rows in one step.
    write = critical_path([Rec("school", "/school"), *log[7:9],
                           *[Rec("record-session-mark", y + "/attendance/student-session-marks",
                                 method="POST") for _ in range(5)]], {}, 10.0)
    assert write["chain"] == ["school x1", "education-details x2", "record-session-mark x1"]
    assert write["round_trips"] == 4
