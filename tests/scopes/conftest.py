"""The write tests' fixtures (a chosen school day, an audited writer) and trust-mode gateways."""

from tests.tenancy.conftest import make_upstream_gateway  # noqa: F401
from tests.writes.support import facts, writer  # noqa: F401
