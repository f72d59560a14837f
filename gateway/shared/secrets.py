"""Credentials that never show themselves: repr, str and logs see a fingerprint only."""

from __future__ import annotations

import hashlib
import hmac


class Credential:
    """An upstream API key or token. Only ``reveal()`` gives the secret, for the Authorization header."""

    __slots__ = ("_secret", "fingerprint")

    def __init__(self, secret: str) -> None:
        if not secret or not secret.strip():
            raise ValueError("an empty credential")
        self._secret = secret.strip()
        #: A stable, non-reversible id for cache keys, logs and audit records.
        self.fingerprint = fingerprint(self._secret)

    def reveal(self) -> str:
        return self._secret

    def __repr__(self) -> str:
        return f"Credential(fingerprint={self.fingerprint})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Credential) and hmac.compare_digest(self._secret, other._secret)

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __reduce__(self) -> tuple[object, ...]:  # never pickled into a cache by accident
        raise TypeError("a Credential cannot be pickled")


def fingerprint(secret: str) -> str:
    """A short sha256 fingerprint: enough to tell keys apart, useless for recovering one."""
    return hashlib.sha256(b"go4graph:" + secret.encode()).hexdigest()[:16]
