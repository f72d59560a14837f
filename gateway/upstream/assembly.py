"""The Assembly Platform client: its routes in the one routes table, page/per_page paging,
conditional GETs.

Shares the GO4Schools client's retry, error mapping and logging rules (``UpstreamCaller``).
A resource fetched with ``if_modified_since`` that has not changed comes back as
``NotModified`` so the store keeps its cached copy instead of downloading it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from gateway import metrics
from gateway.shared.secrets import Credential
from gateway.upstream.answers import Fetched, NotModified
from gateway.upstream.caller import Lease, UpstreamCaller
from gateway.upstream.errors import UpstreamProtocolError
from gateway.upstream.gates import NEXT_PAGE, OTHER
from gateway.upstream.routes import ASSEMBLY, ROUTES, Route

__all__ = ["ACCEPT", "MAX_PER_PAGE", "AssemblyClient", "AssemblyFetched", "NotModified"]

ACCEPT = "application/vnd.assembly+json; version=1"
MAX_PER_PAGE = 200
SOURCE = "Assembly"

#: The name this client's answers had before they were the one ``Fetched``.
AssemblyFetched = Fetched


class AssemblyClient:
    source = SOURCE

    def __init__(self, caller: UpstreamCaller, base_url: str, *, max_pages: int = 1000,
                 per_page: int = MAX_PER_PAGE) -> None:
        self._caller = caller
        self._base = base_url.rstrip("/")
        self._max_pages = max_pages
        self.per_page = min(max(per_page, 1), MAX_PER_PAGE)

    async def fetch(self, route_name: str, token: Credential,
                    params: Mapping[str, object] | None = None,
                    query: Mapping[str, str] | None = None, *,
                    if_modified_since: str | None = None) -> Fetched | NotModified:
        """The whole resource (every page of a listing), or ``NotModified`` after a 304."""
        route = ROUTES[route_name]
        if route.method != "GET" or route.source != ASSEMBLY:
            raise ValueError(f"{route_name} is not an Assembly GET route")
        url = self._base + route.path(**dict(params or {}))
        if route.paging == "page":
            return await self._list(route, url, token, dict(query or {}), if_modified_since)
        headers = _headers(token)
        if if_modified_since:
            headers["if-modified-since"] = if_modified_since
        answer = await self._caller.call("GET", url, route=route.name, headers=headers,
                                         params=dict(query) if query else None,
                                         ok=(200, 304), tenant=token.fingerprint)
        if answer.status == 304:
            metrics.REVALIDATIONS.labels(self.source, route.name).inc()
            return NotModified(answer.headers.get("last-modified") or if_modified_since)
        body = _json(answer.body)
        if not isinstance(body, dict):
            raise UpstreamProtocolError(f"Assembly {route.title} answered an unexpected shape",
                                        route=route.name, source=self.source)
        return Fetched(body, 1, answer.headers.get("last-modified"))

    # The calls by name (tests and tools); the store goes through ``fetch``.
    async def year_groups(self, token: Credential, *, year_code: str | None = None,
                          if_modified_since: str | None = None) -> Fetched | NotModified:
        return await self.fetch("assembly-year-groups", token,
                                query={"year_code": year_code} if year_code else None,
                                if_modified_since=if_modified_since)

    async def year_group(self, token: Credential, group_id: int) -> Fetched | NotModified:
        return await self.fetch("assembly-year-group", token, {"group_id": group_id})

    async def year_group_students(self, token: Credential, group_id: int, *,
                                  if_modified_since: str | None = None) -> Fetched | NotModified:
        return await self.fetch("assembly-year-group-students", token, {"group_id": group_id},
                                if_modified_since=if_modified_since)

    async def _list(self, route: Route, url: str, token: Credential, query: dict[str, str],
                    if_modified_since: str | None) -> Fetched | NotModified:
        async with self._caller.lease(token.fingerprint) as lease:
            return await self._pages(route, url, token, query, if_modified_since, lease)

    async def _pages(self, route: Route, url: str, token: Credential, query: dict[str, str],
                     if_modified_since: str | None, lease: Lease) -> Fetched | NotModified:
        name = route.name
        items: list[Any] = []
        page, pages = 1, 0
        last_modified: str | None = None
        while True:
            if pages >= self._max_pages:
                raise UpstreamProtocolError(f"Assembly {name} had more than {self._max_pages} pages",
                                            route=name, source=self.source)
            headers = _headers(token)
            if if_modified_since and page == 1:
                headers["if-modified-since"] = if_modified_since
            answer = await self._caller.call(
                "GET", url, route=name, headers=headers,
                params={**query, "page": str(page), "per_page": str(self.per_page)},
                ok=(200, 304), priority=NEXT_PAGE if pages else OTHER, lease=lease)
            pages += 1
            if answer.status == 304:
                metrics.REVALIDATIONS.labels(self.source, name).inc()
                return NotModified(answer.headers.get("last-modified") or if_modified_since)
            last_modified = last_modified or answer.headers.get("last-modified")
            body = _json(answer.body)
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise UpstreamProtocolError(f"Assembly {name} answered an unexpected shape",
                                            route=name, source=self.source)
            items.extend(body["data"])
            next_page = body.get("next_page")
            total_pages = body.get("total_pages")
            if next_page is None and not (isinstance(total_pages, int) and page < total_pages):
                break
            try:
                following = int(next_page) if next_page is not None else page + 1
            except (TypeError, ValueError):
                raise UpstreamProtocolError(f"Assembly {name} answered an unreadable next_page",
                                            route=name, source=self.source) from None
            if following <= page:
                raise UpstreamProtocolError(f"Assembly {name} paging went backwards",
                                            route=name, source=self.source)
            page = following
        return Fetched(items, pages, last_modified)


def _headers(token: Credential) -> dict[str, str]:
    return {"authorization": f"Bearer {token.reveal()}", "accept": ACCEPT}


def _json(body: bytes) -> Any:
    if not body.strip():
        raise UpstreamProtocolError("Assembly answered an empty body", source=SOURCE)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise UpstreamProtocolError("Assembly answered something that is not JSON",
                                    source=SOURCE) from None
