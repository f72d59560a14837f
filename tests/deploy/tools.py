"""The deployment validators, pinned, in a venv of their own under the user's cache folder.

checkov's dependency tree is large and pins much of its own (boto3, aiohttp, pydantic, …),
so it is not part of the project's test extra: the first run creates
``~/.cache/go4graph/deploy-tools-<hash of the pins>`` with pip from PyPI (about 70 s on two
cores), later runs reuse it. A lock keeps two test runs from building it at once. When the
package registry cannot be reached the tests that need these tools skip and say so; any
other install failure fails them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.cached_install import building, cache_dir, install

TOOLS = {
    "checkov": "3.3.30",
    "kubernetes-validate": "1.37.0",
    "check-jsonschema": "0.39.0",
}

_OFFLINE = ("NewConnectionError", "Failed to establish a new connection", "Temporary failure in name resolution",
            "Name or service not known", "Network is unreachable", "ConnectTimeoutError",
            "Could not fetch URL", "ProxyError")


def tools_dir() -> Path:
    # Keyed by the pins only: the tools run on their venv's own interpreter, so runs of the
    # suite under other Python versions share one venv.
    return cache_dir("deploy-tools", ",".join(f"{k}=={v}" for k, v in sorted(TOOLS.items())).encode())


def ensure_tools() -> Path:
    """The bin folder of the tools venv, creating it once."""
    target = tools_dir()
    with building(target) as build:
        if not build and _runs(target):
            return target / "bin"
        if not build:
            shutil.rmtree(target, ignore_errors=True)  # its Python has gone: build it again
        subprocess.run([sys.executable, "-m", "venv", str(target)], check=True)
        install(target, [str(target / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
                         "--retries", "2", "--timeout", "30", *(f"{k}=={v}" for k, v in TOOLS.items())],
                cwd=None, what=f"the deployment validators ({', '.join(TOOLS)})", offline=_OFFLINE,
                ready=",".join(f"{k}=={v}" for k, v in TOOLS.items()), timeout=900)
        return target / "bin"


def _runs(target: Path) -> bool:
    """The venv's interpreter still starts (the Python that built it may have gone)."""
    try:
        return subprocess.run([str(target / "bin" / "python"), "-c", "import checkov"],
                              capture_output=True, timeout=120).returncode == 0
    except OSError:
        return False
