"""The bench: every workload on a fresh and on a warm gateway, its upstream floor, its
serialisation floor, the naive baseline, throughput under concurrent clients and peak RSS."""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import math
import os
import platform
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import orjson

from bench import naive, upstream
from bench.critical import critical_path
from bench.history import load, previous, run_info, summary
from bench.load import run_level, warm
from bench.servers import Failure, Gateway, Served, Timings, serve_in_thread
from bench.targets import targets
from bench.workloads import WORKLOADS, SimReader, Workload, variables
from gateway.simulator import DEMO_KEY, Simulator, SimulatorConfig, create_simulator


@dataclass
class Options:
    students: int = 1500
    latency_ms: float = 30.0
    page_size: int = 100
    cold_runs: int = 3
    warm_runs: int = 20
    warm_seconds: float = 8.0  # a workload's warm runs stop after this long (at least 5 runs)
    repeat_runs: int = 20
    floor_runs: int = 7
    naive_cap: int = 2000
    naive_concurrency: int = 8
    clients: tuple[int, ...] = (1, 16, 64, 200)
    level_seconds: float = 3.0
    workers: int = 2
    throughput: bool = True
    rss: bool = True
    upstream: bool = True  # the "upstream" workload (bench/upstream.py)
    upstream_clients: int = 32
    upstream_seconds: float = 10.0
    upstream_workers: tuple[int, ...] = (1, 2)
    upstream_latency_ms: float = 0.0
    only: tuple[str, ...] = ()
    out: str | None = "bench/results.json"
    quiet: bool = False

    @classmethod
    def smoke(cls) -> Options:
        """A tiny school, no latency, one run of everything: the test suite's version."""
        return cls(students=120, latency_ms=0.0, page_size=25, cold_runs=1, warm_runs=1,
                   warm_seconds=0.0, repeat_runs=1, floor_runs=1, naive_cap=300,
                   clients=(1, 4), level_seconds=0.2, workers=1, out=None, quiet=True,
                   upstream_clients=4, upstream_seconds=0.5, upstream_workers=(1,))


