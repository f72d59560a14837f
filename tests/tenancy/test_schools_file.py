"""The schools file is read once at start-up; a bad one stops start-up with one line naming
GO4GRAPH_SCHOOLS_FILE and never echoing a key. ``go4graph token`` makes tokens for it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gateway import cli
from gateway.app import create_app
from gateway.settings import SettingsError, load_settings
from gateway.simulator import DEMO_KEY, SECOND_KEY
from gateway.trust import TOKEN_PREFIX, load_schools, new_token, token_hash
from tests.conftest import SECRETS, Gateway
from tests.tenancy.conftest import UPSTREAM, bearer

HASH = token_hash("g4g_example")


def school(code: str = "DEMO", key: str = DEMO_KEY, **extra: Any) -> dict[str, Any]:
    return {"code": code, "api_key": key, "tokens": [HASH], **extra}


@pytest.mark.parametrize(("content", "words"), [
    ("{not json", "not valid JSON"),
    (json.dumps({"schools": []}), "schools"),
    (json.dumps([school()]), "valid dictionary"),
    (json.dumps({"schools": [school(tokens=["g4g_plain-token-not-a-hash"])]}), "not a 'sha256:<64 hex>' hash"),
    (json.dumps({"schools": [school(), school(key=SECOND_KEY)]}), "listed twice: DEMO"),
    (json.dumps({"schools": [school(), school("DEMO2")]}), "share one api_key"),
    (json.dumps({"schools": [school(apikey="x")]}), "schools.0.apikey"),
    (json.dumps({"schools": [{"code": "DEMO", "tokens": [HASH]}]}), "schools.0.api_key"),
    (json.dumps({"schools": [school(api_key=" ")]}), "schools.0.api_key"),
])
def test_a_bad_file_is_one_line_naming_the_variable(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "schools.json"
    path.write_text(content)
    with pytest.raises(SettingsError) as err:
        load_schools(path)
    message = str(err.value)
    assert message.startswith("invalid configuration: GO4GRAPH_SCHOOLS_FILE: ")
    assert words in message, message
    assert "\n" not in message
    assert DEMO_KEY not in message and SECOND_KEY not in message
    # The gateway refuses to start on it.
    with pytest.raises(SettingsError):
        create_app(load_settings(upstream_url=UPSTREAM, schools_file=path))


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(upstream_url=UPSTREAM, schools_file=tmp_path / "absent.json")
    assert "GO4GRAPH_SCHOOLS_FILE" in str(err.value) and "no such file" in str(err.value)


def test_serve_fails_fast_on_a_bad_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "schools.json"
    path.write_text(json.dumps({"schools": [school(tokens=["plain"])]}))
    monkeypatch.setenv("GO4GRAPH_UPSTREAM_URL", UPSTREAM)
    monkeypatch.setenv("GO4GRAPH_SCHOOLS_FILE", str(path))
    with pytest.raises(SystemExit) as exit_:
        cli._settings_or_exit()
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "GO4GRAPH_SCHOOLS_FILE" in err[0]


def test_the_token_command_prints_a_token_once_and_its_hash_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["token", "--school", "DEMO"])
    out = capsys.readouterr()
    token, hash_line = out.out.strip().splitlines()
    SECRETS.add(token)
    assert token.startswith(TOKEN_PREFIX) and len(token) >= 40
    assert hash_line == token_hash(token)
    assert hash_line.startswith("sha256:") and len(hash_line) == 7 + 64
    assert "DEMO" in out.err and token not in out.err
    cli.main(["token", "--school", "DEMO"])
    assert capsys.readouterr().out.splitlines()[0] != token  # a new random token each time


async def test_a_token_from_the_command_opens_its_school(
        make_upstream_gateway: Callable[..., Gateway], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["token", "--school", "DEMO2"])
    token, hash_line = capsys.readouterr().out.strip().splitlines()
    SECRETS.add(token)
    path = tmp_path / "schools.json"
    path.write_text(json.dumps({"schools": [
        {"code": "DEMO", "api_key": DEMO_KEY, "tokens": []},
        {"code": "DEMO2", "name": "Second", "api_key": SECOND_KEY, "tokens": [hash_line]}]}))
    gw = make_upstream_gateway(schools_file=path)
    data = await gw.gql("{ schools { code } }", headers=bearer(token))
    assert data["data"]["schools"] == [{"code": "DEMO2"}]


def test_tokens_are_random_and_hashes_are_stable() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    t = next(iter(tokens))
    assert token_hash(t) == token_hash(f" {t} ")
    assert token_hash(t) != token_hash(t + "x")


def test_the_loaded_file_never_shows_a_key(tmp_path: Path) -> None:
    path = tmp_path / "schools.json"
    path.write_text(json.dumps({"schools": [school(assembly_token="assembly-secret-xyz")]}))
    trust = load_schools(path)
    text = repr(trust.schools) + repr(trust.tenants_for("g4g_example"))
    assert DEMO_KEY not in text and "assembly-secret-xyz" not in text
    (tenant,) = trust.tenants_for("g4g_example").values()
    assert tenant.school_code == "DEMO" and tenant.credential.reveal() == DEMO_KEY
    assert tenant.assembly is not None and tenant.assembly.reveal() == "assembly-secret-xyz"
    assert tenant.caller == "token:" + HASH[7:19]
