"""The schema, composed from the domains in one place."""

from __future__ import annotations

import strawberry
from strawberry.schema.config import StrawberryConfig

from gateway.graph import nullability, resolvers, scopes
from gateway.graph.academic_year import AcademicYear
from gateway.graph.attendance_write import Mutation
from gateway.graph.school import Query


def build_schema() -> strawberry.Schema:
    built = strawberry.Schema(query=Query, mutation=Mutation, types=[AcademicYear],
                              config=StrawberryConfig(auto_camel_case=True))
    nullability.apply(built)  # errors stay on their field (DESIGN.md "Errors")
    scopes.apply(built)  # every field's data categories, in its description and @category
    resolvers.install(built._schema)  # relation fields with arguments: converted once per request
    return built


schema = build_schema()
