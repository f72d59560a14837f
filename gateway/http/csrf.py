"""Browsers: CSRF prevention as Apollo Router and GraphQL Yoga do it, and CORS for configured origins.

A browser sends some requests cross-site without asking first (no CORS preflight): a GET,
or a POST whose content type is ``text/plain``, ``application/x-www-form-urlencoded``,
``multipart/form-data`` or absent. Such a request could carry a school's cookies (behind an
authenticating proxy) and record a mark from any web page. So a GraphQL request to
``/graphql`` runs only if it could not have been sent that way: it has a content type that
is not one of those three, or one of the headers below (which no simple request can carry).
Anything else is refused (400, ``BAD_USER_INPUT``) before the body is read.

Preflights (``OPTIONS``) are answered by Starlette's ``CORSMiddleware`` for the origins in
``GO4GRAPH_CORS_ORIGINS`` only (default none: every preflight is refused). GraphiQL is
served by the gateway itself and POSTs ``application/json``, so it needs neither.
"""

from __future__ import annotations

from typing import Any

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from gateway.http.answers import error, error_body

#: Content types a cross-site form or ``fetch`` may send without a preflight.
SIMPLE_TYPES = frozenset({"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"})
#: Headers that force a preflight, so their presence proves the request was not a simple one.
PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name", "x-go4graph-csrf")
#: Query-string parameters that make a GET an operation (a GET without them is the GraphiQL page).
OPERATION_PARAMS = frozenset({b"query", b"documentId", b"extensions", b"operationName", b"variables"})

MESSAGE = ("This request has been blocked as a potential cross-site request forgery (CSRF): send it "
           "with a Content-Type other than text/plain, application/x-www-form-urlencoded or "
           "multipart/form-data (application/json, say), or with a non-empty value for one of the "
           "headers " + ", ".join(PREFLIGHT_HEADERS))


def content_type(headers: dict[bytes, bytes]) -> str | None:
    """The media type's essence (``application/json``), lower case; None when absent or empty."""
    value = headers.get(b"content-type")
    if value is None:
        return None
    essence = value.decode("latin-1").split(";", 1)[0].strip().lower()
    return essence or None


def preflighted(headers: dict[bytes, bytes]) -> bool:
    """True when a browser could only have sent this request after a CORS preflight."""
    if any(headers.get(name.encode(), b"").strip() for name in PREFLIGHT_HEADERS):
        return True  # a non-empty value, as Apollo Server's preventCsrf asks
    kind = content_type(headers)
    return kind is not None and kind not in SIMPLE_TYPES


def runs_operation(scope: dict[str, Any]) -> bool:
    """A POST always asks to run one; a GET only with a query string naming one."""
    if scope["method"] == "POST":
        return True
    if scope["method"] != "GET":
        return False
    query: bytes = scope.get("query_string") or b""
    names = {part.split(b"=", 1)[0] for part in query.split(b"&") if part}
    return bool(names & OPERATION_PARAMS)


class CsrfPrevention:
    """ASGI middleware: refuses a GraphQL request a browser could have sent cross-site unasked."""

    def __init__(self, app: Any, paths: tuple[str, ...] = ("/graphql",)) -> None:
        self.app = app
        self.paths = frozenset(p.rstrip("/") or "/" for p in paths)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if (scope["type"] != "http" or (scope["path"].rstrip("/") or "/") not in self.paths
                or not runs_operation(scope)):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        if preflighted(headers):
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})["go4graph_refusal"] = "cross-site-request"
        body = error_body([error(MESSAGE, "BAD_USER_INPUT")])
        await send({"type": "http.response.start", "status": 400,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


#: Request headers a configured origin's scripts may send (the preflight answers these).
ALLOWED_HEADERS = ["accept", "authorization", "content-type", "cache-control", "x-request-id",
                   "x-assembly-token", *PREFLIGHT_HEADERS]


def browser_middleware(origins: list[str]) -> list[Middleware]:
    """CORS (outermost: it answers preflights) for ``origins`` only; then CSRF prevention."""
    return [Middleware(CORSMiddleware, allow_origins=list(origins), allow_methods=["GET", "POST"],
                       allow_headers=ALLOWED_HEADERS, expose_headers=["x-request-id"],
                       allow_credentials=True, max_age=600),
            Middleware(CsrfPrevention)]
