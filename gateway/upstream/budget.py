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

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from gateway import clock
from gateway.upstream.errors import UpstreamLimitExceeded


class RequestBudget:
    """A deadline (monotonic seconds) and an upstream-call allowance for one request.

    A budget bound inside another (``bound()`` with one already in scope, e.g. a test's
    or a batch's around a request's) is also held to the enclosing one: its charges count
    there too and its time left is the smaller of the two.
    """

    __slots__ = ("deadline", "max_calls", "calls", "timeout", "parent", "_clock")

    def __init__(self, *, timeout: float | None = None, max_calls: int | None = None,
                 clock: Callable[[], float] = clock.monotonic,
                 parent: RequestBudget | None = None) -> None:
        self._clock = clock
        self.timeout = timeout
        self.deadline = clock() + timeout if timeout is not None else None
        self.max_calls = max_calls
        self.calls = 0
        self.parent = parent

    def remaining(self) -> float | None:
        """Seconds left before the deadline, never negative; ``None`` when there is none."""
        own = None if self.deadline is None else max(0.0, self.deadline - self._clock())
        outer = self.parent.remaining() if self.parent is not None else None
        if own is None:
            return outer
        return own if outer is None else min(own, outer)

    def binding_timeout(self) -> float | None:
        """The timeout (seconds) of the budget, this or an enclosing one, whose deadline comes first."""
        best: tuple[float, float] | None = None
        node: RequestBudget | None = self
        while node is not None:
            if node.deadline is not None and node.timeout is not None:
                left = node.deadline - node._clock()
                if best is None or left < best[0]:
                    best = (left, node.timeout)
            node = node.parent
        return best[1] if best else None

    def expired(self) -> bool:
        left = self.remaining()
        return left is not None and left <= 0.0

    def check_deadline(self, route: str = "") -> None:
        if self.parent is not None:
            self.parent.check_deadline(route)
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
        if self.parent is not None:
            self.parent.charge(route, n)  # may refuse: then neither counts the call
        self.calls += n


_CURRENT: ContextVar[RequestBudget | None] = ContextVar("go4graph_request_budget", default=None)


def current() -> RequestBudget | None:
    """The budget of the request this code runs for, if any."""
    return _CURRENT.get()


@contextmanager
def bound(budget: RequestBudget | None) -> Iterator[RequestBudget | None]:
    """Run the block (and tasks it creates) under ``budget`` (held to any budget already in scope)."""
    outer = _CURRENT.get()
    if budget is not None and outer is not None and budget.parent is None and not _within(outer, budget):
        budget.parent = outer
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


def _within(budget: RequestBudget, other: RequestBudget) -> bool:
    """True when ``other`` is ``budget`` or one of its enclosing budgets (no cycles)."""
    node: RequestBudget | None = budget
    while node is not None:
        if node is other:
            return True
        node = node.parent
    return False
