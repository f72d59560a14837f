"""Issue targets against a run of the bench: met or not, by how much, and what would close each."""

from __future__ import annotations

from typing import Any

#: The workloads issue 19 holds to cold <= 1.3 x critical path.
CRITICAL_WORKLOADS = ("register", "pastoral", "marks-grid", "roster", "report")
CRITICAL_LIMIT = 1.3

#: What would close each target when it is missed (written into results.json with the gap).
TO_CLOSE = {
    "upstream_floor": "find the field whose plan missed a key (UNPLANNED metric) or walks a key "
                      "twice, and give it needs/expand",
    "cold_vs_critical_path": "start every key known from the query at once (a @relation with "
                             "static reads), and each key that waits on data as soon as that data "
                             "is in; see each workload's critical_path.chain for the chain to beat",
    "upstream_rps_per_core_2x": "profile one answer that walks the upstream (upstream.alone: CPU "
                                "per answer and its wall time against 0 ms of upstream latency)",
    "roster_warm_vs_serialisation": "complete more of the answer without graphql-core's per-field "
                                    "chain (gateway/graph/fast.py builders), or memoise the "
                                    "per-request objects the planner builds and the resolvers rebuild",
    "pastoral_warm_vs_serialisation_4x": "build fewer objects per answer (links built once per "
                                         "linked record, the plan's values reused): see bench/README.md "
                                         "\"Warm answers\"",
    "roster_repeat_vs_serialisation": "check fewer resources per kept answer (one version stamp per "
                                      "tenant instead of one cache look-up per resource)",
    "no_errors_at_200_clients": "see throughput.first_error; raise uvicorn's backlog or the "
                                "client timeout, or bound the executions in flight per worker",
    "peak_rss_under_300_mb": "normalise page by page while walking, and keep rows as tuples "
                             "rather than dicts",
}


def targets(report: dict[str, Any]) -> dict[str, Any]:
    """The issue's targets against this run: met or not, and by how much."""
    out: dict[str, Any] = {}

    def put(name: str, value: Any, limit: Any, met: bool | None, unit: str = "") -> None:
        entry: dict[str, Any] = {"value": value, "target": limit, "met": met}
        if met is False:
            entry["missed_by"] = f"{value}{unit} against {limit}{unit}"
            entry["to_close"] = TO_CLOSE[name]
        out[name] = entry

    works = report.get("workloads", {})
    ratios = {n: r["upstream"]["ratio"] for n, r in works.items()}
    if ratios:
        put("upstream_floor", ratios, 1.0, all(v == 1.0 for v in ratios.values()))
    cold = {n: works[n].get("cold_over_critical") for n in CRITICAL_WORKLOADS if n in works}
    cold = {n: v for n, v in cold.items() if v is not None}  # None: no latency, no floor in time
    if cold:
        put("cold_vs_critical_path", cold, CRITICAL_LIMIT,
            all(v <= CRITICAL_LIMIT for v in cold.values()), "x")
    up = report.get("upstream")
    if up and up.get("runs"):
        per_core = max(r["rps_per_core"] for r in up["runs"])
        before = [w["rps_per_core"] for run in ("measured", "issue")
                  for w in up["before"][run].values() if w.get("rps_per_core")]
        if before:  # against the higher of the bench's own figure before and the issue's
            put("upstream_rps_per_core_2x", per_core, round(2 * max(before), 1),
                per_core >= 2 * max(before), " req/s per core")
    roster = works.get("roster", {})
    if "warm_over_floor" in roster:
        put("roster_warm_vs_serialisation", roster["warm_over_floor"], 10,
            roster["warm_over_floor"] <= 10, "x")
    pastoral = works.get("pastoral", {})
    paired = pastoral.get("warm_over_floor_paired") or pastoral.get("warm_over_floor")
    if paired is not None:  # issue 19: pastoral warm <= 4x its serialisation floor
        put("pastoral_warm_vs_serialisation_4x", paired, 4, paired <= 4, "x")
    if "repeat_over_floor" in roster:
        put("roster_repeat_vs_serialisation", roster["repeat_over_floor"], 2,
            roster["repeat_over_floor"] <= 2, "x")
    tp = report.get("throughput")
    if tp:
        top = max(lv["clients"] for levels in tp["levels"].values() for lv in levels)
        errors = {n: lv["errors"] for n, levels in tp["levels"].items() for lv in levels
                  if lv["clients"] == top}
        put("no_errors_at_200_clients", {"clients": top, "errors": errors}, 0,
            all(v == 0 for v in errors.values()))
    mem = report.get("memory")
    if mem:
        put("peak_rss_under_300_mb", mem["peak_rss_mb"], 300, mem["peak_rss_mb"] < 300, " MB")
    return out
