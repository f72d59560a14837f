"""The go4graph command: bad configuration stops start-up with one clear line, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

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
