"""Single-flight: concurrent callers for the same key share one in-flight call."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class SingleFlight(Generic[T]):
    def __init__(self) -> None:
        self._inflight: dict[Hashable, asyncio.Future[T]] = {}

    async def run(self, key: Hashable, call: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """(result, led): ``led`` is True for the one caller that actually made the call."""
        future = self._inflight.get(key)
        if future is not None:
            return await asyncio.shield(future), False
        future = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            result = await call()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # observed here; waiters re-raise it
            raise
        else:
            future.set_result(result)
            return result, True
        finally:
            self._inflight.pop(key, None)
