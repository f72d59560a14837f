"""The Assembly Platform client: year groups and their students, page/per_page paging, conditional GETs.

Shares the GO4Schools client's retry, error mapping and logging rules (``UpstreamCaller``).
A resource fetched with ``if_modified_since`` that has not changed comes back as
``NotModified`` so the caller keeps its cached body instead of downloading it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import orjson

from gateway import metrics
from gateway.shared.secrets import Credential
from gateway.upstream.caller import UpstreamCaller
from gateway.upstream.errors import UpstreamProtocolError

ACCEPT = "application/vnd.assembly+json; version=1"
MAX_PER_PAGE = 200

#: Assembly's routes, by name: the same idea as GO4Schools' routes table.
ASSEMBLY_ROUTES: dict[str, str] = {
    "assembly-year-groups": "/year_groups",
    "assembly-year-group": "/year_groups/{group_id}",
    "assembly-year-group-students": "/year_groups/{group_id}/students",
}


@dataclass(frozen=True, slots=True)
class AssemblyFetched:
    data: Any  # every page's `data` items (a list), or the object for a single year group
    pages: int
    last_modified: str | None


@dataclass(frozen=True, slots=True)
class NotModified:
    """The upstream answered 304: the cached copy is still current."""

    last_modified: str | None


class AssemblyClient:
    source = "Assembly"

    def __init__(self, caller: UpstreamCaller, base_url: str, *, max_pages: int = 1000,
                 per_page: int = MAX_PER_PAGE) -> None:
        self._caller = caller
        self._base = base_url.rstrip("/")
        self._max_pages = max_pages
        self.per_page = min(max(per_page, 1), MAX_PER_PAGE)

    def _url(self, route: str, **params: object) -> str:
        path = ASSEMBLY_ROUTES[route]
        for name, value in params.items():
            path = path.replace("{" + name + "}", quote(str(value), safe=""))
        return self._base + path

    async def year_groups(self, token: Credential, *, year_code: str | None = None,
                          if_modified_since: str | None = None) -> AssemblyFetched | NotModified:
        query = {"year_code": year_code} if year_code else {}
        return await self._list("assembly-year-groups", self._url("assembly-year-groups"), token,
                                query, if_modified_since)

    async def year_group(self, token: Credential, group_id: int) -> AssemblyFetched:
        url = self._url("assembly-year-group", group_id=group_id)
        answer = await self._caller.call("GET", url, route="assembly-year-group",
                                         headers=_headers(token), tenant=token.fingerprint)
        body = _json(answer.body)
        if not isinstance(body, dict):
            raise UpstreamProtocolError("Assembly assembly-year-group answered an unexpected shape",
                                        route="assembly-year-group", source=self.source)
        return AssemblyFetched(body, 1, answer.headers.get("last-modified"))

    async def year_group_students(self, token: Credential, group_id: int, *,
                                  if_modified_since: str | None = None) -> AssemblyFetched | NotModified:
        url = self._url("assembly-year-group-students", group_id=group_id)
        return await self._list("assembly-year-group-students", url, token, {}, if_modified_since)

    async def _list(self, route: str, url: str, token: Credential, query: dict[str, str],
                    if_modified_since: str | None) -> AssemblyFetched | NotModified:
        items: list[Any] = []
        page, pages = 1, 0
        last_modified: str | None = None
        while True:
            if pages >= self._max_pages:
                raise UpstreamProtocolError(f"Assembly {route} had more than {self._max_pages} pages",
                                            route=route, source=self.source)
            headers = _headers(token)
            if if_modified_since and page == 1:
                headers["if-modified-since"] = if_modified_since
            answer = await self._caller.call(
                "GET", url, route=route, headers=headers,
                params={**query, "page": str(page), "per_page": str(self.per_page)},
                ok=(200, 304), tenant=token.fingerprint)
            pages += 1
            if answer.status == 304:
                metrics.REVALIDATIONS.labels(self.source, route).inc()
                return NotModified(answer.headers.get("last-modified") or if_modified_since)
            last_modified = last_modified or answer.headers.get("last-modified")
            body = _json(answer.body)
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise UpstreamProtocolError(f"Assembly {route} answered an unexpected shape",
                                            route=route, source=self.source)
            items.extend(body["data"])
            next_page = body.get("next_page")
            total_pages = body.get("total_pages")
            if next_page is None and not (isinstance(total_pages, int) and page < total_pages):
                break
            try:
                following = int(next_page) if next_page is not None else page + 1
            except (TypeError, ValueError):
                raise UpstreamProtocolError(f"Assembly {route} answered an unreadable next_page",
                                            route=route, source=self.source) from None
            if following <= page:
                raise UpstreamProtocolError(f"Assembly {route} paging went backwards",
                                            route=route, source=self.source)
            page = following
        return AssemblyFetched(items, pages, last_modified)


def _headers(token: Credential) -> dict[str, str]:
    return {"authorization": f"Bearer {token.reveal()}", "accept": ACCEPT}


def _json(body: bytes) -> Any:
    if not body.strip():
        raise UpstreamProtocolError("Assembly answered an empty body", source="Assembly")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise UpstreamProtocolError("Assembly answered something that is not JSON",
                                    source="Assembly") from None
