"""Every key the resource cache writes, built in one place: the namespace, the tenant's hash,
then the resource (so one school's data can never answer another's request, and no key holds
a credential)."""

from __future__ import annotations

from gateway.resources.keys import ResourceKey
from gateway.resources.tenant import Tenant

NAMESPACE = "go4graph:v1"


def tenant_prefix(tenant: Tenant) -> str:
    """Every key of one tenant starts with this (what a purge deletes)."""
    return f"{NAMESPACE}:{tenant.id}:"


def cache_key(tenant: Tenant, key: ResourceKey) -> str:
    """The one place cache keys are built: namespace, tenant hash, resource."""
    return f"{tenant_prefix(tenant)}{key}"


def lock_key(tenant: Tenant, key: ResourceKey) -> str:
    """The replicas' walk lock for one resource of one tenant."""
    return f"{tenant_prefix(tenant)}lock:{key}"


def marker_key(tenant: Tenant) -> str:
    """Present while the tenant may have values cached: a purge for a tenant without it is free
    (a stream of bad keys in passthrough mode must not become a stream of keyspace scans)."""
    return marker_key_for(tenant_prefix(tenant))


def marker_key_for(prefix: str) -> str:
    return f"{prefix}~cached"


#: How long a tenant's marker outlives its last write: longer than any value's TTL.
MARKER_TTL = 8 * 24 * 3600.0
