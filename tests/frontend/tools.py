"""The front-end clients, pinned, installed once under the user's cache folder with ``npm ci``.

``package.json`` and ``package-lock.json`` here pin graphql-http (the GraphQL-over-HTTP
audit), @apollo/client and urql (with their persisted-query links). The first run copies them
to ``~/.cache/go4graph/frontend-<hash of the lockfile>`` and runs ``npm ci`` there (about 10 s);
later runs reuse it. A lock keeps two test runs from installing at once. Each run of one of
this folder's node scripts copies it into a fresh folder beside that ``node_modules``. When
the npm registry cannot be reached the tests skip and say so; any other failure fails them.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
LOCK = HERE / "package-lock.json"

_OFFLINE = ("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ETIMEDOUT", "ECONNRESET", "ENETUNREACH",
            "network request", "getaddrinfo", "proxy")


def tools_dir() -> Path:
    tag = hashlib.sha256(LOCK.read_bytes()).hexdigest()[:12]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "go4graph"
    return base / f"frontend-{tag}"


def ensure_node_modules() -> Path:
    """The folder holding ``node_modules`` (and this folder's scripts), installing it once."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        pytest.fail("node and npm are needed (the front-end tests run real node clients): install "
                    "Node.js 20+ with npm")
    target = tools_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f"{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / "ready").exists():
            shutil.rmtree(target, ignore_errors=True)  # a half-built one from an interrupted run
            target.mkdir()
            shutil.copy(HERE / "package.json", target)
            shutil.copy(LOCK, target)
            result = subprocess.run(
                [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--fetch-retries=1",
                 "--fetch-timeout=30000"], cwd=target, capture_output=True, text=True, timeout=600)
            if result.returncode != 0:
                shutil.rmtree(target, ignore_errors=True)
                output = result.stdout + result.stderr
                if any(sign in output for sign in _OFFLINE):
                    pytest.skip("the npm registry cannot be reached to install the front-end "
                                f"clients: {output.strip().splitlines()[-1]}")
                pytest.fail(f"npm ci of tests/frontend failed:\n{output[-3000:]}")
            (target / "ready").write_text(LOCK.name + "\n")
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
