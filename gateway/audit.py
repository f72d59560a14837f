"""The write audit log: JSON lines apart from the request log, written so that it fails closed.

A record says who (the caller's token id or key fingerprint — never a secret), for
which school (tenant hash), which student (the GO4Schools id and a keyed hash of the
UPN actually posted, so an auditor holding the key can match it), what mark, when,
and the outcome. Every write attempt leaves records:

- ``attempt`` is written and flushed before a row is posted; if it cannot be
  written the row is not posted (``AuditUnavailable``);
- then ``saved``, ``failed`` or ``unknown`` (the POST's answer never came);
- ``refused`` for a row or a whole request refused before anything was posted
  (authentication, tenancy, limits, row count, malformed input, cross-site);
- ``replayed`` when an idempotency key answered with an earlier outcome.

Records hold no personal data in free text: a refusal is named by a fixed word
(``problem``), never by the caller's text; every caller-supplied string is bounded;
``request_id`` is the server's own id, the caller's ``X-Request-Id`` goes, sanitised,
in ``caller_request_id``. The sink is stdout or an append-only file
(``GO4GRAPH_AUDIT_LOG``), flushed and fsynced per record.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import re
import secrets
import sys
import threading
from typing import TYPE_CHECKING, Any, Protocol, TextIO

import orjson
from prometheus_client import Counter

from gateway import clock, metrics

if TYPE_CHECKING:
    from gateway.services import Services

log = logging.getLogger("go4graph.audit")

#: Audit records that could not be written, by stage (attempt: nothing was posted; outcome:
#: the POST's outcome was answered to the client but is missing from the log; refusal).
AUDIT_FAILURES = Counter("go4graph_audit_failures", "Audit records that could not be written",
                         ["stage"], registry=metrics.REGISTRY)

#: The longest string a record holds that the caller chose (a sanitised request id, a mark code).
MAX_CALLER_TEXT = 64
_REQUEST_ID = re.compile(r"[^A-Za-z0-9._:\-]")


class AuditUnavailable(Exception):
    """The audit record could not be written (the write it was for must not happen)."""


class AuditSink(Protocol):
    def write(self, record: dict[str, Any]) -> None: ...


class StreamAuditSink:
    """JSON lines to a stream (stdout by default), flushed per record."""

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
    """JSON lines appended to a file, flushed and fsynced per record: nothing is lost on a crash.

    A file that cannot be opened or written raises from ``write`` (an ``OSError``), so the
    write it was for is refused; start-up does not fail on it (an error is logged, and the
    ``go4graph_audit_failures`` metric counts each refused record), so reads keep working.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        directory = os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError as exc:
            log.error("audit log folder cannot be created: every write will be refused",
                      extra={"error": type(exc).__name__})

    def write(self, record: dict[str, Any]) -> None:
        line = orjson.dumps(record, default=str) + b"\n"
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                written = os.write(fd, line)
                if written != len(line):
                    raise OSError("short write to the audit log")
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


def record(*, action: str, tenant: str | None, caller: str | None, outcome: str,
           **fields: Any) -> dict[str, Any]:
    return {"type": "audit", "at": clock.utcnow().isoformat(timespec="milliseconds"),
            "action": action, "tenant": tenant, "caller": caller, "outcome": outcome, **fields}


# --- what a record may hold ------------------------------------------------------------------

def bound(text: object, limit: int = MAX_CALLER_TEXT) -> str | None:
    """A caller-supplied string as a record may hold it: printable, at most ``limit`` characters."""
    if text is None:
        return None
    value = "".join(c if c.isprintable() else "?" for c in str(text)[:limit + 1])
    return value if len(value) <= limit else value[:limit - 1] + "…"


def caller_request_id(value: str | None) -> str | None:
    """The caller's X-Request-Id, sanitised: safe characters only, at most 64 of them."""
    if not value:
        return None
    return _REQUEST_ID.sub("", value[:256])[:MAX_CALLER_TEXT] or None


def audit_key(services: Services) -> bytes:
    """The HMAC key of UPN hashes: GO4GRAPH_AUDIT_SECRET, else one random key for this process."""
    key = services.extras.get("audit_key")
    if key is None:
        secret = services.settings.audit_secret
        if secret is not None and secret.get_secret_value():
            key = secret.get_secret_value().encode()
        else:
            key = secrets.token_bytes(32)
            log.warning("GO4GRAPH_AUDIT_SECRET is not set: the audit log's UPN hashes use a key "
                        "made for this process and cannot be matched after a restart")
        services.extras["audit_key"] = key
    return bytes(key)


def keyed_hash(key: bytes, value: str) -> str:
    """HMAC-SHA256 of a value (a UPN, an idempotency key), hex: matchable only with the key."""
    return hmac.new(key, value.strip().upper().encode(), hashlib.sha256).hexdigest()


class Auditor:
    """Writes records to the process's sink off the event loop; raises ``AuditUnavailable``."""

    def __init__(self, services: Services) -> None:
        self.sink = services.audit
        self.key = audit_key(services)

    def upn_hash(self, upn: str | None) -> str | None:
        return keyed_hash(self.key, upn) if upn else None

    async def write(self, entry: dict[str, Any], stage: str) -> None:
        """Write and flush one record; on failure count and log it, and raise AuditUnavailable."""
        if self.sink is None:
            return
        try:
            if isinstance(self.sink, MemoryAuditSink | StreamAuditSink):
                self.sink.write(entry)  # no disk wait: not worth a thread hop
            else:
                await asyncio.to_thread(self.sink.write, entry)  # fsync off the event loop
        except Exception as exc:
            AUDIT_FAILURES.labels(stage).inc()
            log.error("audit record not written", extra={"stage": stage, "outcome": entry.get("outcome"),
                                                         "request_id": entry.get("request_id"),
                                                         "error": type(exc).__name__})
            raise AuditUnavailable(type(exc).__name__) from None
