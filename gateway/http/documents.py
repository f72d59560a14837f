"""Parsed and validated documents by the sha256 of their text, bounded by estimated bytes.

Only documents that parse and validate are kept: a failure is cheap to find again and must not
take room (nor let a caller fill memory with junk). The rules are graphql-core's specified
rules, the gateway's depth and alias limits (gateway/http/validation.py) and, when
introspection is off, graphql-core's rule refusing it.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import NoSchemaIntrospectionCustomRule

from gateway.http.validation import depth_and_aliases_rule

#: Estimated memory of a parsed and validated document per character of its text outside
#: comments (measured with tracemalloc on schema/examples: 245-420 bytes); the text itself is
#: kept too (the AST's locations hold it), comments included.
AST_BYTES_PER_CHAR = 400
_COMMENT = re.compile(r"#[^\n\r]*")


class ParsedDocuments:
    def __init__(self, schema: GraphQLSchema, *, max_depth: int, max_aliases: int,
                 max_tokens: int, introspection: bool, max_bytes: int) -> None:
        self._schema = schema
        self._rules: list[type[ASTValidationRule]] = [
            *specified_rules, depth_and_aliases_rule(max_depth, max_aliases)]
        if not introspection:
            self._rules.append(NoSchemaIntrospectionCustomRule)
        self._max_tokens = max_tokens
        self.max_bytes = max_bytes
        self.bytes = 0
        self._cache: OrderedDict[bytes, tuple[DocumentNode, int]] = OrderedDict()

    def get(self, text: str) -> tuple[DocumentNode | None, list[GraphQLError]]:
        """The document and no errors; or the parse error, or the document and its problems."""
        key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit[0], []
        try:
            document = parse(text, max_tokens=self._max_tokens)
        except GraphQLError as exc:
            return None, [exc]
        problems = validate(self._schema, document, self._rules)
        if problems:
            return document, problems
        weight = len(text) + AST_BYTES_PER_CHAR * len(_COMMENT.sub("", text))
        if weight <= self.max_bytes // 8:  # one document never takes more than an eighth
            self._cache[key] = (document, weight)
            self.bytes += weight
            while self.bytes > self.max_bytes and self._cache:
                _, (_, old) = self._cache.popitem(last=False)
                self.bytes -= old
        return document, []

    def __len__(self) -> int:
        return len(self._cache)
