"""The GO4Schools customer API client: fetch a whole resource (every page) or post the one write."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

import orjson

from gateway.shared.secrets import Credential
from gateway.upstream.answers import Fetched
from gateway.upstream.caller import Answer, Lease, UpstreamCaller
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
                    query: Mapping[str, str] | None = None, *,
                    on_page: Callable[[list[Any]], None] | None = None) -> Fetched:
        """The whole resource: walks ``cursor``/``has_more`` to the end for paged routes.

        With ``on_page``, a paged route's items are handed to it page by page, as each page
        is read (while the next one is on its way), and not kept: ``Fetched.data`` is empty.
        """
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
        return await self._walk(route, url, headers, dict(query or {}), tenant, on_page)

    async def _walk(self, route: Route, url: str, headers: dict[str, str],
                    query: dict[str, str], tenant: str,
                    on_page: Callable[[list[Any]], None] | None = None) -> Fetched:
        """Every page, or an ``UpstreamProtocolError``: a walk that cannot be trusted to the end
        (a page that is not JSON or lacks its list, a cursor that repeats, too many pages)
        fails whole, so nothing of it reaches the cache."""
        async with self._caller.lease(tenant) as lease:
            walk = _Walk(self, route, url, headers, query, lease, on_page)
            try:
                fetched = await walk.run()
            finally:
                await walk.drop_ahead()
        self._last_pages[route.name] = fetched.pages
        return fetched

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


#: A page at least this big has the next page asked for before it is read (``_Walk``): reading
#: 1.5 MB of marks takes ~15 ms, a step of the walk's chain; a small page is read at once.
READ_AHEAD_OVER = 64 * 1024

#: An envelope whose last members are its has_more and cursor (in either order), read from
#: the end of the body: ``{"items": [...], "has_more": true, "cursor": 100}``. Anchored to
#: the one closing brace at the very end, so it cannot match a nested object or a string.
_TAIL = re.compile(
    rb'"has_more"\s*:\s*true\s*,\s*"cursor"\s*:\s*(-?\d+|"[^"\\]*")\s*}\s*$'
    rb'|"cursor"\s*:\s*(-?\d+|"[^"\\]*")\s*,\s*"has_more"\s*:\s*true\s*}\s*$')


def peek_cursor(body: bytes) -> object:
    """The next page's cursor as the end of a page's body gives it, before reading the body
    (None when the tail does not say plainly that there is a next page)."""
    match = _TAIL.search(body[-256:])
    if match is None:
        return None
    raw = match.group(1) or match.group(2)
    return raw[1:-1].decode() if raw.startswith(b'"') else int(raw)


class _Walk:
    """One walk of a paged route's pages, in its caller's slots (``Lease``).

    A big page's next page is asked for before the page is read: its cursor is read from
    the end of the body (``peek_cursor``), the request goes out, and the page is read while
    it travels. The page, once read, must say the same (has_more and that cursor), or the
    walk fails as any other untrustworthy walk does; the request sent ahead is then dropped.
    """

    def __init__(self, client: GO4SchoolsClient, route: Route, url: str,
                 headers: dict[str, str], query: dict[str, str], lease: Lease,
                 on_page: Callable[[list[Any]], None] | None) -> None:
        self.client, self.route, self.url, self.headers = client, route, url, headers
        self.query, self.lease, self.on_page = query, lease, on_page
        self.ahead: asyncio.Task[Answer] | None = None
        self.ahead_cursor: object = None

    def _call(self, cursor: object, priority: float,
              sent: asyncio.Event | None = None) -> Coroutine[Any, Any, Answer]:
        page_query = dict(self.query)
        if cursor is not None:
            page_query["cursor"] = str(cursor)
        return self.client._caller.call("GET", self.url, route=self.route.name,
                                        headers=self.headers, params=page_query or None,
                                        priority=priority, lease=self.lease, sent=sent)

    async def _ask_ahead(self, cursor: object) -> None:
        """Send the next page's request, and come back once it is written out (or over: a
        transport that does not report writes, an in-process one, makes this a plain wait)."""
        sent = asyncio.Event()
        self.ahead, self.ahead_cursor = asyncio.ensure_future(
            self._call(cursor, NEXT_PAGE, sent)), cursor
        written = asyncio.ensure_future(sent.wait())
        try:
            await asyncio.wait({self.ahead, written}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            written.cancel()

    async def drop_ahead(self) -> None:
        """Cancel a request sent ahead that the walk will not use (it failed first)."""
        ahead, self.ahead = self.ahead, None
        if ahead is None:
            return
        ahead.cancel()
        await asyncio.wait({ahead})  # its end, whatever it is, is not raised here
        if not ahead.cancelled():
            ahead.exception()  # retrieved: not logged as never retrieved

    async def run(self) -> Fetched:
        route, max_pages = self.route, self.client._max_pages
        items: list[Any] = []
        cursor: object = None
        seen: set[object] = set()
        pages = 0
        # Never walked (or last time longer than a page): expected long, so its first page has
        # a head start. Each next page is a step of a chain already under way: it keeps the
        # walk's slot (``Lease``) unless a caller has waited longer than its head start.
        last = self.client._last_pages.get(route.name, 2)
        answer = await self._call(None, LONG_WALK if last > 1 else OTHER)
        while True:
            pages += 1
            ahead: object = None
            if len(answer.body) >= READ_AHEAD_OVER and pages < max_pages:
                ahead = peek_cursor(answer.body)
                if ahead is not None and ahead != cursor and ahead not in seen:
                    await self._ask_ahead(ahead)  # written out before this page is read
            body = _json(answer.body, route)
            if isinstance(body, list):  # tolerant: an unpaged answer from a paged route
                self._take(items, body)
                break
            if not isinstance(body, dict):
                raise UpstreamProtocolError(f"{route.title} answered an unexpected shape",
                                            route=route.name)
            page = body.get(route.items_key or "")
            if not isinstance(page, list):
                raise UpstreamProtocolError(
                    f"{route.title} answered a page without its '{route.items_key}' list",
                    route=route.name)
            self._take(items, page)
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
            if pages >= max_pages:
                raise UpstreamProtocolError(
                    f"{route.title} had more than {max_pages} pages; raise "
                    "GO4GRAPH_UPSTREAM_MAX_PAGES if that is expected", route=route.name)
            if self.ahead is not None:
                if self.ahead_cursor != cursor or type(self.ahead_cursor) is not type(cursor):
                    raise UpstreamProtocolError(
                        f"{route.title} answered a page whose end and body disagree",
                        route=route.name)
                next_page, self.ahead = self.ahead, None
                answer = await next_page
            else:
                answer = await self._call(cursor, NEXT_PAGE)
        if self.ahead is not None:  # the end of the body said more; the body itself did not
            raise UpstreamProtocolError(f"{route.title} answered a page whose end and body disagree",
                                        route=route.name)
        return Fetched(items, pages)

    def _take(self, items: list[Any], page: list[Any]) -> None:
        if self.on_page is None:
            items.extend(page)
        else:
            self.on_page(page)


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
