"""Every write attempt is audited, including those refused before a resolver runs.

The mutation resolvers audit what they see (``gateway.graph.attendance_write``): refusals
for authentication, tenancy, row count and bad rows, attempts and outcomes. Some
attempts never reach them: a cross-site request (``gateway.http.csrf``), a mutation sent
with GET, a rate-limited client, a document that fails to parse or validate (depth,
aliases...) and variables that fail coercion (a malformed date). This ASGI middleware,
just outside CSRF prevention, gives each ``/graphql`` request the server's own request id
(``scope["state"]``, and ``X-Request-Id`` when the caller sent none), and when a request
that asked for a mutation ends without any audit record, writes one ``refused`` record
naming the refusal by a fixed word and its code — never the caller's text.

It looks at a request only when its body or query string contains the word ``mutation``
(or names a document by its hash: a trusted document or an automatic persisted query; queries
pass through untouched) and reads at most ``PEEK`` bytes of a body for that.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import orjson
from graphql import GraphQLError, OperationType, get_operation_ast, parse
from starlette.datastructures import Headers

from gateway.audit import Auditor, AuditUnavailable, bound, caller_request_id, record
from gateway.http.trusted import TrustedDocuments, load_manifest

if TYPE_CHECKING:
    from gateway.services import Services

log = logging.getLogger("go4graph.audit")

#: Bytes of a request body looked at to tell a mutation; a larger body is still served.
PEEK = 1 << 20
_MUTATION = re.compile(r"(^|[^A-Za-z0-9_])mutation([^A-Za-z0-9_]|$)")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_]")

#: The fixed word of a refusal by the response it had.
_BY_CODE = {"UNAUTHENTICATED": "authentication", "FORBIDDEN": "not-permitted",
            "LIMIT_EXCEEDED": "limit", "RATE_LIMITED": "rate-limited",
            "PERSISTED_QUERY_NOT_FOUND": "unknown-document",
            "PERSISTED_QUERY_NOT_SUPPORTED": "unknown-document", "BAD_USER_INPUT": "bad-input",
            "UPSTREAM_UNAVAILABLE": "upstream-unavailable", "INTERNAL": "internal"}


def _payload(method: str, query_string: bytes, headers: Headers, body: bytes) -> dict[str, Any]:
    """The request's GraphQL envelope as far as it can be read (any content type)."""
    if method == "GET":
        params = parse_qs(query_string.decode("latin-1"))
        return {k: v[0] for k, v in params.items() if v}
    try:  # whatever the content type says: a forged request's JSON hides behind text/plain or a form
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    if isinstance(data, dict):
        return data
    text = body.decode("utf-8", "replace")
    params = parse_qs(text)
    if "query" in params:
        return {k: v[0] for k, v in params.items() if v}
    return {"query": text}  # application/graphql, multipart or garbage: judged by its words


def asks_for_mutation(payload: dict[str, Any], max_tokens: int) -> bool:
    query = payload.get("query")
    if not isinstance(query, str):
        return False
    name = payload.get("operationName")
    try:
        operation = get_operation_ast(parse(query, max_tokens=max_tokens),
                                      name if isinstance(name, str) else None)
    except GraphQLError:
        return bool(_MUTATION.search(query))  # unparseable, but meant as a write
    if operation is None:
        return bool(_MUTATION.search(query))
    return operation.operation == OperationType.MUTATION


def _problem(status: int, state: dict[str, Any], answer: bytes) -> tuple[str, str | None]:
    """(fixed word, error code) of a refused write, from the response it had."""
    refusal = state.get("go4graph_refusal")
    code = None
    body: Any = None
    try:
        body = orjson.loads(answer)
    except orjson.JSONDecodeError:
        pass
    if isinstance(body, dict):
        errors = body.get("errors") or []
        first = errors[0] if errors and isinstance(errors[0], dict) else {}
        ext = first.get("extensions")
        ext = ext if isinstance(ext, dict) else {}
        code = ext.get("code") if isinstance(ext.get("code"), str) else None
        if refusal is None and "data" not in body and code == "BAD_USER_INPUT":
            refusal = "mutation-over-get" if status == 405 else "invalid-request"
        if refusal is None and body.get("data") is None and errors and not first.get("path"):
            refusal = "malformed-input" if code == "BAD_USER_INPUT" else None
    if refusal is None:
        refusal = _BY_CODE.get(code or "", "refused")
    return refusal, bound(code, 32)


