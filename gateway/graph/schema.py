"""The schema, composed from the domains in one place."""

from __future__ import annotations

import functools

import strawberry
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter

from gateway.graph import nullability, resolvers, scopes
from gateway.graph.academic_year import AcademicYear
from gateway.graph.attendance_write import Mutation
from gateway.graph.school import Query


class _RememberedNames(NameConverter):
    """strawberry's names, each worked out once: strawberry converts a field's arguments by
    naming every argument again (snake_case to camelCase), ~50 µs a field and request."""

    @functools.lru_cache(maxsize=4096)  # noqa: B019  (one converter per schema, kept for its life)
    def apply_naming_config(self, name: str) -> str:
        return super().apply_naming_config(name)


def build_schema() -> strawberry.Schema:
    built = strawberry.Schema(query=Query, mutation=Mutation, types=[AcademicYear],
                              config=StrawberryConfig(auto_camel_case=True,
                                                      name_converter=_RememberedNames(auto_camel_case=True)))
    nullability.apply(built)  # errors stay on their field (DESIGN.md "Errors")
    scopes.apply(built)  # every field's data categories, in its description and @category
    resolvers.install(built._schema)  # relation fields with arguments: converted once per request
    return built


schema = build_schema()
