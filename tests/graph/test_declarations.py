"""Every field of the graph is declared so that its plan can be derived (issue 14, item 1).

A field that reads a resource must be a ``@relation`` (so that the planner loads what the
resolver will read, from the same declaration); a field that leads to objects whose fields read
resources must tell the planner how to reach those objects; every relation names what it reads
and a type its records can become.
"""

from __future__ import annotations

import inspect
import re

from graphql import GraphQLObjectType, get_named_type

from gateway.graph.plan import field_plan
from gateway.graph.relation import Relation
from gateway.graph.row import Row
from gateway.graph.schema import schema

READS_RESOURCES = re.compile(r"\bres\.(get|load|has)\(|\bself\.res\b|\bread\(")

#: Fields built without a relation on purpose: the roots start their own plan (school.py).
ROOTS = {("Query", "school"), ("Query", "schools"), ("Query", "academicYear"), ("School", "academicYear")}


def _fields():
    gql = schema._schema
    for type_ in gql.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        if type_ in (gql.mutation_type,):
            continue
        for name, field in type_.fields.items():
            yield type_, name, field


def _relation(field) -> Relation | None:
    sfield = field.extensions.get("strawberry-definition")
    resolver = getattr(sfield, "base_resolver", None)
    return getattr(getattr(resolver, "wrapped_func", None), "relation", None)


def _plans_below(type_: GraphQLObjectType) -> bool:
    return any(field_plan(f) is not None for f in type_.fields.values())


def test_every_field_that_reads_a_resource_is_a_relation() -> None:
    offenders = []
    for type_, name, field in _fields():
        if (type_.name, name) in ROOTS or _relation(field) is not None:
            continue
        sfield = field.extensions.get("strawberry-definition")
        resolver = getattr(sfield, "base_resolver", None)
        if resolver is None or getattr(resolver.wrapped_func, "category", None) is not None:
            continue  # a column with a stricter category checks the caller's, and reads no resource
        try:
            source = inspect.getsource(resolver.wrapped_func)
        except (OSError, TypeError):
            continue
        if READS_RESOURCES.search(source):
            offenders.append(f"{type_.name}.{name}")
    assert offenders == [], f"fields that read resources without @relation: {offenders}"


def test_every_relation_names_its_reads_and_a_type_for_its_records() -> None:
    for type_, name, field in _fields():
        rel = _relation(field)
        if rel is None:
            continue
        assert rel.reads, f"{type_.name}.{name} reads nothing"
        named = get_named_type(field.type)
        target = rel.target()
        if isinstance(named, GraphQLObjectType) and target is not None:
            assert issubclass(target, Row)
            assert target.__name__ == named.name or named.name in target.__name__, (type_.name, name)


def test_the_planner_can_reach_every_object_whose_fields_read_resources() -> None:
    missing = []
    for type_, name, field in _fields():
        named = get_named_type(field.type)
        if not isinstance(named, GraphQLObjectType) or not _plans_below(named):
            continue
        if (type_.name, name) in ROOTS:
            continue
        plan = field_plan(field)
        if plan is None or plan.expand is None:
            missing.append(f"{type_.name}.{name} -> {named.name}")
    assert missing == [], f"the planner cannot descend through: {missing}"


def test_the_check_fails_on_a_field_that_reads_without_a_relation() -> None:
    """The source check above is not vacuous: a resolver reading self.res is caught."""

    def offending(self):  # pragma: no cover - only its source is read
        return self.res.get(None)

    assert READS_RESOURCES.search(inspect.getsource(offending))