class MutationAudit:
    """ASGI middleware: a server request id per request, and a record for unaudited write attempts."""

    def __init__(self, app: Any, services: Services, path: str = "/graphql") -> None:
        self.app = app
        self.services = services
        self.path = path
        settings = services.settings
        #: Trusted documents, to tell a mutation named only by its hash (None: none configured).
        #: Never buffer past the endpoint's own body limit: it refuses at the first byte over.
        self._peek = min(PEEK, settings.max_body_bytes + 1)
        self._trusted = (TrustedDocuments(load_manifest(settings.trusted_documents), only=False)
                         if settings.trusted_documents else None)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if (scope["type"] != "http" or scope["path"].rstrip("/") != self.path
                or scope["method"] not in ("GET", "POST")):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        rid = uuid.uuid4().hex[:16]
        state["go4graph_request_id"] = rid
        headers = Headers(scope=scope)
        state["go4graph_caller_request_id"] = caller_request_id(headers.get("x-request-id"))
        if "x-request-id" not in headers:
            scope["headers"] = [*scope.get("headers", []), (b"x-request-id", rid.encode())]
        query_string: bytes = scope.get("query_string") or b""
        body = b""
        more = False
        replay = receive
        if scope["method"] == "POST":
            chunks = []
            size = 0
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    chunks.append(b"")
                    break
                chunk = message.get("body", b"")
                chunks.append(chunk)
                size += len(chunk)
                more = bool(message.get("more_body"))
                if not more or size >= self._peek:
                    break
            body = b"".join(chunks)
            sent = False

            async def replay() -> dict[str, Any]:
                nonlocal sent
                if not sent:
                    sent = True
                    return {"type": "http.request", "body": body, "more_body": more}
                return await receive()  # type: ignore[no-any-return]

        by_id = any(word in part for part in (query_string, body)
                    for word in (b"documentId", b"persistedQuery"))
        candidate = by_id or b"mutation" in query_string or (not more and b"mutation" in body)
        if not candidate:
            await self.app(scope, replay, send)
            return
        status = 0
        answer: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body" and sum(map(len, answer)) < PEEK:
                answer.append(message.get("body", b""))
            await send(message)

        await self.app(scope, replay, capture)
        if state.get("go4graph_audited"):
            return
        try:
            payload = _payload(scope["method"], query_string, headers, body)
            if by_id:  # a trusted document or an automatic persisted query, named by its hash
                named = self._named(payload)
                if named is not None:
                    if not _MUTATION.search(named):
                        return  # a query named by its hash (the usual case): nothing to parse
                    payload = {**payload, "query": named}
            if not asks_for_mutation(payload, self.services.settings.max_tokens):
                return
            await self._record(state, headers, payload, status, b"".join(answer))
        except Exception as exc:  # the answer is already sent: never fail the request here
            log.error("write refusal not audited", extra={"error": type(exc).__name__})

    def _named(self, payload: dict[str, Any]) -> str | None:
        """The text of the document a request names by its hash, when this process knows it
        (after the endpoint's answer: an automatic persisted query it ran is known by then)."""
        digest: Any = payload.get("documentId")
        extensions: Any = payload.get("extensions")
        if isinstance(extensions, str):  # a GET's query-string parameter
            try:
                extensions = orjson.loads(extensions)
            except orjson.JSONDecodeError:
                extensions = None
        if not isinstance(digest, str) and isinstance(extensions, dict):
            persisted = extensions.get("persistedQuery")
            digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if not isinstance(digest, str):
            return None
        digest = digest.removeprefix("sha256:").lower()
        if self._trusted is not None and digest in self._trusted.documents:
            return self._trusted.documents[digest]
        endpoint = self.services.extras.get("graphql_endpoint")
        text = endpoint.persisted.peek(digest) if endpoint is not None else None
        return text if isinstance(text, str) else None

    async def _record(self, state: dict[str, Any], headers: Headers, payload: dict[str, Any],
                      status: int, answer: bytes) -> None:
        problem, code = _problem(status, state, answer)
        resolved = self.services.tenancy.resolve(headers)
        tenants = list(resolved.tenants.values())
        name = payload.get("operationName")
        variables = payload.get("variables")
        inputs = variables.get("inputs") if isinstance(variables, dict) else None
        entry = record(action="graphql-mutation", tenant=tenants[0].id if len(tenants) == 1 else None,
                       caller=tenants[0].caller if tenants else None, outcome="refused",
                       request_id=state["go4graph_request_id"],
                       caller_request_id=state.get("go4graph_caller_request_id"),
                       problem=problem, code=code, http_status=status,
                       operation=bound(_SAFE_NAME.sub("", name), 64) if isinstance(name, str) else None,
                       rows=len(inputs) if isinstance(inputs, list) else None)
        try:
            await Auditor(self.services).write(entry, "refusal")
        except AuditUnavailable:
            pass  # logged and counted; the refusal itself stands
