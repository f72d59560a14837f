"""The register app (issue 18) end to end: headless chromium against a gateway on the demo school.

Chosen like a teacher would: a teacher, then one of their classes on the pinned school day;
one student marked late with minutes, saved with the bulk mutation, the page reloaded, the mark
read back. Chromium is driven over the DevTools Protocol as in ``test_graphiql_browser``.
Set ``GO4GRAPH_UPDATE_SCREENSHOTS=1`` to rewrite the README's ``docs/register-app.png``.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from gateway.app import create_app
from gateway.register_app import CONTENT_SECURITY_POLICY, REGISTER_DIR, register_routes
from gateway.settings import load_settings
from tests.conftest import Gateway, start_server
from tests.e2e.test_graphiql_browser import CDP, WATCH_CSP, chromium

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "register-app.png"
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

DAY = """{ academicYear { calendar { date dayType week }
  teachers { id lastName } classes { id teacherIds period { dayOfWeek week } } } }"""
READ = """query Read($classId: ID!, $date: Date!) { academicYear { class(id: $classId) {
  students { id sessionMarks(from: $date) { session code { code } minutesLate } } } } }"""

PHASE = "(document.body && document.body.dataset.phase)"
REGISTER_ROWS = """(() => !!document.body && document.body.dataset.phase === "ready"
  && !document.getElementById("register").hidden
  && document.querySelectorAll("#rows tr").length)()"""
ROWS = """(() => [...document.querySelectorAll("#rows tr")].slice(0, 2).map(tr => ({
  id: tr.dataset.studentId, now: tr.querySelector("td.now").textContent,
  code: tr.querySelector("td.code select").value,
  minutes: tr.querySelector("td.minutes input").value,
  result: tr.querySelector("td.result").textContent})))()"""
MARK = """(() => {{ const tr = document.querySelectorAll("#rows tr")[{row}];
  const s = tr.querySelector("td.code select"); s.value = {code};
  s.dispatchEvent(new Event("change"));
  const m = tr.querySelector("td.minutes input"); m.value = {minutes};
  m.dispatchEvent(new Event("input")); }})()"""


def choose(select: str, value: str) -> str:
    """A page expression choosing ``value`` in a <select> as a user does (a change event)."""
    return f"""(() => {{ const s = document.getElementById({json.dumps(select)});
      if (![...s.options].some(o => o.value === {json.dumps(value)})) return false;
      s.value = {json.dumps(value)}; s.dispatchEvent(new Event("change")); return true; }})()"""


async def school_day(http: httpx.AsyncClient) -> tuple[dt.date, str, str]:
    """The last open day up to today (real clock), and a teacher with a class on it."""
    year = (await http.post("/graphql", json={"query": DAY})).json()["data"]["academicYear"]
    today = dt.date.today().isoformat()
    open_days = [d for d in year["calendar"] if d["dayType"] == "OPEN"]
    day = ([d for d in open_days if d["date"] <= today] or open_days)[-1]
    weekday = WEEKDAYS[dt.date.fromisoformat(day["date"]).weekday()]
    on_day = [c for c in year["classes"] if c["period"]["dayOfWeek"] == weekday
              and c["period"]["week"] in (None, day["week"]) and c["teacherIds"]]
    klass = on_day[0]
    return dt.date.fromisoformat(day["date"]), klass["teacherIds"][0], klass["id"]


async def page_session(cdp: CDP) -> str:
    target = await cdp.send("Target.createTarget", {"url": "about:blank"})
    session: str = (await cdp.send("Target.attachToTarget", {
        "targetId": target["targetId"], "flatten": True}))["sessionId"]
    for domain in ("Page", "Network", "Runtime"):
        await cdp.send(f"{domain}.enable", {}, session)
    await cdp.send("Emulation.setDeviceMetricsOverride", {
        "width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session)
    await cdp.send("Emulation.setLocaleOverride", {"locale": "en-GB"}, session)
    await cdp.send("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH_CSP}, session)
    return session


def graphql_posts(cdp: CDP) -> list[dict[str, Any]]:
    return [json.loads(p["request"]["postData"]) for p in cdp.of("Network.requestWillBeSent")
            if p["request"]["method"] == "POST" and urlsplit(p["request"]["url"]).path == "/graphql"]


@pytest.mark.browser
async def test_a_teacher_marks_a_student_late_saves_and_sees_it_after_a_reload(
        tmp_path: Path) -> None:
    app = create_app(load_settings(demo_students=240, demo_page_size=100))
    server = start_server(app)
    try:
        async with httpx.AsyncClient(base_url=server.url) as http:
            today, teacher, class_id = await school_day(http)
            # The write window's today, pinned as the write tests pin it (the real date may be
            # a weekend or a holiday); the page is opened on the same day.
            app.state.services.extras["today"] = lambda: today

            async with asyncio.timeout(60), chromium(tmp_path / "profile") as cdp:
                session = await page_session(cdp)
                url = f"{server.url}/register/?date={today.isoformat()}"
                await cdp.send("Page.navigate", {"url": url}, session)
                await cdp.wait_for(session, f"{PHASE} === 'ready' && "
                                   "document.getElementById('teacher').options.length > 1",
                                   "the teachers")
                assert await cdp.evaluate(session, choose("teacher", teacher))
                await cdp.wait_for(session, choose("class", class_id), "the teacher's class today")
                await cdp.wait_for(session, REGISTER_ROWS, "the register")
                before = await cdp.evaluate(session, ROWS)
                minutes = 17 if before[0]["minutes"] != "17" else 18

                # Mark the first student late (L) with minutes, as a user types them; the
                # second too, with more minutes than the gateway allows (its row is refused).
                await cdp.evaluate(session, MARK.format(row=0, code='"L"', minutes=minutes))
                await cdp.evaluate(session, MARK.format(row=1, code='"L"', minutes=400))
                assert await cdp.evaluate(session, "document.getElementById('save').textContent"
                                          ) == "Save 2 changes"
                await cdp.evaluate(session, "document.getElementById('save').click()")
                await cdp.wait_for(session, f"{PHASE} === 'saved'", "the save's answer")
                saved, refused = await cdp.evaluate(session, ROWS)
                assert saved["result"] == "Saved", saved
                assert saved["now"] == f"L ({minutes} min late)", saved
                assert "minutes late" in refused["result"].lower(), refused
                assert refused["now"] == before[1]["now"], refused
                summary = await cdp.evaluate(session, "document.getElementById('summary').textContent")
                assert summary == "Saved 1 of 2. 1 refused.", summary

                shot = await cdp.send("Page.captureScreenshot", {"format": "png"}, session)
                png = base64.b64decode(shot["data"])
                assert png.startswith(b"\x89PNG") and len(png) > 20_000
                (tmp_path / "register-app.png").write_bytes(png)
                if os.environ.get("GO4GRAPH_UPDATE_SCREENSHOTS") == "1":
                    SCREENSHOT.write_bytes(png)

                # The address kept the choices: a reload opens the same register, read afresh.
                await cdp.evaluate(session, "window.__beforeReload = true")
                await cdp.send("Page.reload", {"ignoreCache": True}, session)
                await cdp.wait_for(session, f"!window.__beforeReload && {REGISTER_ROWS}",
                                   "the register after the reload")
                after = await cdp.evaluate(session, ROWS)
                assert after[0] == {"id": saved["id"], "now": f"L ({minutes} min late)",
                                    "code": "L", "minutes": str(minutes), "result": ""}, after
                assert after[1] == before[1], after  # the refused row was not saved

                violations = await cdp.evaluate(session, "window.__cspViolations")
                stats = await cdp.evaluate(session, "window.registerApp.stats")
                exceptions = cdp.of("Runtime.exceptionThrown")
                console_errors = [c for c in cdp.of("Runtime.consoleAPICalled")
                                  if c["type"] in ("error", "assert")]
                urls = [p["request"]["url"] for p in cdp.of("Network.requestWillBeSent")]
                posts = graphql_posts(cdp)

            read = (await http.post("/graphql", json={"query": READ, "variables": {
                "classId": class_id, "date": today.isoformat()}})).json()
    finally:
        server.stop()
        await app.state.services.aclose()

    assert violations == [] and exceptions == [] and console_errors == [], (
        violations, exceptions, console_errors)
    hosts = {urlsplit(u).netloc for u in urls if not u.startswith(("data:", "about:"))}
    assert hosts == {urlsplit(server.url).netloc}, urls  # nothing from any other host

    # APQ: every operation went out as its hash alone first; its text went only after the
    # gateway answered PersistedQueryNotFound, registered with the same hash (the page's stats
    # count since the reload, when the gateway already knew every hash: nothing fell back).
    hash_only = [p for p in posts if "query" not in p]
    assert len(hash_only) == 5 and stats["hashOnly"] == 2, (hash_only, stats)
    assert stats["withText"] == stats["fellBack"] == 0, stats
    for post in posts:
        if "query" in post:  # registered: hash and text together, the hash the text's own
            assert post["extensions"]["persistedQuery"]["sha256Hash"] == hashlib.sha256(
                post["query"].encode()).hexdigest(), post
    for before_post, post in zip([{}, *posts], posts, strict=False):
        assert post["extensions"]["persistedQuery"]["version"] == 1 if "query" not in post else (
            "query" not in before_post and hashlib.sha256(post["query"].encode()).hexdigest()
            == before_post["extensions"]["persistedQuery"]["sha256Hash"]), post
    saves = [p for p in posts if "inputs" in p["variables"]]
    assert len(saves) == 2 and saves[0]["variables"] == saves[1]["variables"]  # hash, then text
    assert UUID.match(saves[0]["variables"]["idempotencyKey"]), saves[0]
    assert saves[0]["variables"]["inputs"] == [
        {"studentId": saved["id"], "date": today.isoformat(), "session": "AM", "code": "L",
         "minutesLate": minutes},
        {"studentId": refused["id"], "date": today.isoformat(), "session": "AM", "code": "L",
         "minutesLate": 400}]

    # And GO4Schools (the simulator) has it, as the graph reads it.
    students = read["data"]["academicYear"]["class"]["students"]
    marks = next(s["sessionMarks"] for s in students if s["id"] == saved["id"])
    assert {"session": "AM", "code": {"code": "L"}, "minutesLate": minutes} in marks


async def test_the_app_is_served_in_demo_mode_with_its_own_csp(make_gateway: Any) -> None:
    gw: Gateway = make_gateway()
    page = await gw.client.get("/register/")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert '<script type="module" src="app.js">' in page.text
    assert "http" not in page.text  # every URL relative: all from the gateway
    assert (await gw.client.get("/register")).status_code in (200, 307)
    for name in ("app.js", "graphql.js", "queries.js"):
        script = await gw.client.get(f"/register/{name}")
        assert script.status_code == 200, name
        assert script.headers["content-type"].startswith("text/javascript"), name
        assert script.headers["x-content-type-options"] == "nosniff"
    assert (await gw.client.get("/register/register.css")).status_code == 200
    assert (await gw.client.get("/register/../app.py")).status_code == 404


def test_the_app_is_not_served_against_a_real_school() -> None:
    assert register_routes(load_settings(upstream_url="http://sim/customer/v1")) == []
    assert len(register_routes(load_settings())) == 1


def test_the_app_runs_the_contract_examples_verbatim() -> None:
    """REGISTER and TAKE_REGISTER are schema/examples' operations (tested at the call floor):
    the examples are links to the files the app loads, so there is one text of each."""
    for example in ("register", "take_register"):
        assert (ROOT / "schema" / "examples" / f"{example}.graphql").samefile(
            REGISTER_DIR / f"{example}.graphql"), example
    source = (REGISTER_DIR / "queries.js").read_text()
    assert 'operation("register")' in source and 'operation("take_register")' in source


def test_the_readme_shows_the_screenshot() -> None:
    assert SCREENSHOT.read_bytes().startswith(b"\x89PNG")
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## The register app", 1)[1].split("\n## ", 1)[0]
    assert "docs/register-app.png" in section and "/register/" in section
