"""Least privilege: the data category of every field, and what a token's categories allow.

A field's category follows from its declaration: a ``@relation`` is in the categories of the
routes it reads (``categories.ROUTE_CATEGORY``) unless it names its own (``category=``); a plain
field of a record is in its type's category unless it names a stricter one (``column(…,
category=)``: a student's UPN, date of birth); a type's category is that of the relations that
lead to it. So there is one place to read a field's category: its declaration.

Enforcement (issue 17):

- ``require`` raises FORBIDDEN (``extensions.reason`` names the missing categories) when a
  relation or a stricter column is asked for outside the caller's categories; the planner
  skips such fields, so no upstream call is made for data the caller may not see;
- ``refusal`` refuses a whole operation before execution when nothing it asks for is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLObjectType,
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    get_named_type,
    is_leaf_type,
    visit,
)
from graphql.language import Visitor
from strawberry.schema_directive import Location

from gateway.categories import ALL, ROUTE_CATEGORY, Category
from gateway.graph.errors import GatewayError
from gateway.graph.plan import resolver_function

#: The GraphQL schema extension key a field's categories are kept under once computed.
KEY = "go4graph-categories"

Categories = frozenset[Category]


def names(categories: Iterable[Category]) -> list[str]:
    return sorted(c.value for c in categories)


def forbidden(missing: Categories) -> GatewayError:
    listed = ", ".join(names(missing))
    plural = "ies" if len(missing) > 1 else "y"
    return GatewayError("FORBIDDEN", f"This token may not read this field: it needs the data categor{plural} "
                        f"{listed}, which the token was not issued with",
                        reason=f"missing data categor{plural}: {listed}", categories=names(missing))


def require(allowed: Categories | None, needed: Categories) -> None:
    """Raise FORBIDDEN unless ``allowed`` (None: every category) covers ``needed``."""
    if allowed is not None and not needed <= allowed:
        raise forbidden(needed - allowed)


def of_reads(reads: Iterable[Any]) -> Categories:
    """The categories of the routes a relation reads (those whose route is known)."""
    out = set()
    for r in reads:
        route = getattr(r, "route", None)
        for name in (route,) if route else getattr(r, "routes", ()):
            out.add(ROUTE_CATEGORY[name])
    return frozenset(out)


def of_keys(keys: Iterable[Any]) -> Categories:
    """The categories revealed by reading these resource keys."""
    return frozenset(ROUTE_CATEGORY[k.route] for k in keys)


# --- the category of every field of a schema ---------------------------------------------------

def _declared(field: Any) -> Categories | None:
    func = resolver_function(field)
    rel = getattr(func, "relation", None)
    if rel is not None:
        return rel.categories  # type: ignore[no-any-return]
    declared = getattr(func, "category", None)
    return None if declared is None else frozenset(declared)


def compute(schema: GraphQLSchema) -> dict[tuple[str, str], Categories]:
    """(type, field) -> categories, for every field of every object type (cached on the fields)."""
    types = [t for t in schema.type_map.values()
             if isinstance(t, GraphQLObjectType) and not t.name.startswith("__")]
    declared: dict[tuple[str, str], Categories] = {}
    leads_to: dict[str, set[Category]] = {}
    for type_ in types:
        for name, field in type_.fields.items():
            cats = _declared(field)
            if cats is None:
                continue
            declared[(type_.name, name)] = cats
            target = get_named_type(field.type)
            if isinstance(target, GraphQLObjectType) and hasattr(resolver_function(field), "relation"):
                leads_to.setdefault(target.name, set()).update(cats)
    out: dict[tuple[str, str], Categories] = {}
    for type_ in types:
        own = frozenset(leads_to.get(type_.name) or {Category.BASIC})
        for name, field in type_.fields.items():
            cats = declared.get((type_.name, name), own)
            out[(type_.name, name)] = cats
            field.extensions = {**(field.extensions or {}), KEY: cats}
    return out


def of_field(field: Any) -> Categories:
    return field.extensions.get(KEY, frozenset({Category.BASIC})) if field.extensions else frozenset()


# --- what a document asks for -----------------------------------------------------------------

class _Collect(Visitor):
    def __init__(self, type_info: TypeInfo, allowed: Categories) -> None:
        super().__init__()
        self.type_info = type_info
        self.allowed = allowed
        self.needed: set[Category] = set()
        self.leaves = 0
        self.allowed_leaves = 0
        self._blocked = 0
        self._stack: list[bool] = []

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        parent = self.type_info.get_parent_type()
        field = self.type_info.get_field_def()
        blocked = False
        if field is not None and isinstance(parent, GraphQLObjectType) and not node.name.value.startswith("__"):
            cats = of_field(field)
            self.needed.update(cats)
            blocked = not cats <= self.allowed
        self._stack.append(blocked)
        self._blocked += blocked
        if node.selection_set is None or (field is not None and is_leaf_type(get_named_type(field.type))):
            if not node.name.value.startswith("__"):
                self.leaves += 1
                self.allowed_leaves += self._blocked == 0

    def leave_field(self, *_: Any) -> None:
        self._blocked -= self._stack.pop()


def _walk(schema: GraphQLSchema, document: DocumentNode, allowed: Categories) -> _Collect:
    if not any(KEY in (f.extensions or {}) for t in [schema.query_type] if t for f in t.fields.values()):
        compute(schema)
    type_info = TypeInfo(schema)
    collect = _Collect(type_info, allowed)
    visit(document, TypeInfoVisitor(type_info, collect))
    return collect


def needed(schema: GraphQLSchema, document: DocumentNode) -> Categories:
    """Every category the operations of ``document`` can read (for a token request)."""
    return frozenset(_walk(schema, document, ALL).needed)


def refusal(schema: GraphQLSchema, document: DocumentNode, allowed: Categories | None) -> GatewayError | None:
    """FORBIDDEN when nothing the document asks for is within ``allowed`` (None: all)."""
    if allowed is None:
        return None
    collect = _walk(schema, document, allowed)
    if collect.leaves and collect.allowed_leaves == 0:
        missing = frozenset(collect.needed) - allowed
        error = forbidden(missing)
        error.message = ("This token may read none of what this operation asks for: it needs the data "
                         f"categories {', '.join(names(missing))}")
        return error
    return None


# --- in the contract -----------------------------------------------------------------------------

@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION], name="category", repeatable=True,
    description="The personal-data category this field reveals: a gateway token must have been issued "
                "with it to read the field (`go4graph scopes` lists what a set of operations needs).")
class CategoryDirective:
    name: str = strawberry.field(description="The category, e.g. basic, medical, attendance.")


def apply(schema: strawberry.Schema) -> None:
    """Give every field its categories: in its description and as ``@category`` directives."""
    graphql_schema = schema._schema
    for (type_name, field_name), cats in compute(graphql_schema).items():
        field = graphql_schema.type_map[type_name].fields[field_name]  # type: ignore[attr-defined]
        sfield = field.extensions.get("strawberry-definition") if field.extensions else None
        listed = ", ".join(names(cats))
        note = f" Data categor{'ies' if len(cats) > 1 else 'y'}: {listed}."
        if not (field.description or "").endswith(note):
            field.description = (field.description or "").rstrip() + note
        if sfield is not None and not any(isinstance(d, CategoryDirective) for d in sfield.directives or ()):
            sfield.directives = [*sfield.directives, *(CategoryDirective(name=n) for n in names(cats))]


def declares(*categories: Category) -> Any:
    """Name the categories of a field that is not a relation (the mutations): put under the
    strawberry decorator; its resolver must call ``require`` itself."""

    def mark(func: Any) -> Any:
        func.category = frozenset(categories)
        return func

    return mark
