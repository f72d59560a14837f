"""The gateway's own validation rules: query depth and alias count, refused before execution.

They run in the same pass as graphql-core's specified rules, so they must hold for any
document that parses, valid or not: an undefined fragment, a fragment cycle, a fragment
defined twice, a type-system definition, a spread on the wrong type — each is reported by
graphql-core's own rule and simply adds nothing here. Fragment spreads are measured once
per fragment (memoised, and in an explicit stack rather than by recursion), so a chain of
hundreds of fragments or a fan-out where each fragment spreads the next twice costs time
linear in the document, and never a RecursionError.

**Depth.** The depth of a field is the number of fields on the path from the operation
to it, itself included: in ``{ school { name } }`` ``school`` is at depth 1 and ``name``
at depth 2. Fragments, named or inline, add no level of their own. An operation's depth
is the depth of its deepest field, so ``GO4GRAPH_MAX_DEPTH=12`` admits exactly 12 nested
levels and refuses 13. Introspection (``__schema``, ``__type``) counts as one level: what
is below it is the schema's shape, not data, and GraphiQL's introspection query alone is
15 levels deep (switch introspection off with ``GO4GRAPH_INTROSPECTION=false`` where it
is not wanted). ``__typename`` is a field like any other.

**Aliases.** The number of aliased fields an operation would execute: a fragment's
aliases count once per spread of it (so a fragment spread twice counts twice), and
introspection's aliases count too.

Each operation of a document is measured on its own (only one of them runs). A refusal
is a validation error whose ``extensions`` are ``{code: LIMIT_EXCEEDED, limit: "depth" |
"aliases", value, max}``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)

from gateway.graph.errors import limit_exceeded

#: Counts saturate here: a fan-out of fragments can describe more aliases than JSON's safe integers.
CAP = 2**53 - 1


@dataclass(frozen=True, slots=True)
class Measure:
    """What a selection set holds: its depth in levels and its aliases, fragments expanded."""

    depth: int = 0
    aliases: int = 0


def _spreads(selection_set: SelectionSetNode | None) -> Iterable[str]:
    """The names of the fragments spread anywhere in a selection set (not through fragments)."""
    pending = [selection_set]
    while pending:
        current = pending.pop()
        if current is None:
            continue
        for sel in current.selections:
            if isinstance(sel, FragmentSpreadNode):
                yield sel.name.value
            elif isinstance(sel, FieldNode | InlineFragmentNode):
                pending.append(sel.selection_set)


class Measurer:
    """Measures the operations of one document; fragments are measured once each."""

    def __init__(self, definitions: Iterable[Any]) -> None:
        self.fragments: dict[str, FragmentDefinitionNode] = {}
        for definition in definitions:
            if isinstance(definition, FragmentDefinitionNode):
                self.fragments.setdefault(definition.name.value, definition)  # a duplicate: the first
        self.memo: dict[str, Measure] = {}
        self._measure_fragments()

    def _measure_fragments(self) -> None:
        """Every fragment, dependencies first (an explicit stack: chains need no recursion).

        A spread of a fragment still being measured (a cycle, which graphql-core reports)
        or of an unknown fragment counts as nothing.
        """
        visiting: set[str] = set()
        for root in self.fragments:
            stack: list[tuple[str, bool]] = [(root, False)]
            while stack:
                name, ready = stack.pop()
                if name in self.memo:
                    continue
                if ready:
                    self.memo[name] = self.selection_set(self.fragments[name].selection_set)
                    visiting.discard(name)
                    continue
                visiting.add(name)
                stack.append((name, True))
                for dep in _spreads(self.fragments[name].selection_set):
                    if dep in self.fragments and dep not in self.memo and dep not in visiting:
                        stack.append((dep, False))

    def selection_set(self, selection_set: SelectionSetNode | None) -> Measure:
        """Depth and aliases of a selection set, using the fragments measured so far.

        Recursion here follows the document's own nesting, which the parser bounds.
        """
        if selection_set is None:
            return Measure()
        depth = aliases = 0
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                below = self.selection_set(sel.selection_set)
                introspection = sel.name.value.startswith("__")
                depth = max(depth, 1 if introspection else 1 + below.depth)
                aliases += below.aliases + (1 if sel.alias is not None else 0)
            elif isinstance(sel, InlineFragmentNode):
                below = self.selection_set(sel.selection_set)
                depth = max(depth, below.depth)
                aliases += below.aliases
            elif isinstance(sel, FragmentSpreadNode):
                known = self.memo.get(sel.name.value)
                if known is not None:
                    depth = max(depth, known.depth)
                    aliases += known.aliases
        return Measure(min(depth, CAP), min(aliases, CAP))

    def operations(self, definitions: Iterable[Any]) -> list[tuple[OperationDefinitionNode, Measure]]:
        return [(d, self.selection_set(d.selection_set)) for d in definitions
                if isinstance(d, OperationDefinitionNode)]


def _refusal(limit: str, value: int, maximum: int, node: OperationDefinitionNode) -> GraphQLError:
    name = f"Operation '{node.name.value}'" if node.name else "The operation"
    if limit == "depth":
        text = f"{name}'s depth is {value} levels of fields; the maximum is {maximum}"
    else:
        text = f"{name} uses {value} aliases; the maximum is {maximum}"
    error = limit_exceeded(limit, value, maximum, text)
    return GraphQLError(error.message, [node], original_error=error)


def depth_and_aliases_rule(max_depth: int, max_aliases: int) -> type[ValidationRule]:
    """A graphql-core validation rule refusing operations deeper or with more aliases than allowed."""

    class DepthAndAliasesRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            definitions = context.document.definitions
            for operation, measure in Measurer(definitions).operations(definitions):
                if measure.depth > max_depth:
                    context.report_error(_refusal("depth", measure.depth, max_depth, operation))
                if measure.aliases > max_aliases:
                    context.report_error(_refusal("aliases", measure.aliases, max_aliases, operation))

    return DepthAndAliasesRule
