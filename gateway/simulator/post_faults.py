"""Faults of the one write that happen after the mark is saved (the GET faults live in ``control``).

``Simulator.inject_post(kind)`` makes the next POST Student Session Attendance save the mark
and then fail to answer:

- ``"reset"``: the connection is dropped after the status line (the client reads a broken
  body: ``httpx.RemoteProtocolError`` in-process, a reset connection over HTTP);
- ``"500"``: the server answers 500 after saving;
- ``"delay"``: the answer comes ``delay_ms`` later (past the client's timeout, over HTTP).

A fault before saving (500, 429, ...) is ``Simulator.inject(status, route="record-session-mark")``.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.responses import Response

KINDS = frozenset({"reset", "500", "delay"})


class ConnectionDropped(httpx.RemoteProtocolError):
    """Raised by the simulator's app after sending the status line: the body never comes."""


@dataclass(slots=True)
class PostFault:
    kind: str
    remaining: int
    delay_ms: float = 0.0


class PostFaults:
    """Pending after-save faults of the write, used up one POST at a time."""

    def __init__(self) -> None:
        self._faults: list[PostFault] = []
        self._lock = threading.Lock()

    def inject(self, kind: str, times: int = 1, delay_ms: float = 0.0) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown after-save fault {kind!r}; one of {sorted(KINDS)}")
        with self._lock:
            self._faults.append(PostFault(kind, times, delay_ms))

    def take(self) -> PostFault | None:
        with self._lock:
            for fault in self._faults:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
            return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


class _Dropped(Response):
    """A response that sends its status line, then drops the connection."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", b"64")]})
        raise ConnectionDropped("connection dropped after saving (simulated)")


async def after_save(fault: PostFault | None, saved: Response) -> Response:
    """The answer to a POST that saved its mark, as the pending fault (if any) spoils it."""
    if fault is None:
        return saved
    if fault.kind == "reset":
        return _Dropped()
    if fault.kind == "500":
        return Response(b'{"error":"Internal Server Error"}', status_code=500,
                        media_type="application/json")
    await asyncio.sleep(fault.delay_ms / 1000)
    return saved
