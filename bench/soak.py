"""A soak: a school's busy morning against one gateway process, over Redis, for a set time.

``python -m bench.soak --minutes 10 --clients 64`` starts the simulator (real HTTP, 20 ms
before every answer), a ``redis-server`` of its own on a free port (or uses ``--redis-url``)
and the gateway as ``go4graph serve`` runs it (its own process, passthrough mode, Redis as
the cache, the built-in TTLs, JSON logs captured to a file). Then ``--clients`` closed-loop
clients on keep-alive connections send a mix of the ``schema/examples`` operations — the
reads and whole-register saves (``take_register.graphql``), each save invalidating the
day's marks that the register reads — until the time is up.

It reports requests, errors (anything but a clean 200, and any row a save refused),
p50/p95/p99, warnings the gateway logged (those about the cache apart), the
``go4graph_cache_errors`` metric, and the gateway process's RSS at start, after the warm-up
and at the end. It exits 1 on any error, cache warning or cache error. The figures depend
on the machine and on what else runs on it; the counts of errors and warnings do not.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.servers import Connection, free_port, serve_in_thread, stop_process
from bench.workloads import WORKLOADS, variables
from gateway.simulator import SimulatorConfig, create_simulator

ROOT = Path(__file__).resolve().parents[1]

#: The mix: a weight per workload (a register is opened and saved far more often than a
#: roster is read); the register's save and its read touch the same day's session marks.
MIX = {"register": 8, "register-write": 3, "marks-grid": 3, "report": 3, "pastoral": 1,
       "roster": 1}


@dataclass
class Options:
    seconds: float = 120.0
    clients: int = 32
    students: int = 1500
    latency_ms: float = 20.0
    warmup_seconds: float | None = None  # default: a tenth of the run, between 5 and 60 s
    workers: int = 1
    redis_url: str | None = None
    mix: dict[str, int] = field(default_factory=lambda: dict(MIX))

    @property
    def warmup(self) -> float:
        if self.warmup_seconds is not None:
            return self.warmup_seconds
        return min(60.0, max(5.0, self.seconds / 10))


@dataclass
class Report:
    seconds: float
    clients: int
    workers: int
    requests: int
    errors: int
    by_workload: dict[str, int]
    p50_ms: float
    p95_ms: float
    p99_ms: float
    cache_warnings: int
    warnings: int
    cache_errors: float
    rss_mb: dict[str, float]
    error_samples: list[str]
    warning_samples: list[str]

    @property
    def ok(self) -> bool:
        return self.errors == 0 and self.cache_warnings == 0 and self.cache_errors == 0

    def lines(self) -> list[str]:
        rss = self.rss_mb
        return [
            f"soak: {self.seconds:.0f} s, {self.clients} clients, {self.workers} worker(s), Redis cache",
            f"requests {self.requests} ({', '.join(f'{k} {v}' for k, v in self.by_workload.items())})",
            f"errors {self.errors}",
            f"latency p50 {self.p50_ms:.1f} ms, p95 {self.p95_ms:.1f} ms, p99 {self.p99_ms:.1f} ms "
            "(after the warm-up)",
            f"cache warnings logged {self.cache_warnings}; other warnings {self.warnings}",
            f"go4graph_cache_errors {self.cache_errors:g}",
            f"gateway RSS: start {rss['start']:.1f} MB, after warm-up {rss['warm']:.1f} MB, "
            f"end {rss['end']:.1f} MB ({(rss['end'] / rss['warm'] - 1) * 100:+.1f}% after warm-up)",
            *[f"  error: {e}" for e in self.error_samples],
            *[f"  warning: {w}" for w in self.warning_samples],
        ]


# --- the processes ---------------------------------------------------------------

class Redis:
    """A redis-server of the soak's own on a free loopback port (no persistence)."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server is not installed (apt-get install redis-server), "
                             "or pass --redis-url")
        self.port = free_port()
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError):
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        return
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class GatewayProcess:
    """``go4graph serve`` in its own process, its JSON logs written to a file."""

    def __init__(self, upstream: str, cache_url: str, workers: int, folder: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(folder, "gateway.log")
        env = dict(os.environ)
        for name in [n for n in env if n.startswith("GO4GRAPH_")]:
            del env[name]  # only what the soak sets
        env.update({"GO4GRAPH_UPSTREAM_URL": upstream + "/customer/v1",
                    "GO4GRAPH_CACHE_URL": cache_url,
                    # Redis holds children's data sealed: a run-local secret (issue 15).
                    "GO4GRAPH_CACHE_SECRET": secrets.token_urlsafe(32),
                    "GO4GRAPH_AUDIT_LOG": os.path.join(folder, "audit.log"),
                    "GO4GRAPH_LOG_LEVEL": "INFO"})
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "serve", "--port", str(self.port),
             "--workers", str(workers)], cwd=ROOT, env=env, stdout=self._log,
            stderr=subprocess.STDOUT)

    async def ready(self) -> None:
        """Wait until it answers /healthz (it starts while the soak reads its variables)."""
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient(timeout=1) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError("the gateway stopped: " + self.log_tail())
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(self.url + "/healthz")).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        raise RuntimeError("the gateway did not start: " + self.log_tail())

    def log_tail(self) -> str:
        return Path(self.log_path).read_text(errors="replace")[-2000:]

    def rss_mb(self) -> float:
        """VmRSS of the gateway and its worker processes, in MB."""
        total = 0.0
        for pid in [self.process.pid, *_children(self.process.pid)]:
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) / 1024
        return round(total, 1)

    def cache_errors(self) -> float:
        text = httpx.get(self.url + "/metrics", timeout=10).text
        return sum(float(m) for m in re.findall(r"^go4graph_cache_errors_total\{[^}]*\} (\S+)$",
                                                  text, re.M))

    def warnings(self) -> tuple[list[str], list[str]]:
        """(cache warnings, other warnings and errors) the gateway logged."""
        cache: list[str] = []
        other: list[str] = []
        for line in Path(self.log_path).read_text(errors="replace").splitlines():
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                if "Traceback" in line or "ERROR" in line:
                    other.append(line[:300])
                continue
            if not isinstance(record, dict) or record.get("level") not in ("warning", "error",
                                                                            "critical"):
                continue
            text = f"{record.get('logger')}: {record.get('msg')} ({record.get('error', '')})"
            is_cache = "cache" in str(record.get("logger", "")) or "cache" in str(
                record.get("msg", ""))
            (cache if is_cache else other).append(text[:300])
        return cache, other

    def stop(self) -> None:
        stop_process(self.process)
        self._log.close()


