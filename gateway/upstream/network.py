"""httpx's own transport on asyncio's streams (issue 19: the upstream path's CPU).

httpx is the mission's client and stays: requests, connection pooling, keep-alive, HTTP/1.1
and TLS are still httpx's and httpcore's. Only the layer under httpcore changes: httpcore
reads and writes sockets through a *network backend*, by default one on anyio, whose cancel
scopes, checkpoints and per-call attribute lookups cost ~10% of the CPU of a request that
walks the upstream (the profile of the bench's "upstream" workload). ``AsyncioBackend`` does
the same reads and writes on asyncio's streams, with the same exceptions (httpcore's, which
httpx turns into its own: ``ConnectError``, ``ReadTimeout``…).

``fast_transport`` is an ``httpx.AsyncHTTPTransport`` whose pool uses it; proxies named in the
environment are httpx's own mounts, unchanged. The ``timeout`` parameters are httpcore's
interface (each read's, write's and connect's own limit, as anyio's ``fail_after`` applied
them); the request's deadline stays the caller's (``gateway.clock``).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Coroutine, Iterable
from typing import Any

import httpcore
import httpx
from httpcore import (
    ConnectError,
    ConnectTimeout,
    ReadError,
    ReadTimeout,
    WriteError,
    WriteTimeout,
)
from httpcore._backends.base import SOCKET_OPTION, AsyncNetworkBackend, AsyncNetworkStream
from httpcore._utils import is_socket_readable

__all__ = ["AsyncioBackend", "fast_transport"]


#: The most one read hands httpcore, and twice the most a connection's buffer holds before
#: the socket's reading pauses (asyncio's default, 64 KiB, paused a 1.5 MB page 12 times).
READ_AT_ONCE = 1024 * 1024


class AsyncioStream(AsyncNetworkStream):
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        # Whatever has arrived, up to READ_AT_ONCE (h11 takes any amount): a big page is then
        # read in a few turns of the loop instead of one per 64 KiB httpcore asks for.
        max_bytes = max(max_bytes, READ_AT_ONCE)
        try:
            if timeout is None:
                return await self._reader.read(max_bytes)
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except TimeoutError as exc:
            raise ReadTimeout(str(exc)) from exc
        except OSError as exc:
            raise ReadError(str(exc)) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        if not buffer:
            return
        try:
            self._writer.write(buffer)
            if timeout is None:
                await self._writer.drain()
                return
            async with asyncio.timeout(timeout):
                await self._writer.drain()
        except TimeoutError as exc:
            raise WriteTimeout(str(exc)) from exc
        except (OSError, RuntimeError) as exc:  # RuntimeError: written after the close
            raise WriteError(str(exc)) from exc

    async def aclose(self) -> None:
        # As anyio closes: end what we send, close, and drop the socket after one pass of the
        # loop, never waiting on the peer (a TLS close waiting for the server's close_notify
        # could hold the pool's lock for asyncio's 30 s shutdown timeout).
        transport = self._writer.transport
        if transport.is_closing():
            return
        try:
            if transport.can_write_eof():
                transport.write_eof()
        except OSError:
            pass
        transport.close()
        await asyncio.sleep(0)
        transport.abort()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> AsyncNetworkStream:  # noqa: ASYNC109
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError as exc:
            await self.aclose()
            raise ConnectTimeout(str(exc)) from exc
        except (OSError, ssl.SSLError) as exc:
            await self.aclose()
            raise ConnectError(str(exc)) from exc
        return self

    def get_extra_info(self, info: str) -> Any:
        writer = self._writer
        if info == "ssl_object":
            return writer.get_extra_info("ssl_object")
        if info == "client_addr":
            return writer.get_extra_info("sockname")
        if info == "server_addr":
            return writer.get_extra_info("peername")
        if info == "socket":
            return writer.get_extra_info("socket")
        if info == "is_readable":
            # An idle keep-alive connection with anything to read (the server's close, most
            # often) is not reused: what asyncio has already read, or what the socket holds.
            if self._reader.at_eof() or writer.is_closing():
                return True
            sock = writer.get_extra_info("socket")
            return is_socket_readable(sock) if sock is not None else True
        return None


class AsyncioBackend(AsyncNetworkBackend):
    """httpcore's network backend on asyncio's streams (in place of anyio's)."""

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,  # noqa: ASYNC109
                          local_address: str | None = None,
                          socket_options: Iterable[SOCKET_OPTION] | None = None) -> AsyncNetworkStream:
        return await _connected(asyncio.open_connection(
            host, port, local_addr=(local_address, 0) if local_address else None,
            limit=READ_AT_ONCE), timeout, socket_options)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,  # noqa: ASYNC109
                                  socket_options: Iterable[SOCKET_OPTION] | None = None) -> AsyncNetworkStream:
        return await _connected(asyncio.open_unix_connection(path, limit=READ_AT_ONCE), timeout,
                                socket_options)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def _connected(opening: Coroutine[Any, Any, tuple[asyncio.StreamReader, asyncio.StreamWriter]],
                     timeout: float | None,  # noqa: ASYNC109 - httpcore passes it
                     options: Iterable[SOCKET_OPTION] | None) -> AsyncNetworkStream:
    """The stream once ``opening`` connects within ``timeout``, as httpcore's errors."""
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await opening
    except TimeoutError as exc:
        raise ConnectTimeout(str(exc)) from exc
    except OSError as exc:
        raise ConnectError(str(exc)) from exc
    _apply(writer, options)
    return AsyncioStream(reader, writer)


def _apply(writer: asyncio.StreamWriter, options: Iterable[SOCKET_OPTION] | None) -> None:
    sock: socket.socket | None = writer.get_extra_info("socket")
    if sock is not None:
        for option in options or ():
            sock.setsockopt(*option)


def fast_transport(limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """httpx's transport (its TLS context from the environment, as httpx makes it) with a
    connection pool on ``AsyncioBackend``."""
    transport = httpx.AsyncHTTPTransport(limits=limits)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=AsyncioBackend())
    return transport