class Bench:
    def __init__(self, opts: Options) -> None:
        self.opts = opts
        self.sim: Simulator = create_simulator(SimulatorConfig(
            students=opts.students, page_size=opts.page_size, latency_ms=0))
        self.reader = SimReader(self.sim)
        self._pages: dict[str, int] = {}
        self.failures: list[str] = []

    def say(self, text: str) -> None:
        if not self.opts.quiet:
            print(text, file=sys.stderr, flush=True)

    # --- the upstream floor -------------------------------------------------------------------

    async def pages_of(self, path: str) -> int:
        """Pages one walk of ``path`` takes: ceil(items / page size) for cursor-paged routes
        (at least 1), 1 otherwise; counted from the simulator's own answer."""
        if path not in self._pages:
            items, paged = await self.reader.count_items(path)
            self._pages[path] = max(1, math.ceil(items / self.opts.page_size)) if paged else 1
        return self._pages[path]

    async def floor(self, records: list[Any], writes: int) -> dict[str, Any]:
        gets = [r for r in records if r.method == "GET"]
        paths = list(dict.fromkeys(r.path for r in gets))
        floor = sum([await self.pages_of(p) for p in paths]) + writes
        out: dict[str, Any] = {"upstream": len(records), "floor": floor, "resources": len(paths),
                               "ratio": round(len(records) / floor, 3) if floor else None,
                               "posts": sum(1 for r in records if r.method != "GET")}
        if len(records) > floor:  # say where: pages fetched more than once
            seen = Counter((r.path, r.query.get("cursor")) for r in gets)
            out["repeated"] = [f"{p}?cursor={c} x{n}" for (p, c), n in seen.items() if n > 1][:20]
        return out

    # --- one workload -----------------------------------------------------------------------------

    async def workload(self, gw: Gateway, w: Workload, v: dict[str, Any], year: int) -> dict[str, Any]:
        opts, sim = self.opts, self.sim
        writes = len(v["inputs"]) if w.is_write else 0
        out: dict[str, Any] = {"operation": f"schema/examples/{w.example}.graphql"}
        cold, counts, paths = Timings(), [], []
        for _ in range(max(1, opts.cold_runs)):
            await gw.control("reset")  # a cold gateway: resource cache and kept answers emptied
            sim.reset()
            elapsed, body = await gw.call(w.document, v)
            records = list(sim.requests)
            cold.add(elapsed)
            counts.append(await self.floor(records, writes))
            paths.append(critical_path(records, v, opts.latency_ms))
        worst = max(counts, key=lambda c: c["upstream"] - c["floor"])
        out["upstream"] = worst
        out["cold"] = cold.summary()
        # The longest chain of dependent walks (bench/critical.py), from the cold runs' own logs.
        out["critical_path"] = cp = max(paths, key=lambda c: c["round_trips"])
        out["cold_over_critical"] = round(cold.p50 / cp["ms"], 2) if cp["ms"] else None

        # Warm: the resource cache holds everything; each run is a new request (no kept answer).
        sim.reset()
        warm_t = Timings()
        deadline = time.perf_counter() + opts.warm_seconds
        for i in range(max(1, opts.warm_runs)):
            await gw.control("forget")
            elapsed, body = await gw.call(w.document, v)
            warm_t.add(elapsed)
            if i >= 4 and time.perf_counter() > deadline:
                break
        out["warm"] = warm_t.summary()
        # The planner's share: cold against the critical path plus the answer's own work (what a
        # warm request costs): a cold answer cannot beat walking its longest chain and then
        # building the answer, however early every walk starts.
        if cp["ms"]:
            out["cold_over_critical_plus_warm"] = round(cold.p50 / (cp["ms"] + warm_t.p50), 2)
        out["warm_upstream"] = len(sim.requests)  # 0 for reads; the POSTs for the write
        out["bytes"] = len(body)

        if not w.is_write:
            repeat = Timings()
            await gw.call(w.document, v)  # the answer kept
            for _ in range(max(1, opts.repeat_runs)):
                elapsed, _ = await gw.call(w.document, v)
                repeat.add(elapsed)
            out["repeat"] = repeat.summary()

        if w.builder is not None:
            out["serialisation_floor"] = sf = await self.serialisation_floor(gw, w, v, year, body)
            floor_ms = sf["ms"]
            out["warm_over_floor"] = round(warm_t.p50 / floor_ms, 2) if floor_ms else None
            out["repeat_over_floor"] = round(out["repeat"]["p50_ms"] / floor_ms, 2) if floor_ms else None
            out["warm_over_floor_paired"] = await self.paired(gw, w, v, year)
        return out

    async def paired(self, gw: Gateway, w: Workload, v: dict[str, Any], year: int) -> float | None:
        """Warm over the serialisation floor, as the median of ratios of pairs taken back to
        back (a warm request, then the floor once): on a shared VM whose speed drifts by 2x
        over minutes, two medians taken apart mix two machines; a pair shares one."""
        ratios = []
        for _ in range(max(1, self.opts.floor_runs)):
            await gw.control("forget")
            elapsed, _ = await gw.call(w.document, v)
            floor = await gw.control("floor", {"builder": w.builder, "variables": v, "year": year, "runs": 1})
            if floor["ms"]:
                ratios.append(elapsed * 1000 / floor["ms"])  # seconds over ms
        ratios.sort()
        return round(ratios[len(ratios) // 2], 2) if ratios else None

    async def serialisation_floor(self, gw: Gateway, w: Workload, v: dict[str, Any], year: int,
                                  body: bytes) -> dict[str, Any]:
        """Timed in the gateway's process, on the tables it holds (bench.direct)."""
        floor = await gw.control("floor", {"builder": w.builder, "variables": v, "year": year,
                                           "runs": self.opts.floor_runs})
        data = orjson.dumps(orjson.loads(body)["data"])
        same = hashlib.sha256(data).hexdigest() == floor["sha256"]
        if not same:
            self.failures.append(f"{w.name}: the hand-built answer differs from the gateway's")
        return {"ms": round(floor["ms"], 3), "same_answer": same, "serialiser": "orjson"}

    # --- the naive baseline -------------------------------------------------------------------------

    async def naive(self, w: Workload, v: dict[str, Any], year: int) -> dict[str, Any]:
        fn = naive.NAIVE[w.name]
        cap = self.opts.naive_cap

        async def measure(limit: int | None) -> tuple[int, float, int]:
            client = naive.NaiveClient(self.url, self.opts.naive_concurrency)
            self.sim.reset()
            t0 = time.perf_counter()
            try:
                total = await fn(client, year, v, limit)
            finally:
                await client.aclose()
            return len(self.sim.requests), time.perf_counter() - t0, total

        if naive.SAMPLED[w.name] is None:
            requests, seconds, _ = await measure(None)
            return {"upstream": requests, "cold_ms": round(seconds * 1000, 1), "extrapolated": False}
        fixed, _, total = await measure(0)
        one, _, _ = await measure(1)
        per_item = max(one - fixed, 1)
        k = total if fixed + per_item * total <= cap else max(1, (cap - fixed) // per_item)
        k = min(k, total)
        requests, seconds, _ = await measure(k)
        if k >= total:
            return {"upstream": requests, "cold_ms": round(seconds * 1000, 1), "extrapolated": False}
        estimate = fixed + (requests - fixed) * total / k
        return {"upstream": round(estimate), "cold_ms": round(seconds * estimate / requests * 1000, 1),
                "extrapolated": True,
                "sample": f"{k} of {total} {naive.SAMPLED[w.name]}: {requests} requests in "
                          f"{seconds * 1000:.0f} ms, scaled by requests"}

    # --- throughput and memory -------------------------------------------------------------------------

    async def throughput(self, vs: dict[str, dict[str, Any]]) -> dict[str, Any]:
        opts = self.opts
        served = Served.start(self.url, opts.workers, response_cache=False)
        out: dict[str, Any] = {"workers": opts.workers, "response_cache": "off", "levels": {}}
        try:
            for w in WORKLOADS:
                if not w.throughput or (opts.only and w.name not in opts.only):
                    continue
                await warm(served.url, w.document, vs[w.name], opts.workers,
                           lambda: sum(self.sim.counts.values()))
                self.sim.reset()
                levels = []
                for clients in opts.clients:
                    level = await run_level(served.url, w.document, vs[w.name], clients,
                                            opts.level_seconds)
                    levels.append(level.summary())
                    self.say(f"  {w.name} x{clients}: {level.summary()['throughput_rps']} req/s, "
                             f"p95 {level.summary()['p95_ms']} ms, {level.errors} errors")
                    if level.errors:
                        self.failures.append(f"{w.name}: {level.errors} failed requests at {clients} "
                                             f"clients ({level.first_error})")
                out["levels"][w.name] = levels
                out.setdefault("upstream_during", {})[w.name] = len(self.sim.requests)
        finally:
            served.stop()
        return out

    # --- all of it ------------------------------------------------------------------------------------

    async def run(self) -> dict[str, Any]:
        opts = self.opts
        started, load_at_start = time.perf_counter(), load()
        server = serve_in_thread(self.sim.app)
        self.url = server.url
        try:
            vs = await variables(self.sim)
            meta = vs.pop("_meta")
            # The simulator generates each resource on first use (the year's marks: ~250 ms on
            # its one event loop): done now, so that no cold run's figure holds it.
            self.sim.school_for(DEMO_KEY).year(int(meta["year"])).build_all()
            # The simulator's generated school, out of this process's collector's sight: its
            # collections stay short while the simulator answers and the naive client runs.
            gc.collect()
            gc.freeze()
            year = int(meta["year"])
            self.sim.config.latency_ms = opts.latency_ms
            chosen = [w for w in WORKLOADS if not opts.only or w.name in opts.only]
            results: dict[str, Any] = {}
            served = Served.start(self.url, 1, control=True)
            gw = Gateway(served)
            try:
                await gw.call("{ school { name } }", None)  # the process warmed up: imports, first request
                for w in chosen:
                    self.say(f"{w.name}: gateway…")
                    try:
                        results[w.name] = await self.workload(gw, w, vs[w.name], year)
                    except Failure as exc:
                        self.failures.append(f"{w.name}: {exc}")
                        continue
                    self.say(f"{w.name}: naive baseline…")
                    nv = await self.naive(w, {**vs[w.name], "_rest_bodies": meta["rest_bodies"]}, year)
                    r = results[w.name]
                    nv["requests_advantage"] = round(nv["upstream"] / max(r["upstream"]["upstream"], 1), 1)
                    nv["latency_advantage"] = round(nv["cold_ms"] / max(r["cold"]["p50_ms"], 1e-9), 1)
                    r["naive"] = nv
                    if r["upstream"]["upstream"] > r["upstream"]["floor"]:
                        self.failures.append(f"{w.name}: {r['upstream']['upstream']} upstream requests "
                                             f"over a floor of {r['upstream']['floor']}")
                report: dict[str, Any] = {"workloads": results}
                if opts.rss:
                    self.say("peak RSS…")
                    self.sim.config.latency_ms = 0  # loading the whole school: latency adds nothing
                    report["memory"] = await gw.control("load-all", {"year": year,
                                                                     "days": meta["window"]})
                    self.sim.config.latency_ms = opts.latency_ms
            finally:
                await gw.close()
                served.stop()
            if opts.throughput:
                self.say("throughput…")
                gc.collect()
                gc.freeze()  # the bench's own heap out of its collector's way while it makes load
                report["throughput"] = await self.throughput(vs)
            if opts.upstream and (not opts.only or "upstream" in opts.only):
                self.say("upstream (no-cache, its own simulator process)…")
                report["upstream"] = up = await upstream.measure(upstream.Options(
                    clients=opts.upstream_clients, seconds=opts.upstream_seconds,
                    workers=opts.upstream_workers, latency_ms=opts.upstream_latency_ms,
                    page_size=opts.page_size, warmup_seconds=min(2.0, opts.upstream_seconds)))
                for u in [*up["runs"], up["alone"]]:
                    if u and u["errors"]:
                        self.failures.append(f"upstream: {u['errors']} failed requests with "
                                             f"{u['workers']} worker(s) ({u['first_error']})")
        finally:
            server.stop()
            gc.unfreeze()
        report["setup"] = {
            "students": opts.students, "upstream_latency_ms": opts.latency_ms,
            "page_size": opts.page_size, "cold_runs": opts.cold_runs, "warm_runs_max": opts.warm_runs,
            "naive_cap": opts.naive_cap, "naive_concurrency": opts.naive_concurrency,
            "gateway": "its own process: `python -m bench.serve` (the app `go4graph serve` runs, "
                       "passthrough mode, memory cache, JSON logs at INFO) under uvicorn, over "
                       "loopback HTTP; 1 worker for the workloads and memory, "
                       f"{opts.workers} for throughput",
            "simulator": "uvicorn in a thread of the bench process, over loopback HTTP",
            "resource_ttls": "today's and recent per-day resources and marks raised to 15 min for "
                             "the run (warm phases measure the gateway, not a TTL running out)",
            "variables": vs, "academic_year": year, "today": meta["today"],
        }
        report["machine"] = machine()
        report["run"] = run_info(load_at_start)
        report["targets"] = targets(report)
        report["failures"] = self.failures
        report["ok"] = not self.failures
        report["wall_seconds"] = round(time.perf_counter() - started, 1)
        report["summary"] = summary(report)
        report["previous"] = previous(opts.out)  # the figures of the results this run replaces
        return report


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "system": f"{platform.system()} {platform.release()}", "machine": platform.machine()}


def parse_args(argv: list[str] | None) -> Options:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--smoke", action="store_true", help="tiny school, no latency, one run of each")
    p.add_argument("--students", type=int)
    p.add_argument("--latency-ms", type=float)
    p.add_argument("--page-size", type=int)
    p.add_argument("--cold-runs", type=int)
    p.add_argument("--warm-runs", type=int)
    p.add_argument("--naive-cap", type=int, help="most naive requests made for real (the rest extrapolated)")
    p.add_argument("--clients", help="concurrency levels, e.g. 1,16,64,200")
    p.add_argument("--level-seconds", type=float, help="how long each concurrency level runs")
    p.add_argument("--workers", type=int, help="uvicorn workers for the throughput runs")
    p.add_argument("--no-throughput", action="store_true")
    p.add_argument("--no-rss", action="store_true")
    p.add_argument("--no-upstream", action="store_true", help="skip the no-cache upstream workload")
    p.add_argument("--upstream-clients", type=int, help="clients of the upstream workload (32)")
    p.add_argument("--upstream-seconds", type=float, help="how long it runs per worker count (10)")
    p.add_argument("--upstream-workers", help="gateway worker counts for it, e.g. 1,2")
    p.add_argument("--upstream-latency-ms", type=float,
                   help="the upstream workload's simulator latency (default 0: the gateway's own cost)")
    p.add_argument("--only", help="comma-separated workloads, e.g. roster,pastoral")
    p.add_argument("--out", help="where to write the JSON results (default bench/results.json)")
    a = p.parse_args(argv)
    opts = Options.smoke() if a.smoke else Options()
    for name in ("students", "latency_ms", "page_size", "cold_runs", "warm_runs", "naive_cap",
                 "level_seconds", "workers", "out", "upstream_clients", "upstream_seconds",
                 "upstream_latency_ms"):
        if getattr(a, name) is not None:
            setattr(opts, name, getattr(a, name))
    if a.clients:
        opts.clients = tuple(int(c) for c in a.clients.split(","))
    if a.only:
        opts.only = tuple(a.only.split(","))
    if a.upstream_workers:
        opts.upstream_workers = tuple(int(w) for w in a.upstream_workers.split(","))
    opts.throughput = not a.no_throughput
    opts.upstream = not a.no_upstream
    opts.rss = not a.no_rss
    if a.smoke:
        opts.quiet = False
    return opts


def main(argv: list[str] | None = None) -> int:
    from bench.report import table

    opts = parse_args(argv)
    report = asyncio.run(Bench(opts).run())
    print(table(report))
    if opts.out:
        with open(opts.out, "wb") as f:
            f.write(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
        print(f"\nwritten to {opts.out}")
    return 0 if report["ok"] else 1
