"""A real gateway process (``go4graph serve``, demo mode) on a free port, its log kept in a file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

from tests.conftest import free_port


@dataclass
class GatewayProcess:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def requests(self) -> list[dict[str, Any]]:
        """The request log: one JSON line per /graphql request ("msg": "graphql")."""
        lines = []
        for raw in self.log.read_bytes().splitlines():
            try:
                line = orjson.loads(raw)
            except orjson.JSONDecodeError:
                continue
            if isinstance(line, dict) and line.get("msg") == "graphql" and "outcome" in line:
                lines.append(line)
        return lines

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def start_gateway(folder: Path, name: str = "gateway", **settings: str) -> GatewayProcess:
    """``go4graph serve`` with GO4GRAPH_<KEY>=value for each setting (a small demo school)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO4GRAPH_")}
    env.update({"GO4GRAPH_DEMO_STUDENTS": "60", "GO4GRAPH_LOG_LEVEL": "INFO"})
    env.update({f"GO4GRAPH_{k.upper()}": v for k, v in settings.items()})
    log = folder / f"{name}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)],
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    gateway = GatewayProcess(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(gateway.url + "/healthz", timeout=2).status_code == 200:
                return gateway
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            gateway.stop()
            raise RuntimeError(f"the gateway did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)
