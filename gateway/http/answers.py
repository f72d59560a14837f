"""The one builder of error answers: every refusal of /graphql (and of the middleware around it)
is a GraphQL error with ``extensions.code``, made here.

``Refused`` carries a refusal from any step of the endpoint to the place that answers it;
``error_body``/``error_response`` build the bytes and the response (the CSRF middleware, which
answers with raw ASGI messages, uses ``error_body``).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
#: Longest piece of a message that may echo what the caller sent.
MAX_MESSAGE = 300


def cut(message: str, limit: int = MAX_MESSAGE) -> str:
    return message if len(message) <= limit else message[:limit] + "…"


def cut_error(error: dict[str, Any]) -> dict[str, Any]:
    if isinstance(error.get("message"), str):
        error["message"] = cut(error["message"])
    return error


def error(message: str, code: str, **extensions: Any) -> dict[str, Any]:
    """One GraphQL error: the message and its code."""
    return {"message": message, "extensions": {"code": code, **extensions}}


def error_body(errors: list[dict[str, Any]], *, data_null: bool = False,
               extensions: dict[str, Any] | None = None) -> bytes:
    """``{"errors": [...]}``, with ``"data": null`` once execution was to start, and extensions."""
    body: dict[str, Any] = {"errors": errors}
    if data_null:
        body["data"] = None
    if extensions:
        body["extensions"] = extensions
    return orjson.dumps(body)


def error_response(status: int, errors: list[dict[str, Any]], *, media: str = JSON,
                   headers: dict[str, str] | None = None, data_null: bool = False,
                   extensions: dict[str, Any] | None = None) -> Response:
    return Response(error_body(errors, data_null=data_null, extensions=extensions),
                    status_code=status, media_type=media, headers=headers)


class Refused(Exception):
    """An answer made of errors: the request stops here."""

    def __init__(self, status: int, message: str, code: str, **extensions: Any) -> None:
        super().__init__(message)
        self.status = status
        self.errors = [error(cut(message), code, **extensions)]  # it may echo the caller
        self.headers: dict[str, str] = {}
        self.outcome = "refused"

    @classmethod
    def limit(cls, status: int, message: str, limit: str, value: Any, max: Any) -> Refused:
        refused = cls(status, message, "LIMIT_EXCEEDED", limit=limit, value=value, max=max)
        refused.outcome = "limit"
        return refused

    @classmethod
    def invalid(cls, status: int, errors: list[dict[str, Any]]) -> Refused:
        """A document that does not parse or validate: graphql-core's own errors."""
        refused = cls(status, "", "BAD_USER_INPUT")
        refused.errors = [cut_error(e) for e in errors]
        refused.outcome = "invalid"
        return refused


class ClientGone(Exception):
    """The client disconnected: nobody to answer."""
