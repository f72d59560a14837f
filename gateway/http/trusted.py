"""Trusted documents: operations registered at deploy time and addressed by their sha256.

A manifest is a JSON object ``{"<sha256 hex>": "<document text>"}`` (the format
``go4graph manifest`` writes from .graphql files, e.g. schema/examples/), or a
folder of .graphql files. A request names a document by

- ``"documentId": "sha256:<hex>"`` (GraphQL over HTTP's trusted documents), or
- ``"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}`` (Apollo's form).

With ``GO4GRAPH_TRUSTED_ONLY=true`` any other document is refused, so a stolen
token cannot be used to run arbitrary queries over children's data. How a request's
document is chosen (and automatic persisted queries otherwise): gateway/http/persisted.py.
"""

from __future__ import annotations

from pathlib import Path

from gateway.setting_values import load_manifest, sha256

__all__ = ["TrustedDocuments", "load_manifest", "manifest_for", "sha256"]


def manifest_for(files: list[Path]) -> dict[str, str]:
    return {sha256(p.read_text()): p.read_text() for p in files}


class TrustedDocuments:
    """The registered documents by sha256 (hex); ``only``: nothing else runs."""

    def __init__(self, documents: dict[str, str], *, only: bool) -> None:
        self.documents = documents
        self.only = only
