"""A run's figures in brief, the run before it beside them, and where and when it ran.

``summary(report)`` keeps what users feel - cold, critical path, warm, repeat, the upstream
path, throughput, RSS - and works on the results of older bench versions too (figures they did
not have are None). Writing new results keeps the old file's summary as ``previous``.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]


def commit() -> str | None:
    """The checked-out commit (short), with ``+dirty`` when bench-relevant files changed."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty else "")


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run_info(load_at_start: list[float]) -> dict[str, Any]:
    cores = os.cpu_count() or 1
    now = load()
    busiest = max(load_at_start[0], now[0])
    return {"date": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "commit": commit(), "load_average_start": load_at_start, "load_average_end": now,
            "shared_machine": busiest > cores,
            "note": (f"1-minute load average up to {busiest:g} on {cores} cores: other work shared "
                     "the machine; time figures are high and noisy, CPU-per-answer figures less so")
            if busiest > cores else None}


def _get(d: Any, *path: Any) -> Any:
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


def summary(report: dict[str, Any]) -> dict[str, Any]:
    works = {}
    for name, r in report.get("workloads", {}).items():
        works[name] = {
            "upstream": _get(r, "upstream", "upstream"), "floor": _get(r, "upstream", "floor"),
            "cold_p50_ms": _get(r, "cold", "p50_ms"),
            "critical_path_round_trips": _get(r, "critical_path", "round_trips"),
            "critical_path_ms": _get(r, "critical_path", "ms"),
            "cold_over_critical": r.get("cold_over_critical"),
            "warm_p50_ms": _get(r, "warm", "p50_ms"), "repeat_p50_ms": _get(r, "repeat", "p50_ms"),
            "serialisation_floor_ms": _get(r, "serialisation_floor", "ms")}
    up = report.get("upstream") or {}
    upstream = {str(u["workers"]): {k: u[k] for k in ("rps", "rps_per_core", "p95_ms",
                                                      "gateway_cpu_ms_per_answer",
                                                      "upstream_per_answer")}
                for u in up.get("runs", ())}
    alone = up.get("alone")
    if alone:
        upstream["alone"] = {k: alone[k] for k in ("p50_ms", "gateway_cpu_ms_per_answer",
                                                   "upstream_per_answer")}
    tp = report.get("throughput") or {}
    throughput = {name: {str(lv["clients"]): {"rps": lv["throughput_rps"], "p95_ms": lv["p95_ms"],
                                              "p99_ms": lv.get("p99_ms")} for lv in levels}
                  for name, levels in tp.get("levels", {}).items()}
    return {"run": {k: _get(report, "run", k) for k in ("date", "commit", "shared_machine")},
            "wall_seconds": report.get("wall_seconds"), "workloads": works,
            "upstream": upstream or None, "throughput": throughput or None,
            "throughput_workers": tp.get("workers"),
            "peak_rss_mb": _get(report, "memory", "peak_rss_mb")}


def previous(path: str | None) -> dict[str, Any] | None:
    """The summary of the results at ``path`` (None when there are none or they do not parse)."""
    if not path or not os.path.exists(path):
        return None
    try:
        with open(path, "rb") as f:
            old = orjson.loads(f.read())
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(old, dict):
        return None
    return old.get("summary") or summary(old)
