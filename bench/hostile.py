"""The hostile set of issue 12 against a running gateway: what each gets, how long, and memory.

    python -m bench.hostile            # ~5 minutes on 2 cores (20,000 operation names)
    python -m bench.hostile --quick    # fewer repetitions (2,000 operation names)

The upstream is the simulator over real HTTP (uvicorn in a thread of this process, 30 ms before
every answer, the demo school of 1,200 students and a second school of 300). The gateway is
``go4graph serve`` in its own process, in passthrough mode, with its defaults (a second one with
``GO4GRAPH_RATE_LIMIT=5/minute`` for the rate-limit case). For each case the script prints the
answer (status, error code and limit), the time, and the gateway's RSS before and after, and
exits 1 if a target of the issue is missed (RSS +50 MB, the fan-out refused in 50 ms, a 500, a
dead process). The other school's latency during the amplification is printed against its
unloaded latency; per-school upstream fairness is another change (see the README).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.servers import free_port, serve_in_thread
from gateway.graph.dates import year_bounds, year_of
from gateway.simulator import (
    DEMO_KEY,
    GO4SCHOOLS_PREFIX,
    SECOND_KEY,
    SimulatorConfig,
    create_simulator,
)
from gateway.simulator.calendar import london_today

ROOT = Path(__file__).resolve().parents[1]
DEMO = {"authorization": f"Bearer {DEMO_KEY}"}
OTHER = {"authorization": f"Bearer {SECOND_KEY}"}
FAN_OUT = "{ academicYear { students { groups { students { groups { id } } } } } }"
ROSTER = (ROOT / "schema" / "examples" / "roster.graphql").read_text()
SMALL = "{ academicYear { departments { id name } } }"
MB = 1024 * 1024


@dataclass
class Gateway:
    url: str
    process: subprocess.Popen[bytes]

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_gateway(upstream: str, **env: str) -> Gateway:
    port = free_port()
    environ = {**os.environ, "GO4GRAPH_UPSTREAM_URL": upstream, "GO4GRAPH_LOG_LEVEL": "WARNING",
               **{f"GO4GRAPH_{k.upper()}": v for k, v in env.items()}}
    process = subprocess.Popen([sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)],
                               env=environ, cwd=ROOT, stdout=subprocess.DEVNULL)
    gw = Gateway(f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(gw.url + "/healthz", timeout=1).status_code == 200:
                return gw
        except httpx.HTTPError:
            time.sleep(0.1)
    gw.stop()
    raise RuntimeError("the gateway did not start")


def describe(response: httpx.Response | BaseException) -> str:
    if isinstance(response, BaseException):
        return f"connection: {type(response).__name__}"
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} (not JSON)"
    errors = body.get("errors") or []
    if not errors:
        return f"{response.status_code} data ({len(response.content):,} bytes)"
    ext = errors[0].get("extensions", {})
    limit = f" {ext['limit']} {ext.get('value')}/{ext.get('max')}" if "limit" in ext else ""
    return f"{response.status_code} {ext.get('code')}{limit}"


class Report:
    def __init__(self) -> None:
        self.failures: list[str] = []

    def row(self, gw: Gateway, case: str, answer: str, seconds: float, before: float,
            after: float) -> None:
        grew = after - before
        print(f"| {case} | {answer} | {seconds * 1000:,.0f} ms | {before:.0f} → {after:.0f} MB "
              f"({grew:+.0f}) |", flush=True)
        if grew > 50:
            self.failures.append(f"{case}: RSS grew by {grew:.0f} MB")
        if not gw.alive():
            self.failures.append(f"{case}: the gateway died")
        if answer.startswith("500"):
            self.failures.append(f"{case}: a 500")


async def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    try:
        result = await call()
    except Exception as exc:  # noqa: BLE001 - a refused upload may end in a connection error
        result = exc
    return result, time.perf_counter() - started


HEAD, TAIL = b'{"query": "{ __typename }", "pad": "', b'"}'


async def chunks(total: int, size: int = MB) -> AsyncIterator[bytes]:
    """A JSON body of ``total`` padding bytes (plus HEAD and TAIL), sent a chunk at a time."""
    yield HEAD
    block = b"x" * size
    for _ in range(total // size):
        yield block
    yield TAIL


def amplification(aliases: int, days: int, group: str = "7North") -> str:
    """``aliases`` date-range fields over distinct windows of ``days`` days, under one
    registration group's students (each day is one whole-school upstream resource, paged)."""
    start, _ = year_bounds(year_of(london_today()))
    routes = ("sessionMarks", "lessonMarks", "behaviourEvents")
    fields = []
    for n in range(aliases):
        begin = start + dt.timedelta(days * (n // 3) + 30)
        end = begin + dt.timedelta(days - 1)
        fields.append(f'a{n}: {routes[n % 3]}(from: "{begin}", to: "{end}") {{ __typename }}')
    return ('{ academicYear { students(registrationGroup: "' + group + '") { id '
            + " ".join(fields) + " } } }")


async def run(args: argparse.Namespace) -> int:
    sim = create_simulator(SimulatorConfig(latency_ms=30.0))
    upstream = serve_in_thread(sim.app)
    gw = start_gateway(upstream.url + GO4SCHOOLS_PREFIX)
    limited = start_gateway(upstream.url + GO4SCHOOLS_PREFIX, rate_limit="5/minute")
    report = Report()
    try:
        async with httpx.AsyncClient(base_url=gw.url, timeout=120) as client:
            post = client.post
            print("| case | answer | time | gateway RSS before → after |\n|---|---|---|---|")
            # Warm: the school's students and groups known to the gateway (the estimate uses them).
            await post("/graphql", json={"query": ROSTER}, headers=DEMO)

            before = gw.rss_mb()
            r, s = await timed(lambda: post("/graphql", json={"query": FAN_OUT}, headers=DEMO))
            report.row(gw, "depth-5 fan-out query", describe(r), s, before, gw.rss_mb())
            if s > 0.05:
                report.failures.append(f"fan-out refused in {s * 1000:.0f} ms (target 50 ms)")

            before = gw.rss_mb()
            health: list[float] = []

            async def poll_health(stop: asyncio.Event) -> None:
                while not stop.is_set():
                    started = time.perf_counter()
                    await client.get("/healthz")
                    health.append(time.perf_counter() - started)
                    await asyncio.sleep(0.01)
            stop = asyncio.Event()
            poller = asyncio.ensure_future(poll_health(stop))
            r, s = await timed(lambda: post("/graphql", json={"query": ROSTER},
                                            headers={**DEMO, "cache-control": "no-cache"}))
            stop.set()
            await poller
            report.row(gw, "roster, no-cache (heavy but admitted); /healthz polled meanwhile",
                       f"{describe(r)}; /healthz max {max(health) * 1000:.0f} ms over {len(health)}",
                       s, before, gw.rss_mb())

            before = gw.rss_mb()
            r, s = await timed(lambda: post("/graphql", content=chunks(200 * MB),
                                            headers={"content-type": "application/json",
                                                     "content-length": str(200 * MB + len(HEAD) + len(TAIL))}))
            report.row(gw, "200 MB body, no credentials (Content-Length declared)", describe(r), s,
                       before, gw.rss_mb())
            before = gw.rss_mb()
            r, s = await timed(lambda: post("/graphql", content=chunks(200 * MB),
                                            headers={"content-type": "application/json"}))
            report.row(gw, "200 MB body, no credentials (chunked, no length)", describe(r), s,
                       before, gw.rss_mb())

            before = gw.rss_mb()
            comment = "{ __typename }\n#" + "c" * (10 * MB)
            started = time.perf_counter()
            answers = set()
            for _ in range(40):
                r, _s = await timed(lambda: post("/graphql", json={"query": comment}))
                answers.add(describe(r))
            report.row(gw, "40 x 10 MB comment documents, no credentials", ", ".join(sorted(answers)),
                       time.perf_counter() - started, before, gw.rss_mb())

            before = gw.rss_mb()
            started = time.perf_counter()
            answers = set()
            query = "query($y: String) { academicYear { students(yearGroup: $y) { id } } }"
            for _ in range(30):
                r, _s = await timed(lambda: post("/graphql", json={"query": query,
                                                                    "variables": {"y": "9" * (10 * MB)}},
                                                 headers=DEMO))
                answers.add(describe(r))
            report.row(gw, "30 x 10 MB variables", ", ".join(sorted(answers)),
                       time.perf_counter() - started, before, gw.rss_mb())

            # The other school's small query, unloaded, then during amplification attempts.
            async def other_school() -> float:
                _r, s = await timed(lambda: post("/graphql", json={"query": SMALL},
                                                 headers={**OTHER, "cache-control": "no-cache"}))
                return s
            unloaded = statistics.median([await other_school() for _ in range(5)])
            before = gw.rss_mb()
            r, s = await timed(lambda: post("/graphql", json={"query": amplification(26, 30)},
                                            headers={**DEMO, "cache-control": "no-cache"}))
            report.row(gw, "26-alias date-range amplification, no-cache", describe(r), s, before,
                       gw.rss_mb())
            before = gw.rss_mb()
            heavy = asyncio.ensure_future(timed(lambda: post(
                "/graphql", json={"query": amplification(6, 10)},
                headers={**DEMO, "cache-control": "no-cache"})))
            loaded = []
            while not heavy.done():
                loaded.append(await other_school())
            r, s = await heavy
            ratio = statistics.median(loaded) / unloaded
            report.row(gw, "6-alias amplification within the estimate (60 days, paged), no-cache; "
                       "other school's small query meanwhile",
                       f"{describe(r)}; other school {unloaded * 1000:.0f} ms unloaded, median "
                       f"{statistics.median(loaded) * 1000:.0f} ms / max {max(loaded) * 1000:.0f} ms "
                       f"loaded ({ratio:.1f}x)", s, before, gw.rss_mb())

            before = gw.rss_mb()
            names = args.names
            metrics_before = len((await client.get("/metrics")).content)
            started = time.perf_counter()
            sem = asyncio.Semaphore(16)

            async def random_name(n: int) -> int | str:
                name = "op" + secrets.token_hex(8)
                text = f"query {name} {{ school {{ name }} }}" if n % 2 else f"query {name} {{ nope }}"
                async with sem:
                    try:
                        r = await post("/graphql", json={"query": text, "operationName": name})
                    except httpx.HTTPError as exc:  # counted, not fatal: the process is checked
                        return type(exc).__name__
                return r.status_code
            statuses = await asyncio.gather(*(random_name(n) for n in range(names)))
            metrics_after = len((await client.get("/metrics")).content)
            report.row(gw, f"{names:,} random operation names, no credentials",
                       f"statuses {sorted(set(map(str, statuses)))} "
                       f"({sum(1 for x in statuses if not isinstance(x, int))} connection errors); /metrics {metrics_before:,} → "
                       f"{metrics_after:,} bytes", time.perf_counter() - started, before, gw.rss_mb())
            if metrics_after > metrics_before + 200_000:
                report.failures.append("/metrics grew with random operation names")

        async with httpx.AsyncClient(base_url=limited.url, timeout=60) as client:
            before = limited.rss_mb()
            calls_before = len(sim.control.requests)
            started = time.perf_counter()
            codes = []
            for _ in range(50):
                r = await client.post("/graphql", json={"query": "{ school { name } }"},
                                      headers={"authorization": f"Bearer {secrets.token_hex(16)}"})
                codes.append(r.status_code)
            calls = len(sim.control.requests) - calls_before
            report.row(limited, "50 random bearer keys, GO4GRAPH_RATE_LIMIT=5/minute",
                       f"{codes.count(429)} x 429, {len(codes) - codes.count(429)} answered; "
                       f"{calls} upstream calls", time.perf_counter() - started, before,
                       limited.rss_mb())
            if codes.count(429) < 45:
                report.failures.append("random keys bypassed the rate limit")
    finally:
        gw.stop()
        limited.stop()
        upstream.stop()
    for failure in report.failures:
        print("MISSED:", failure)
    return 1 if report.failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 operation names instead of 20,000")
    args = parser.parse_args()
    args.names = 2000 if args.quick else 20000
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
