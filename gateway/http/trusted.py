"""Trusted documents: operations registered at deploy time and addressed by their sha256.

A manifest is a JSON object ``{"<sha256 hex>": "<document text>"}`` (the format
``go4graph manifest`` writes from .graphql files, e.g. schema/examples/), or a
folder of .graphql files. A request names a document by

- ``"documentId": "sha256:<hex>"`` (GraphQL over HTTP's trusted documents), or
- ``"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}`` (Apollo's form).

With ``GO4GRAPH_TRUSTED_ONLY=true`` any other document is refused, so a stolen
token cannot be used to run arbitrary queries over children's data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gateway.setting_values import load_manifest, sha256

__all__ = ["TrustedDocumentError", "TrustedDocuments", "load_manifest", "manifest_for", "sha256"]


class TrustedDocumentError(ValueError):
    """A request that names an unknown document, or sends free text when only trusted ones run."""


def manifest_for(files: list[Path]) -> dict[str, str]:
    return {sha256(p.read_text()): p.read_text() for p in files}


class TrustedDocuments:
    def __init__(self, documents: dict[str, str], *, only: bool) -> None:
        self.documents = documents
        self.only = only

    def resolve(self, payload: dict[str, Any]) -> str | None:
        """The query text the request asks to run (None when it has none)."""
        digest = _requested_hash(payload)
        query = payload.get("query")
        if digest is not None:
            text = self.documents.get(digest)
            if text is None:
                raise TrustedDocumentError("Unknown document id: this gateway runs only documents "
                                           "registered at deploy time")
            if isinstance(query, str) and query and sha256(query) != digest:
                raise TrustedDocumentError("The query text does not match its document id")
            return text
        if self.only and query:
            if isinstance(query, str) and sha256(query) in self.documents:
                return query
            raise TrustedDocumentError("This gateway runs only trusted documents: send a "
                                       "documentId (sha256:<hash>) registered at deploy time")
        return query if isinstance(query, str) else None


def _requested_hash(payload: dict[str, Any]) -> str | None:
    document_id = payload.get("documentId")
    if isinstance(document_id, str) and document_id:
        return document_id.removeprefix("sha256:").lower()
    extensions = payload.get("extensions")
    if isinstance(extensions, dict):
        persisted = extensions.get("persistedQuery")
        if isinstance(persisted, dict) and isinstance(persisted.get("sha256Hash"), str):
            return persisted["sha256Hash"].lower()
    return None
