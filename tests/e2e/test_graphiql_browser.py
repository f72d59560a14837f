"""GraphiQL in a real headless chromium, driven over the Chrome DevTools Protocol.

The browser starts at the gateway's root (``GET /``) and follows its GraphiQL link; the page
must render, run its default query against the gateway and show the school's
name, while fetching nothing from any host but the gateway and breaking none of its own
Content-Security-Policy. Debian's ``chromium`` is required (``.ci/run`` installs it); the
CDP client is a few lines over ``websockets`` (already a dependency through uvicorn), since
browser-driving packages from PyPI download browsers of their own.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from gateway.app import create_app
from gateway.http.graphiql import CONTENT_SECURITY_POLICY, SCRIPTS, STYLES
from gateway.settings import load_settings
from tests.conftest import Gateway, start_server

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--no-default-browser-check", "--window-size=1280,800",
         "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1"]

# Collects Content-Security-Policy violations; injected by the test harness (not subject to CSP).
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""
EDITOR_READY = """
(() => {
  const q = document.querySelector(".graphiql-query-editor .CodeMirror");
  const response = document.querySelector(".graphiql-response .CodeMirror");
  const run = document.querySelector(".graphiql-execute-button");
  if (!q || !q.CodeMirror || !response || !response.CodeMirror || !run) return null;
  const r = run.getBoundingClientRect();
  return {query: q.CodeMirror.getValue(), x: r.x + r.width / 2, y: r.y + r.height / 2,
          title: document.title};
})()
"""
#: The link to GraphiQL on the gateway's root page (GET /), and where to click it.
ROOT_LINK = """
(() => {
  const a = document.getElementById("graphiql");
  if (!a) return null;
  const r = a.getBoundingClientRect();
  return {href: a.href, x: r.x + r.width / 2, y: r.y + r.height / 2};
})()
"""
RESULT = """
(() => {
  const r = document.querySelector(".graphiql-response .CodeMirror");
  return r && r.CodeMirror ? r.CodeMirror.getValue() : "";
})()
"""


def sent_query(event: dict[str, Any]) -> bool:
    request = event["request"]
    return (request["method"] == "POST" and urlsplit(request["url"]).path == "/graphql"
            and "currentAcademicYear" in request.get("postData", ""))


class CDP:
    """A minimal Chrome DevTools Protocol client: one browser socket, flat sessions."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._next = 0
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self._arrived = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            future = self._pending.pop(message.get("id", -1), None)
            if future is None:
                self.events.append(message)
                self._arrived.set()
            elif "error" in message:
                future.set_exception(RuntimeError(f"CDP error: {message['error']}"))
            else:
                future.set_result(message.get("result", {}))

    async def send(self, method: str, params: dict[str, Any] | None = None,
                   session: str | None = None) -> dict[str, Any]:
        self._next += 1
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[self._next] = future
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        await self.ws.send(json.dumps(message))
        return await asyncio.wait_for(future, 15)

    async def evaluate(self, session: str, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", {"expression": expression,
                                                      "returnByValue": True}, session)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, session: str, expression: str, what: str) -> Any:
        """Poll a page expression until it is truthy (15 s at most)."""
        try:
            async with asyncio.timeout(15):
                while True:
                    if value := await self.evaluate(session, expression):
                        break
                    await asyncio.sleep(0.1)
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}") from None
        return value

    async def wait_event(self, method: str, match: Callable[[dict[str, Any]], bool],
                         seconds: float) -> bool:
        """Whether an event ``method`` whose params ``match`` arrives within ``seconds``."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while not any(match(p) for p in self.of(method)):
                    self._arrived.clear()
                    await self._arrived.wait()
            return True
        return False

    def of(self, method: str) -> list[dict[str, Any]]:
        return [e["params"] for e in self.events if e.get("method") == method]

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self.ws.close()


def launch(profile: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start headless chromium; return it and its DevTools browser websocket URL."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium "
                    "(apt-get install -y chromium; .ci/run does this) to run the browser tests")
    process = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Chromium writes its DevTools port and browser path here once it listens.
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 15
    while not (port_file.exists() and len(port_file.read_text().split()) >= 2):
        if process.poll() is not None:
            pytest.fail(f"chromium exited at start-up with status {process.returncode}")
        if time.monotonic() > deadline:
            stop(process)
            pytest.fail("chromium did not open its DevTools port within 15 s")
        time.sleep(0.05)
    port, path = port_file.read_text().split()[:2]
    return process, f"ws://127.0.0.1:{port}{path}"


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@contextlib.asynccontextmanager
async def chromium(profile: Path) -> AsyncIterator[CDP]:
    process, url = launch(profile)
    try:
        async with connect(url, max_size=64 * 2**20) as ws:
            cdp = CDP(ws)
            try:
                yield cdp
            finally:
                await cdp.close()
    finally:
        stop(process)


@pytest.mark.browser
async def test_graphiql_runs_the_default_query_from_the_gateway_alone(tmp_path: Path) -> None:
    app = create_app(load_settings(demo_students=60, demo_page_size=100))
    server = start_server(app)
    try:
        async with httpx.AsyncClient(base_url=server.url) as http:
            answer = (await http.post("/graphql", json={
                "query": "{ school { name currentAcademicYear } }"})).json()
            page = await http.get("/graphql", headers={"accept": "text/html"})
        school = answer["data"]["school"]
        assert school["name"] == "Demo Academy"
        assert page.status_code == 200
        assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "script-src 'self';" in CONTENT_SECURITY_POLICY

        async with asyncio.timeout(25), chromium(tmp_path / "profile") as cdp:
            target = await cdp.send("Target.createTarget", {"url": "about:blank"})
            session = (await cdp.send("Target.attachToTarget", {
                "targetId": target["targetId"], "flatten": True}))["sessionId"]
            for domain in ("Page", "Network", "Runtime"):
                await cdp.send(f"{domain}.enable", {}, session)
            await cdp.send("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH_CSP}, session)
            # A browser starts at the root: its page links GraphiQL; a real click follows it.
            await cdp.send("Page.navigate", {"url": f"{server.url}/"}, session)
            link = await cdp.wait_for(session, ROOT_LINK, "the GraphiQL link on /")
            assert link["href"] == f"{server.url}/graphql"
            for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
                await cdp.send("Input.dispatchMouseEvent", {
                    "type": kind, "x": link["x"], "y": link["y"], "button": "left",
                    "clickCount": 1}, session)

            editor = await cdp.wait_for(session, EDITOR_READY, "GraphiQL's editor")
            assert editor["title"] == "go4graph"
            assert "school" in editor["query"] and "currentAcademicYear" in editor["query"]
            # A real click on the run button (CSS pixels of the viewport). GraphiQL wires its
            # editors into the button's handler a render or two after they appear, and a
            # click before that does nothing: click again (at most 3 times) until the query
            # goes out; never while it is in flight, which would cancel it.
            for _ in range(3):
                for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
                    await cdp.send("Input.dispatchMouseEvent", {
                        "type": kind, "x": editor["x"], "y": editor["y"], "button": "left",
                        "clickCount": 1}, session)
                if await cdp.wait_event("Network.requestWillBeSent", sent_query, 2):
                    break
            text = await cdp.wait_for(session, RESULT, "the result pane")
            # The result editor shows exactly the gateway's answer.
            assert json.loads(text) == {"data": {"school": school}}

            shot = await cdp.send("Page.captureScreenshot", {"format": "png"}, session)
            screenshot = tmp_path / "graphiql.png"
            screenshot.write_bytes(base64.b64decode(shot["data"]))
            assert screenshot.stat().st_size > 10_000, screenshot

            violations = await cdp.evaluate(session, "window.__cspViolations")
            requests = [p["request"] for p in cdp.of("Network.requestWillBeSent")]
            exceptions = cdp.of("Runtime.exceptionThrown")
            console_errors = [c for c in cdp.of("Runtime.consoleAPICalled")
                              if c["type"] in ("error", "assert")]
    finally:
        server.stop()
        await app.state.services.aclose()

    assert violations == [], violations
    assert exceptions == [], exceptions
    assert console_errors == [], console_errors
    urls = [r["url"] for r in requests]
    hosts = {urlsplit(u).netloc for u in urls if not u.startswith(("data:", "about:"))}
    assert hosts == {urlsplit(server.url).netloc}, urls
    # Every asset came from the gateway, and the query went to it.
    paths = {urlsplit(u).path for u in urls}
    assert {f"/graphql/static/{name}" for name in (*STYLES, *SCRIPTS)} <= paths, urls
    assert sum(sent_query({"request": r}) for r in requests) == 1, urls


async def test_graphiql_page_and_assets_are_served_only_when_switched_on(
        make_gateway: Any) -> None:
    on: Gateway = make_gateway()
    page = await on.client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "<title>go4graph</title>" in page.text
    assert "http" not in page.text  # no absolute URLs at all: everything from the gateway
    assert "<script>" not in page.text  # no inline script: the CSP would block it
    for name in (*STYLES, *SCRIPTS):
        assert f'"graphql/static/{name}?v=' in page.text
        asset = await on.client.get(f"/graphql/static/{name}?v=1")
        assert asset.status_code == 200, name
        assert "immutable" in asset.headers["cache-control"]
        assert len(asset.content) > 500, name

    off: Gateway = make_gateway(graphiql=False)
    page = await off.client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 404
    assert "<html" not in page.text
    for name in (*STYLES, *SCRIPTS):
        assert (await off.client.get(f"/graphql/static/{name}")).status_code == 404, name
