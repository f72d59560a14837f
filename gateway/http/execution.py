"""Execution under a budget of completed fields (admission control's bound on answer size).

``BoundedExecutor`` is the fast executor with one addition: every list it completes (by
graphql-core's own path or by one of the fast executor's builders) charges its length times
the width of the item's selection to the request's ``FieldMeter``. Past the budget the meter
raises, every later list fails at once, and the HTTP layer answers LIMIT_EXCEEDED instead of
the partial data, so an answer can never grow past the budget in memory however the cost
estimate was fooled. The fast executor itself is unchanged: the builders are wrapped from here.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from typing import Any

from graphql import GraphQLList, GraphQLNonNull, GraphQLOutputType, GraphQLResolveInfo
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import AwaitableOrValue, Path

from gateway.graph.fast import ABANDONED, Builder, FastExecutor


class FieldBudgetExceeded(Exception):
    """The answer passed the request's budget of completed fields."""


class FieldMeter:
    __slots__ = ("max_fields", "fields", "exceeded")

    def __init__(self, max_fields: int) -> None:
        self.max_fields = max_fields
        self.fields = 0
        self.exceeded = False

    def charge(self, n: int) -> None:
        self.fields += n
        if self.fields > self.max_fields:
            self.exceeded = True
            raise FieldBudgetExceeded(
                f"The answer passed the limit of {self.max_fields} fields")


METER: ContextVar[FieldMeter | None] = ContextVar("go4graph_field_meter", default=None)


def _width(field_details_list: FieldDetailsList) -> int:
    """Fields each item of a list completes (its selections; 1 for a list of leaves)."""
    width = 0
    for details in field_details_list:
        selection_set = details.node.selection_set
        if selection_set is not None:
            width += len(selection_set.selections)
    return max(width, 1)


#: Items of a long list built between two passes through the event loop.
CHUNK = 100


class BoundedExecutor(FastExecutor):
    """The fast executor charging every list it completes to the request's ``FieldMeter``."""

    _meter: FieldMeter | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._meter = METER.get()
        executors = getattr(self.context_value, "executors", None)
        if executors is not None:
            executors.append(self)  # released with the context (Context.release)

    def complete_value(self, return_type: GraphQLOutputType, field_details_list: FieldDetailsList,
                       info: GraphQLResolveInfo[Any], path: Path, result: Any,
                       position_context: Any) -> AwaitableOrValue[Any]:
        inner = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
        if isinstance(inner, GraphQLList) and type(result) is list and len(result) > CHUNK:
            item = self.builder_for(inner.of_type, field_details_list)
            if item is not None and not self.builder_given_up(item):
                return self._in_chunks(item, return_type, field_details_list, info, path, result,
                                       position_context)
        return super().complete_value(return_type, field_details_list, info, path, result,
                                      position_context)

    async def _in_chunks(self, item: Builder, return_type: GraphQLOutputType,
                         field_details_list: FieldDetailsList, info: GraphQLResolveInfo[Any],
                         path: Path, result: list[Any], position_context: Any) -> Any:
        """The list built ``CHUNK`` items at a time, yielding to the loop in between; anything
        unusual (an error, a null, an awaitable) sends the whole list the usual way instead."""
        if self._meter is not None:
            self._meter.charge(len(result) * _width(field_details_list))
        out: list[Any] = []

        def build(items: list[Any]) -> list[Any]:
            return [item(x) for x in items]

        for start in range(0, len(result), CHUNK):
            built = self.run_builder(build, result[start:start + CHUNK])
            if built is ABANDONED:
                completed = super().complete_value(return_type, field_details_list, info, path,
                                                   result, position_context)
                return await completed if self.is_awaitable(completed) else completed
            out.extend(built)
            await asyncio.sleep(0)
        return out

    def make_builder(self, return_type: GraphQLOutputType,
                     fields: FieldDetailsList) -> Builder | None:
        built = super().make_builder(return_type, fields)
        meter = self._meter
        inner = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
        if built is None or meter is None or not isinstance(inner, GraphQLList):
            return built
        width = _width(fields)
        build = built

        def counted(value: Any) -> Any:
            if type(value) is list:
                meter.charge(len(value) * width)
            return build(value)
        return counted

    def complete_list_value(self, return_type: GraphQLList[GraphQLOutputType],
                            field_details_list: FieldDetailsList, info: GraphQLResolveInfo[Any],
                            path: Path, result: Any,
                            position_context: Any) -> AwaitableOrValue[list[Any]]:
        meter = self._meter
        if meter is not None:
            if meter.exceeded:
                raise FieldBudgetExceeded(f"The answer passed the limit of {meter.max_fields} fields")
            if isinstance(result, list | tuple):
                meter.charge(len(result) * _width(field_details_list))
        return super().complete_list_value(return_type, field_details_list, info, path, result,
                                           position_context)
