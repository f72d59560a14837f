"""The upstream error tree: one class per row family of the reference's error table.

    UpstreamError                       status, error, message, route
    ├── UpstreamBadRequest (400)        "Invalid Academic Year", "Invalid Cursor", ...
    ├── UpstreamUnauthorized (401)      "The API key is invalid."
    ├── UpstreamForbidden (403)         reason: Module Disabled | Embargo Enabled | Not Enabled For Bromcom
    ├── UpstreamNotFound (404)
    ├── UpstreamRateLimited (429)       retry_after (seconds), after our own retries
    ├── UpstreamServerError (5xx)
    └── UpstreamUnavailable             no answer: timeout, connection error, open circuit,
        └── UpstreamOutcomeUnknown      a write whose answer never came (it may have happened)
    UpstreamProtocolError               an answer we cannot read (bad JSON, page cap exceeded)
    UpstreamLimitExceeded               the request's own budget (deadline, upstream calls) is spent

Messages carry the route name and the upstream's own words, never a URL with
parameters, a key or a token.
"""

from __future__ import annotations

import orjson


class UpstreamError(Exception):
    """An upstream call that failed; ``status`` is the HTTP status (0 when no answer came)."""

    status: int = 0

    def __init__(self, message: str, *, route: str = "", error: str = "",
                 status: int | None = None, source: str = "GO4Schools") -> None:
        super().__init__(message)
        self.message = message
        self.route = route
        self.error = error
        self.source = source
        if status is not None:
            self.status = status

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, route={self.route!r}, message={self.message!r})"


class UpstreamBadRequest(UpstreamError):
    status = 400


class UpstreamUnauthorized(UpstreamError):
    status = 401


class UpstreamForbidden(UpstreamError):
    status = 403

    @property
    def reason(self) -> str:
        """The reference's reason: Module Disabled, Embargo Enabled or Not Enabled For Bromcom."""
        return self.message


class UpstreamNotFound(UpstreamError):
    status = 404


class UpstreamRateLimited(UpstreamError):
    status = 429

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class UpstreamServerError(UpstreamError):
    status = 500


class UpstreamUnavailable(UpstreamError):
    """No usable answer: a timeout, a connection error, or the circuit is open."""

    status = 0


class UpstreamOutcomeUnknown(UpstreamUnavailable):
    """A write was sent but no answer came: it may or may not have been saved."""


class UpstreamProtocolError(UpstreamError):
    """The upstream answered something we cannot read, or more pages than we allow."""

    status = 502


class UpstreamLimitExceeded(UpstreamError):
    """A call the request may not make: its deadline or its upstream-call budget is spent.

    Not the upstream's fault and not retried; the public code is LIMIT_EXCEEDED with
    ``limit`` (e.g. "deadline", "upstreamCalls"), ``value`` and ``max``.
    """

    status = 0

    def __init__(self, message: str, *, limit: str, value: float, max: float, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.limit = limit
        self.value = value
        self.max = max


_BY_STATUS: dict[int, type[UpstreamError]] = {
    400: UpstreamBadRequest,
    401: UpstreamUnauthorized,
    403: UpstreamForbidden,
    404: UpstreamNotFound,
    429: UpstreamRateLimited,
}

_DEFAULT_MESSAGES = {
    400: "Bad Request",
    401: "The API key is invalid.",
    403: "Forbidden",
    404: "The resource could not be found.",
    429: "Too many requests sent in a given amount of time.",
    500: "We had a problem with our server. Please try again later.",
}


def parse_error_body(status: int, body: bytes) -> tuple[str, str]:
    """(error, message) from an error body, tolerating JSON of several shapes or plain text."""
    error, message = "", ""
    try:
        data = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        data = None
    if isinstance(data, dict):
        error = str(data.get("error") or data.get("title") or "")
        message = str(data.get("message") or data.get("error_message")
                      or data.get("detail") or data.get("Message") or "")
    elif isinstance(data, str):
        message = data
    elif body and status < 500:
        message = body[:300].decode("utf-8", "replace").strip()
    if not message:
        message = _DEFAULT_MESSAGES.get(status, _DEFAULT_MESSAGES[500] if status >= 500 else "")
    return error, message


def error_for_status(status: int, body: bytes, *, route: str, source: str = "GO4Schools",
                     retry_after: float | None = None) -> UpstreamError:
    """The typed exception for an upstream error answer."""
    error, message = parse_error_body(status, body)
    if status == 429:
        return UpstreamRateLimited(message, retry_after=retry_after, route=route,
                                   error=error, source=source)
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = UpstreamServerError if status >= 500 else UpstreamError
    return cls(message, route=route, error=error, status=status, source=source)
