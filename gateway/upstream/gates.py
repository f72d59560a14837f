"""Per-school fairness upstream: a circuit breaker and a concurrency gate for each tenant
(school credential), kept for the most recently used tenants only."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gateway import clock, metrics
from gateway.upstream.errors import UpstreamUnavailable

if TYPE_CHECKING:
    from gateway.upstream.caller import CallPolicy

log = logging.getLogger("go4graph.upstream")


class CircuitBreaker:
    """Opens after N consecutive failures of the upstream itself; then exactly one trial call.

    closed -> (N failures) -> open -> (reset time passed) -> half-open: the first caller
    becomes the one trial call, every other caller is refused at once as while open. The
    trial's success closes the circuit, its failure opens it again for another reset time,
    and a trial that ends with no verdict (cancelled, or stopped by its request's own
    deadline) hands the trial to the next caller. ``clock`` is injectable for tests.
    """

    def __init__(self, source: str, failures: int, reset: float, *,
                 clock: Callable[[], float] = clock.monotonic,
                 on_change: Callable[[bool], None] | None = None) -> None:
        self.source, self._limit, self._reset = source, failures, reset
        self._clock = clock
        self._on_change = on_change
        self._count = 0
        self._opened_at: float | None = None
        self._trial = False  # a half-open trial call is in flight

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self._trial or self._clock() - self._opened_at >= self._reset:
            return "half-open"
        return "open"

    @property
    def is_open(self) -> bool:
        """True while a call would be refused (open, or half-open with its trial in flight)."""
        if self._opened_at is None:
            return False
        return self._trial or self._clock() - self._opened_at < self._reset

    def admit(self, route: str) -> bool:
        """Let a call through or raise ``UpstreamUnavailable``; True when the call is the trial."""
        if self._opened_at is None:
            return False
        if not self._trial and self._clock() - self._opened_at >= self._reset:
            self._trial = True
            return True
        raise UpstreamUnavailable(f"{self.source} is not answering; the gateway stopped calling it for a while",
                                  route=route, source=self.source)

    def check(self, route: str) -> None:
        """Refuse at once while open (does not take the half-open trial)."""
        if self.is_open:
            raise UpstreamUnavailable(f"{self.source} is not answering; the gateway stopped calling it for a while",
                                      route=route, source=self.source)

    def forget(self) -> None:
        """No longer report state changes (the breaker was evicted from its tenant table)."""
        self._on_change = None

    def end_trial(self) -> None:
        """The trial call is over; if it gave no verdict, the next caller may try."""
        self._trial = False

    def success(self) -> None:
        was_open = self._opened_at is not None
        self._count, self._opened_at, self._trial = 0, None, False
        if was_open:
            log.info("circuit closed", extra={"source": self.source})
            if self._on_change:
                self._on_change(False)

    def failure(self) -> None:
        self._count += 1
        if self._trial or self._count >= self._limit:
            was_open = self._opened_at is not None
            if not was_open or not self.is_open:
                log.warning("circuit opened", extra={"source": self.source, "failures": self._count})
            self._opened_at = self._clock()
            self._trial = False
            if not was_open and self._on_change:
                self._on_change(True)


#: Head starts in ``PriorityGate`` (seconds): a waiter is served as if it had come that much
#: earlier. A paged walk's next page goes first, then the first page of a walk expected to be
#: long, then any other call; a bounded head start, not a strict class, so that a call that
#: starts a short walk is not held up for longer than this by long walks (no starvation).
NEXT_PAGE = 0.5
LONG_WALK = 0.25
OTHER = 0.0


class PriorityGate:
    """A counting semaphore that serves its waiters earliest (arrival - head start) first.

    Critical-path scheduling for the upstream's slots: a walk of ``n`` pages is ``n`` round
    trips one after another, so a page of a walk under way (or the first page of a walk
    expected to be long) gets a freed slot before calls that came a little earlier to start
    short walks, which then fit in beside the long one without lengthening the request. The
    bound itself is unchanged. A released slot is handed to the chosen waiter directly, so a
    newcomer cannot take it first; a waiter cancelled (its deadline, its client gone) is
    skipped, and one cancelled after being handed a slot passes it on. ``clock`` is the
    event loop's by default (injectable for tests).
    """

    __slots__ = ("_value", "_waiters", "_order", "_clock", "_dispatching")

    def __init__(self, value: int, *, clock: Callable[[], float] | None = None) -> None:
        if value < 0:
            raise ValueError("a gate's value must be >= 0")
        self._value = value
        self._waiters: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._clock = clock
        self._dispatching = False  # a hand-out of free slots is due this turn of the loop

    def locked(self) -> bool:
        """True when no slot is free (an ``acquire`` then waits for a release)."""
        return self._value == 0

    @property
    def waiting(self) -> int:
        """Callers waiting for a slot."""
        return sum(1 for *_, fut in self._waiters if not fut.done())

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    def overdue(self, head_start: float) -> bool:
        """Whether a waiter would be served before a caller asking now with ``head_start``:
        then a holder about to use its slot again with that head start should let it go."""
        while self._waiters and self._waiters[0][2].done():
            heapq.heappop(self._waiters)  # waiters that gave up
        return bool(self._waiters) and self._waiters[0][0] < self._now() - head_start

    async def acquire(self, head_start: float = OTHER) -> bool:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._waiters, (self._now() - head_start, next(self._order), fut))
        if self._value > 0 and not self._dispatching:
            # Free slots are handed out at the end of this turn of the event loop, not on the
            # spot: the calls a plan starts together (one gather) all ask in the same turn, and
            # the long walks among them get the slots first, whatever their order.
            self._dispatching = True
            loop.call_soon(self._dispatch)
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self.release()  # handed a slot, then cancelled before using it: pass it on
            raise
        return True

    def _dispatch(self) -> None:
        self._dispatching = False
        while self._value > 0 and self._waiters:
            *_, fut = heapq.heappop(self._waiters)
            if not fut.done():
                self._value -= 1
                fut.set_result(None)

    def release(self) -> None:
        while self._waiters and not self._dispatching:
            *_, fut = heapq.heappop(self._waiters)
            if not fut.done():  # skip waiters that gave up
                fut.set_result(None)
                return
        self._value += 1

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *exc: object) -> None:
        self.release()


@dataclass(slots=True)
class TenantGate:
    """One tenant's share of an upstream: its own concurrency bound and its own circuit."""

    semaphore: PriorityGate
    circuit: CircuitBreaker
    active: int = 0  # calls holding or waiting for this gate


