"""The deployment validators, pinned, in a venv of their own under the user's cache folder.

checkov's dependency tree is large and pins much of its own (boto3, aiohttp, pydantic, …),
so it is not part of the project's test extra: the first run creates
``~/.cache/go4graph/deploy-tools-<hash of the pins>`` with pip from PyPI (about 70 s on two
cores), later runs reuse it. A lock keeps two test runs from building it at once. When the
package registry cannot be reached the tests that need these tools skip and say so; any
other install failure fails them.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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
    pins = ",".join(f"{k}=={v}" for k, v in sorted(TOOLS.items()))
    tag = hashlib.sha256(pins.encode()).hexdigest()[:12]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "go4graph"
    return base / f"deploy-tools-{tag}"


def ensure_tools() -> Path:
    """The bin folder of the tools venv, creating it once."""
    target = tools_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f"{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / "ready").exists() and _runs(target):
            return target / "bin"
        shutil.rmtree(target, ignore_errors=True)  # a half-built one from an interrupted run
        subprocess.run([sys.executable, "-m", "venv", str(target)], check=True)
        result = subprocess.run(
            [str(target / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
             "--retries", "2", "--timeout", "30", *(f"{k}=={v}" for k, v in TOOLS.items())],
            capture_output=True, text=True, timeout=900)
        if result.returncode != 0:
            shutil.rmtree(target, ignore_errors=True)
            output = result.stdout + result.stderr
            if any(sign in output for sign in _OFFLINE):
                pytest.skip("the package registry cannot be reached to install the deployment "
                            f"validators ({', '.join(TOOLS)}): {output.strip().splitlines()[-1]}")
            pytest.fail(f"installing the deployment validators failed:\n{output[-3000:]}")
        (target / "ready").write_text(",".join(f"{k}=={v}" for k, v in TOOLS.items()) + "\n")
        return target / "bin"



def _runs(target: Path) -> bool:
    """The venv's interpreter still starts (the Python that built it may have gone)."""
    try:
        return subprocess.run([str(target / "bin" / "python"), "-c", "import checkov"],
                              capture_output=True, timeout=120).returncode == 0
    except OSError:
        return False
