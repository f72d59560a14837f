"""The gateway under uvicorn in its own process(es), as the bench measures it (``python -m bench.serve``).

The same app ``go4graph serve`` runs (settings from GO4GRAPH_* variables, JSON logs at
INFO to stdout), so every figure is a gateway process's own: no simulator, no load
generator in its heap. Two switches of the bench's own:

- ``BENCH_RESPONSE_CACHE=off`` turns the response cache off, so that every request is
  executed against the warm resource cache (the throughput runs);
- ``BENCH_CONTROL=on`` adds routes under ``/__bench/`` on loopback: empty the caches (a
  cold gateway), forget kept answers, time a workload's serialisation floor on the tables
  this process holds, load the whole school, and read the process's memory.
"""

from __future__ import annotations

import gc
import hashlib
import os
import sys
import time
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

YEAR_GROUPS = [str(n) for n in range(7, 14)]


def _status(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def memory() -> dict[str, float]:
    """Peak and current RSS in MB (VmHWM, not getrusage: after fork and exec, ru_maxrss still
    counts the pages of the process that started this one)."""
    return {"peak_rss_mb": round(_status("VmHWM"), 1), "rss_mb": round(_status("VmRSS"), 1)}


def _control(app: Any) -> None:
    from bench import direct
    from gateway.graph.base import rk
    from gateway.resources.memo import Resources
    from gateway.upstream.routes import ROUTES

    services = app.state.services

    def tenant(request: Request) -> Any:
        return next(iter(services.tenancy.resolve(request.headers).tenants.values()))

    def forget_responses() -> None:
        kept = services.extras.get("response_cache")
        if kept is not None:
            kept.clear()

    async def reset(request: Request) -> Response:
        await services.cache.close()  # the memory cache: emptied, and still in use after
        forget_responses()
        # Whatever earlier requests left to the cyclic collector (graphql-core's executor is a
        # reference cycle; a request's tables no longer hang on it since Context.release):
        # collected now, not half-way through the cold request that follows.
        gc.collect()
        return Response(b"{}", media_type="application/json")

    async def forget(request: Request) -> Response:
        forget_responses()
        return Response(b"{}", media_type="application/json")

    async def floor(request: Request) -> Response:
        ask = orjson.loads(await request.body())
        build = direct.BUILDERS[ask["builder"]]
        res = Resources(services.store, tenant(request))
        tables = await direct.prepare(res, int(ask["year"]), build, ask["variables"])
        answer = orjson.dumps(build(tables, ask["variables"]))
        times = []
        for _ in range(max(1, int(ask.get("runs", 5)))):
            t0 = time.perf_counter()
            orjson.dumps(build(tables, ask["variables"]))
            times.append(time.perf_counter() - t0)
        times.sort()
        return Response(orjson.dumps({"ms": times[len(times) // 2] * 1000, "bytes": len(answer),
                                      "sha256": hashlib.sha256(answer).hexdigest()}),
                        media_type="application/json")

    async def load_all(request: Request) -> Response:
        """Every GET resource of the year in the cache: the whole school, as memory sees it."""
        ask = orjson.loads(await request.body())
        year = int(ask["year"])
        before = memory()
        res = Resources(services.store, tenant(request))
        await res.load_many([rk("reports", year)])
        reports = [r.get("id") for r in res.get(rk("reports", year)).rows]
        keys = []
        for route in ROUTES.values():
            if route.method != "GET" or route.name.startswith("assembly"):
                continue
            others = [p for p in route.params if p != "academicYear"]
            year_arg = year if "academicYear" in route.params else None
            if not others:
                keys.append(rk(route.name, year_arg))
            elif others == ["yearGroup"]:
                keys += [rk(route.name, year_arg, yg) for yg in YEAR_GROUPS]
            elif others == ["reportId"]:
                keys += [rk(route.name, year_arg, r) for r in reports]
            elif others == ["date"]:
                keys += [rk(route.name, year_arg, d) for d in ask["days"]]
        await res.load_many(keys)
        loaded = [k for k in keys if res.has(k) and res.error(k) is None]
        return Response(orjson.dumps({
            "resources": len(loaded), "failed": len(keys) - len(loaded),
            "rows": sum(len(res.get(k).rows) for k in loaded),
            "rss_before_mb": before["rss_mb"], **memory()}), media_type="application/json")

    async def mem(request: Request) -> Response:
        return Response(orjson.dumps(memory()), media_type="application/json")

    for path, endpoint in (("/__bench/reset", reset), ("/__bench/forget", forget),
                           ("/__bench/floor", floor), ("/__bench/load-all", load_all),
                           ("/__bench/memory", mem)):
        app.add_route(path, endpoint, methods=["POST", "GET"])


def factory() -> Any:
    from gateway import logs
    from gateway.app import create_app
    from gateway.settings import load_settings

    settings = load_settings()
    logs.configure(settings.log_level)
    app = create_app(settings)
    kept = app.state.services.extras.get("response_cache")
    if kept is not None and os.environ.get("BENCH_RESPONSE_CACHE") == "off":
        kept.enabled = False
    if os.environ.get("BENCH_CONTROL") == "on":
        _control(app)
    return app


if __name__ == "__main__":
    import uvicorn

    port, workers = int(sys.argv[1]), int(sys.argv[2])
    uvicorn.run("bench.serve:factory", factory=True, host="127.0.0.1", port=port, workers=workers,
                log_level="warning", access_log=False, backlog=4096)
