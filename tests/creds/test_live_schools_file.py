"""Trust mode's schools file is live: edits take effect without a restart, a bad edit is
refused (the last good file stays), and tokens can expire. The poll clock is the test's."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gateway import cli
from gateway.simulator import DEMO_KEY, SECOND_KEY
from gateway.trust import SchoolsFileWatcher, new_token, token_hash
from tests.conftest import SECRETS, Gateway
from tests.creds.conftest import Clock, bearer

SCHOOLS = "{ schools { code } }"


def write(path: Path, tokens: dict[str, list[Any]]) -> None:
    """A schools file: school code -> its token entries (hash strings or {hash, expires})."""
    keys = {"DEMO": DEMO_KEY, "DEMO2": SECOND_KEY}
    path.write_text(json.dumps({"schools": [
        {"code": code, "api_key": keys[code], "tokens": entries} for code, entries in tokens.items()]}))


def token() -> str:
    value = new_token()
    SECRETS.add(value)
    return value


def outcome(data: dict[str, Any]) -> list[str] | str:
    if data.get("errors"):
        return str(data["errors"][0]["extensions"]["code"])
    return sorted(s["code"] for s in data["data"]["schools"])


@pytest.fixture
def live(make_replica: Callable[..., Gateway], tmp_path: Path,
         clock: Clock) -> tuple[Gateway, SchoolsFileWatcher, Path]:
    path = tmp_path / "schools.json"
    write(path, {"DEMO": [], "DEMO2": []})
    gw = make_replica(schools_file=path, schools_file_poll=2.0)
    watcher = gw.services.tenancy.trust
    assert isinstance(watcher, SchoolsFileWatcher)
    watcher.clock = watcher.trust.clock = clock
    watcher._next = clock() + watcher.poll
    return gw, watcher, path


async def test_a_removed_token_stops_within_the_poll_interval(
        live: tuple[Gateway, SchoolsFileWatcher, Path], clock: Clock) -> None:
    gw, watcher, path = live
    keep, drop = token(), token()
    write(path, {"DEMO": [token_hash(keep), token_hash(drop)], "DEMO2": [token_hash(drop)]})
    clock.advance(2.0)
    assert outcome(await gw.gql(SCHOOLS, headers=bearer(drop))) == ["DEMO", "DEMO2"]
    write(path, {"DEMO": [token_hash(keep)], "DEMO2": []})
    # Not yet looked at: the poll is a stat every two seconds, not one per request.
    assert outcome(await gw.gql(SCHOOLS, headers=bearer(drop))) == ["DEMO", "DEMO2"]
    clock.advance(2.0)
    assert outcome(await gw.gql(SCHOOLS, headers=bearer(drop))) == "UNAUTHENTICATED"
    assert outcome(await gw.gql(SCHOOLS, headers=bearer(keep))) == ["DEMO"]


async def test_a_token_added_works_and_sighup_reloads_at_once(
        live: tuple[Gateway, SchoolsFileWatcher, Path]) -> None:
    gw, watcher, path = live
    new = token()
    assert outcome(await gw.gql(SCHOOLS, headers=bearer(new))) == "UNAUTHENTICATED"
    write(path, {"DEMO": [], "DEMO2": [token_hash(new)]})
    # The app's lifespan installs the SIGHUP handler; the signal reloads before any poll is due.
    async with gw.app.router.lifespan_context(gw.app):
        os.kill(os.getpid(), signal.SIGHUP)
        for _ in range(1000):  # the handler runs on the loop's next turns: let them come
            if watcher.trust.tenants_for(new):
                break
            await asyncio.sleep(0)
        assert outcome(await gw.gql(SCHOOLS, headers=bearer(new))) == ["DEMO2"]


async def test_a_bad_new_file_keeps_the_last_good_one_and_says_why(
        live: tuple[Gateway, SchoolsFileWatcher, Path], clock: Clock,
        caplog: pytest.LogCaptureFixture) -> None:
    gw, watcher, path = live
    good = token()
    write(path, {"DEMO": [token_hash(good)], "DEMO2": []})
    assert watcher.check()
    for bad in ("{not json", json.dumps({"schools": [{"code": "DEMO", "api_key": DEMO_KEY,
                                                       "tokens": [good]}]})):
        path.write_text(bad)  # half-written, or a token pasted where its hash belongs
        clock.advance(2.0)
        with caplog.at_level(logging.ERROR, logger="go4graph.trust"):
            assert outcome(await gw.gql(SCHOOLS, headers=bearer(good))) == ["DEMO"]
        [record] = [r for r in caplog.records
                    if r.name == "go4graph.trust" and r.levelno == logging.ERROR]
        assert "last good one" in record.getMessage()
        reason = record.__dict__["reason"]
        assert "GO4GRAPH_SCHOOLS_FILE" in reason
        assert DEMO_KEY not in reason and good not in reason
        caplog.clear()
    assert watcher.rejected == 2
    os.remove(path)  # even a deleted file keeps the last good grants
    clock.advance(2.0)
    assert outcome(await gw.gql(SCHOOLS, headers=bearer(good))) == ["DEMO"]


async def test_an_expired_token_is_refused(live: tuple[Gateway, SchoolsFileWatcher, Path],
                                           clock: Clock) -> None:
    gw, watcher, path = live
    old, soon, forever = token(), token(), token()
    later = clock() + 3600
    write(path, {"DEMO": [{"hash": token_hash(old), "expires": "2020-01-01T00:00:00Z"},
                          {"hash": token_hash(soon), "expires": _iso(later)},
                          token_hash(forever)],
                 "DEMO2": [{"hash": token_hash(soon), "expires": _iso(later + 3600)}]})
    assert watcher.check()
    data = await gw.gql(SCHOOLS, headers=bearer(old))
    assert outcome(data) == "UNAUTHENTICATED"
    assert "expired" in data["errors"][0]["message"]
    assert outcome(await gw.gql(SCHOOLS, headers=bearer(soon))) == ["DEMO", "DEMO2"]
    clock.advance(3600)  # its DEMO grant ends first; DEMO2's an hour later
    assert outcome(await gw.gql(SCHOOLS, headers=bearer(soon))) == ["DEMO2"]
    clock.advance(3600)
    assert outcome(await gw.gql(SCHOOLS, headers=bearer(soon))) == "UNAUTHENTICATED"
    assert outcome(await gw.gql(SCHOOLS, headers=bearer(forever))) == ["DEMO"]


def _iso(ts: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("bad", ["2026-13-01", "2026-12-31T00:00:00", "soon"])
def test_an_expiry_without_a_zone_or_date_is_refused(tmp_path: Path, bad: str) -> None:
    from gateway.settings import SettingsError
    from gateway.trust import load_schools

    path = tmp_path / "schools.json"
    write(path, {"DEMO": [{"hash": token_hash("g4g_x"), "expires": bad}]})
    with pytest.raises(SettingsError) as err:
        load_schools(path)
    assert "schools.0.tokens.0" in str(err.value) and DEMO_KEY not in str(err.value)


def test_the_token_command_writes_an_entry_with_an_expiry(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    cli.main(["token", "--school", "DEMO", "--expires", "2030-06-30T12:00:00+02:00"])
    value, entry = capsys.readouterr().out.strip().splitlines()
    SECRETS.add(value)
    parsed = json.loads(entry)
    assert parsed == {"hash": token_hash(value), "expires": "2030-06-30T10:00:00Z"}
    path = tmp_path / "schools.json"
    write(path, {"DEMO": [parsed]})
    watcher = SchoolsFileWatcher(path)
    assert list(watcher.tenants_for(value)) == ["DEMO"]
    with pytest.raises(SystemExit):
        cli.main(["token", "--school", "DEMO", "--expires", "next week"])
    assert "--expires" in capsys.readouterr().err
