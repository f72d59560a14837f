"""The go4graph command: bad configuration stops start-up with one clear line, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.cli import main


def _serve(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GO4GRAPH_")}
    return subprocess.run([sys.executable, "-m", "gateway.cli", "serve", "--port", "0"],
                          env={**clean, **env}, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("env, variable", [
    ({"GO4GRAPH_MAX_DEPTH": "deep"}, "GO4GRAPH_MAX_DEPTH"),
    ({"GO4GRAPH_CACHE_URL": "mongodb://x"}, "GO4GRAPH_CACHE_URL"),
    ({"GO4GRAPH_UPSTREAM_URL": "ftp://example"}, "GO4GRAPH_UPSTREAM_URL"),
    ({"GO4GRAPH_SCHOOLS_FILE": "/no/such/file.json"}, "GO4GRAPH_SCHOOLS_FILE"),
    ({"GO4GRAPH_LOG_LEVEL": "chatty"}, "GO4GRAPH_LOG_LEVEL"),
])
def test_a_bad_value_is_one_line_naming_the_variable(env: dict[str, str], variable: str) -> None:
    result = _serve(env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0] and "Traceback" not in result.stderr


def test_a_server_key_alone_is_refused_with_the_reason() -> None:
    secret = "server-held-key-271828"
    result = _serve({"GO4GRAPH_UPSTREAM_URL": "https://example.invalid/customer/v1",
                     "GO4GRAPH_API_KEY": secret})
    assert result.returncode == 2
    assert "GO4GRAPH_ALLOW_ANONYMOUS" in result.stderr
    assert secret not in result.stderr + result.stdout


def test_export_schema_check_passes_on_the_committed_schema(capsys: pytest.CaptureFixture[str]) -> None:
    main(["export-schema", "--check"])  # exits 1 when stale (tests/test_schema_contract.py says why)


# --- empty means unset (compose passes ${X:-} as an empty string) -----------------------

OPTIONAL = ["GO4GRAPH_UPSTREAM_URL", "GO4GRAPH_API_KEY", "GO4GRAPH_SCHOOLS_FILE",
            "GO4GRAPH_ASSEMBLY_URL", "GO4GRAPH_ASSEMBLY_TOKEN", "GO4GRAPH_TRUSTED_DOCUMENTS",
            "GO4GRAPH_RATE_LIMIT", "GO4GRAPH_OTEL_ENDPOINT", "GO4GRAPH_SECRETS_DIR",
            "GO4GRAPH_AUDIT_LOG", "GO4GRAPH_CACHE_URL", "GO4GRAPH_MAX_DEPTH",
            "GO4GRAPH_ALLOW_ANONYMOUS", "GO4GRAPH_CACHE_TTLS", "GO4GRAPH_DRAIN_SECONDS"]


def test_every_empty_variable_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    from gateway.settings import Settings, load_settings

    for name in OPTIONAL:
        monkeypatch.setenv(name, "")
    assert set(OPTIONAL) <= {f"GO4GRAPH_{f.upper()}" for f in Settings.model_fields}
    settings = load_settings()
    defaults = Settings.model_construct()
    for name in OPTIONAL:
        field = name.removeprefix("GO4GRAPH_").lower()
        assert getattr(settings, field) == getattr(defaults, field), name
    assert settings.schools_file is None and settings.demo


def test_empty_schools_file_starts_the_demo_in_a_real_process() -> None:
    """The compose file's ``GO4GRAPH_SCHOOLS_FILE: ${GO4GRAPH_SCHOOLS_FILE:-}``, as the gateway sees it."""
    code = ("from gateway.cli import _settings_or_exit; s = _settings_or_exit(); "
            "print(s.schools_file, s.upstream_url, s.demo)")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GO4GRAPH_")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env={**clean, "GO4GRAPH_SCHOOLS_FILE": "", "GO4GRAPH_UPSTREAM_URL": ""})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["None", "None", "True"]


def test_settings_are_read_from_a_secrets_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A mounted Secret (files named like the variables) supplies what the environment does not."""
    from gateway.settings import load_settings

    (tmp_path / "GO4GRAPH_CACHE_URL").write_text("redis://:s3cret-pw@redis:6379/0\n")
    monkeypatch.setenv("GO4GRAPH_SECRETS_DIR", str(tmp_path))
    monkeypatch.delenv("GO4GRAPH_CACHE_URL", raising=False)
    assert load_settings().cache_url == "redis://:s3cret-pw@redis:6379/0"
    monkeypatch.setenv("GO4GRAPH_CACHE_URL", "memory://")  # the variable wins over the file
    assert load_settings().cache_url == "memory://"


# --- each start-up mistake: one line, a non-zero exit, nothing printed before it ----------

def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and "serving" not in result.stderr
    return lines[0]


def test_an_unwritable_audit_log_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    line = _one_line(_serve({"GO4GRAPH_AUDIT_LOG": str(blocker / "audit.jsonl")}))
    assert line.startswith("go4graph: ") and "GO4GRAPH_AUDIT_LOG" in line


def test_a_busy_port_is_one_line_before_serving() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        clean = {k: v for k, v in os.environ.items() if not k.startswith("GO4GRAPH_")}
        result = subprocess.run([sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)],
                                env=clean, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    line = _one_line(result)
    assert line == f"go4graph: cannot listen on 127.0.0.1:{port}: address already in use"


def test_a_server_key_without_an_upstream_is_refused_not_ignored() -> None:
    secret = "server-held-key-314159"
    line = _one_line(_serve({"GO4GRAPH_API_KEY": secret}))
    assert "GO4GRAPH_API_KEY needs GO4GRAPH_UPSTREAM_URL" in line
    assert secret not in line


@pytest.mark.parametrize("url", ["https://api.example.invalid", "https://api.example.invalid/customer",
                                 "https://api.example.invalid/customer/v2"])
def test_an_upstream_url_not_ending_in_customer_v1_is_refused(url: str) -> None:
    line = _one_line(_serve({"GO4GRAPH_UPSTREAM_URL": url}))
    assert "GO4GRAPH_UPSTREAM_URL" in line and "/customer/v1" in line


def test_a_missing_secrets_folder_is_one_line(tmp_path: Path) -> None:
    line = _one_line(_serve({"GO4GRAPH_SECRETS_DIR": str(tmp_path / "absent")}))
    assert "GO4GRAPH_SECRETS_DIR" in line


def test_export_schema_check_outside_the_repo_says_the_file_is_missing(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "gateway.cli", "export-schema", "--check"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    line = _one_line(result)
    assert "schema/schema.graphql: no such file" in line and "out of date" not in line


def test_the_collector_threshold_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """GO4GRAPH_GC_THRESHOLD sets the young generation's threshold when the app is built (the
    other two keep Python's ratios); a bad value is a clear start-up error."""
    import gc

    from gateway.app import create_app
    from gateway.settings import SettingsError, load_settings

    saved = gc.get_threshold()
    try:
        create_app(load_settings())
        assert gc.get_threshold() == (20_000, saved[1], saved[2])
        monkeypatch.setenv("GO4GRAPH_GC_THRESHOLD", "700")
        create_app(load_settings())
        assert gc.get_threshold()[0] == 700
        monkeypatch.setenv("GO4GRAPH_GC_THRESHOLD", "-1")
        with pytest.raises(SettingsError, match="GO4GRAPH_GC_THRESHOLD"):
            load_settings()
    finally:
        gc.set_threshold(*saved)
