"""A real redis-server for the cache tests: started by the test session on a free port.

Tests never touch the machine's own Redis. The session server is flushed before
each test that uses it; a test that kills Redis gets a server of its own.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from gateway.resources.cache import ResourceCache


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    #: Started with ``requirepass`` when set (the url then carries it).
    password: str | None = None
    #: Extra redis-server arguments (e.g. TLS ports and certificates).
    extra: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed (CI installs it; apt-get install redis-server)")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--protected-mode", "yes",
             *(("--requirepass", self.password) if self.password else ()), *self.extra],
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
        commands = [("AUTH", self.password), args] if self.password else [args]
        parts = []
        for command in commands:
            parts.append(f"*{len(command)}\r\n".encode())
            for a in command:
                b = a.encode()
                parts.append(b"$%d\r\n%s\r\n" % (len(b), b))
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"".join(parts))
                answer = s.recv(65536)
                if self.password:  # AUTH's answer first, then the command's
                    while answer.count(b"\r\n") < 2:
                        more = s.recv(65536)
                        if not more:
                            break
                        answer += more
                    first, _, answer = answer.partition(b"\r\n")
                    if not first.startswith(b"+OK"):
                        return first
                return answer
        except OSError:
            return b""

    def flush(self) -> None:
        assert self.command("FLUSHALL").startswith(b"+OK")

    def dump(self, seal: Any = None) -> dict[bytes, bytes]:
        """Every key and value (cache values opened with ``seal``, by default the demo mode's,
        and decompressed), for secret checks."""

        from gateway.resources.cache import STAMP_LEN, ZLIB
        from gateway.resources.seal import CacheSeal, SealError

        seal = seal or CacheSeal.for_demo()
        client = self.client()
        try:
            out: dict[bytes, bytes] = {}
            for k in client.scan_iter(count=1000):
                value = client.get(k) or b""
                try:
                    value = value[:STAMP_LEN] + seal.open(value[STAMP_LEN:], k + value[:STAMP_LEN])
                except SealError:
                    pass  # not a cache value (a marker, a lock), or not sealed with this seal
                if value[STAMP_LEN:STAMP_LEN + 1] == ZLIB:
                    value = value[:STAMP_LEN + 1] + zlib.decompress(value[STAMP_LEN + 1:])
                out[k] = value
            return out
        finally:
            client.close()

    def client(self) -> Any:
        """A plain redis-py client (authenticated when the server wants a password)."""
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, password=self.password)


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


@contextlib.asynccontextmanager
async def two_views(cache_url: str, request: Any) -> AsyncIterator[tuple[ResourceCache, ResourceCache, RedisServer | None]]:
    """A cache and a second view of it: another client of the same Redis (a second replica),
    or, for memory, the same cache; with the Redis server when there is one. Both closed after."""
    from gateway.resources.cache import RedisResourceCache, build_cache

    cache = build_cache(cache_url)
    if isinstance(cache, RedisResourceCache):
        other: ResourceCache = build_cache(cache_url)
        server = request.getfixturevalue("redis_server")
    else:
        other, server = cache, None
    try:
        yield cache, other, server
    finally:
        await cache.close()
        if other is not cache:
            await other.close()
