"""One upstream HTTP call with the rules every upstream shares.

Bounded concurrency, explicit timeouts, a circuit breaker, retries of safe
requests (429 honouring Retry-After, 5xx, connection errors) with capped
exponential backoff and jitter, translation of every failure into the
``errors`` tree, metrics and one log line per call. httpx is used only in
``upstream/``: a move to another client is a change here and in ``http.py``.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter
from tenacity.wait import wait_base

from gateway import metrics, tracing
from gateway.upstream.errors import (
    UpstreamError,
    UpstreamOutcomeUnknown,
    UpstreamRateLimited,
    UpstreamServerError,
    UpstreamUnavailable,
    error_for_status,
)

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


class CircuitBreaker:
    """Opens after N consecutive failures of the upstream itself; one trial call after the reset time."""

    def __init__(self, source: str, failures: int, reset: float) -> None:
        self.source, self._limit, self._reset = source, failures, reset
        self._count = 0
        self._opened_at: float | None = None

    @property
    def is_open(self) -> bool:
        if self._opened_at is None:
            return False
        if time.monotonic() - self._opened_at >= self._reset:
            return False  # half-open: let a trial call through
        return True

    def check(self, route: str) -> None:
        if self.is_open:
            raise UpstreamUnavailable(f"{self.source} is not answering; the gateway stopped calling it for a while",
                                      route=route, source=self.source)

    def success(self) -> None:
        if self._opened_at is not None:
            metrics.CIRCUIT_OPEN.labels(self.source).set(0)
        self._count, self._opened_at = 0, None

    def failure(self) -> None:
        self._count += 1
        if self._count >= self._limit:
            if self._opened_at is None or not self.is_open:
                log.warning("circuit opened", extra={"source": self.source, "failures": self._count})
            self._opened_at = time.monotonic()
            metrics.CIRCUIT_OPEN.labels(self.source).set(1)


class _WaitRetryAfter(wait_base):
    """Exponential backoff with jitter, or the upstream's Retry-After when it gave one (capped)."""

    def __init__(self, policy: CallPolicy) -> None:
        self._fallback = wait_exponential_jitter(multiplier=policy.backoff, max=policy.backoff_max,
                                                 jitter=policy.backoff)
        self._cap = policy.backoff_max

    def __call__(self, retry_state):  # type: ignore[no-untyped-def]
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, UpstreamRateLimited) and exc.retry_after is not None:
            return min(max(exc.retry_after, 0.0), self._cap)
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
    return max(when.timestamp() - time.time(), 0.0)


class UpstreamCaller:
    """Sends requests for one upstream (GO4Schools or Assembly) under the shared rules."""

    def __init__(self, http: httpx.AsyncClient, *, source: str, policy: CallPolicy,
                 semaphore: asyncio.Semaphore) -> None:
        self._http = http
        self.source = source
        self._policy = policy
        self._semaphore = semaphore
        self.circuit = CircuitBreaker(source, policy.circuit_failures, policy.circuit_reset)
        self._wait = _WaitRetryAfter(policy)

    async def call(self, method: str, url: str, *, route: str, headers: dict[str, str],
                   params: dict[str, str] | None = None, json_body: bytes | None = None,
                   ok: tuple[int, ...] = (200,)) -> Answer:
        """One logical call, retried when that is safe; raises an ``UpstreamError``."""
        is_write = method != "GET"

        def retryable(exc: BaseException) -> bool:
            if isinstance(exc, UpstreamRateLimited):
                return True  # the upstream refused without acting on it
            if is_write:
                # A write is retried only when we know it never reached the upstream.
                return isinstance(exc, UpstreamUnavailable) and getattr(exc, "not_sent", False)
            return isinstance(exc, UpstreamServerError | UpstreamUnavailable) and not self.circuit.is_open

        retrying = AsyncRetrying(stop=stop_after_attempt(self._policy.retries + 1),
                                 wait=self._wait,
                                 retry=retry_if_exception(retryable), reraise=True,
                                 before_sleep=lambda rs: self._note_retry(route, rs))
        async for attempt in retrying:
            with attempt:
                return await self._once(method, url, route=route, headers=headers, params=params,
                                        json_body=json_body, ok=ok, is_write=is_write)
        raise AssertionError("unreachable")  # pragma: no cover

    def _note_retry(self, route: str, retry_state) -> None:  # type: ignore[no-untyped-def]
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        cause = type(exc).__name__ if exc else "unknown"
        metrics.UPSTREAM_RETRIES.labels(self.source, route, cause).inc()
        log.info("upstream retry", extra={"source": self.source, "route": route, "cause": cause,
                                          "attempt": retry_state.attempt_number})

    async def _once(self, method: str, url: str, *, route: str, headers: dict[str, str],
                    params: dict[str, str] | None, json_body: bytes | None, ok: tuple[int, ...],
                    is_write: bool) -> Answer:
        self.circuit.check(route)
        with tracing.span(f"upstream {route}", **{"upstream.source": self.source, "upstream.route": route,
                                                  "http.method": method}) as current:
            return await self._send(method, url, route=route, headers=headers, params=params,
                                    json_body=json_body, ok=ok, is_write=is_write, span=current)

    async def _send(self, method: str, url: str, *, route: str, headers: dict[str, str],
                    params: dict[str, str] | None, json_body: bytes | None, ok: tuple[int, ...],
                    is_write: bool, span: Any) -> Answer:
        started = time.perf_counter()
        status_label = "error"
        try:
            async with self._semaphore:
                try:
                    response = await self._http.request(method, url, headers=headers, params=params,
                                                        content=json_body)
                except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout):
                    self.circuit.failure()
                    status_label = "connect_error"
                    err = UpstreamUnavailable(f"{self.source} could not be reached", route=route,
                                              source=self.source)
                    err.not_sent = True  # type: ignore[attr-defined]
                    raise err from None
                except httpx.TimeoutException:
                    self.circuit.failure()
                    status_label = "timeout"
                    if is_write:
                        raise UpstreamOutcomeUnknown(
                            f"{self.source} did not answer in time; the write may or may not have "
                            "been saved: read the mark back before trying again",
                            route=route, source=self.source) from None
                    raise UpstreamUnavailable(f"{self.source} did not answer in time", route=route,
                                              source=self.source) from None
                except httpx.HTTPError as exc:
                    self.circuit.failure()
                    status_label = "transport_error"
                    cls = UpstreamOutcomeUnknown if is_write else UpstreamUnavailable
                    raise cls(f"{self.source} connection failed ({type(exc).__name__})", route=route,
                              source=self.source) from None
            status_label = str(response.status_code)
            if response.status_code in ok:
                self.circuit.success()
                return Answer(response.status_code, response.content, response.headers)
            if response.status_code >= 500:
                self.circuit.failure()
            else:
                self.circuit.success()  # the upstream is alive; the request was wrong
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


__all__ = ["Answer", "CallPolicy", "CircuitBreaker", "UpstreamCaller", "UpstreamError",
           "retry_after_seconds"]
