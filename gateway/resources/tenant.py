"""Whose data a request reads: the upstream credential (and school) behind it."""

from __future__ import annotations

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
        raw = f"{self.credential.fingerprint}/{self.school_code or ''}"
        return hashlib.sha256(raw.encode()).hexdigest()[:20]
