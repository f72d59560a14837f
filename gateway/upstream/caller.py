"""One upstream HTTP call with the rules every upstream shares.

Bounded concurrency and a circuit breaker per tenant (school credential),
explicit timeouts, retries of safe requests (429 honouring Retry-After, 5xx,
connection errors) with capped exponential backoff and jitter, all inside the
request's budget (``budget.py``), translation of every failure into the
``errors`` tree, metrics and one log line per call. httpx is used only in
``upstream/``: a move to another client is a change here and in ``http.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception, wait_exponential_jitter
from tenacity.wait import wait_base

from gateway import clock, metrics, tracing
from gateway.upstream import budget
from gateway.upstream.errors import (
    UpstreamError,
    UpstreamLimitExceeded,
    UpstreamOutcomeUnknown,
    UpstreamRateLimited,
    UpstreamServerError,
    UpstreamUnavailable,
    error_for_status,
)
from gateway.upstream.gates import OTHER, CircuitBreaker, PriorityGate, TenantGate, TenantGates

log = logging.getLogger("go4graph.upstream")


@dataclass(frozen=True, slots=True)
class CallPolicy:
    retries: int = 3
    backoff: float = 0.2
    backoff_max: float = 10.0
    circuit_failures: int = 5
    circuit_reset: float = 30.0


@dataclass(slots=True)
class Answer:
    status: int
    body: bytes
    headers: httpx.Headers


class _WaitRetryAfter(wait_base):
    """Exponential backoff with jitter, or exactly the upstream's Retry-After when it gave one.

    Whether a wait is taken at all is the stop rule's decision (``UpstreamCaller``): a
    Retry-After longer than the request has left, or than ``backoff_max``, is not waited.
    """

    def __init__(self, policy: CallPolicy) -> None:
        self._fallback = wait_exponential_jitter(multiplier=policy.backoff, max=policy.backoff_max,
                                                 jitter=policy.backoff)

    def __call__(self, retry_state):  # type: ignore[no-untyped-def]
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, UpstreamRateLimited) and exc.retry_after is not None:
            return max(exc.retry_after, 0.0)
        return self._fallback(retry_state)


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - clock.now(), 0.0)


class Lease:
    """A paged walk's upstream slots (its tenant's and the process's), kept from one page to
    the next (``UpstreamCaller.lease``): taken by its first request, used again by each next
    page unless another caller has waited longer than the page's head start, given back when
    an attempt fails (no slot is held through a retry's wait) and when the walk ends."""

    __slots__ = ("gate", "held")

    def __init__(self, gate: TenantGate) -> None:
        self.gate = gate
        self.held = False


class UpstreamCaller:
    """Sends requests for one upstream (GO4Schools or Assembly) under the shared rules.

    Concurrency is bounded twice: per tenant (``TenantGates``: its own slots and its own
    circuit breaker) and per process (``semaphore``), taken in that order so that a tenant
    waiting for its own slot holds none of the process's. Every request sent is charged
    to the request's budget (``budget.current()``), retries included: the budget counts
    the load put on the upstream. Retries and Retry-After waits are taken only while they
    fit the budget's deadline (without one: the upstream timeout x retries). Both bounds
    serve their waiters by ``priority`` (``gates.PriorityGate``): a walk's next page first.
    """

    def __init__(self, http: httpx.AsyncClient, *, source: str, policy: CallPolicy,
                 semaphore: asyncio.Semaphore | PriorityGate, tenant_concurrency: int | None = None,
                 max_tenants: int = 1000, clock: Callable[[], float] = clock.monotonic) -> None:
        self._http = http
        self.source = source
        self._policy = policy
        self._semaphore = semaphore
        self.gates = TenantGates(source, policy, concurrency=tenant_concurrency or 1_000_000,
                                 max_tenants=max_tenants, clock=clock)
        self._wait = _WaitRetryAfter(policy)

    @contextlib.asynccontextmanager
    async def lease(self, tenant: str = "") -> AsyncIterator[Lease]:
        """Slots for a walk's calls (``call(lease=...)``): a walk's next page then does not
        queue behind calls that came while its page was being read (``Lease``)."""
        lease = Lease(self.gates.get(tenant))
        lease.gate.active += 1  # not evicted between pages
        try:
            yield lease
        finally:
            lease.gate.active -= 1
            if lease.held:
                lease.held = False
                self._give(lease.gate)

    def circuit(self, tenant: str = "") -> CircuitBreaker:
        """The circuit breaker of one tenant (created on first use)."""
        return self.gates.get(tenant).circuit

    @property
    def circuit_open(self) -> bool:
        """True when every tenant's circuit is open (one school's failures do not count)."""
        return self.gates.all_open

    def _timeouts(self) -> tuple[float, float]:
        t = self._http.timeout
        return (t.read if t.read is not None else 15.0), (t.connect if t.connect is not None else 5.0)

    def _left(self, started: float) -> float | None:
        """Seconds this call may still spend waiting: the request's deadline, else timeout x retries."""
        request = budget.current()
        left = request.remaining() if request is not None else None
        if left is not None:
            return left
        timeout, _ = self._timeouts()
        return timeout * max(self._policy.retries, 1) - (clock.monotonic() - started)

    def _longest_wait(self, attempt: int, exc: BaseException | None) -> float:
        if isinstance(exc, UpstreamRateLimited) and exc.retry_after is not None:
            return max(exc.retry_after, 0.0)
        p = self._policy
        return min(p.backoff * 2.0 ** (attempt - 1) + p.backoff, p.backoff_max)

    async def call(self, method: str, url: str, *, route: str, headers: dict[str, str],
                   params: dict[str, str] | None = None, json_body: bytes | None = None,
                   ok: tuple[int, ...] = (200,), tenant: str = "", priority: float = OTHER,
                   lease: Lease | None = None, sent: asyncio.Event | None = None) -> Answer:
        """One logical call, retried when that is safe; raises an ``UpstreamError``.
        ``priority`` is its head start among calls waiting for a slot (``gates.PriorityGate``);
        with a ``lease`` (of the same tenant) the slots are the lease's. ``sent`` is set once
        the request has been written out (when the transport reports it: httpcore's trace)."""
        is_write = method != "GET"
        started = clock.monotonic()
        gate = lease.gate if lease is not None else self.gates.get(tenant)

        def retryable(exc: BaseException) -> bool:
            if isinstance(exc, UpstreamRateLimited):
                return True  # the upstream refused without acting on it
            if is_write:
                # A write is retried only when we know it never reached the upstream.
                return isinstance(exc, UpstreamUnavailable) and getattr(exc, "not_sent", False)
            return isinstance(exc, UpstreamServerError | UpstreamUnavailable) and not gate.circuit.is_open

        def stop(retry_state) -> bool:  # type: ignore[no-untyped-def]
            if retry_state.attempt_number >= self._policy.retries + 1:
                return True
            exc = retry_state.outcome.exception() if retry_state.outcome else None
            wait = self._longest_wait(retry_state.attempt_number, exc)
            if isinstance(exc, UpstreamRateLimited) and wait > self._policy.backoff_max:
                return True  # a Retry-After longer than we ever wait: RATE_LIMITED at once
            left = self._left(started)
            return left is not None and wait >= left  # the wait would not fit the deadline

        retrying = AsyncRetrying(stop=stop, wait=self._wait,
                                 retry=retry_if_exception(retryable), reraise=True,
                                 sleep=clock.sleep,
                                 before_sleep=lambda rs: self._note_retry(route, rs))
        gate.active += 1
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._once(method, url, route=route, headers=headers, params=params,
                                            json_body=json_body, ok=ok, is_write=is_write, gate=gate,
                                            priority=priority, lease=lease, sent=sent)
        finally:
            gate.active -= 1
        raise AssertionError("unreachable")  # pragma: no cover

    def _note_retry(self, route: str, retry_state) -> None:  # type: ignore[no-untyped-def]
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        cause = type(exc).__name__ if exc else "unknown"
        metrics.UPSTREAM_RETRIES.labels(self.source, route, cause).inc()
        log.info("upstream retry", extra={"source": self.source, "route": route, "cause": cause,
                                          "attempt": retry_state.attempt_number})

    async def _once(self, method: str, url: str, *, route: str, headers: dict[str, str],
                    params: dict[str, str] | None, json_body: bytes | None, ok: tuple[int, ...],
                    is_write: bool, gate: TenantGate, priority: float = OTHER,
                    lease: Lease | None = None, sent: asyncio.Event | None = None) -> Answer:
        trial = gate.circuit.admit(route)  # an open circuit answers at once, uncharged
        try:
            request = budget.current()
            if request is not None:
                request.charge(route)  # one upstream request sent; refused past the allowance
            async with self._slots(gate, request, route, priority, lease):
                with tracing.span(f"upstream {route}", **{"upstream.source": self.source,
                                                          "upstream.route": route,
                                                          "http.method": method}) as current:
                    return await self._send(method, url, route=route, headers=headers, params=params,
                                            json_body=json_body, ok=ok, is_write=is_write,
                                            span=current, circuit=gate.circuit, request=request,
                                            sent=sent)
        finally:
            if trial:
                gate.circuit.end_trial()

    @contextlib.asynccontextmanager
    async def _slots(self, gate: TenantGate, request: budget.RequestBudget | None,
                     route: str, priority: float = OTHER,
                     lease: Lease | None = None) -> AsyncIterator[None]:
        """The tenant's slot, then the process's; waiting for them counts against the deadline.
        With a lease, the slots it holds are used
        again unless another caller is due first; they are kept after a success only."""
        if lease is None or not lease.held or self._due_first(gate, priority):
            if lease is not None and lease.held:
                lease.held = False
                self._give(gate)  # another caller waited longer than our head start
            await self._take(gate, request, route, priority)
            if lease is not None:
                lease.held = True
        ok = False
        try:
            yield
            ok = True
        finally:
            if lease is None or not ok:
                if lease is not None:
                    lease.held = False
                self._give(gate)

    async def _take(self, gate: TenantGate, request: budget.RequestBudget | None, route: str,
                    priority: float) -> None:
        await self._acquire(gate.semaphore, request, route, priority)
        try:
            await self._acquire(self._semaphore, request, route, priority)
        except BaseException:
            gate.semaphore.release()
            raise

    def _give(self, gate: TenantGate) -> None:
        self._semaphore.release()
        gate.semaphore.release()

    def _due_first(self, gate: TenantGate, head_start: float) -> bool:
        """Whether a waiter for the tenant's or the process's slots goes before a caller
        asking now with ``head_start``."""
        return gate.semaphore.overdue(head_start) or (
            isinstance(self._semaphore, PriorityGate) and self._semaphore.overdue(head_start))

    @staticmethod
    async def _acquire(semaphore: asyncio.Semaphore | PriorityGate,
                       request: budget.RequestBudget | None, route: str, priority: float) -> None:
        left = request.remaining() if request is not None else None
        if isinstance(semaphore, PriorityGate):
            # Even a free slot is handed out at the end of the loop's turn, maybe to a call
            # due first: the wait is bounded by the deadline whenever there is one.
            if left is None:
                await semaphore.acquire(priority)
                return
        elif not semaphore.locked():
            await semaphore.acquire()  # returns at once, without yielding to the loop
            return
        try:
            async with asyncio.timeout(left):
                if isinstance(semaphore, PriorityGate):
                    await semaphore.acquire(priority)
                else:
                    await semaphore.acquire()
        except TimeoutError:
            raise _deadline(request, route) from None

    async def _send(self, method: str, url: str, *, route: str, headers: dict[str, str],
                    params: dict[str, str] | None, json_body: bytes | None, ok: tuple[int, ...],
                    is_write: bool, span: Any, circuit: CircuitBreaker,
                    request: budget.RequestBudget | None,
                    sent: asyncio.Event | None = None) -> Answer:
        started = time.perf_counter()
        status_label = "error"
        # Each attempt's timeout is cut to what the request has left; a timeout that fires
        # only because of that cut is the request's deadline, not the upstream's failure.
        timeout, connect = self._timeouts()
        left = request.remaining() if request is not None else None
        cut = left is not None and left < timeout
        attempt_timeout = httpx.Timeout(min(timeout, left), connect=min(connect, left)) \
            if cut and left is not None else httpx.USE_CLIENT_DEFAULT
        try:
            try:
                response = await self._http.request(method, url, headers=headers, params=params,
                                                    content=json_body, timeout=attempt_timeout,
                                                    extensions=_tell(sent))
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                status_label = "connect_error"
                if cut and isinstance(exc, httpx.TimeoutException):
                    raise _deadline(request, route) from None
                circuit.failure()
                err = UpstreamUnavailable(f"{self.source} could not be reached", route=route,
                                          source=self.source)
                err.not_sent = True  # type: ignore[attr-defined]
                raise err from None
            except httpx.TimeoutException:
                status_label = "timeout"
                if is_write:
                    if not cut:
                        circuit.failure()
                    raise UpstreamOutcomeUnknown(
                        f"{self.source} did not answer in time; the write may or may not have "
                        "been saved: read the mark back before trying again",
                        route=route, source=self.source) from None
                if cut:
                    raise _deadline(request, route) from None
                circuit.failure()
                raise UpstreamUnavailable(f"{self.source} did not answer in time", route=route,
                                          source=self.source) from None
            except httpx.HTTPError as exc:
                circuit.failure()
                status_label = "transport_error"
                cls = UpstreamOutcomeUnknown if is_write else UpstreamUnavailable
                raise cls(f"{self.source} connection failed ({type(exc).__name__})", route=route,
                          source=self.source) from None
            status_label = str(response.status_code)
            if response.status_code in ok:
                circuit.success()
                return Answer(response.status_code, response.content, response.headers)
            if response.status_code >= 500:
                circuit.failure()
            else:
                circuit.success()  # the upstream is alive; the request was wrong
            raise error_for_status(response.status_code, response.content, route=route,
                                   source=self.source,
                                   retry_after=retry_after_seconds(response.headers.get("retry-after")))
        finally:
            elapsed = time.perf_counter() - started
            metrics.UPSTREAM_CALLS.labels(self.source, route, status_label).inc()
            if span is not None:
                span.set_attribute("upstream.status", status_label)
            metrics.UPSTREAM_SECONDS.labels(self.source, route).observe(elapsed)
            log.debug("upstream call", extra={"source": self.source, "route": route,
                                              "status": status_label, "ms": round(elapsed * 1000, 1)})


def _tell(sent: asyncio.Event | None) -> dict[str, Any] | None:
    """httpx's request extensions that set ``sent`` once the request is written out."""
    if sent is None:
        return None

    async def trace(name: str, info: dict[str, Any]) -> None:
        if name.endswith("send_request_body.complete"):
            sent.set()

    return {"trace": trace}


def _deadline(request: budget.RequestBudget | None, route: str) -> UpstreamLimitExceeded:
    timeout = request.binding_timeout() if request is not None else None
    limit = timeout if timeout is not None else 0.0
    return UpstreamLimitExceeded(
        f"The request's deadline of {limit:g} s passed while waiting for {route or 'the upstream'}",
        route=route, limit="deadline", value=limit, max=limit)


__all__ = ["Answer", "CallPolicy", "CircuitBreaker", "Lease", "TenantGate", "TenantGates",
           "UpstreamCaller",
           "UpstreamError",
           "retry_after_seconds"]
