"""The bench's results as text tables (ratios first)."""

from __future__ import annotations

from typing import Any


def _fmt(v: Any, digits: int = 1) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def _grid(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) if rows else len(header[i])
              for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
            for r in rows]
    return "\n".join(out)


def table(report: dict[str, Any]) -> str:
    parts = []
    setup = report["setup"]
    parts.append(f"go4graph bench: {setup['students']} students, {setup['upstream_latency_ms']:g} ms "
                 f"upstream latency, pages of {setup['page_size']}; {report['machine']['cpu']} "
                 f"({report['machine']['cores']} cores), Python {report['machine']['python']}")
    header = ["workload", "upstream/floor", "cold/crit.", "cold/(crit.+warm)", "warm/ser.floor", "paired", "repeat/ser.floor", "naive req x",
              "naive cold x", "upstream", "floor", "crit. path", "cold p50", "cold p95", "warm p50",
              "warm p95",
              "repeat p50", "ser.floor", "naive req", "naive cold"]
    rows = []
    for name, r in report["workloads"].items():
        nv = r.get("naive", {})
        sf = r.get("serialisation_floor")
        rows.append([
            name, _fmt(r["upstream"]["ratio"], 2), _fmt(r.get("cold_over_critical"), 2),
            _fmt(r.get("cold_over_critical_plus_warm"), 2), _fmt(r.get("warm_over_floor")),
            _fmt(r.get("warm_over_floor_paired")), _fmt(r.get("repeat_over_floor")), _fmt(nv.get("requests_advantage")),
            _fmt(nv.get("latency_advantage")),
            str(r["upstream"]["upstream"]), str(r["upstream"]["floor"]), _critical(r),
            _fmt(r["cold"]["p50_ms"]), _fmt(r["cold"]["p95_ms"]),
            _fmt(r["warm"]["p50_ms"]), _fmt(r["warm"]["p95_ms"]),
            _fmt(r.get("repeat", {}).get("p50_ms"), 2), _fmt(sf["ms"], 2) if sf else "n/a",
            (("~" if nv.get("extrapolated") else "") + str(nv.get("upstream", "-"))),
            (("~" if nv.get("extrapolated") else "") + _fmt(nv.get("cold_ms"))),
        ])
    parts.append("\nLatency in ms. upstream: requests on a cold cache; floor: distinct resources x pages "
                 "(+ one POST per written row); crit. path: the longest chain of dependent walks "
                 "in round trips x the upstream latency (bench/critical.py), cold/crit. the cold "
                 "p50 over it, cold/(crit.+warm) over it plus the warm answer's own work; paired: warm over ser.floor as the median of back-to-back pairs; ser.floor: the same answer built as plain dicts from "
                 "the loaded tables and dumped with orjson; warm: resource cache warm, a new request; "
                 "repeat: the identical request again (response cache); naive: one upstream call per "
                 "parent object, no cache (~: extrapolated from a sample).\n")
    parts.append(_grid(header, rows))
    notes = [f"  {n}: naive {r['naive']['sample']}" for n, r in report["workloads"].items()
             if r.get("naive", {}).get("extrapolated")]
    if notes:
        parts.append("\n".join(notes))
    tp = report.get("throughput")
    if tp:
        parts.append(f"\nThroughput ({tp['workers']} uvicorn worker(s), response cache {tp['response_cache']}, "
                     "closed-loop clients over loopback HTTP):\n")
        trows = []
        for name, levels in tp["levels"].items():
            for lv in levels:
                trows.append([name, str(lv["clients"]), _fmt(lv["throughput_rps"]), _fmt(lv["p50_ms"]),
                              _fmt(lv["p95_ms"]), _fmt(lv.get("p99_ms")), str(lv["requests"]),
                              str(lv["errors"])])
        parts.append(_grid(["workload", "clients", "req/s", "p50 ms", "p95 ms", "p99 ms", "requests",
                            "errors"], trows))
        during = tp.get("upstream_during", {})
        if during:
            parts.append("upstream requests during the throughput runs: " +
                         ", ".join(f"{k} {v}" for k, v in during.items()))
    if report.get("upstream"):
        parts.append(upstream_table(report["upstream"]))
    mem = report.get("memory")
    if mem:
        parts.append(f"\nPeak RSS of the gateway process that served every workload, then loaded the whole "
                     f"school: {mem['peak_rss_mb']} MB ({mem['resources']} resources, {mem['rows']} rows; "
                     f"{mem['rss_mb']} MB resident at the end)")
    if report.get("summary"):
        parts.append(compare(report["summary"], report.get("previous")))
    run = report.get("run") or {}
    if run.get("note"):
        parts.append(f"\nNote: {run['note']}")
    tg = report.get("targets")
    if tg:
        parts.append("\nTargets: " + "; ".join(
            f"{name} {'met' if t['met'] else 'MISSED (' + t.get('missed_by', '') + ')'}"
            for name, t in tg.items()))
    if report["failures"]:
        parts.append("\nFAILED:\n" + "\n".join(f"  {f}" for f in report["failures"]))
    parts.append(f"\n{'ok' if report['ok'] else 'FAILED'} in {report['wall_seconds']} s")
    return "\n".join(parts)


