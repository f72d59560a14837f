"""The GO4Schools customer API client: fetch a whole resource (every page) or post the one write."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import orjson

from gateway.shared.secrets import Credential
from gateway.upstream.answers import Fetched
from gateway.upstream.caller import Lease, UpstreamCaller
from gateway.upstream.errors import UpstreamProtocolError
from gateway.upstream.gates import LONG_WALK, NEXT_PAGE, OTHER
from gateway.upstream.routes import GO4SCHOOLS, ROUTES, Route

__all__ = ["Fetched", "GO4SchoolsClient"]

log = logging.getLogger("go4graph.upstream")


class GO4SchoolsClient:
    """Reads GO4Schools resources and posts session marks; routes are named, never spelled as paths."""

    source = "GO4Schools"

    def __init__(self, caller: UpstreamCaller, base_url: str, *, max_pages: int) -> None:
        self._caller = caller
        self._base = base_url.rstrip("/")
        self._max_pages = max_pages
        #: Pages the last walk of each route took: a walk expected to be long asks for its
        #: first upstream slot ahead of short ones (``gates.PriorityGate``).
        self._last_pages: dict[str, int] = {}

    @property
    def circuit_open(self) -> bool:
        """Every school's circuit is open: GO4Schools looks down for all (``/readyz``)."""
        return self._caller.circuit_open

    def circuit_open_for(self, credential: Credential) -> bool:
        gate = self._caller.gates.peek(credential.fingerprint)
        return gate is not None and gate.circuit.is_open

    async def fetch(self, route_name: str, credential: Credential,
                    params: Mapping[str, object] | None = None,
                    query: Mapping[str, str] | None = None) -> Fetched:
        """The whole resource: walks ``cursor``/``has_more`` to the end for paged routes."""
        route = ROUTES[route_name]
        if route.method != "GET" or route.source != GO4SCHOOLS:
            raise ValueError(f"{route_name} is not a GO4Schools GET route")
        url = self._base + route.path(**dict(params or {}))
        headers = _headers(credential)
        tenant = credential.fingerprint
        if not route.paged:
            answer = await self._caller.call("GET", url, route=route.name, headers=headers,
                                             params=dict(query) if query else None, tenant=tenant)
            return Fetched(_expect(_json(answer.body, route), route), 1)
        return await self._walk(route, url, headers, dict(query or {}), tenant)

    async def _walk(self, route: Route, url: str, headers: dict[str, str],
                    query: dict[str, str], tenant: str) -> Fetched:
        """Every page, or an ``UpstreamProtocolError``: a walk that cannot be trusted to the end
        (a page that is not JSON or lacks its list, a cursor that repeats, too many pages)
        fails whole, so nothing of it reaches the cache."""
        async with self._caller.lease(tenant) as lease:
            fetched = await self._pages(route, url, headers, query, lease)
        self._last_pages[route.name] = fetched.pages
        return fetched

    async def _pages(self, route: Route, url: str, headers: dict[str, str],
                     query: dict[str, str], lease: Lease) -> Fetched:
        items: list[Any] = []
        cursor: object = None
        seen: set[object] = set()
        pages = 0
        # Never walked (or last time longer than a page): expected long, so its first page has
        # a head start. Each next page is a step of a chain already under way: it keeps the
        # walk's slot (``Lease``) unless a caller has waited longer than its head start.
        priority = LONG_WALK if self._last_pages.get(route.name, 2) > 1 else OTHER
        while True:
            if pages >= self._max_pages:
                raise UpstreamProtocolError(
                    f"{route.title} had more than {self._max_pages} pages; raise "
                    "GO4GRAPH_UPSTREAM_MAX_PAGES if that is expected", route=route.name)
            page_query = dict(query)
            if cursor is not None:
                page_query["cursor"] = str(cursor)
            answer = await self._caller.call("GET", url, route=route.name, headers=headers,
                                             params=page_query or None, priority=priority,
                                             lease=lease)
            pages += 1
            priority = NEXT_PAGE
            body = _json(answer.body, route)
            if isinstance(body, list):  # tolerant: an unpaged answer from a paged route
                items.extend(body)
                break
            if not isinstance(body, dict):
                raise UpstreamProtocolError(f"{route.title} answered an unexpected shape",
                                            route=route.name)
            page = body.get(route.items_key or "")
            if not isinstance(page, list):
                raise UpstreamProtocolError(
                    f"{route.title} answered a page without its '{route.items_key}' list",
                    route=route.name)
            items.extend(page)
            # Tolerant reader: a missing has_more means the last page (GET Grades' example has none).
            if not body.get("has_more"):
                break
            following = body.get("cursor")
            if isinstance(following, dict | list):
                raise UpstreamProtocolError(f"{route.title} answered an unreadable cursor",
                                            route=route.name)
            if following is None or following == cursor or following in seen:
                # Unchanged (or seen before): the walk would go round for ever; stop at once.
                raise UpstreamProtocolError(
                    f"{route.title} said it had more pages but gave no new cursor", route=route.name)
            cursor = following
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
                                json_body=orjson.dumps(dict(body)), ok=(200, 201, 204),
                                tenant=credential.fingerprint)


def _headers(credential: Credential) -> dict[str, str]:
    # The key goes here and nowhere else.
    return {"authorization": f"Bearer {credential.reveal()}", "accept": "application/json"}


#: Routes whose answer is one object; every other GET route answers a JSON array.
OBJECT_ROUTES = frozenset({"school"})


def _json(body: bytes, route: Route) -> Any:
    """The decoded body. An empty body is an error, never an empty list: caching it as one
    would hide the school's data for the resource's whole TTL."""
    if not body.strip():
        raise UpstreamProtocolError(f"{route.title} answered an empty body", route=route.name)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise UpstreamProtocolError(f"{route.title} answered something that is not JSON",
                                    route=route.name) from None


def _expect(data: Any, route: Route) -> Any:
    """An unpaged answer of the shape its route has (an object for GET Schools, else a list)."""
    wanted = dict if route.name in OBJECT_ROUTES else list
    if not isinstance(data, wanted):
        raise UpstreamProtocolError(f"{route.title} answered an unexpected shape "
                                    f"({type(data).__name__}, not a JSON {'object' if wanted is dict else 'array'})",
                                    route=route.name)
    return data
