"""Per-school fairness upstream: a circuit breaker and a concurrency gate for each tenant
(school credential), kept for the most recently used tenants only."""

from __future__ import annotations

import asyncio
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


@dataclass(slots=True)
class TenantGate:
    """One tenant's share of an upstream: its own concurrency bound and its own circuit."""

    semaphore: asyncio.Semaphore
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
        gate = TenantGate(asyncio.Semaphore(self._concurrency),
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