def _critical(r: dict[str, Any]) -> str:
    cp = r.get("critical_path")
    return f"{cp['round_trips']} ({cp['ms']:g} ms)" if cp else "-"


def upstream_table(up: dict[str, Any]) -> str:
    answer = up.get("answer") or {}
    head = (f"\nUpstream path: {answer.get('students')} students' and {answer.get('teachers')} "
            f"teachers' names with Cache-Control: no-cache, {up['clients']} clients for "
            f"{up['seconds']:g} s, the simulator in its own process at {up['upstream_latency_ms']:g} "
            f"ms; {up['cores']} cores:\n")
    rows = []
    for u in [*up["runs"], *([up["alone"]] if up.get("alone") else [])]:
        rows.append([str(u["workers"]), str(u["clients"]), _fmt(u["rps"]), _fmt(u["rps_per_core"]),
                     _fmt(u["p50_ms"]), _fmt(u["p95_ms"]), _fmt(u["p99_ms"]),
                     _fmt(u["upstream_per_answer"], 2), _fmt(u["gateway_cpu_ms_per_answer"], 2),
                     _fmt(u["simulator_cpu_ms_per_answer"], 2), str(u["errors"])])
    return head + _grid(["workers", "clients", "req/s", "req/s/core", "p50 ms", "p95 ms", "p99 ms",
                         "upstream/answer", "gw cpu ms/answer", "sim cpu ms/answer", "errors"], rows)


def _pair(old: Any, new: Any, digits: int = 1) -> str:
    return f"{_fmt(old, digits)} -> {_fmt(new, digits)}" if old is not None else _fmt(new, digits)


def compare(now: dict[str, Any], before: dict[str, Any] | None) -> str:
    """What users feel, this run beside the one before it (previous -> now)."""
    before = before or {}
    when = (before.get("run") or {}).get("date") or "an earlier run"
    rows = []
    for name, w in now["workloads"].items():
        b = (before.get("workloads") or {}).get(name) or {}
        rows.append([name] + [_pair(b.get(k), w.get(k), d) for k, d in (
            ("cold_p50_ms", 0), ("critical_path_ms", 0), ("cold_over_critical", 2),
            ("warm_p50_ms", 1), ("repeat_p50_ms", 2))])
    out = [f"\nPrevious ({when}) -> now:\n",
           _grid(["workload", "cold p50 ms", "crit. path ms", "cold/crit.", "warm p50 ms",
                  "repeat p50 ms"], rows)]
    for workers, u in (now.get("upstream") or {}).items():
        if workers == "alone":
            continue
        b = ((before.get("upstream") or {}).get(workers)) or {}
        out.append(f"upstream, {workers} worker(s): {_pair(b.get('rps'), u['rps'])} req/s, "
                   f"{_pair(b.get('rps_per_core'), u['rps_per_core'])} per core")
    for name, levels in (now.get("throughput") or {}).items():
        b = ((before.get("throughput") or {}).get(name)) or {}
        out.append(f"throughput {name}: " + "; ".join(
            f"{c} clients {_pair((b.get(c) or {}).get('rps'), lv['rps'])} req/s" for c, lv in levels.items()))
    if now.get("peak_rss_mb") is not None:
        out.append(f"peak RSS: {_pair(before.get('peak_rss_mb'), now['peak_rss_mb'])} MB")
    return "\n".join(out)
