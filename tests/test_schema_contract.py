"""The published contract: schema/schema.graphql matches the code, and everything is described."""

from __future__ import annotations

from pathlib import Path

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType, GraphQLScalarType

from gateway.graph.schema import schema

ROOT = Path(__file__).resolve().parents[1]
EXPORTED = ROOT / "schema" / "schema.graphql"


def test_exported_schema_is_up_to_date() -> None:
    assert EXPORTED.exists(), "run: go4graph export-schema"
    assert EXPORTED.read_text() == schema.as_str() + "\n", (
        "schema/schema.graphql is out of date with the code: run 'go4graph export-schema' "
        "and review the diff (it is the contract front ends are written against)")


def test_every_type_field_and_argument_is_described() -> None:
    missing: list[str] = []
    for name, type_ in schema._schema.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(type_, GraphQLScalarType) and name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        if not (type_.description or "").strip():
            missing.append(name)
        if isinstance(type_, GraphQLObjectType | GraphQLInputObjectType):
            for fname, field in type_.fields.items():
                if not (field.description or "").strip():
                    missing.append(f"{name}.{fname}")
                for aname, arg in getattr(field, "args", {}).items():
                    if not (arg.description or "").strip():
                        missing.append(f"{name}.{fname}({aname})")
        if isinstance(type_, GraphQLEnumType):
            for vname, value in type_.values.items():
                if not (value.description or "").strip():
                    missing.append(f"{name}.{vname}")
    assert not missing, f"{len(missing)} without a description: {missing[:40]}"
