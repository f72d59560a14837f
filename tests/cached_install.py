"""Tools the suite installs once under the user's cache folder (the deployment validators from
PyPI, the node clients from npm): one folder per pin set, built under a lock, and a test that
needs them skips (saying why) only when the registry cannot be reached."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest


def cache_dir(name: str, pins: bytes) -> Path:
    """``~/.cache/go4graph/<name>-<hash of the pins>``."""
    tag = hashlib.sha256(pins).hexdigest()[:12]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "go4graph"
    return base / f"{name}-{tag}"


@contextmanager
def building(target: Path) -> Iterator[bool]:
    """Hold the folder's lock; yields whether it still has to be built (a half-built one from
    an interrupted run is removed first)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f"{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / "ready").exists():
            yield False
            return
        shutil.rmtree(target, ignore_errors=True)
        yield True


def install(target: Path, command: Sequence[str], *, cwd: Path | None, what: str,
            offline: Sequence[str], ready: str, timeout: int) -> None:
    """Run the install ``command``; mark ``target`` ready, or skip (registry unreachable) or fail."""
    result = subprocess.run(list(command), cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        shutil.rmtree(target, ignore_errors=True)
        output = result.stdout + result.stderr
        if any(sign in output for sign in offline):
            pytest.skip(f"the package registry cannot be reached to install {what}: "
                        f"{output.strip().splitlines()[-1]}")
        pytest.fail(f"installing {what} failed:\n{output[-3000:]}")
    (target / "ready").write_text(ready + "\n")
