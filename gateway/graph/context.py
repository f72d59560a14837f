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
    #: The executors that ran this request's operation (``release`` empties them).
    executors: list[Any] = field(default_factory=list)

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

    def release(self) -> None:
        """Once the answer is encoded: drop what the request worked out (objects that point
        back at their resources), so that its tables go with the request by reference
        counting rather than waiting for the cyclic collector."""
        for res in self._resources.values():
            res.answers.clear()
        self.arguments.clear()
        for executor in self.executors:
            executor.release()
        self.executors.clear()
        self._resources.clear()


Info = strawberry.Info[Context, None]
