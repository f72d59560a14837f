"""A request's objects go with it: freed by reference counting when the answer is sent.

graphql-core's executor is a reference cycle, and the objects a request builds point back at
their school's resources (a student's ``res``); left to the cyclic collector (which the
gateway runs less often: GO4GRAPH_GC_THRESHOLD) a request's tables, objects and answer
parts would outlive it. ``Context.release`` drops them once the answer is encoded.
"""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest

from gateway.resources import memo
from tests.test_examples import EXAMPLES, _variables


@pytest.mark.parametrize("name", ["register", "pastoral", "roster", "marks_grid", "student_report"])
async def test_a_requests_resources_are_freed_without_the_collector(
        make_gateway: Any, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    gateway = make_gateway()
    gateway.services.extras["response_cache"].enabled = False
    document = (EXAMPLES / f"{name}.graphql").read_text()
    variables = await _variables(gateway.sim, name)
    made: list[weakref.ref[memo.Resources]] = []
    init = memo.Resources.__init__

    def counted(self: memo.Resources, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        made.append(weakref.ref(self))

    monkeypatch.setattr(memo.Resources, "__init__", counted)
    gc.collect()
    gc.disable()
    try:
        response = await gateway.client.post("/graphql", json={"query": document, "variables": variables})
        assert response.status_code == 200 and "errors" not in response.json()
        assert made, "the request built no resources"
        assert [r for r in made if r() is not None] == []
    finally:
        gc.enable()
