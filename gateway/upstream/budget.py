"""The request's budget for upstream work: a deadline and a count of upstream calls.

One ``RequestBudget`` per GraphQL request, set by the HTTP layer with ``bound()``
and read by the upstream layer through ``current()`` (a context variable, so it
follows the request into every task it spawns). Upstream code asks two things:

- ``remaining()``: seconds left before the deadline (``None``: unbounded), so that
  retries and ``Retry-After`` waits are taken only when they fit;
- ``charge(route)``: count one upstream request, raising ``UpstreamLimitExceeded``
  (public code LIMIT_EXCEEDED) once the request has spent its allowance.

Code with no budget in scope (the CLI, background refreshes, tests) runs unbounded.

How the upstream layer uses it (``caller.UpstreamCaller``):

- ``charge(route)`` once per HTTP request sent: every page of a walk, every day of a
  range, and every retry (the allowance bounds the load put on the upstream); a call
  refused by an open circuit is not sent and not charged. A walk shared by several
  requests runs in, and is charged to, the request that started it.
- ``remaining()`` bounds the waits: a retry's backoff or a ``Retry-After`` is taken only
  while it fits (a longer Retry-After answers RATE_LIMITED with ``retryAfter`` at once),
  each attempt's timeout is cut to what is left, and waiting for an upstream slot stops at
  the deadline. With no budget (or no deadline) in scope the bound is the upstream timeout
  x retries, counted from the start of the call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from gateway.upstream.errors import UpstreamLimitExceeded


class RequestBudget:
    """A deadline (monotonic seconds) and an upstream-call allowance for one request."""

    __slots__ = ("deadline", "max_calls", "calls", "timeout", "_clock")

    def __init__(self, *, timeout: float | None = None, max_calls: int | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.timeout = timeout
        self.deadline = clock() + timeout if timeout is not None else None
        self.max_calls = max_calls
        self.calls = 0

    def remaining(self) -> float | None:
        """Seconds left before the deadline, never negative; ``None`` when there is none."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - self._clock())

    def expired(self) -> bool:
        left = self.remaining()
        return left is not None and left <= 0.0

    def check_deadline(self, route: str = "") -> None:
        if self.expired():
            assert self.timeout is not None
            raise UpstreamLimitExceeded(
                f"The request's deadline of {self.timeout:g} s passed before {route or 'the upstream call'}",
                route=route, limit="deadline", value=self.timeout, max=self.timeout)

    def charge(self, route: str = "", n: int = 1) -> None:
        """Count ``n`` upstream requests; refuse (before sending) past the allowance or deadline."""
        self.check_deadline(route)
        if self.max_calls is not None and self.calls + n > self.max_calls:
            raise UpstreamLimitExceeded(
                f"This request needs more than {self.max_calls} upstream calls",
                route=route, limit="upstreamCalls", value=self.calls + n, max=self.max_calls)
        self.calls += n


_CURRENT: ContextVar[RequestBudget | None] = ContextVar("go4graph_request_budget", default=None)


def current() -> RequestBudget | None:
    """The budget of the request this code runs for, if any."""
    return _CURRENT.get()


@contextmanager
def bound(budget: RequestBudget | None) -> Iterator[RequestBudget | None]:
    """Run the block (and tasks it creates) under ``budget``."""
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)
