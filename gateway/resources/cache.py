"""The cross-request resource cache behind an interface we own.

``memory://`` keeps normalised tables in process (aiocache's SimpleMemoryCache);
``redis://host:port/db`` keeps the raw upstream data as compact orjson bytes
(zlib-compressed when large), sealed (``gateway.resources.seal``), in a shared
Redis (aiocache's RedisCache) and normalises on read. Every key is built here and
starts with the namespace and the tenant's hash, so one school's data can never
answer another's request and no key or value holds a credential.

A Redis that stops answering costs little: operations time out quickly, the
cache then refuses at once for a short back-off (``CacheUnavailable``) so
requests go straight to the upstream, and ``ping`` (``/readyz``) says so.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import zlib
from collections import OrderedDict
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import orjson
from aiocache import RedisCache
from aiocache.serializers import NullSerializer
from redis.asyncio import BlockingConnectionPool

from gateway import clock, metrics
from gateway.resources.cache_keys import (  # noqa: F401  (importable from here, as before)
    MARKER_TTL,
    NAMESPACE,
    cache_key,
    lock_key,
    marker_key,
    marker_key_for,
    tenant_prefix,
)
from gateway.resources.keys import ResourceKey
from gateway.resources.memory_cache import MemoryResourceCache
from gateway.resources.normalise import normalise
from gateway.resources.redis_conn import tls_options
from gateway.resources.redis_values import (
    ACQUIRE,
    COMPRESS_OVER,
    FAILURES,
    GET_IF_CHANGED,
    HELD_CAP,
    RAW,
    RELEASE,
    STAMP_LEN,
    ZLIB,
    LoopHeld,
)
from gateway.resources.seal import CacheSeal, SealError
from gateway.resources.table import Table
from gateway.resources.tenant import Tenant

log = logging.getLogger("go4graph.cache")

class CacheUnavailable(Exception):
    """The backend cannot answer now (down, or backing off after a failure): use the upstream."""


class ResourceCache(Protocol):
    name: str

    async def get(self, tenant: Tenant, key: ResourceKey) -> Table | None: ...

    def encode(self, data: Any) -> Any:
        """What ``set`` stores for upstream ``data``; taken before normalising, which may
        rewrite rows in place."""
        ...

    async def set(self, tenant: Tenant, key: ResourceKey, data: Any, table: Table,
                  ttl: float) -> None: ...

    async def delete(self, tenant: Tenant, key: ResourceKey) -> None: ...

    async def purge(self, tenant: Tenant) -> int:
        """Drop everything cached for the tenant (its access was revoked); how many keys went."""
        ...

    async def lock(self, tenant: Tenant, key: ResourceKey, ttl: float) -> str | None:
        """Take the walk lock for ``key`` for ``ttl`` seconds: a token, or None if another holds it."""
        ...

    async def unlock(self, tenant: Tenant, key: ResourceKey, token: str) -> None: ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


# --- Redis (its values, scripts and loop watch: redis_values.py) ---------------------------

#: Redis connections one process keeps at most; more concurrent operations wait their turn.
REDIS_POOL_SIZE = 128

class RedisResourceCache:
    """Raw upstream data in a shared Redis, normalised on read.

    Each process keeps the tables it normalised last (``local_entries``, LRU) by
    the value's stamp: a hit on an unchanged value costs one small round trip and
    no parsing, while a value rewritten, deleted or expired in Redis (by any
    replica) is never served from the local copy.
    """

    name = "redis"

    def __init__(self, url: str, *, timeout: float = 1.0, retry_after: float = 5.0,
                 local_entries: int = 256, seal: CacheSeal | None = None) -> None:
        #: Seals every value written (gateway.resources.seal); None: the demo mode's public key.
        self.seal = seal or CacheSeal.for_demo()
        parts = urlsplit(url)
        db = (parts.path or "/").lstrip("/").split("/")[0] or "0"
        # A pool that waits for a free connection rather than failing: redis-py's default pool
        # raises MaxConnectionsError past 100 connections in use, which a busy replica reaches
        # (every request reads several resources at once) and which would count as an outage.
        # The wait is bounded by ``_call``'s deadline like every other step.
        pool_kwargs: dict[str, Any] = {"socket_timeout": timeout, "timeout": None}
        if parts.username:
            pool_kwargs["username"] = unquote(parts.username)
        pool_kwargs.update(tls_options(url))  # rediss://…?ssl_ca_certs=… (gateway.resources.redis_conn)
        self._cache = RedisCache(
            serializer=NullSerializer(encoding=None), endpoint=parts.hostname or "127.0.0.1",
            port=parts.port or 6379, db=int(db),
            password=unquote(parts.password) if parts.password else None,
            timeout=timeout, create_connection_timeout=timeout, ssl=parts.scheme == "rediss",
            pool_max_size=REDIS_POOL_SIZE, connection_pool_class=BlockingConnectionPool,
            connection_pool_kwargs=pool_kwargs)
        self._client = self._cache.client
        self._get_if_changed = self._client.register_script(GET_IF_CHANGED)
        self._release = self._client.register_script(RELEASE)
        self._acquire = self._client.register_script(ACQUIRE)
        self.timeout = timeout
        #: Seconds the cache refuses at once after a failure, so no request waits on a dead Redis.
        self.retry_after = retry_after
        self._down_until = 0.0
        self._down = False
        #: Local tables by key: (stamp, table, expiry instant by ``gateway.clock``).
        self._local: OrderedDict[str, tuple[bytes, Table, float]] = OrderedDict()
        self._local_entries = local_entries
        #: Bumped by every local drop (invalidation, purge, outage): a read that saw it change
        #: while Redis answered does not remember the value it read.
        self._drops = 0
        self._held = LoopHeld()
        # Every operation is bounded by ``_call``, which knows when this process's own loop
        # was the reason for a missed deadline; the client's inner timers (aiocache's and the
        # socket's) cannot tell, so they are left only what ``_call`` does not bound.
        self._cache.timeout = None
        for inner in ("socket_timeout", "socket_connect_timeout"):
            self._client.connection_pool.connection_kwargs[inner] = timeout * (HELD_CAP + 1)

    # --- health --------------------------------------------------------------

    async def _call(self, op: Any, limit: float | None = None) -> Any:
        if self._down and clock.monotonic() < self._down_until:
            op.close()  # never started: no round trip to a Redis that just failed
            raise CacheUnavailable("the Redis cache is backing off after a failure")
        limit = limit or self.timeout
        # A Redis round trip's time limit is a measurement of real time (asyncio.wait's timeout
        # runs on the event loop's clock, and LoopHeld measures the loop): ``time.monotonic``
        # here, not ``gateway.clock``, whose manual form would never let a wait end.
        first = started = time.monotonic()
        held = self._held.now()
        task = asyncio.ensure_future(op)
        try:
            while True:
                remaining = started + limit - time.monotonic()
                if remaining > 0:
                    await asyncio.wait((task,), timeout=remaining)
                if task.done():
                    break
                # The deadline passed. If this process held its own event loop for half the
                # window or more (long synchronous stretches of other requests' work), Redis's
                # answer may be waiting unread: that says nothing about Redis, so it gets
                # another window, up to HELD_CAP windows in all.
                now, held_now = time.monotonic(), self._held.now()
                if held_now - held < (now - started) / 2 or now - first > limit * HELD_CAP:
                    raise TimeoutError("the Redis cache did not answer in time")
                started, held = now, held_now
            result = task.result()
        except FAILURES as exc:
            self._failed(exc)
            raise CacheUnavailable("the Redis cache did not answer") from exc
        finally:
            if not task.done():
                task.cancel()
        self._recovered()
        return result

    def _failed(self, exc: BaseException) -> None:
        if not self._down:
            # One warning per outage (not per request); the metric counts every skipped call.
            log.warning("redis cache unreachable: serving from the upstream",
                        extra={"backend": self.name, "error": type(exc).__name__,
                               "retry_after": self.retry_after})
        self._down = True
        self._down_until = clock.monotonic() + self.retry_after
        self._drop_local()  # what another replica changes meanwhile cannot be checked

    def _recovered(self) -> None:
        if self._down:
            self._down = False
            log.warning("redis cache reachable again", extra={"backend": self.name})

    async def ping(self) -> bool:
        """A real round trip (even while backing off); False while Redis does not answer."""
        try:
            await asyncio.wait_for(self._client.ping(), self.timeout)
        except FAILURES as exc:
            self._failed(exc)
            return False
        self._recovered()
        return True

    # --- values --------------------------------------------------------------

    def encode(self, data: Any) -> bytes:
        payload = orjson.dumps(data)
        if len(payload) > COMPRESS_OVER:
            return ZLIB + zlib.compress(payload, 1)
        return RAW + payload

    @staticmethod
    def _decode(body: bytes) -> Any:
        kind, payload = body[:1], body[1:]
        if kind == ZLIB:
            payload = zlib.decompress(payload)
        elif kind != RAW:
            raise ValueError("unknown cache value format")
        return orjson.loads(payload)

    async def get(self, tenant: Tenant, key: ResourceKey) -> Table | None:
        k = cache_key(tenant, key)
        local, drops = self._local.get(k), self._drops
        if local is None:
            value = await self._call(self._cache.get(k))
        else:
            value = await self._call(self._get_if_changed(keys=[k], args=[local[0]]))
        # While Redis answered, this process may have changed ``self._local[k]``: a write put
        # a new value, an invalidation or a purge removed it, an outage cleared every entry,
        # the LRU let it go. From here on only ``local`` (what this read asked Redis about)
        # and ``value`` (Redis's answer) are trusted, and the local entry is touched only
        # while it is still ``local``.
        if value is None:
            self._forget(k, local)
            return None
        if local is not None and len(value) == STAMP_LEN:
            if self._local.get(k) is not local:
                return None  # dropped or replaced meanwhile: a plain miss, never an error
            if _expired(local[2]):
                self._forget(k, local)
                return None
            self._local.move_to_end(k)
            return local[1]
        stamp, body = bytes(value[:STAMP_LEN]), bytes(value[STAMP_LEN:])
        try:
            plain, expires = self.seal.open_with_expiry(body, k.encode() + stamp)
            if _expired(expires):
                # Freshness is the gateway's decision, by its clock (Redis's own TTL, in real
                # time, only reclaims the memory): past its expiry instant it is a plain miss.
                self._forget(k, local)
                return None
            table = normalise(key.route, self._decode(plain))
        except (ValueError, zlib.error) as exc:
            sealed = isinstance(exc, SealError)  # forged, moved, another secret's, or replayed
            metrics.CACHE_REJECTED.labels(self.name, "seal" if sealed else "format").inc()
            log.warning("unreadable cache value dropped", extra={"backend": self.name,
                                                                 "route": key.route,
                                                                 "reason": str(exc) if sealed
                                                                 else type(exc).__name__})
            await self._call(self._cache.delete(k))
            return None
        if self._local.get(k) is local and self._drops == drops:
            # Not when a write, an invalidation or another read changed the entry meanwhile
            # (which value is newer is Redis's to say, on the next read's stamp check), nor
            # when anything was dropped meanwhile: an invalidated value is never remembered.
            self._remember(k, stamp, table, expires)
        return table

    def _forget(self, k: str, seen: tuple[bytes, Table, float] | None) -> None:
        """Drop the local entry for ``k`` only if it is still the one a read saw."""
        if seen is not None and self._local.get(k) is seen:
            del self._local[k]

    def _drop_local(self, k: str | None = None) -> None:
        """Drop one local entry (or all): reads under way then remember nothing they read."""
        self._drops += 1
        if k is None:
            self._local.clear()
        else:
            self._local.pop(k, None)

    async def set(self, tenant: Tenant, key: ResourceKey, data: Any, table: Table,
                  ttl: float) -> None:
        if ttl <= 0:
            return
        k = cache_key(tenant, key)
        body = data if isinstance(data, bytes) else self.encode(data)
        stamp = os.urandom(STAMP_LEN // 2).hex().encode()
        # The marker first: no value is ever left where a purge would not look for it.
        await self._call(self._client.set(marker_key(tenant), b"1", px=int(MARKER_TTL * 1000)))
        expires = clock.now() + ttl  # the expiry instant the seal carries too
        sealed = self.seal.seal(body, k.encode() + stamp, ttl)
        await self._call(self._cache.set(k, stamp + sealed, ttl=float(ttl)))
        self._remember(k, stamp, table, expires)

    def _remember(self, k: str, stamp: bytes, table: Table, expires: float) -> None:
        self._local[k] = (stamp, table, expires)
        self._local.move_to_end(k)
        while len(self._local) > self._local_entries:
            self._local.popitem(last=False)

    async def delete(self, tenant: Tenant, key: ResourceKey) -> None:
        k = cache_key(tenant, key)
        self._drop_local(k)
        await self._call(self._cache.delete(k))

    async def purge(self, tenant: Tenant) -> int:
        prefix = tenant_prefix(tenant)
        for k in [k for k in self._local if k.startswith(prefix)]:
            self._drop_local(k)
        self._drops += 1  # even with nothing local: reads under way must not remember
        if not await self._call(self._client.exists(marker_key(tenant))):
            return 0  # nothing was ever cached for it (e.g. a key that never worked)
        return int(await self._call(self._purge(prefix), limit=max(30.0, self.timeout)))

    async def _purge(self, prefix: str) -> int:
        gone, batch = 0, []
        # The prefix is hex and fixed words: nothing in it is a glob character.
        marker = marker_key_for(prefix).encode()
        async for k in self._client.scan_iter(match=prefix + "*", count=500):
            batch.append(k)
            gone -= k == marker  # the marker goes too, but is not a cached value
            if len(batch) >= 500:
                gone += await self._client.unlink(*batch)
                batch = []
        if batch:
            gone += await self._client.unlink(*batch)
        return gone

    # --- the replicas' walk lock ----------------------------------------------

    async def lock(self, tenant: Tenant, key: ResourceKey, ttl: float) -> str | None:
        now = clock.now()
        token = f"{os.urandom(8).hex()}:{now + ttl!r}"  # the expiry instant travels with it
        taken = await self._call(self._acquire(keys=[lock_key(tenant, key)],
                                               args=[token, max(1, int(ttl * 1000)), repr(now)]))
        return token if taken else None

    async def unlock(self, tenant: Tenant, key: ResourceKey, token: str) -> None:
        await self._call(self._release(keys=[lock_key(tenant, key)], args=[token]))

    async def close(self) -> None:
        self._held.stop()
        self._local.clear()
        try:
            await self._client.aclose()
        except Exception:  # closing a pool to a dead Redis must not fail shutdown
            pass


def _expired(expires: float) -> bool:
    """Whether a value whose expiry instant is ``expires`` (0: none) has expired by the clock."""
    return bool(expires) and expires <= clock.now()


def build_cache(url: str, *, timeout: float = 1.0, seal: CacheSeal | None = None) -> ResourceCache:
    if url.startswith("memory://"):
        return MemoryResourceCache()
    if url.startswith(("redis://", "rediss://")):
        return RedisResourceCache(url, timeout=timeout, seal=seal)
    raise ValueError(f"unsupported cache URL scheme: {url.split('://')[0]}")
