"""A real redis-server for the cache tests: started by the test session on a free port.

Tests never touch the machine's own Redis. The session server is flushed before
each test that uses it; a test that kills Redis gets a server of its own.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed (CI installs it; apt-get install redis-server)")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not self.command("PING").startswith(b"+PONG"):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Kill it (as an outage would), and wait until the port refuses connections."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def command(self, *args: str) -> bytes:
        """One command over a raw socket (no client library state to leak between tests)."""
        parts = [f"*{len(args)}\r\n".encode()]
        for a in args:
            b = a.encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(b), b))
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"".join(parts))
                return s.recv(65536)
        except OSError:
            return b""

    def flush(self) -> None:
        assert self.command("FLUSHALL").startswith(b"+OK")

    def dump(self) -> dict[bytes, bytes]:
        """Every key and value (cache values decompressed), for secret checks."""
        import redis

        from gateway.resources.cache import STAMP_LEN, ZLIB

        client = redis.Redis(host="127.0.0.1", port=self.port)
        try:
            out: dict[bytes, bytes] = {}
            for k in client.scan_iter(count=1000):
                value = client.get(k) or b""
                if value[STAMP_LEN:STAMP_LEN + 1] == ZLIB:
                    value = value[:STAMP_LEN + 1] + zlib.decompress(value[STAMP_LEN + 1:])
                out[k] = value
            return out
        finally:
            client.close()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, to kill mid-run."""
    server = RedisServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def cache_url(request: pytest.FixtureRequest) -> str:
    """Each test runs once on the in-process cache and once on a real Redis (flushed)."""
    if request.param == "memory":
        return "memory://"
    server: RedisServer = request.getfixturevalue("redis_server")
    server.flush()
    return server.url
