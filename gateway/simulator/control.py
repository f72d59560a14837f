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


@dataclass(slots=True)
class Fault:
    status: int
    remaining: int
    route: str | None
    retry_after: float | None


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

    def inject(self, status: int, times: int, route: str | None, retry_after: float | None) -> None:
        with self._lock:
            self.faults.append(Fault(status, times, route, retry_after))

    def take_fault(self, route: str) -> Fault | None:
        """The first pending fault matching ``route``, used up by one."""
        with self._lock:
            for fault in self.faults:
                if fault.remaining > 0 and fault.route in (None, route):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self.faults.remove(fault)
                    return fault
            return None
