"""Who a request reads as: the credential modes of DESIGN.md ("Configuration and modes").

- demo: no upstream URL; the simulator's demo key, unless the caller sends its own
  ``Authorization: Bearer`` (the second demo key tries passthrough and tenancy);
- passthrough: the caller's ``Authorization: Bearer <school API key>`` goes upstream;
- server key: ``GO4GRAPH_API_KEY`` with ``GO4GRAPH_ALLOW_ANONYMOUS=true``;
- trust: ``GO4GRAPH_SCHOOLS_FILE`` maps gateway tokens to schools (``gateway.trust``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gateway.categories import Category
from gateway.resources.tenant import Tenant
from gateway.settings import Settings
from gateway.shared.secrets import Credential

if TYPE_CHECKING:
    from gateway.trust import SchoolsFileWatcher, Trust


@dataclass(frozen=True)
class Resolved:
    tenants: dict[str | None, Tenant]
    problem: str | None = None


def bearer(headers: Mapping[str, str]) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class TenantResolver:
    """Maps a request's headers to the tenants it may read. Secrets never leave ``Credential``."""

    def __init__(self, settings: Settings, demo_key: str | None = None,
                 demo_assembly: Mapping[str, str] | None = None,
                 trust: Trust | SchoolsFileWatcher | None = None) -> None:
        self.settings = settings
        self.trust = trust
        self._demo = Credential(demo_key) if demo_key else None
        # Demo mode: which Assembly token goes with which demo key (never another school's).
        self._demo_assembly = {Credential(k).fingerprint: Credential(v)
                               for k, v in (demo_assembly or {}).items()}
        self._server = (Credential(settings.api_key.get_secret_value())
                        if settings.api_key is not None else None)
        self._server_assembly = (Credential(settings.assembly_token.get_secret_value())
                                 if settings.assembly_token is not None else None)

    @property
    def mode(self) -> str:
        if self.trust is not None:
            return "trust"
        if self.settings.demo:
            return "demo"
        if self._server is not None:
            return "server-key"
        return "passthrough"

    def resolve(self, headers: Mapping[str, str]) -> Resolved:
        token = bearer(headers)
        if self.trust is not None:
            # A token reaches exactly the schools the file grants it; everything else is refused
            # before any upstream call.
            if token is None:
                return Resolved({}, "Send 'Authorization: Bearer <gateway token>' to read a school")
            tenants = self.trust.tenants_for(token)
            if not tenants:
                if self.trust.expired(token):
                    return Resolved({}, "This gateway token has expired")
                return Resolved({}, "This gateway token is not recognised")
            return Resolved(tenants)
        if self.settings.demo:
            if token is None and self._demo is not None:
                return Resolved({None: self._tenant(self._demo, "demo",
                                                    categories=self.settings.anonymous_categories)})
            if token is not None:
                return Resolved({None: self._tenant(Credential(token), "passthrough",
                                                    headers.get("x-assembly-token"))})
        if self._server is not None:
            return Resolved({None: Tenant(self._server, assembly=self._server_assembly,
                                          caller="server-key",
                                          categories=self.settings.anonymous_categories)})
        if token is None:
            return Resolved({}, "Send 'Authorization: Bearer <school API key>' to read a school")
        return Resolved({None: self._tenant(Credential(token), "passthrough",
                                            headers.get("x-assembly-token"))})

    def held_tenants(self) -> list[Tenant]:
        """The school keys this gateway holds itself (server key, schools file): re-confirmed
        by ``/readyz`` and reported there when the upstream refuses one."""
        if self.trust is not None:
            return self.trust.school_tenants()
        if self._server is not None and not self.settings.demo:
            return [Tenant(self._server, assembly=self._server_assembly, caller="server-key")]
        return []

    def _tenant(self, credential: Credential, how: str, assembly: str | None = None,
                categories: frozenset[Category] | None = None) -> Tenant:
        """A tenant for a key; a caller holding the school's own key reads every category."""
        assembly_cred = Credential(assembly) if assembly else self._demo_assembly.get(credential.fingerprint)
        return Tenant(credential, assembly=assembly_cred, caller=f"{how}:{credential.fingerprint}",
                      categories=categories)
