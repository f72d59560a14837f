"""The bench, small enough for the suite (``python -m bench --smoke``), so that it cannot rot.

A tiny school with no upstream latency, one run of every workload: each at its upstream
floor, each hand-built serialisation floor giving the gateway's exact answer, the naive
baseline counted, both throughput workloads without an error, peak RSS measured, and the
table printed.
"""

from __future__ import annotations

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
    text = table(report)
    assert "roster" in text and "upstream/floor" in text and "Peak RSS" in text
