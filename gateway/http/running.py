"""Step 3 of /graphql: execution, under the request's budgets, stopped when it must be.

The operation runs as a task under a ``RequestBudget`` (deadline ``GO4GRAPH_REQUEST_TIMEOUT``
and upstream calls, honoured by the upstream layer) and a budget of completed fields
(``BoundedExecutor``, gateway/http/execution.py), and is cancelled at once, with the upstream
loads it started, when the client disconnects or the deadline passes. What it taught (the
credentials the upstream accepted, the schools' sizes) is noted for admission.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from graphql import ExecutionResult, GraphQLSchema, execute

from gateway.graph import fast
from gateway.graph.context import Context
from gateway.http.answers import ClientGone, Refused
from gateway.http.cost import SchoolSizes
from gateway.http.execution import METER, BoundedExecutor, FieldMeter
from gateway.http.ratelimit import ClientRateLimiter
from gateway.http.reading import Exchange, Receive
from gateway.upstream import budget as request_budget


def past_deadline(timeout: float) -> Refused:
    return Refused.limit(200, f"The request ran past its deadline of {timeout:g} s and was stopped",
                         "deadline", timeout, timeout)


class Runner:
    def __init__(self, schema: GraphQLSchema, *, max_fields: int, timeout: float,
                 limiter: ClientRateLimiter | None, sizes: SchoolSizes) -> None:
        self._schema = schema
        self.max_fields = max_fields
        self.timeout = timeout
        self.limiter = limiter
        self.sizes = sizes

    async def run(self, ex: Exchange, receive: Receive) -> ExecutionResult:
        """The result; ``Refused`` past the deadline or the field budget, ``ClientGone``."""
        assert ex.document is not None and ex.context is not None
        meter = FieldMeter(self.max_fields)
        document, context, schema = ex.document, ex.context, self._schema

        async def run() -> ExecutionResult:
            meter.fields, meter.exceeded = 0, False
            METER.set(meter)
            with request_budget.bound(ex.budget):
                result = execute(schema, document, None, context, ex.variables,
                                 ex.operation_name, executor_class=BoundedExecutor,
                                 is_awaitable=fast.is_awaitable)
                if not isinstance(result, ExecutionResult):
                    result = await result
                return result

        watcher = asyncio.ensure_future(_disconnected(receive))
        try:
            task = asyncio.ensure_future(run())
            done, _ = await asyncio.wait({task, watcher}, timeout=ex.budget.remaining(),
                                         return_when=asyncio.FIRST_COMPLETED)
            if task not in done:
                await _stop(task, context)
                if watcher in done and watcher.result():
                    raise ClientGone
                raise past_deadline(self.timeout)
            # A load shared with another request (single-flight) that was stopped with that
            # request is led again by a waiter (resources/flight.py): never cancelled here.
        finally:
            watcher.cancel()
        result = task.result()
        self._learn(context)
        if meter.exceeded:
            _release(context)
            raise Refused.limit(200, f"The answer passed the limit of {meter.max_fields} fields; "
                                "ask for less (fewer fields under lists, or filters)",
                                "fields", meter.fields, meter.max_fields)
        return result

    def _learn(self, context: Context) -> None:
        """What execution taught: credentials the upstream accepted, and the schools' sizes."""
        for res in context.all_resources:
            tables = res.tables()
            if tables and self.limiter is not None and res.tenant.caller:
                self.limiter.verified.add(res.tenant.caller)
            for rkey, table in tables:
                if rkey.arg is None:
                    self.sizes.note(res.tenant.id, rkey.route, len(table))


async def _disconnected(receive: Receive) -> bool:
    """True once the client has gone (the body is already read, so only a disconnect comes)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return True


async def _stop(task: asyncio.Future[Any], context: Context) -> None:
    """Cancel an execution and the upstream loads it started; its memory goes with it."""
    task.cancel()
    _release(context)
    with contextlib.suppress(BaseException):
        await task


def _release(context: Context) -> None:
    # The request's resource loads run as their own (shielded) tasks: stop them too.
    for res in context.all_resources:
        for pending in list(getattr(res, "_pending", {}).values()):
            pending.cancel()