class TenantGates:
    """Per-tenant gates, at most ``max_tenants`` of them (least recently used go first).

    One school's heavy or failing traffic then uses up only its own slots and trips only
    its own circuit. The bound keeps random credentials from growing memory: eviction
    prefers gates with no call in flight and a closed circuit, so a failing school's open
    circuit is not forgotten while idle ones remain.
    """

    def __init__(self, source: str, policy: CallPolicy, *, concurrency: int, max_tenants: int,
                 clock: Callable[[], float] = clock.monotonic) -> None:
        self.source = source
        self._policy = policy
        self._concurrency = max(concurrency, 1)
        self._max = max(max_tenants, 1)
        self._clock = clock
        self._gates: OrderedDict[str, TenantGate] = OrderedDict()

    def __len__(self) -> int:
        return len(self._gates)

    def get(self, tenant: str) -> TenantGate:
        gate = self._gates.get(tenant)
        if gate is not None:
            self._gates.move_to_end(tenant)
            return gate
        while len(self._gates) >= self._max:
            self._evict()
        gate = TenantGate(PriorityGate(self._concurrency, clock=self._clock),
                          CircuitBreaker(self.source, self._policy.circuit_failures,
                                         self._policy.circuit_reset, clock=self._clock,
                                         on_change=self._circuit_changed))
        self._gates[tenant] = gate
        return gate

    def peek(self, tenant: str) -> TenantGate | None:
        return self._gates.get(tenant)

    def _evict(self) -> None:
        victim = next((k for k, g in self._gates.items() if g.active == 0 and g.circuit.state == "closed"),
                      None)
        if victim is None:
            victim = next((k for k, g in self._gates.items() if g.active == 0), None)
        if victim is None:
            victim = next(iter(self._gates))  # every gate busy: its callers keep their reference
        gate = self._gates.pop(victim)
        gate.circuit.forget()
        if gate.circuit.state != "closed":
            self._circuit_changed(False)

    def _circuit_changed(self, opened: bool) -> None:
        gauge = metrics.CIRCUIT_OPEN.labels(self.source)  # the number of open tenant circuits
        if opened:
            gauge.inc()
        else:
            gauge.dec()

    @property
    def any_open(self) -> bool:
        return any(g.circuit.is_open for g in self._gates.values())

    @property
    def all_open(self) -> bool:
        """Every known tenant's circuit is open: the upstream looks down for everyone."""
        return bool(self._gates) and all(g.circuit.is_open for g in self._gates.values())
