"""Which document a request runs: its text, a trusted document, or an automatic persisted query.

**Trusted documents** (gateway/http/trusted.py) are registered at deploy time and named by
``documentId`` or by Apollo's ``persistedQuery`` extension; with ``GO4GRAPH_TRUSTED_ONLY``
nothing else runs, and an unknown hash is refused with ``PERSISTED_QUERY_NOT_SUPPORTED``
(400): automatic persisted queries are off there, as Apollo Router and Apollo Server say.

**Automatic persisted queries (APQ)**, Apollo's ``persistedQuery`` extension version 1,
otherwise:

1. a request with only ``extensions.persistedQuery.sha256Hash`` whose hash is unknown is
   answered 200 with the error ``PersistedQueryNotFound`` (code ``PERSISTED_QUERY_NOT_FOUND``),
   and the client sends the hash again with the text;
2. hash and text: the sha256 of the text is checked (a mismatch is ``BAD_USER_INPUT``), the
   operation runs, and once its document has parsed and validated the text is stored under
   the hash: in this process (least recently used out first, bounded in bytes) and, with a
   Redis cache, in Redis through the resource cache's public interface (sealed like every
   value written there) so that every replica knows it;
3. afterwards the hash alone runs the document, by POST or by GET (which a CDN may cache).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass

from prometheus_client import Counter

from gateway import metrics
from gateway.http.answers import Refused
from gateway.http.reading import Envelope
from gateway.http.trusted import TrustedDocuments
from gateway.resources.cache import CacheUnavailable, ResourceCache
from gateway.resources.keys import ResourceKey
from gateway.resources.table import Table
from gateway.resources.tenant import Tenant
from gateway.shared.secrets import Credential

log = logging.getLogger("go4graph.apq")

NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
#: The cache's resource kind for persisted queries.
KIND = "persisted-query"
#: Whose documents they are in the shared cache: every school's (a hash names its text, so
#: knowing a document requires already knowing it). Cache keys start with this owner's id.
OWNER = Tenant(Credential("go4graph:automatic-persisted-queries"))
#: Seconds a stored document lives in Redis after its last registration.
SHARED_TTL = 7 * 24 * 3600.0
_HEX64 = re.compile(r"[0-9a-f]{64}")

APQ_EVENTS = Counter("go4graph_persisted_queries", "Automatic persisted queries by event: hit "
                     "(in process), shared_hit (from Redis), not_found, registered",
                     ["event"], registry=metrics.REGISTRY)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class Registration:
    """A verified hash and text, to store once the document has validated."""

    digest: str
    text: str


class PersistedQueries:
    """Automatic persisted queries by sha256: in process (LRU, bounded in bytes), and shared."""

    def __init__(self, shared: ResourceCache | None, *, max_bytes: int) -> None:
        self._shared = shared
        self.max_bytes = max_bytes
        self.bytes = 0
        self._local: OrderedDict[str, str] = OrderedDict()

    async def get(self, digest: str) -> str | None:
        text = self._local.get(digest)
        if text is not None:
            self._local.move_to_end(digest)
            APQ_EVENTS.labels("hit").inc()
            return text
        text = await self._shared_get(digest)
        if text is None:
            APQ_EVENTS.labels("not_found").inc()
            return None
        APQ_EVENTS.labels("shared_hit").inc()
        self._remember(digest, text)
        return text

    async def _shared_get(self, digest: str) -> str | None:
        if self._shared is None:
            return None
        try:
            table = await self._shared.get(OWNER, ResourceKey(KIND, None, digest))
        except CacheUnavailable:
            return None  # Redis is down (the cache says so once per outage): the client resends
        except Exception as exc:  # noqa: BLE001 - any other failure: a miss, and say so
            log.warning("persisted queries: shared cache unreadable",
                        extra={"error": type(exc).__name__})
            return None
        row = table.rows[0] if table is not None and table.rows else None
        text = row.get("query") if row is not None else None
        if not isinstance(text, str) or sha256_hex(text) != digest:
            return None  # never run a text that is not the hash's
        return text

    def peek(self, digest: str) -> str | None:
        """The text if this process holds it (no shared look-up, not counted, order unchanged)."""
        return self._local.get(digest)

    async def put(self, registration: Registration) -> None:
        digest, text = registration.digest, registration.text
        if digest in self._local:
            self._local.move_to_end(digest)
            return
        self._remember(digest, text)
        APQ_EVENTS.labels("registered").inc()
        if self._shared is None:
            return
        rows = [{"query": text}]
        try:
            await self._shared.set(OWNER, ResourceKey(KIND, None, digest),
                                   self._shared.encode(rows) or rows, Table(rows), SHARED_TTL)
        except CacheUnavailable:
            pass  # kept in this process; the others will ask their clients for the text
        except Exception as exc:  # noqa: BLE001 - likewise, but say so
            log.warning("persisted query not shared", extra={"error": type(exc).__name__})

    def _remember(self, digest: str, text: str) -> None:
        size = _size(text)
        if size > self.max_bytes // 8:
            return  # one document never takes more than an eighth
        self._local[digest] = text
        self.bytes += size
        while self.bytes > self.max_bytes and self._local:
            _, old = self._local.popitem(last=False)
            self.bytes -= _size(old)

    def __len__(self) -> int:
        return len(self._local)


def _size(text: str) -> int:
    return len(text) + 64 + 50  # the text, its hash and the entry


class DocumentResolver:
    """The text a request asks to run, by trusted documents and automatic persisted queries."""

    def __init__(self, trusted: TrustedDocuments, apq: PersistedQueries) -> None:
        self.trusted = trusted
        self.apq = apq

    async def resolve(self, envelope: Envelope) -> tuple[str, Registration | None, str]:
        """The text; for an APQ sent with its text, what to store once it validates; and how
        the text was named ("text", "trusted", "apq-hit", "apq-register"), for the log."""
        query = envelope.query
        if envelope.document_id is not None:
            named = envelope.document_id.removeprefix("sha256:").lower()
            return self._trusted(named, query), None, "trusted"
        digest = _apq_hash(envelope)
        if digest is not None:
            if digest in self.trusted.documents:
                return self._trusted(digest, query), None, "trusted"
            if self.trusted.only:
                raise Refused(400, "PersistedQueryNotSupported: this gateway runs only trusted "
                              "documents registered at deploy time, so automatic persisted "
                              "queries are off and this hash is unknown", NOT_SUPPORTED)
            if query:
                if sha256_hex(query) != digest:
                    raise Refused(400, "provided sha does not match query: "
                                  "extensions.persistedQuery.sha256Hash must be the sha256 (hex) "
                                  "of the query text", "BAD_USER_INPUT")
                return query, Registration(digest, query), "apq-register"
            text = await self.apq.get(digest)
            if text is None:
                refused = Refused(200, "PersistedQueryNotFound", NOT_FOUND)
                refused.outcome = "persisted_query_not_found"
                raise refused
            return text, None, "apq-hit"
        if self.trusted.only and query:
            if sha256_hex(query) in self.trusted.documents:
                return query, None, "trusted"
            raise Refused(400, "This gateway runs only trusted documents: send a documentId "
                          "(sha256:<hash>) registered at deploy time", "BAD_USER_INPUT")
        if not query or not query.strip():
            raise Refused(400, "No GraphQL query found in the request", "BAD_USER_INPUT")
        return query, None, "text"

    def _trusted(self, digest: str, query: str | None) -> str:
        text = self.trusted.documents.get(digest)
        if text is None:
            raise Refused(400, "Unknown document id: this gateway runs only documents registered "
                          "at deploy time", "BAD_USER_INPUT")
        if query and sha256_hex(query) != digest:
            raise Refused(400, "The query text does not match its document id", "BAD_USER_INPUT")
        return text


def _apq_hash(envelope: Envelope) -> str | None:
    """Apollo's ``extensions.persistedQuery`` hash (lower case), checked; None when absent."""
    persisted = (envelope.extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict):
        raise Refused(400, "extensions.persistedQuery must be an object {version: 1, sha256Hash}",
                      "BAD_USER_INPUT")
    if persisted.get("version") != 1:
        raise Refused(400, "Unsupported persisted query version: extensions.persistedQuery."
                      "version must be 1", "BAD_USER_INPUT")
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not _HEX64.fullmatch(digest.lower()):
        raise Refused(400, "extensions.persistedQuery.sha256Hash must be a sha256 in hex "
                      "(64 characters)", "BAD_USER_INPUT")
    return digest.lower()
