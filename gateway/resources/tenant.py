"""Whose data a request reads: the upstream credential (and school) behind it."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

from gateway.categories import Category
from gateway.shared.secrets import Credential


@dataclass(frozen=True, slots=True)
class Tenant:
    """One school as seen through one credential. ``id`` prefixes every cache key."""

    credential: Credential
    school_code: str | None = None
    assembly: Credential | None = None
    #: Who is calling, for logs and audit: a token id or a key fingerprint, never a secret.
    caller: str = ""
    #: The data categories this caller may read (issue 17); None: every category (the caller
    #: holds the school's key, or the gateway serves everything it may).
    categories: frozenset[Category] | None = None

    @property
    def id(self) -> str:
        return _tenant_id(self.credential.fingerprint, self.school_code or "")


@functools.lru_cache(maxsize=4096)
def _tenant_id(fingerprint: str, school_code: str) -> str:
    """A tenant's id, hashed once per (key fingerprint, school), not on each of the ~10 reads
    of a request (issue 19's profile of the per-request fixed cost). Fingerprints, not keys."""
    return hashlib.sha256(f"{fingerprint}/{school_code}".encode()).hexdigest()[:20]
