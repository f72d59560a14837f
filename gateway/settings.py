"""Settings from GO4GRAPH_* environment variables, read once at start-up.

A bad value stops start-up with one line naming the variable
(``load_settings`` raises ``SettingsError``; the CLI prints it), never a traceback.
Values are checked with ``gateway.setting_values`` (a leaf module), never by importing the
layers that use them: this module imports no other part of the gateway.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings import SettingsError as SourceError

from gateway.categories import Category
from gateway.categories import parse as parse_categories
from gateway.setting_values import (
    check_rate_spec,
    check_ttl_overrides,
    load_manifest,
    parse_secrets,
)

ENV_PREFIX = "GO4GRAPH_"


class SettingsError(Exception):
    """A configuration value that cannot be used; the message names the variable."""


class Settings(BaseSettings):
    """Every setting of the gateway. Field ``x`` is read from ``GO4GRAPH_X``."""

    # env_ignore_empty: an empty variable (compose's ``${X:-}``) means unset, for every setting.
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="ignore",
                                      env_ignore_empty=True)

    # --- upstreams -----------------------------------------------------------
    upstream_url: str | None = Field(None, description="GO4Schools base URL, ending in /customer/v1. Unset: the built-in demo school.")
    api_key: SecretStr | None = Field(None, description="A server-held GO4Schools key (one school).")
    allow_anonymous: bool = Field(False, description="Serve GO4GRAPH_API_KEY's school without client authentication (only behind an authenticating proxy).")
    schools_file: Path | None = Field(None, description="Trust mode: a JSON file of schools, their keys and the gateway token hashes allowed to read each.")
    assembly_url: str | None = Field(None, description="Assembly Platform base URL.")
    assembly_token: SecretStr | None = Field(None, description="Assembly token for GO4GRAPH_API_KEY's school.")

    # --- upstream client ---------------------------------------------------------
    upstream_timeout: float = Field(15.0, gt=0, le=300, description="Seconds to wait for one upstream answer.")
    upstream_connect_timeout: float = Field(5.0, gt=0, le=60, description="Seconds to wait for a connection.")
    upstream_concurrency: int = Field(8, ge=1, le=256, description="Upstream requests in flight at once, per process.")
    upstream_retries: int = Field(3, ge=0, le=10, description="Retries of a GET on 429, 5xx or a connection error.")
    upstream_backoff: float = Field(0.2, ge=0, le=30, description="First retry delay in seconds (doubles, with jitter).")
    upstream_backoff_max: float = Field(10.0, ge=0, le=120, description="Longest retry delay in seconds; a longer Retry-After is answered RATE_LIMITED at once.")
    upstream_max_pages: int = Field(2000, ge=1, le=100000, description="Most pages walked for one resource before it is an error.")
    circuit_failures: int = Field(5, ge=1, le=1000, description="Consecutive 5xx/timeouts that open the circuit.")
    circuit_reset: float = Field(30.0, gt=0, le=3600, description="Seconds the circuit stays open before one trial request.")

    # --- graph limits --------------------------------------------------------
    max_depth: int = Field(12, ge=1, le=100, description="Deepest selection allowed.")
    max_aliases: int = Field(30, ge=1, le=10000, description="Most aliases in one operation.")
    max_tokens: int = Field(5000, ge=10, le=1000000, description="Most tokens in one document.")
    max_date_span_days: int = Field(93, ge=1, le=400, description="Longest date range one field may fan out over.")
    graphiql: bool | None = Field(None, description="Serve GraphiQL on GET /graphql from a browser: on, off or auto (the default: on, except in trusted-only mode, where it could run nothing).")
    introspection: bool = Field(True, description="Allow introspection queries.")
    trusted_documents: Path | None = Field(None, description="Trusted documents: a JSON manifest (sha256 -> document) or a folder of .graphql files.")
    rate_limit: str | None = Field(None, description="Per-client request limit, e.g. '600/minute' (off when unset).")
    trusted_only: bool = Field(False, description="Run only trusted documents (needs GO4GRAPH_TRUSTED_DOCUMENTS).")

    # --- cache ---------------------------------------------------------------
    cache_url: str = Field("memory://", description="memory:// or redis://host:port/db")
    cache_ttls: dict[str, float] = Field(default_factory=dict, description='Seconds to cache each resource kind, as JSON overriding the defaults, e.g. {"marks": 30, "students": 600, "today": 10}; 0 never caches that kind.')
    cache_timeout: float = Field(1.0, gt=0, le=30, description="Seconds one Redis operation may take before the cache is treated as down (queries then go to the upstream).")
    cache_lock_timeout: float = Field(10.0, gt=0, le=300, description="Seconds one replica's walk of a resource holds its Redis lock while other replicas wait for the result.")

    # --- cached personal data (issue 15): sealed values, credential re-checks ------------
    cache_secret: SecretStr | None = Field(None, description="Seals (encrypts and authenticates) every value written to Redis: a random string of 32+ characters (openssl rand -base64 32). During a rotation, new,old separated by a comma: the first seals, both open. Required with a redis:// cache and an upstream.")
    credential_recheck: float = Field(60.0, ge=0, le=3600, description="Seconds a key's acceptance by the upstream counts for: a key serving cached data is re-confirmed with one cheap upstream call (GET Schools) at most this often, shared by replicas through the cache, so a revoked key stops reading within it (0: before every cached read).")
    schools_file_poll: float = Field(2.0, gt=0, le=3600, description="Trust mode: seconds between looks at the schools file for changes (it is also re-read on SIGHUP).")

    # --- demo mode -----------------------------------------------------------
    demo_students: int = Field(1200, ge=10, le=20000, description="Size of the built-in demo school.")
    demo_page_size: int = Field(100, ge=1, le=10000, description="Page size of the built-in demo upstream.")

    # --- operations ----------------------------------------------------------
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level of the JSON logs.")
    otel_endpoint: str | None = Field(None, description="OTLP/HTTP traces endpoint, e.g. http://collector:4318/v1/traces (needs the otel extra).")
    audit_log: str = Field("stdout", description="Where write audit records go: stdout or a file path.")
    access_log: str = Field("stdout", description="Where the access log goes (one line per request that read send, sensitive, medical, photos, contacts or upn data): stdout, stderr, a file path, or off.")
    anonymous_scopes: str | None = Field(None, description="The data categories callers without their own key or token may read (server-key and demo modes), e.g. basic,attendance; unset: all.")

    # --- upstream fairness between schools (h-upstream, issue 12 item 4) ------------------
    upstream_tenant_concurrency: int = Field(6, ge=1, le=256, description="Upstream requests in flight at once for one school (credential), within GO4GRAPH_UPSTREAM_CONCURRENCY; each school also has its own circuit breaker.")
    upstream_max_tenants: int = Field(1000, ge=1, le=1000000, description="Schools (credentials) whose upstream slots and circuit breaker are kept at once; the least recently used are forgotten.")
    # --- writes and browsers (issue 13: writes a school can trust) ----------------------------
    audit_secret: SecretStr | None = Field(None, description="Key of the audit records' keyed hash (HMAC-SHA256) of the UPN posted; unset: a random key per process (hashes then match only within one process's records).")
    write_window_days: int = Field(5, ge=0, le=60, description="Attendance may be written for today and this many school (open) days back; never the future, never another academic year than today's.")
    idempotency_ttl: float = Field(86400.0, gt=0, le=7 * 86400, description="Seconds a register save's idempotency key keeps its first outcome (shared between replicas through the Redis cache when configured).")
    cors_origins: list[str] = Field(default_factory=list, description='Browser origins allowed to call the gateway cross-site (CORS preflights answered for these only), as JSON, e.g. ["https://register.example.org"]; default none.')
    # --- deployment (readiness, shutdown, secrets files) ---------------------
    drain_seconds: float = Field(0.0, ge=0, le=300, description="After SIGTERM, seconds /readyz answers 503 while requests are still served, so the load balancer stops sending new ones (a second SIGTERM ends it).")
    shutdown_timeout: float = Field(30.0, gt=0, le=600, description="Then, seconds in-flight requests get to finish before the process stops anyway.")
    secrets_dir: Path | None = Field(None, description="A folder of files named like the variables (e.g. GO4GRAPH_CACHE_URL): each file's content is that setting when the variable itself is unset (a mounted Kubernetes Secret, compose secrets).")
    # --- admission control (issue 12) ------------------------------------------------
    max_body_bytes: int = Field(1024 * 1024, ge=1024, le=1024 * 1024 * 1024, description="Largest request body (or GET query string) read; a larger one is refused with 413 while it streams in.")
    max_variables_bytes: int = Field(64 * 1024, ge=64, le=1024 * 1024 * 1024, description="Largest 'variables' object, as JSON bytes.")
    document_cache_bytes: int = Field(32 * 1024 * 1024, ge=0, le=1024 * 1024 * 1024, description="Memory budget (estimated bytes) of the cache of parsed and validated documents; only valid documents are kept.")
    max_cost: int = Field(2_000_000, ge=1, le=1_000_000_000, description="Largest estimated cost of one operation: the objects expected in its answer, list fields multiplied by their expected size.")
    max_upstream_calls: int = Field(500, ge=1, le=1_000_000, description="Most upstream calls one request may make (estimated before execution, counted during it); date ranges count each day.")
    request_timeout: float = Field(30.0, gt=0, le=3600, description="Seconds one GraphQL request may run before it is stopped with LIMIT_EXCEEDED.")
    max_fields: int = Field(2_000_000, ge=1, le=1_000_000_000, description="Most fields one answer may complete during execution before it is stopped with LIMIT_EXCEEDED.")
    trusted_proxy_hops: int = Field(0, ge=0, le=10, description="Proxies in front of the gateway whose X-Forwarded-For is trusted for the client address (0: the peer address).")
    metrics_max_operations: int = Field(100, ge=1, le=10000, description="Distinct operation names used as metric labels; later ones are counted as 'other'.")
    metrics_port: int | None = Field(None, ge=1, le=65535, description="Serve /metrics on this port too (go4graph serve), e.g. for a scraper inside the cluster.")
    gc_threshold: int = Field(20_000, ge=0, le=10_000_000, description="Allocations between two collections of Python's youngest generation (gc.set_threshold's first value; Python's own default is 700, 0 turns automatic collection off). An answer of 100,000 objects is otherwise scanned again and again while it is being built.")
    metrics_public: bool = Field(True, description="Serve /metrics on the public port; false with GO4GRAPH_METRICS_PORT keeps it off the public one.")

    @field_validator("graphiql", mode="before")
    @classmethod
    def _graphiql(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip().lower() == "auto" else value

    @field_validator("upstream_url", "assembly_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        if "@" in value.split("//", 1)[1].split("/", 1)[0]:
            raise ValueError("must not carry credentials; use GO4GRAPH_API_KEY")
        return value

    @field_validator("upstream_url")
    @classmethod
    def _customer_v1(cls, value: str | None) -> str | None:
        if value is not None and not value.endswith("/customer/v1"):
            raise ValueError("must be the GO4Schools base URL, ending in /customer/v1")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("cache_url")
    @classmethod
    def _cache(cls, value: str) -> str:
        if not value.startswith(("memory://", "redis://", "rediss://")):
            raise ValueError("must be memory:// or redis://host:port/db")
        return value

    @field_validator("cache_ttls")
    @classmethod
    def _ttls(cls, value: dict[str, float]) -> dict[str, float]:
        return check_ttl_overrides(value)

    @field_validator("cache_secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        parse_secrets(value.get_secret_value())  # the message never shows the secret
        return value

    @field_validator("schools_file")
    @classmethod
    def _schools_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        out = []
        for origin in value:
            origin = origin.strip().rstrip("/")
            if origin == "*" or not origin.startswith(("http://", "https://")) or "/" in origin.split("//", 1)[1]:
                raise ValueError(f"{origin!r} is not an origin like https://app.example.org (no '*', no path)")
            out.append(origin)
        return out

    @field_validator("rate_limit")
    @classmethod
    def _rate(cls, value: str | None) -> str | None:
        if value is None or not value.strip() or value.strip().lower() in ("off", "none"):
            return None
        try:
            return check_rate_spec(value.strip())
        except ValueError:
            raise ValueError("must read like '600/minute' or '20/second'") from None

    @field_validator("trusted_documents")
    @classmethod
    def _trusted(cls, value: Path | None) -> Path | None:
        if value is not None:
            if not value.exists():
                raise ValueError(f"no such file or folder: {value}")
            try:
                load_manifest(value)
            except (ValueError, OSError) as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("anonymous_scopes")
    @classmethod
    def _scopes(cls, value: str | None) -> str | None:
        if value is not None:
            parse_categories(value)
        return value

    @property
    def anonymous_categories(self) -> frozenset[Category] | None:
        """The categories of anonymous callers (None: all)."""
        return None if self.anonymous_scopes is None else parse_categories(self.anonymous_scopes)

    @model_validator(mode="after")
    def _modes(self) -> Settings:
        if self.upstream_url is None and self.api_key is not None:
            raise ValueError("GO4GRAPH_API_KEY needs GO4GRAPH_UPSTREAM_URL (without it the "
                             "built-in demo school is served, not your school)")
        if self.trusted_only and self.trusted_documents is None:
            raise ValueError("GO4GRAPH_TRUSTED_ONLY needs GO4GRAPH_TRUSTED_DOCUMENTS")
        if self.upstream_url is not None:
            if self.api_key is not None and self.schools_file is not None:
                raise ValueError("GO4GRAPH_API_KEY and GO4GRAPH_SCHOOLS_FILE are two modes: set one")
            if self.allow_anonymous and self.api_key is None:
                raise ValueError("GO4GRAPH_ALLOW_ANONYMOUS needs GO4GRAPH_API_KEY")
            if self.api_key is not None and not self.allow_anonymous:
                raise ValueError(
                    "GO4GRAPH_API_KEY alone would serve children's data without client "
                    "authentication: set GO4GRAPH_ALLOW_ANONYMOUS=true only behind an "
                    "authenticating proxy, or use GO4GRAPH_SCHOOLS_FILE with gateway tokens")
        if self.upstream_url is not None and self.cache_secret is None \
                and self.cache_url.startswith(("redis://", "rediss://")):
            raise ValueError("GO4GRAPH_CACHE_SECRET: needed with a redis:// cache, which would "
                             "otherwise hold children's data in clear; set a random string of "
                             "32+ characters (openssl rand -base64 32), the same on every replica")
        if self.assembly_token is not None and self.assembly_url is None and self.upstream_url:
            raise ValueError("GO4GRAPH_ASSEMBLY_TOKEN needs GO4GRAPH_ASSEMBLY_URL")
        if self.assembly_token is not None and self.api_key is None and self.upstream_url:
            raise ValueError("GO4GRAPH_ASSEMBLY_TOKEN applies only with GO4GRAPH_API_KEY (one school)")
        return self

    @property
    def demo(self) -> bool:
        """No upstream configured: the built-in simulator serves the demo school in-process."""
        return self.upstream_url is None


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment (and overrides, for tests); SettingsError names a bad variable."""
    try:
        secrets_dir = _secrets_dir()
        if secrets_dir is not None and "_secrets_dir" not in overrides:
            overrides = {"_secrets_dir": secrets_dir, **overrides}
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None
    except SourceError as exc:  # a JSON-valued variable that is not JSON
        field = re.search(r'field "(\w+)"', str(exc))
        name = f"{ENV_PREFIX}{field.group(1).upper()}" if field else "a GO4GRAPH_ variable"
        raise SettingsError(f"invalid configuration: {name}: not valid JSON") from None


def _secrets_dir() -> Path | None:
    """GO4GRAPH_SECRETS_DIR, read first: the other settings may come from its files."""
    value = os.environ.get(f"{ENV_PREFIX}SECRETS_DIR", "").strip()
    if not value:
        return None
    if not Path(value).is_dir():
        raise SettingsError(f"invalid configuration: {ENV_PREFIX}SECRETS_DIR: no such folder: {value}")
    return Path(value)


def _describe(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = [str(p) for p in err.get("loc", ()) if p != "__root__"]
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if loc:
            lines.append(f"{ENV_PREFIX}{loc[0].upper()}: {msg}")
        else:
            lines.append(msg)
    return "invalid configuration: " + "; ".join(lines)