def _children(pid: int) -> list[int]:
    found = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(c) for c in (task / "children").read_text().split()]
    return found


# --- the load --------------------------------------------------------------------

class Load:
    def __init__(self, url: str, documents: dict[str, bytes], weights: dict[str, int],
                 seed: int = 7) -> None:
        self.url = url
        self.documents = documents
        self.names = [n for n in weights if weights[n] > 0 and n in documents]
        self.weights = [weights[n] for n in self.names]
        self.random = random.Random(seed)
        self.latencies: list[tuple[float, float]] = []  # (ended at, seconds)
        self.counts: dict[str, int] = dict.fromkeys(self.names, 0)
        self.errors = 0
        self.samples: list[str] = []

    def failed(self, name: str, what: str) -> None:
        self.errors += 1
        if len(self.samples) < 5:
            self.samples.append(f"{name}: {what}")

    async def client(self, until: float) -> None:
        conn = Connection(self.url)
        try:
            while time.monotonic() < until:
                name = self.random.choices(self.names, self.weights)[0]
                request = conn.request("/graphql", self.documents[name])
                started = time.monotonic()
                try:
                    status, body = await conn.send(request)
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    await conn.close()
                    self.failed(name, f"{type(exc).__name__}: {exc}")
                    continue
                ended = time.monotonic()
                self.counts[name] += 1
                self.latencies.append((ended, ended - started))
                if status != 200 or not body.startswith(b'{"data"') \
                        or body.startswith(b'{"data":null'):
                    self.failed(name, f"HTTP {status}: {body[:200]!r}")
                elif b'"error":{' in body:  # a row of a save refused
                    self.failed(name, f"a row refused: {body[:200]!r}")
        finally:
            await conn.close()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def soak(opts: Options, say: Any = print) -> Report:
    folder = tempfile.mkdtemp(prefix="go4graph-soak-")
    sim = create_simulator(SimulatorConfig(students=opts.students, page_size=100))
    server = serve_in_thread(sim.app)
    redis = None if opts.redis_url else Redis()
    gateway = None
    try:
        say(f"soak: simulator at {server.url} ({opts.students} students)…")
        cache_url = opts.redis_url or (redis.url if redis else "")
        gateway = GatewayProcess(server.url, cache_url, opts.workers, folder)
        vs = await variables(sim)
        vs.pop("_meta")
        gc.collect()
        gc.freeze()  # the simulator's school: out of this process's collector's sight
        sim.config.latency_ms = opts.latency_ms
        documents = {w.name: orjson.dumps({"query": w.document, "variables": vs[w.name] or None})
                     for w in WORKLOADS if w.name in opts.mix}
        await gateway.ready()
        rss = {"start": gateway.rss_mb()}
        load = Load(gateway.url, documents, opts.mix)
        started = time.monotonic()
        until = started + opts.seconds
        say(f"soak: {opts.clients} clients for {opts.seconds:.0f} s against {gateway.url}…")
        clients = [asyncio.ensure_future(load.client(until)) for _ in range(opts.clients)]
        warm_at = started + min(opts.warmup, opts.seconds)
        await asyncio.sleep(max(0.0, warm_at - time.monotonic()))
        rss["warm"] = gateway.rss_mb()
        await asyncio.gather(*clients)
        rss["end"] = gateway.rss_mb()
        elapsed = time.monotonic() - started
        cache_errors = gateway.cache_errors()
        cache_warned, warned = gateway.warnings()
        measured = [s for t, s in load.latencies if t >= warm_at] or [s for _, s in load.latencies]
        return Report(
            seconds=elapsed, clients=opts.clients, workers=opts.workers,
            requests=sum(load.counts.values()), errors=load.errors, by_workload=load.counts,
            p50_ms=percentile(measured, 0.50), p95_ms=percentile(measured, 0.95),
            p99_ms=percentile(measured, 0.99), cache_warnings=len(cache_warned),
            warnings=len(warned), cache_errors=cache_errors, rss_mb=rss,
            error_samples=load.samples,
            warning_samples=[f"{n} x {w}" for w, n in Counter(cache_warned + warned).most_common(5)])
    finally:
        if gateway is not None:
            gateway.stop()
        if redis is not None:
            redis.stop()
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def parse_args(argv: list[str] | None) -> tuple[Options, bool]:
    p = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=None, help="how long (default 2)")
    p.add_argument("--seconds", type=float, default=None, help="how long, in seconds")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--students", type=int, default=1500)
    p.add_argument("--latency-ms", type=float, default=20.0)
    p.add_argument("--warmup-seconds", type=float, default=None)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--redis-url", default=None, help="use this Redis instead of starting one")
    p.add_argument("--json", action="store_true", help="print the report as JSON too")
    a = p.parse_args(argv)
    seconds = a.seconds if a.seconds is not None else (a.minutes if a.minutes is not None else 2) * 60
    return Options(seconds=seconds, clients=a.clients, students=a.students,
                   latency_ms=a.latency_ms, warmup_seconds=a.warmup_seconds,
                   workers=a.workers, redis_url=a.redis_url), a.json


def main(argv: list[str] | None = None) -> int:
    opts, as_json = parse_args(argv)
    report = asyncio.run(soak(opts, say=lambda s: print(s, file=sys.stderr, flush=True)))
    print("\n".join(report.lines()))
    if as_json:
        print(orjson.dumps(asdict(report), option=orjson.OPT_INDENT_2).decode())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
