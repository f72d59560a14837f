"""The GO4Schools customer API client: fetch a whole resource (every page) or post the one write."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from gateway.shared.secrets import Credential
from gateway.upstream.caller import UpstreamCaller
from gateway.upstream.errors import UpstreamProtocolError
from gateway.upstream.routes import ROUTES, Route

log = logging.getLogger("go4graph.upstream")


@dataclass(frozen=True, slots=True)
class Fetched:
    """A whole upstream resource: the items of every page (or the object), and how many pages it took."""

    data: Any
    pages: int


class GO4SchoolsClient:
    """Reads GO4Schools resources and posts session marks; routes are named, never spelled as paths."""

    source = "GO4Schools"

    def __init__(self, caller: UpstreamCaller, base_url: str, *, max_pages: int) -> None:
        self._caller = caller
        self._base = base_url.rstrip("/")
        self._max_pages = max_pages

    @property
    def circuit_open(self) -> bool:
        return self._caller.circuit.is_open

    async def fetch(self, route_name: str, credential: Credential,
                    params: Mapping[str, object] | None = None,
                    query: Mapping[str, str] | None = None) -> Fetched:
        """The whole resource: walks ``cursor``/``has_more`` to the end for paged routes."""
        route = ROUTES[route_name]
        if route.method != "GET":
            raise ValueError(f"{route_name} is not a GET route")
        url = self._base + route.path(**dict(params or {}))
        headers = _headers(credential)
        if not route.paged:
            answer = await self._caller.call("GET", url, route=route.name, headers=headers,
                                             params=dict(query) if query else None)
            return Fetched(_json(answer.body, route), 1)
        return await self._walk(route, url, headers, dict(query or {}))

    async def _walk(self, route: Route, url: str, headers: dict[str, str],
                    query: dict[str, str]) -> Fetched:
        items: list[Any] = []
        cursor: object = None
        seen: set[object] = set()
        pages = 0
        while True:
            if pages >= self._max_pages:
                raise UpstreamProtocolError(
                    f"{route.title} had more than {self._max_pages} pages; raise "
                    "GO4GRAPH_UPSTREAM_MAX_PAGES if that is expected", route=route.name)
            page_query = dict(query)
            if cursor is not None:
                page_query["cursor"] = str(cursor)
            answer = await self._caller.call("GET", url, route=route.name, headers=headers,
                                             params=page_query or None)
            pages += 1
            body = _json(answer.body, route)
            if isinstance(body, list):  # tolerant: an unpaged answer from a paged route
                items.extend(body)
                break
            if not isinstance(body, dict):
                raise UpstreamProtocolError(f"{route.title} answered an unexpected shape",
                                            route=route.name)
            page = body.get(route.items_key or "", [])
            if page is None:
                page = []
            if not isinstance(page, list):
                raise UpstreamProtocolError(f"{route.title} answered an unexpected shape",
                                            route=route.name)
            items.extend(page)
            # Tolerant reader: a missing has_more means the last page (GET Grades' example has none).
            if not body.get("has_more"):
                break
            cursor = body.get("cursor")
            if cursor is None or cursor in seen:
                raise UpstreamProtocolError(
                    f"{route.title} said it had more pages but gave no new cursor", route=route.name)
            seen.add(cursor)
        return Fetched(items, pages)

    async def post(self, route_name: str, credential: Credential, params: Mapping[str, object],
                   body: Mapping[str, Any]) -> None:
        """Send a write. Never retried blindly: a timeout is ``UpstreamOutcomeUnknown``."""
        route = ROUTES[route_name]
        if route.method != "POST":
            raise ValueError(f"{route_name} is not a POST route")
        url = self._base + route.path(**dict(params))
        headers = _headers(credential) | {"content-type": "application/json"}
        await self._caller.call("POST", url, route=route.name, headers=headers,
                                json_body=orjson.dumps(dict(body)), ok=(200, 201, 204))


def _headers(credential: Credential) -> dict[str, str]:
    # The key goes here and nowhere else.
    return {"authorization": f"Bearer {credential.reveal()}", "accept": "application/json"}


def _json(body: bytes, route: Route) -> Any:
    if not body:
        return []
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise UpstreamProtocolError(f"{route.title} answered something that is not JSON",
                                    route=route.name) from None
