"""``go4graph serve --workers 2``: one scrape counts the requests of both workers.

Without multiprocess mode each scrape reads one worker (the issue saw 5 of 10). Requests
go on fresh connections until both workers have answered some (each worker's values file
in the shared folder shows it), then every scrape must show the total.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import free_port

QUERY = {"query": "query Counted { school { name } }"}


def _total(text: str) -> float:
    found = re.search(r'^go4graph_requests_total\{operation="Counted",outcome="ok"\} (\S+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


def _pids_with_counters(tmp: Path) -> set[str]:
    return {p.stem.removeprefix("counter_") for p in tmp.glob("go4graph-metrics-*/counter_*.db")}


def test_two_workers_metrics_count_every_request(tmp_path: Path) -> None:
    port = free_port()
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("GO4GRAPH_") and k != "PROMETHEUS_MULTIPROC_DIR"}
    # TMPDIR: the CLI makes the workers' shared metrics folder there, so the test can see it.
    env = {**clean, "TMPDIR": str(tmp_path), "GO4GRAPH_DEMO_STUDENTS": "50"}
    proc = subprocess.Popen([sys.executable, "-m", "gateway.cli", "serve", "--port", str(port),
                             "--workers", "2"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, "gateway did not start"
            time.sleep(0.1)

        sent = 0
        while len(_pids_with_counters(tmp_path)) < 2 or sent < 10:
            assert sent < 400, "one worker answered every request: cannot tell"
            with httpx.Client(base_url=base) as one_connection:  # a new connection each time
                r = one_connection.post("/graphql", json=QUERY)
                assert r.status_code == 200 and "errors" not in r.json()
            sent += 1
        assert len(_pids_with_counters(tmp_path)) == 2

        for _ in range(6):  # scrapes land on either worker: each must see all of them
            with httpx.Client(base_url=base) as one_connection:
                assert _total(one_connection.get("/metrics").text) == sent
    finally:
        proc.terminate()
        proc.wait(30)
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    assert not list(tmp_path.glob("go4graph-metrics-*")), "the metrics folder is removed on exit"
