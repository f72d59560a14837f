"""Readiness: ``/readyz`` answers 200 while this process can answer queries, 503 while it cannot.

A replica is *not ready* while its lifespan start-up runs and once it is draining
(SIGTERM received): the load balancer then stops sending it new requests while those
in flight finish. A Redis outage or an open upstream circuit does **not** make it
unready — it still answers (from the upstream, or with clear GraphQL errors) — so
those parts are listed as ``degraded`` in the body and in the ``go4graph_degraded``
gauge instead of taking every replica out of service at once.

Draining on SIGTERM: the first SIGTERM marks the process draining; after
``GO4GRAPH_DRAIN_SECONDS`` (or at once on a second SIGTERM) it is handed to uvicorn,
whose graceful shutdown stops accepting connections and lets in-flight requests finish
(at most ``GO4GRAPH_SHUTDOWN_TIMEOUT`` seconds).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Any

from gateway import clock, metrics

log = logging.getLogger("go4graph.readiness")

#: A check returns "ok" or a short word saying how that part is degraded.
Check = Callable[[], Awaitable[str]]

CREATED, STARTING, READY, DRAINING = "created", "starting", "ready", "draining"


class Readiness:
    """The process's serving state and its degraded parts."""

    def __init__(self, drain_seconds: float = 0.0) -> None:
        self.drain_seconds = drain_seconds
        # CREATED: built but not started by a server's lifespan (a server without lifespan
        # events serves it as it is, and it can answer): ready as far as /readyz goes.
        self.state = CREATED
        self.checks: dict[str, Check] = {}
        self._handover: asyncio.Task[None] | None = None

    def add_check(self, name: str, check: Check) -> None:
        """Register a part whose failure degrades answers without stopping them."""
        self.checks[name] = check

    @property
    def serving(self) -> bool:
        return self.state in (CREATED, READY)

    async def report(self) -> tuple[int, dict[str, Any]]:
        """The /readyz status code and body; also refreshes the degraded gauge."""
        results: dict[str, str] = {}
        for name, check in self.checks.items():
            try:
                results[name] = await check()
            except Exception:  # a check that fails is that part being unreachable
                results[name] = "unreachable"
        degraded = sorted(name for name, value in results.items() if value != "ok")
        for name, value in results.items():
            metrics.DEGRADED.labels(part=name).set(0 if value == "ok" else 1)
        metrics.READY.set(1 if self.serving else 0)
        if self.serving:  # answering: "degraded" still answers, from the upstream or with errors
            status = "degraded" if degraded else READY
        else:
            status = self.state  # starting or draining
        return (200 if self.serving else 503), {"status": status, "checks": results,
                                                "degraded": degraded}

    # --- lifecycle ------------------------------------------------------------------

    def starting(self) -> None:
        self.state = STARTING

    def started(self) -> None:
        if self.state == STARTING:
            self.state = READY

    def drain(self) -> None:
        if self.state != DRAINING:
            log.warning("draining: not ready for new requests; in-flight requests finish",
                        extra={"drain_seconds": self.drain_seconds})
        self.state = DRAINING
        metrics.READY.set(0)

    def install_sigterm(self, loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
        """Wrap the server's SIGTERM handler so that a SIGTERM first drains. Returns an undo.

        Only in the main thread (where signal handlers live); elsewhere it does nothing.
        """
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        previous = signal.getsignal(signal.SIGTERM)

        def hand_over(signum: int, frame: FrameType | None) -> None:
            self._handover = None
            if callable(previous):
                previous(signum, frame)
            else:  # no server handler: the default action, as if we were never here
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.raise_signal(signal.SIGTERM)

        def on_sigterm(signum: int, frame: FrameType | None) -> None:
            if self.state == DRAINING:  # a second SIGTERM: stop draining now
                if self._handover is not None:
                    self._handover.cancel()
                loop.call_soon_threadsafe(hand_over, signum, frame)
                return
            self.drain()
            if self.drain_seconds > 0:
                async def after_drain() -> None:
                    await clock.sleep(self.drain_seconds)  # the drain window, by gateway.clock
                    hand_over(signum, frame)

                def later() -> None:
                    self._handover = loop.create_task(after_drain())
                loop.call_soon_threadsafe(later)
            else:
                loop.call_soon_threadsafe(hand_over, signum, frame)

        signal.signal(signal.SIGTERM, on_sigterm)

        def undo() -> None:
            if signal.getsignal(signal.SIGTERM) is on_sigterm:
                signal.signal(signal.SIGTERM, previous)
        return undo


def standard_checks(readiness: Readiness, services: Any) -> None:
    """The cache and each upstream's circuit."""

    async def cache() -> str:
        return "ok" if await services.cache.ping() else "unreachable"

    def circuit(client: Any) -> Check:
        async def check() -> str:
            return "circuit-open" if client.circuit_open else "ok"
        return check

    readiness.add_check("cache", cache)
    readiness.add_check("upstream", circuit(services.upstreams.go4schools))
    if getattr(services.upstreams, "assembly", None) is not None \
            and hasattr(services.upstreams.assembly, "circuit_open"):
        readiness.add_check("assembly", circuit(services.upstreams.assembly))
