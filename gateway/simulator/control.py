"""The simulator's observable and steerable state: request log, counts, posts, faults, school modes.

Tests read it to assert the upstream-call floor and steer it to provoke the
reference's errors. Keys are never stored in the log: a record says only
whether the key was good and which school it opened.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

#: The reference's modules, as ``disable_module`` names them.
#: The request log keeps at most this many records (a long benchmark would fill memory).
MAX_LOGGED = 200_000

MODULES = frozenset({"General", "Assessment", "Attainment", "Reports", "Attendance", "Behaviour",
                     "Contacts", "User Accounts", "Students", "Photos", "Medical", "Teaching",
                     "Timetable"})


@dataclass(frozen=True, slots=True)
class RequestRecord:
    route: str  # the route name ("students", "assembly-year-groups", "unknown"...)
    method: str
    path: str  # the full path, without the query string
    query: dict[str, str]
    status: int
    key_ok: bool
    accept: str | None = None
    school: str | None = None  # the school code the key opened


#: What an injected fault does to the requests it matches (``Simulator.inject_fault``):
#: status: answer ``status`` (with Retry-After when given) - 500, 503, 429...
#: delay: wait ``delay`` seconds, then answer normally (past the client's timeout)
#: reset: send the headers and half the body, then drop the connection
#: truncated: a complete 200 whose JSON stops half way
#: malformed: a 200 whose body is JSON with a syntax error
#: empty: a 200 with an empty body
#: html: a 200 with an HTML page (a proxy's or login page)
#: endless-cursor: every answer is a page saying has_more with a new cursor, for ever
#: repeat-cursor: every answer is a page saying has_more with the same cursor
FAULT_KINDS = frozenset({"status", "delay", "reset", "truncated", "malformed", "empty", "html",
                         "endless-cursor", "repeat-cursor"})


@dataclass(slots=True)
class Fault:
    status: int
    remaining: int
    route: str | None
    retry_after: float | None
    kind: str = "status"
    delay: float = 0.0
    school: str | None = None  # only requests with this school's key (None: any)


@dataclass(slots=True)
class SchoolMode:
    disabled: set[str] = field(default_factory=set)
    bromcom: bool = False
    attendance_mode_ok: bool = True
    embargo: bool = False
    revoked: bool = False  # the school revoked its API key: every call answers 401


class Control:
    """Counts, the request log and injected faults; safe to touch from a test thread."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.requests: list[RequestRecord] = []
        self.posted: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        self.modes: dict[str, SchoolMode] = {}
        #: Bumped by reset(): a request that arrived before a reset is not logged after it.
        self.epoch = 0
        self._lock = threading.Lock()

    def mode(self, school_code: str) -> SchoolMode:
        with self._lock:
            return self.modes.setdefault(school_code, SchoolMode())

    def reset(self) -> None:
        """Forget counts, requests, posts and pending faults (not data, not school modes)."""
        with self._lock:
            self.counts.clear()
            self.requests.clear()
            self.posted.clear()
            self.faults.clear()
            self.epoch += 1

    def count(self, route: str) -> None:
        with self._lock:
            self.counts[route] += 1

    def log(self, record: RequestRecord, epoch: int | None = None) -> None:
        with self._lock:
            if epoch is None or epoch == self.epoch:
                self.requests.append(record)
                if len(self.requests) > MAX_LOGGED:
                    del self.requests[:MAX_LOGGED // 2]  # the oldest half goes

    def inject(self, status: int, times: int, route: str | None, retry_after: float | None,
               kind: str = "status", delay: float = 0.0, school: str | None = None) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {sorted(FAULT_KINDS)}")
        with self._lock:
            self.faults.append(Fault(status, times, route, retry_after, kind, delay, school))

    def clear_faults(self, route: str | None = None) -> None:
        """Drop pending faults (of one route, or all): the upstream has recovered."""
        with self._lock:
            self.faults[:] = [f for f in self.faults if route is not None and f.route != route]

    def take_fault(self, route: str, school: str | None = None) -> Fault | None:
        """The first pending fault matching ``route`` (and the key's school), used up by one."""
        with self._lock:
            for fault in self.faults:
                if fault.remaining > 0 and fault.route in (None, route) \
                        and fault.school in (None, school):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self.faults.remove(fault)
                    return fault
            return None
