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
    header = ["workload", "upstream/floor", "warm/ser.floor", "repeat/ser.floor", "naive req x",
              "naive cold x", "upstream", "floor", "cold p50", "cold p95", "warm p50", "warm p95",
              "repeat p50", "ser.floor", "naive req", "naive cold"]
    rows = []
    for name, r in report["workloads"].items():
        nv = r.get("naive", {})
        sf = r.get("serialisation_floor")
        rows.append([
            name, _fmt(r["upstream"]["ratio"], 2), _fmt(r.get("warm_over_floor")),
            _fmt(r.get("repeat_over_floor")), _fmt(nv.get("requests_advantage")),
            _fmt(nv.get("latency_advantage")),
            str(r["upstream"]["upstream"]), str(r["upstream"]["floor"]),
            _fmt(r["cold"]["p50_ms"]), _fmt(r["cold"]["p95_ms"]),
            _fmt(r["warm"]["p50_ms"]), _fmt(r["warm"]["p95_ms"]),
            _fmt(r.get("repeat", {}).get("p50_ms"), 2), _fmt(sf["ms"], 2) if sf else "n/a",
            (("~" if nv.get("extrapolated") else "") + str(nv.get("upstream", "-"))),
            (("~" if nv.get("extrapolated") else "") + _fmt(nv.get("cold_ms"))),
        ])
    parts.append("\nLatency in ms. upstream: requests on a cold cache; floor: distinct resources x pages "
                 "(+ one POST per written row); ser.floor: the same answer built as plain dicts from "
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
                              _fmt(lv["p95_ms"]), str(lv["requests"]), str(lv["errors"])])
        parts.append(_grid(["workload", "clients", "req/s", "p50 ms", "p95 ms", "requests", "errors"], trows))
        during = tp.get("upstream_during", {})
        if during:
            parts.append("upstream requests during the throughput runs: " +
                         ", ".join(f"{k} {v}" for k, v in during.items()))
    mem = report.get("memory")
    if mem:
        parts.append(f"\nPeak RSS of the gateway process that served every workload, then loaded the whole "
                     f"school: {mem['peak_rss_mb']} MB ({mem['resources']} resources, {mem['rows']} rows; "
                     f"{mem['rss_mb']} MB resident at the end)")
    tg = report.get("targets")
    if tg:
        parts.append("\nTargets: " + "; ".join(
            f"{name} {'met' if t['met'] else 'MISSED (' + t.get('missed_by', '') + ')'}"
            for name, t in tg.items()))
    if report["failures"]:
        parts.append("\nFAILED:\n" + "\n".join(f"  {f}" for f in report["failures"]))
    parts.append(f"\n{'ok' if report['ok'] else 'FAILED'} in {report['wall_seconds']} s")
    return "\n".join(parts)
