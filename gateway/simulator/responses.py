"""JSON responses and the reference's error table, as the simulator answers them.

Every GO4Schools error body is ``{"status", "error", "message"}`` with the
"Error" and "Error Message" columns of the reference's table.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

ERROR_NAMES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
               405: "Not found", 429: "Too Many Request", 500: "Internal server",
               502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
DEFAULT_MESSAGES = {400: "Bad Request", 401: "The API key is invalid.", 403: "Module Disabled",
                    404: "The resource could not be found.",
                    429: "Too many requests sent in a given amount of time."}
SERVER_MESSAGE = "We had a problem with our server. Please try again later."

INVALID_YEAR = "Invalid Academic Year"
INVALID_YEAR_GROUP = "Invalid Year Group"
INVALID_REPORT = "Invalid Report ID"
INVALID_CURSOR = "Invalid Cursor"
INVALID_DATE = "Invalid date."
MODULE_DISABLED = "Module Disabled"
EMBARGO = "Embargo Enabled"
BROMCOM = "Not Enabled For Bromcom"


class SimError(Exception):
    """An error answer, raised anywhere in a handler and turned into a response at the edge."""

    def __init__(self, status: int, message: str | None = None, *,
                 headers: dict[str, str] | None = None, error: str | None = None) -> None:
        self.status = status
        self.error = error or ERROR_NAMES.get(status, "Internal server" if status >= 500 else "Error")
        self.message = message or DEFAULT_MESSAGES.get(status, SERVER_MESSAGE)
        self.headers = headers or {}
        super().__init__(f"{status} {self.message}")

    def body(self) -> dict[str, Any]:
        return {"status": self.status, "error": self.error, "message": self.message}


def bad_request(message: str) -> SimError:
    return SimError(400, message)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code=status, headers=headers,
                    media_type="application/json")


def error_response(err: SimError, extra: dict[str, Any] | None = None) -> Response:
    return json_response({**(extra or {}), **err.body()}, err.status, err.headers)


def empty_response(status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(b"", status_code=status, headers=headers)
