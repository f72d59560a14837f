"""Broken answers for injected faults: what a sick upstream (or a proxy in front of it) sends.

Each function builds the response for one fault kind of ``control.FAULT_KINDS``
from the answer the route would have given. A reset is a real one over HTTP
(uvicorn drops the connection when the app fails after starting its answer);
in-process, the gateway's ASGI transport reads the app's failure as a reset.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from gateway.simulator.control import Fault

HTML_PAGE = (b"<!DOCTYPE html><html><head><title>Service notice</title></head>"
             b"<body><h1>We'll be back soon</h1></body></html>")
MALFORMED = b'[{"id": 1, "name": "Maths",, }'


class SimulatedReset(Exception):
    """Raised after half a body has gone out: the server drops the connection."""


class _ResetResponse(Response):
    """Headers promising the whole body, half of it, then a dropped connection."""

    def __init__(self, body: bytes) -> None:
        super().__init__(body, media_type="application/json")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self.body[:max(len(self.body) // 2, 1)],
                    "more_body": True})
        raise SimulatedReset("connection reset mid-body (injected fault)")


def before_checks(fault: Fault) -> Response | None:
    """Faults that answer without looking at the request (a proxy or a crashed service)."""
    if fault.kind == "empty":
        return Response(b"", status_code=200, media_type="application/json")
    if fault.kind == "html":
        return Response(HTML_PAGE, status_code=200, media_type="text/html")
    if fault.kind == "malformed":
        return Response(MALFORMED, status_code=200, media_type="application/json")
    return None


def paged(data: Any, items_key: str | None, cursor: str | None, fault: Fault) -> Any:
    """A page that always says there is more: a new cursor each time, or the same one."""
    key = items_key or "items"
    items = data.get(key, []) if isinstance(data, dict) else data
    if fault.kind == "endless-cursor":
        try:
            following = int(cursor or 0) + 1
        except ValueError:
            following = 1
        return {key: items[:1] if isinstance(items, list) else [], "has_more": True,
                "cursor": str(following)}
    return {key: items[:1] if isinstance(items, list) else [], "has_more": True, "cursor": "7"}


def after_answer(body: bytes, fault: Fault) -> Response | None:
    """Faults that spoil the answer the route would have given."""
    if fault.kind == "truncated":
        return Response(body[:max(len(body) // 2, 1)], status_code=200, media_type="application/json")
    if fault.kind == "reset":
        return _ResetResponse(body)
    return None


def encode(data: Any) -> bytes:
    return orjson.dumps(data)
