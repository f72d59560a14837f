"""The write audit log: one JSON line per attempted write, kept apart from the request log.

A record says who (the caller's token id or key fingerprint — never a secret),
for which school (tenant hash), which student id, what mark, when, and the
outcome. The sink is stdout or an append-only file (GO4GRAPH_AUDIT_LOG).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import threading
from typing import Any, Protocol, TextIO

import orjson


class AuditSink(Protocol):
    def write(self, record: dict[str, Any]) -> None: ...


class StreamAuditSink:
    """JSON lines to a stream (stdout by default)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        line = orjson.dumps(record, default=str).decode() + "\n"
        with self._lock:
            stream = self._stream or sys.stdout
            stream.write(line)
            stream.flush()


class FileAuditSink:
    """JSON lines appended to a file, flushed and fsynced per record: nothing is lost on a crash."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)

    def write(self, record: dict[str, Any]) -> None:
        line = orjson.dumps(record, default=str) + b"\n"
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)


class MemoryAuditSink:
    """Keeps records in a list (tests)."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def write(self, record: dict[str, Any]) -> None:
        self.records.append(record)


def build_sink(target: str) -> AuditSink:
    if target in ("", "stdout", "-"):
        return StreamAuditSink()
    if target == "stderr":
        return StreamAuditSink(sys.stderr)
    return FileAuditSink(target)


def record(*, action: str, tenant: str, caller: str, outcome: str, **fields: Any) -> dict[str, Any]:
    return {"type": "audit", "at": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "action": action, "tenant": tenant, "caller": caller, "outcome": outcome, **fields}
