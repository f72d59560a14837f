"""The one place errors become the public ``extensions.code`` set.

UNAUTHENTICATED, FORBIDDEN (with ``reason``), BAD_USER_INPUT, NOT_FOUND,
RATE_LIMITED (with ``retryAfter``), UPSTREAM_UNAVAILABLE, LIMIT_EXCEEDED (with
``limit``, ``value`` and ``max``), PERSISTED_QUERY_NOT_FOUND (APQ: send the text),
PERSISTED_QUERY_NOT_SUPPORTED (trusted-only mode: unknown hashes never run), INTERNAL.
Anything unexpected is masked as INTERNAL with the request id; its detail
goes to the log, never to the client.
"""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError

from gateway.upstream.errors import (
    UpstreamBadRequest,
    UpstreamError,
    UpstreamForbidden,
    UpstreamLimitExceeded,
    UpstreamNotFound,
    UpstreamProtocolError,
    UpstreamRateLimited,
    UpstreamUnauthorized,
)

log = logging.getLogger("go4graph.errors")

CODES = ("UNAUTHENTICATED", "FORBIDDEN", "BAD_USER_INPUT", "NOT_FOUND", "RATE_LIMITED",
         "UPSTREAM_UNAVAILABLE", "LIMIT_EXCEEDED", "PERSISTED_QUERY_NOT_FOUND",
         "PERSISTED_QUERY_NOT_SUPPORTED", "INTERNAL")


class GatewayError(Exception):
    """An error the gateway raises itself, with its public code (e.g. BAD_USER_INPUT)."""

    def __init__(self, code: str, message: str, **extensions: Any) -> None:
        if code not in CODES:
            raise ValueError(f"unknown error code {code}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.extensions = extensions


def bad_input(message: str, **extensions: Any) -> GatewayError:
    return GatewayError("BAD_USER_INPUT", message, **extensions)


def limit_exceeded(limit: str, value: float, maximum: float, message: str | None = None) -> GatewayError:
    """An admission-control refusal: which limit, the request's value and the maximum."""
    text = message or f"This request exceeds the {limit} limit ({value} > {maximum})"
    return GatewayError("LIMIT_EXCEEDED", text, limit=limit, value=value, max=maximum)


def upstream_extensions(exc: UpstreamError) -> tuple[str, str, dict[str, Any]]:
    """(code, client message, extensions) for an upstream failure."""
    what = f"{exc.source} {exc.route}".strip()
    if isinstance(exc, UpstreamUnauthorized):
        return "UNAUTHENTICATED", f"{exc.source} refused the credential: {exc.message}", {}
    if isinstance(exc, UpstreamForbidden):
        return "FORBIDDEN", f"{exc.source} refused {exc.route}: {exc.message}", {"reason": exc.message}
    if isinstance(exc, UpstreamBadRequest):
        return "BAD_USER_INPUT", f"{exc.source} rejected the request: {exc.message}", {}
    if isinstance(exc, UpstreamNotFound):
        return "NOT_FOUND", f"{exc.source} has no such resource ({exc.route})", {}
    if isinstance(exc, UpstreamRateLimited):
        ext: dict[str, Any] = {}
        if exc.retry_after is not None:
            ext["retryAfter"] = round(exc.retry_after, 1)
        return "RATE_LIMITED", f"{exc.source} is rate limiting this school; try again later", ext
    if isinstance(exc, UpstreamLimitExceeded):
        return "LIMIT_EXCEEDED", exc.message, {"limit": exc.limit, "value": exc.value, "max": exc.max}
    if isinstance(exc, UpstreamProtocolError):
        return "UPSTREAM_UNAVAILABLE", f"{what} answered something unreadable: {exc.message}", {}
    return "UPSTREAM_UNAVAILABLE", f"{what}: {exc.message}", {}


def format_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    """A GraphQL error as the response carries it."""
    original = error.original_error
    out: dict[str, Any] = {"message": error.message}
    locations = _locations(error)
    if locations:
        out["locations"] = locations
    if error.path:
        out["path"] = list(error.path)
    if isinstance(original, GatewayError):
        out["message"] = original.message
        ext = {"code": original.code, **original.extensions}
    elif isinstance(original, UpstreamError):
        code, message, extra = upstream_extensions(original)
        out["message"] = message
        ext = {"code": code, **extra}
        if original.route:
            ext["route"] = original.route
    elif original is None or not error.path:
        # Parse, validation and variable coercion errors (no field path): the request is at fault.
        ext = {"code": "BAD_USER_INPUT"}
    else:
        log.error("internal error", exc_info=(type(original), original, original.__traceback__),
                  extra={"request_id": request_id})
        out["message"] = f"Internal error (request {request_id})"
        ext = {"code": "INTERNAL", "requestId": request_id}
    out["extensions"] = ext
    return out


def _locations(error: GraphQLError) -> list[dict[str, int]]:
    """Where in the document the error is: from its field nodes when it has them (an upstream
    error's ``source`` attribute names the upstream, and graphql-core would read it as the
    document's source, giving wrong locations), else as graphql-core located it."""
    if error.nodes:
        found = [node.loc.source.get_location(node.loc.start) for node in error.nodes if node.loc]
        if found:
            return [{"line": loc.line, "column": loc.column} for loc in found]
    return [{"line": loc.line, "column": loc.column} for loc in error.locations or ()]


def collapse(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per distinct error and field, not one per list item.

    A 403 on photos would otherwise repeat once per student; the first path is
    kept and ``extensions.count`` says how many places had it.
    """
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    out: list[dict[str, Any]] = []
    for err in errors:
        path = err.get("path")
        shape = tuple(p if isinstance(p, str) else "#" for p in path) if path else None
        sig = (err.get("message"), err.get("extensions", {}).get("code"), shape)
        first = seen.get(sig)
        if first is None or shape is None:
            seen[sig] = err
            out.append(err)
        else:
            first["extensions"]["count"] = first["extensions"].get("count", 1) + 1
    return out
