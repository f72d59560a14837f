"""The front-end clients, pinned, installed once under the user's cache folder with ``npm ci``.

``package.json`` and ``package-lock.json`` here pin graphql-http (the GraphQL-over-HTTP
audit), @apollo/client and urql (with their persisted-query links). The first run copies them
to ``~/.cache/go4graph/frontend-<hash of the lockfile>`` and runs ``npm ci`` there (about 10 s);
later runs reuse it. A lock keeps two test runs from installing at once. Each run of one of
this folder's node scripts copies it into a fresh folder beside that ``node_modules``. When
the npm registry cannot be reached the tests skip and say so; any other failure fails them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.cached_install import building, cache_dir, install

HERE = Path(__file__).resolve().parent
LOCK = HERE / "package-lock.json"

_OFFLINE = ("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ETIMEDOUT", "ECONNRESET", "ENETUNREACH",
            "network request", "getaddrinfo", "proxy")


def tools_dir() -> Path:
    return cache_dir("frontend", LOCK.read_bytes())


def ensure_node_modules() -> Path:
    """The folder holding ``node_modules`` (and this folder's scripts), installing it once."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        pytest.fail("node and npm are needed (the front-end tests run real node clients): install "
                    "Node.js 20+ with npm")
    target = tools_dir()
    with building(target) as build:
        if build:
            target.mkdir()
            shutil.copy(HERE / "package.json", target)
            shutil.copy(LOCK, target)
            install(target, [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--fetch-retries=1",
                             "--fetch-timeout=30000"], cwd=target, what="the front-end clients (npm ci)",
                    offline=_OFFLINE, ready=LOCK.name, timeout=600)
    return target


def run_node(script: str, *args: str, timeout: float = 300) -> Any:
    """Run one of this folder's node scripts; its stdout is one JSON document."""
    target = ensure_node_modules()
    node = shutil.which("node")
    assert node is not None
    # This checkout's script, in a folder of its own beside node_modules (which node finds by
    # walking up): other checkouts sharing the install never see or change it.
    run = Path(tempfile.mkdtemp(prefix="run-", dir=target))
    try:
        shutil.copy(HERE / script, run / script)
        result = subprocess.run([node, str(run / script), *args], cwd=run, capture_output=True,
                                text=True, timeout=timeout)
    finally:
        shutil.rmtree(run, ignore_errors=True)
    assert result.returncode == 0, f"{script} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return json.loads(result.stdout)
