"""Answers the walk cannot trust fail it whole (UpstreamProtocolError), and nothing is cached.

A scripted upstream (in-process ASGI) answers each request from a list of bodies, so
each broken shape is exercised exactly, on a paged route (GET Classes) and an unpaged
one (GET Subjects).
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from gateway.resources.cache import MemoryResourceCache
from gateway.resources.keys import key as rk
from gateway.resources.store import ResourceStore
from gateway.resources.tenant import Tenant
from gateway.shared.secrets import Credential
from gateway.upstream.caller import CallPolicy
from gateway.upstream.errors import UpstreamProtocolError
from gateway.upstream.http import UpstreamConfig, Upstreams

KEY = Credential("walk-test-key")


class Scripted:
    """Answers the n-th request with the n-th body (200, JSON content type)."""

    def __init__(self, bodies: list[bytes]) -> None:
        self.bodies = bodies
        self.calls = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = self.bodies[min(self.calls, len(self.bodies) - 1)]
        self.calls += 1
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


def _store(app: Scripted, max_pages: int = 50) -> tuple[ResourceStore, Upstreams]:
    ups = Upstreams(UpstreamConfig(go4schools_url="http://up/customer/v1", max_pages=max_pages,
                                   policy=CallPolicy(retries=0)), httpx.ASGITransport(app=app))
    return ResourceStore(ups.go4schools, MemoryResourceCache()), ups


def page(items: list[Any] | None, more: bool = False, cursor: Any = None, key: str = "classes") -> bytes:
    body: dict[str, Any] = {"has_more": more, "cursor": cursor}
    if items is not None:
        body[key] = items
    return orjson.dumps(body)


GOOD_CLASSES = [page([{"id": 1}], True, "10"), page([{"id": 2}])]

BROKEN = [
    pytest.param("classes", [b""], 1, id="empty-body"),
    pytest.param("classes", [b"  \n"], 1, id="blank-body"),
    pytest.param("classes", [b"<!DOCTYPE html><html></html>"], 1, id="html"),
    pytest.param("classes", [b'{"classes": [{"id": 1}'], 1, id="truncated"),
    pytest.param("classes", [b"123"], 1, id="a-number"),
    pytest.param("classes", [page(None)], 1, id="page-without-its-list"),
    pytest.param("classes", [page(None, key="other")], 1, id="page-with-another-list"),
    pytest.param("classes", [orjson.dumps({"classes": None, "has_more": False})], 1, id="null-list"),
    pytest.param("classes", [orjson.dumps({"classes": "x", "has_more": False})], 1, id="list-not-a-list"),
    pytest.param("classes", [page([{"id": 1}], True, "10"), page([{"id": 2}], True, "10")], 2,
                 id="cursor-unchanged"),
    pytest.param("classes", [page([{"id": 1}], True, "10"), page([{"id": 2}], True, "20"),
                             page([{"id": 3}], True, "10")], 3, id="cursor-seen-before"),
    pytest.param("classes", [page([{"id": 1}], True, None)], 1, id="more-without-cursor"),
    pytest.param("classes", [page([{"id": 1}], True, {"a": 1})], 1, id="unreadable-cursor"),
    pytest.param("subjects", [b""], 1, id="unpaged-empty"),
    pytest.param("subjects", [orjson.dumps({"subjects": [], "has_more": True})], 1,
                 id="unpaged-envelope"),
    pytest.param("subjects", [b'"text"'], 1, id="unpaged-string"),
    pytest.param("school", [b"[]"], 1, id="object-route-list"),
]


@pytest.mark.parametrize("route, bodies, calls", BROKEN)
async def test_a_broken_answer_fails_the_walk_and_is_not_cached(route: str, bodies: list[bytes],
                                                                calls: int) -> None:
    app = Scripted(bodies)
    store, ups = _store(app)
    tenant = Tenant(KEY)
    key = rk(route, 2027) if route != "school" else rk(route)
    try:
        with pytest.raises(UpstreamProtocolError):
            await store.load(tenant, key)
        assert app.calls == calls  # stopped at the first answer it could not trust
        assert await store.cache.get(tenant, key) is None  # nothing of the walk was cached
    finally:
        await ups.aclose()


async def test_a_walk_over_the_page_cap_fails_and_is_not_cached() -> None:
    app = Scripted([page([{"id": n}], True, str(n)) for n in range(1, 10)])
    store, ups = _store(app, max_pages=4)
    tenant, key = Tenant(KEY), rk("classes", 2027)
    try:
        with pytest.raises(UpstreamProtocolError, match="more than 4 pages"):
            await store.load(tenant, key)
        assert app.calls == 4
        assert await store.cache.get(tenant, key) is None
    finally:
        await ups.aclose()


async def test_a_good_walk_is_cached() -> None:
    """The control: the same store caches a whole, readable walk."""
    app = Scripted(GOOD_CLASSES)
    store, ups = _store(app)
    tenant, key = Tenant(KEY), rk("classes", 2027)
    try:
        loaded = await store.load(tenant, key)
        assert [r["id"] for r in loaded.table.rows] == [1, 2]
        assert (await store.load(tenant, key)).pages == 0  # from the cache
        assert app.calls == 2
    finally:
        await ups.aclose()
