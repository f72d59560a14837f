"""A big page's next page is asked for before the page is read: its cursor is read from the
end of the body (``peek_cursor``), and the page, once read, must agree with it. Small pages
are read first, as before; a page that turns out untrustworthy fails the walk whole and the
request sent ahead is dropped."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from gateway.shared.secrets import Credential
from gateway.upstream.caller import CallPolicy
from gateway.upstream.errors import UpstreamProtocolError
from gateway.upstream.go4schools import READ_AHEAD_OVER, peek_cursor
from gateway.upstream.http import UpstreamConfig, Upstreams

KEY = Credential("read-ahead-test-key")
YEAR = {"academicYear": 2026}


@pytest.mark.parametrize(("body", "cursor"), [
    (b'{"classes":[{"id":1}],"has_more":true,"cursor":100}', 100),
    (b'{"classes": [], "has_more": true, "cursor": 200}\n', 200),
    (b'{"classes":[],"cursor":"abc","has_more":true}', "abc"),
    (b'{"classes":[],"has_more":false,"cursor":null}', None),
    (b'{"classes":[],"has_more":true,"cursor":null}', None),
    (b'{"has_more":true,"cursor":100,"classes":[]}', None),  # the list last: read it first
    (b'{"classes":[{"has_more":true,"cursor":100}]}', None),  # a row's members, not the page's
    (b'{"classes":[],"x":{"has_more":true,"cursor":100}}', None),
    (b'{"classes":[],"x":"\\"has_more\\":true,\\"cursor\\":100}"}', None),
    (b'{"classes":[],"has_more":true,"cursor":1.5}', None),
])
def test_peek_reads_only_a_plain_last_has_more_and_cursor(body: bytes, cursor: object) -> None:
    assert peek_cursor(body) == cursor


def _page(first: int, more: bool, cursor: Any = None, rows: int = 0) -> bytes:
    body = {"classes": [{"id": first + i, "pad": "x" * 100} for i in range(rows)],
            "has_more": more, "cursor": cursor}
    return orjson.dumps(body)


class Pages:
    """Answers ``/classes`` by cursor from a dict of bodies; logs each request's cursor."""

    def __init__(self, bodies: dict[str, bytes]) -> None:
        self.bodies = bodies
        self.log: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        cursor = scope["query_string"].decode().removeprefix("cursor=")
        self.log.append(cursor)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": self.bodies[cursor]})


def _client(app: Pages) -> Upstreams:
    return Upstreams(UpstreamConfig(go4schools_url="http://up/customer/v1", max_pages=10,
                                    policy=CallPolicy(retries=0)), httpx.ASGITransport(app=app))


BIG = READ_AHEAD_OVER // 100 + 10  # rows that make a page bigger than READ_AHEAD_OVER


async def test_a_big_pages_next_page_is_asked_for_before_the_page_is_read() -> None:
    app = Pages({"": _page(0, True, 1000, BIG), "1000": _page(1000, True, 2000, BIG),
                 "2000": _page(2000, False, None, 3)})
    asked_before_read: list[int] = []
    ids: list[int] = []

    def on_page(items: list[Any]) -> None:
        asked_before_read.append(len(app.log))
        ids.extend(r["id"] for r in items)

    ups = _client(app)
    try:
        fetched = await ups.go4schools.fetch("classes", KEY, YEAR, on_page=on_page)
    finally:
        await ups.aclose()
    assert app.log == ["", "1000", "2000"]  # each page once: the floor is unchanged
    assert asked_before_read == [2, 3, 3]  # pages 2 and 3 were asked before 1 and 2 were read
    assert fetched.pages == 3 and fetched.data == []  # handed to on_page, not kept
    assert ids == [*range(BIG), *range(1000, 1000 + BIG), 2000, 2001, 2002]


async def test_small_pages_are_read_before_the_next_is_asked_for() -> None:
    app = Pages({"": _page(0, True, 1000, 3), "1000": _page(1000, False, None, 3)})
    asked_before_read: list[int] = []
    ups = _client(app)
    try:
        fetched = await ups.go4schools.fetch(
            "classes", KEY, YEAR, on_page=lambda items: asked_before_read.append(len(app.log)))
    finally:
        await ups.aclose()
    assert asked_before_read == [1, 2]
    assert fetched.pages == 2


@pytest.mark.parametrize("first", [
    b"<html>" + _page(0, True, 1000, BIG)[6:],  # not JSON, though its end looks like a page's
    _page(0, True, 1000, BIG).replace(b'"classes":[', b'"classes":{"x":[', 1).replace(
        b'],"has_more"', b']},"has_more"', 1),  # no list of classes
])
async def test_a_big_page_that_cannot_be_trusted_fails_the_walk_and_drops_the_read_ahead(
        first: bytes) -> None:
    app = Pages({"": first, "1000": _page(1000, True, 2000, BIG), "2000": _page(2000, False)})
    ups = _client(app)
    try:
        with pytest.raises(UpstreamProtocolError):
            await ups.go4schools.fetch("classes", KEY, YEAR)
    finally:
        await ups.aclose()
    assert app.log in (["", "1000"], [""])  # never past the request sent ahead
