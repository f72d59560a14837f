"""Sealed cache values: what goes to Redis is encrypted and authenticated (AES-256-GCM).

A sealed value is::

    b"\\x01" | key id (4 bytes) | nonce (12 bytes) | AES-GCM(expires_at (8 bytes) | value)

The associated data is the Redis key the value is stored under (and whatever
the caller adds), so a value copied under another key — another tenant's, or
another resource's — fails authentication exactly as a rewritten one does; the
sealed expiry time makes an old value replayed after it would have expired fail
too. A value that fails is reported as ``SealError`` (a ``ValueError``): the
cache treats it as a miss and the upstream answers instead.

Keys come from ``GO4GRAPH_CACHE_SECRET``: one secret, or several separated by
commas during a rotation. Each secret (any string of at least 32 characters,
e.g. ``openssl rand -base64 32``) is stretched with HKDF-SHA256 into an AES key;
the first seals, every one opens. A four-byte id (a keyed hash of the AES key,
not of the secret) picks the key that opens a value without trial decryption.

The demo mode's values are sealed with a public key (``DEMO_SECRET``): its data
is the simulator's synthetic school. A gateway with a real upstream and a Redis
cache refuses to start without a secret (``gateway.settings``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from collections.abc import Callable, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gateway import clock
from gateway.setting_values import MIN_SECRET, parse_secrets

__all__ = ["MIN_SECRET", "CacheSeal", "SealError", "derive", "parse_secrets"]

VERSION = b"\x01"
KEY_ID_LEN, NONCE_LEN, TAG_LEN = 4, 12, 16
_HEAD = len(VERSION) + KEY_ID_LEN + NONCE_LEN
_EXPIRY = struct.Struct(">d")
#: Seconds a sealed expiry may run behind this clock (replicas' clocks differ a little).
CLOCK_SKEW = 30.0
#: The demo mode's public secret: its cache holds only the simulator's synthetic school.
DEMO_SECRET = "go4graph-demo-school-synthetic-data-only-not-a-secret"


class SealError(ValueError):
    """A value that is not a sealed value of ours, fails authentication, or has expired."""


def derive(secret: str) -> bytes:
    """The AES-256 key for one configured secret."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"go4graph cache seal v1",
                info=b"aes-256-gcm").derive(secret.strip().encode())


class CacheSeal:
    """Seals and opens cache values with the configured keys (the first one seals)."""

    def __init__(self, secrets: Sequence[str], *, clock: Callable[[], float] = clock.now) -> None:
        if not secrets:
            raise ValueError("a cache seal needs at least one secret")
        self._keys: dict[bytes, AESGCM] = {}
        self._sealer: tuple[bytes, AESGCM] | None = None
        for secret in secrets:
            raw = derive(secret)
            kid = hmac.new(raw, b"go4graph key id", hashlib.sha256).digest()[:KEY_ID_LEN]
            aead = AESGCM(raw)
            self._keys.setdefault(kid, aead)
            if self._sealer is None:
                self._sealer = (kid, aead)
        self.clock = clock
        #: True when sealing with the public demo secret (synthetic data only).
        self.demo = list(secrets) == [DEMO_SECRET]

    @classmethod
    def for_demo(cls) -> CacheSeal:
        return cls([DEMO_SECRET])

    def seal(self, value: bytes, aad: bytes, ttl: float | None = None) -> bytes:
        """``value`` sealed to ``aad``; with ``ttl``, it stops opening that many seconds from now."""
        assert self._sealer is not None
        kid, aead = self._sealer
        nonce = os.urandom(NONCE_LEN)
        expires = self.clock() + ttl if ttl else 0.0
        return VERSION + kid + nonce + aead.encrypt(nonce, _EXPIRY.pack(expires) + value, aad)

    def open(self, sealed: bytes, aad: bytes) -> bytes:
        """The value sealed to ``aad``; ``SealError`` for anything else (the content never shown),
        including a value past its sealed expiry (beyond ``CLOCK_SKEW``)."""
        value, expires = self.open_with_expiry(sealed, aad)
        if expires and expires + CLOCK_SKEW < self.clock():
            raise SealError("a cache value outlived its time to live")
        return value

    def open_with_expiry(self, sealed: bytes, aad: bytes) -> tuple[bytes, float]:
        """The value sealed to ``aad`` and its sealed expiry instant (wall seconds; 0: none).

        Whether it has expired is the caller's decision, by ``gateway.clock``."""
        if len(sealed) < _HEAD + _EXPIRY.size + TAG_LEN or sealed[:1] != VERSION:
            raise SealError("not a sealed cache value")
        aead = self._keys.get(bytes(sealed[1:1 + KEY_ID_LEN]))
        if aead is None:
            raise SealError("sealed with a key this gateway does not hold")
        try:
            plain = aead.decrypt(bytes(sealed[1 + KEY_ID_LEN:_HEAD]), bytes(sealed[_HEAD:]), aad)
        except InvalidTag:
            raise SealError("a cache value failed authentication") from None
        (expires,) = _EXPIRY.unpack_from(plain)
        return plain[_EXPIRY.size:], float(expires)
