"""Step 1 of /graphql: reading the request into a GraphQL-over-HTTP envelope of the right types.

The body is read as it streams in and refused (413) past ``GO4GRAPH_MAX_BODY_BYTES`` without
reading further (a larger ``Content-Length`` is refused before the first byte); a GET's query
string likewise. ``variables`` and ``extensions`` must be JSON objects (400 otherwise, as
GraphQL over HTTP allows), ``variables`` no larger than ``GO4GRAPH_MAX_VARIABLES_BYTES``
(413). A POST names its content type: ``application/json`` (or ``application/graphql`` for a
bare document; any type with a CSRF preflight header, gateway/http/csrf.py, is read as
JSON); a POST without one is refused with 415.

``Exchange`` is what one request carries from step to step.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request

from gateway import metrics
from gateway.http.answers import ClientGone, Refused
from gateway.upstream import budget as request_budget

if TYPE_CHECKING:
    from graphql import DocumentNode, OperationDefinitionNode

    from gateway.graph.context import Context
    from gateway.http.cost import Estimate
    from gateway.http.persisted import Registration

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]

#: Asks for the cost estimate in ``extensions.cost``: this header, or ``extensions.cost`` true.
COST_HEADER = "x-go4graph-cost"


@dataclass
class Envelope:
    """The request's GraphQL parameters, each of its declared type (the text not yet resolved)."""

    query: str | None = None
    operation_name: str | None = None
    variables: dict[str, Any] | None = None
    extensions: dict[str, Any] | None = None
    document_id: str | None = None


@dataclass
class Exchange:
    """What one request carries from step to step."""

    request: Request
    request_id: str
    media: str
    wants_graphql_response: bool
    budget: request_budget.RequestBudget
    started: float = field(default_factory=time.perf_counter)
    op: str = metrics.OTHER
    envelope: Envelope = field(default_factory=Envelope)
    query: str = ""
    context: Context | None = None
    document: DocumentNode | None = None
    operation: OperationDefinitionNode | None = None
    estimate: Estimate | None = None
    wants_cost: bool = False
    kept_as: Any = None
    #: An automatic persisted query sent with its text: stored once the document validates.
    registration: Registration | None = None
    #: How the text was named, for the request log: "text", "trusted", "apq-hit", "apq-register".
    source: str = ""

    @property
    def operation_name(self) -> str | None:
        return self.envelope.operation_name

    @property
    def variables(self) -> dict[str, Any] | None:
        return self.envelope.variables


async def read_envelope(request: Request, receive: Receive, *, max_body: int,
                        max_variables: int) -> Envelope:
    """The request's envelope, within the size limits, as plain values of the right types."""
    if request.method == "GET":
        size = len(request.scope.get("query_string", b""))
        if size > max_body:
            raise Refused.limit(413, "The query string is too large", "bodyBytes", size, max_body)
        payload = _get_payload(request)
    elif request.method == "POST":
        body = await read_body(request, receive, max_body)
        payload = _post_payload(request, body)
    else:
        raise Refused(405, "Use GET or POST", "BAD_USER_INPUT")
    return _envelope(payload, max_variables)


def wants_cost(request: Request, envelope: Envelope) -> bool:
    extensions = envelope.extensions or {}
    return (request.headers.get(COST_HEADER, "").lower() in ("1", "true", "yes")
            or extensions.get("cost") is True)


def _envelope(payload: dict[str, Any], max_variables: int) -> Envelope:
    query = payload.get("query")
    if query is not None and not isinstance(query, str):
        raise Refused(400, "query must be a string", "BAD_USER_INPUT")
    operation_name = payload.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise Refused(400, "operationName must be a string", "BAD_USER_INPUT")
    variables = payload.get("variables")
    if variables is not None:
        if not isinstance(variables, dict):
            raise Refused(400, "variables must be a JSON object", "BAD_USER_INPUT")
        size = len(orjson.dumps(variables))
        if size > max_variables:
            raise Refused.limit(413, "The variables are too large", "variablesBytes", size,
                                max_variables)
    extensions = payload.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise Refused(400, "extensions must be a JSON object", "BAD_USER_INPUT")
    document_id = payload.get("documentId")
    return Envelope(query=query, operation_name=operation_name, variables=variables or None,
                    extensions=extensions,
                    document_id=document_id if isinstance(document_id, str) and document_id else None)


def _get_payload(request: Request) -> dict[str, Any]:
    params = request.query_params
    payload: dict[str, Any] = {"query": params.get("query"),
                               "operationName": params.get("operationName"),
                               "documentId": params.get("documentId")}
    for name in ("variables", "extensions"):
        if params.get(name):
            try:
                payload[name] = orjson.loads(params[name])
            except orjson.JSONDecodeError:
                raise Refused(400, f"{name} is not valid JSON", "BAD_USER_INPUT") from None
    return payload


def _post_payload(request: Request, body: bytes) -> dict[str, Any]:
    ctype = request.headers.get("content-type", "")
    if not ctype.split(";", 1)[0].strip():
        raise Refused(415, "The request has no Content-Type: send the GraphQL request as "
                      "application/json", "BAD_USER_INPUT")
    if "application/graphql" in ctype and "json" not in ctype:
        return {"query": body.decode("utf-8", "replace")}
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Refused(400, "The request body is not valid JSON", "BAD_USER_INPUT") from None
    if not isinstance(payload, dict):
        raise Refused(400, "The request body must be a JSON object (batches are not supported)",
                      "BAD_USER_INPUT")
    return payload


async def read_body(request: Request, receive: Receive, limit: int) -> bytes:
    """The body, refused (413) as soon as it is known to pass ``limit``; no byte more is read."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise Refused.limit(413, f"The request body is larger than {limit} bytes", "bodyBytes",
                            int(declared), limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise Refused.limit(413, f"The request body is larger than {limit} bytes", "bodyBytes",
                                size, limit)
        if chunk:
            chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
