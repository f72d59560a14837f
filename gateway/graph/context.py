"""The per-request context: settings, tenants, and each tenant's resource memo, built in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import strawberry

from gateway.resources.memo import Resources
from gateway.resources.store import ResourceStore
from gateway.resources.tenant import Tenant
from gateway.settings import Settings

if TYPE_CHECKING:
    from gateway.services import Services


@dataclass
class Context:
    settings: Settings
    services: Services
    store: ResourceStore
    request_id: str
    #: The schools this caller may read, by school code (None: the one school of the key).
    tenants: dict[str | None, Tenant]
    #: Why there is no tenant (shown as UNAUTHENTICATED at the first field that needs one).
    auth_problem: str | None = None
    fresh: bool = False
    request: Any = None
    _resources: dict[str, Resources] = field(default_factory=dict)
    #: A field's arguments as Python values, converted once per field node and request (not
    #: once per object: ``resolvers.install``).
    arguments: dict[Any, dict[str, Any]] = field(default_factory=dict)

    def resources_for(self, tenant: Tenant) -> Resources:
        res = self._resources.get(tenant.id)
        if res is None:
            res = Resources(self.store, tenant, fresh=self.fresh)
            self._resources[tenant.id] = res
        return res

    @property
    def all_resources(self) -> list[Resources]:
        return list(self._resources.values())

    @property
    def unplanned(self) -> int:
        return sum(r.unplanned for r in self._resources.values())


Info = strawberry.Info[Context, None]
