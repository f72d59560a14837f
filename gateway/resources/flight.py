"""Single-flight: concurrent callers for the same key share one in-flight call.

The call runs in the task of the caller that started it (the leader), so it is
charged to the leader's request budget (``upstream.budget``) and bounded by the
leader's deadline. A failure that belongs to the leader's request alone - its
cancellation (the client went away, its deadline fired) or its own budget
running out (``UpstreamLimitExceeded``) - is not handed to the followers: they
were not cancelled and have budgets of their own, so they start the call again
(one of them leads it, under its budget). Every other outcome, value or upstream
error, is shared.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from gateway.upstream.errors import UpstreamLimitExceeded

T = TypeVar("T")


def _leader_only(future: asyncio.Future[T]) -> bool:
    """True when the flight ended for a reason private to the request that led it."""
    return future.cancelled() or isinstance(future.exception(), UpstreamLimitExceeded)


class SingleFlight(Generic[T]):
    def __init__(self) -> None:
        self._inflight: dict[Hashable, asyncio.Future[T]] = {}
        self._waiting: dict[Hashable, int] = {}

    def in_flight(self, key: Hashable) -> bool:
        return key in self._inflight

    def waiting(self, key: Hashable) -> int:
        """How many callers are waiting on the flight for ``key`` (besides its leader)."""
        return self._waiting.get(key, 0)

    async def run(self, key: Hashable, call: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """(result, led): ``led`` is True for the one caller that actually made the call."""
        while True:
            future = self._inflight.get(key)
            if future is None:
                return await self._lead(key, call), True
            # Waiting with ``wait`` (not ``shield``): our own cancellation stops our wait and
            # leaves the flight alone; the flight's end is read below, not raised into us.
            self._waiting[key] = self._waiting.get(key, 0) + 1
            try:
                await asyncio.wait({future})
            finally:
                left = self._waiting.pop(key) - 1
                if left:
                    self._waiting[key] = left
            if _leader_only(future):
                continue  # the leader's own failure: lead (or join) a new flight
            return future.result(), False

    async def _lead(self, key: Hashable, call: Callable[[], Awaitable[T]]) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            result = await call()
        except asyncio.CancelledError:
            future.cancel()  # followers see a cancelled flight and start again
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # observed here; followers re-raise it
            raise
        else:
            future.set_result(result)
            return result
        finally:
            if self._inflight.get(key) is future:
                del self._inflight[key]
