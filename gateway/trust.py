"""Trust mode: the schools file (``GO4GRAPH_SCHOOLS_FILE``), live.

The file is JSON::

    {"schools": [
      {"code": "ABC", "name": "Abbey School", "api_key": "<GO4Schools key>",
       "assembly_token": "<optional Assembly token>",
       "tokens": ["sha256:<64 hex>",
                  {"hash": "sha256:<64 hex>", "expires": "2026-12-31T00:00:00Z"}, ...]}
    ]}

The server holds each school's key; clients present gateway tokens, and the
file lists only their hashes (``go4graph token --school ABC [--expires …]``
makes one). A token may be listed under several schools (a trust's central
team), and may carry an expiry time after which it reads nothing.

The file is read at start-up (a bad file stops it) and again whenever it
changes (``SchoolsFileWatcher``: a ``stat`` every ``GO4GRAPH_SCHOOLS_FILE_POLL``
seconds, at a request, and at once on SIGHUP), so removing a token stops it
within seconds on every replica that reads the file, without a restart. A bad
new file is logged (why, never a key) and the last good one stays in force.

Why a plain SHA-256 and not a salted, slow hash: gateway tokens are 256-bit
random strings made by the CLI, not passwords, so there is nothing to guess
or precompute and a salt or a KDF adds no strength; an unsalted hash also
lets a request find its grants with one dictionary look-up instead of a slow
hash per file entry on every request. A pepper would add nothing either: the
file already holds the school keys in clear, and must be protected as such.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import secrets
import threading
from collections.abc import Callable
from pathlib import Path

import orjson
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from gateway import categories, clock
from gateway.categories import Category
from gateway.resources.tenant import Tenant
from gateway.settings import SettingsError
from gateway.shared.secrets import Credential

VARIABLE = "GO4GRAPH_SCHOOLS_FILE"
TOKEN_PREFIX = "g4g_"
HASH_PREFIX = "sha256:"
_HASH = re.compile(r"^sha256:[0-9a-f]{64}$")

log = logging.getLogger("go4graph.trust")


def new_token() -> str:
    """A new random gateway token (256 bits); shown once, never stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The line the schools file lists for a token."""
    return HASH_PREFIX + hashlib.sha256(token.strip().encode()).hexdigest()


def parse_expiry(text: str) -> dt.datetime:
    """An expiry time: ISO 8601 with a zone (``2026-12-31T00:00:00Z``), or a date (midnight UTC)."""
    text = text.strip()
    try:
        when = (dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.UTC)
                if len(text) == 10 else dt.datetime.fromisoformat(text))
    except ValueError:
        raise ValueError(f"{text!r} is not a date or an ISO 8601 time") from None
    if when.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone (end it in Z for UTC)")
    return when.astimezone(dt.UTC)


class TokenEntry(BaseModel):
    """A token hash with an expiry time and the data categories it may read (all by default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hash: str
    expires: dt.datetime | None = None
    scopes: frozenset[Category] | None = None

    @field_validator("scopes", mode="before")
    @classmethod
    def _scopes(cls, value: object) -> object:
        if value is None:
            return None
        if isinstance(value, frozenset | set):
            return frozenset(value)
        if not isinstance(value, str | list | tuple):
            raise ValueError("scopes must be a list of data categories, e.g. [\"basic\", \"attendance\"]")
        return categories.parse(value if isinstance(value, str) else [str(v) for v in value])

    @field_validator("expires", mode="before")
    @classmethod
    def _when(cls, value: object) -> object:
        return parse_expiry(value) if isinstance(value, str) else value

    @field_validator("expires")
    @classmethod
    def _zone(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("an expiry time needs a time zone (end it in Z for UTC)")
        return value


class SchoolEntry(BaseModel):
    """One school of the trust: its code, its upstream key(s), and the tokens allowed to read it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(min_length=1, max_length=64)
    name: str | None = None
    api_key: SecretStr
    assembly_token: SecretStr | None = None
    tokens: list[str | TokenEntry] = Field(default_factory=list)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("an empty school code")
        return value

    @field_validator("api_key", "assembly_token")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("empty")
        return value

    @field_validator("tokens")
    @classmethod
    def _hashes(cls, value: list[str | TokenEntry]) -> list[str | TokenEntry]:
        out: list[str | TokenEntry] = []
        for i, v in enumerate(value):
            h = (v if isinstance(v, str) else v.hash).strip().lower()
            if not _HASH.match(h):
                raise ValueError(f"token {i} is not a 'sha256:<64 hex>' hash "
                                 f"(list hashes made by 'go4graph token', never tokens)")
            out.append(h if isinstance(v, str) else TokenEntry(hash=h, expires=v.expires, scopes=v.scopes))
        return out

    def grants(self) -> list[tuple[str, dt.datetime | None, frozenset[Category] | None]]:
        """(token hash, expiry time or None, data categories or None for all) for each token."""
        return [(t, None, None) if isinstance(t, str) else (t.hash, t.expires, t.scopes) for t in self.tokens]


class SchoolsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schools: list[SchoolEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> SchoolsFile:
        codes = [s.code for s in self.schools]
        twice = sorted({c for c in codes if codes.count(c) > 1})
        if twice:
            raise ValueError(f"school code(s) listed twice: {', '.join(twice)}")
        keys = [s.api_key.get_secret_value().strip() for s in self.schools]
        if len(set(keys)) != len(keys):
            raise ValueError("two schools share one api_key")
        return self


class Trust:
    """The grants of a schools file: token hash -> the tenants (by school code) it may read."""

    def __init__(self, file: SchoolsFile, *, clock: Callable[[], float] = clock.now) -> None:
        self.schools = {s.code: s for s in file.schools}
        self.clock = clock
        credentials = {s.code: (Credential(s.api_key.get_secret_value()),
                                Credential(s.assembly_token.get_secret_value())
                                if s.assembly_token else None)
                       for s in file.schools}
        self._grants: dict[str, dict[str | None, tuple[Tenant, float | None]]] = {}
        self._schools: list[Tenant] = []
        for school in file.schools:
            key, assembly = credentials[school.code]
            self._schools.append(Tenant(key, school_code=school.code, assembly=assembly,
                                        caller="schools-file"))
            for h, expires, scopes in school.grants():
                # Logs and audit name the caller by a short id of the token's hash.
                caller = f"token:{h.removeprefix(HASH_PREFIX)[:12]}"
                self._grants.setdefault(h, {})[school.code] = (
                    Tenant(key, school_code=school.code, assembly=assembly, caller=caller,
                           categories=scopes),
                    expires.timestamp() if expires is not None else None)

    def tenants_for(self, token: str) -> dict[str | None, Tenant]:
        """The schools this gateway token may read now, by code (empty: not a known token, or
        every grant of it has expired)."""
        now = self.clock()
        return {code: tenant for code, (tenant, expires) in self._grants.get(token_hash(token), {}).items()
                if expires is None or now < expires}

    def expired(self, token: str) -> bool:
        """Whether the token is listed but every grant of it has expired."""
        grants = self._grants.get(token_hash(token), {})
        return bool(grants) and not self.tenants_for(token)

    def school_tenants(self) -> list[Tenant]:
        """One tenant a school, for re-confirming the keys the file holds."""
        return list(self._schools)


class SchoolsFileWatcher:
    """The schools file in force: re-read when it changes, the last good one kept on a bad one."""

    def __init__(self, path: Path | str, *, poll: float = 2.0,
                 clock: Callable[[], float] = clock.now) -> None:
        self.path = Path(path)
        self.poll = poll
        self.clock = clock
        self._lock = threading.Lock()
        self._seen = self._stat()
        self._digest, self.trust = self._read()  # a bad file at start-up raises SettingsError
        self._next = clock() + poll
        #: Reloads that failed since start (a bad file kept out), for tests and operators.
        self.rejected = 0

    # The interface of ``Trust`` that requests use, on the file in force.
    @property
    def schools(self) -> dict[str, SchoolEntry]:
        return self.current().schools

    def tenants_for(self, token: str) -> dict[str | None, Tenant]:
        return self.current().tenants_for(token)

    def expired(self, token: str) -> bool:
        return self.current().expired(token)

    def school_tenants(self) -> list[Tenant]:
        return self.current().school_tenants()

    def current(self) -> Trust:
        """The Trust in force, after a cheap look at the file when one is due."""
        if self.clock() >= self._next:
            self.check()
        return self.trust

    def check(self) -> bool:
        """Reload if the file changed (size, mtime or inode); whether a new file took effect."""
        self._next = self.clock() + self.poll
        seen = self._stat()
        if seen == self._seen:
            return False
        return self.reload()

    def reload(self) -> bool:
        """Read the file now (SIGHUP); keep the last good one if it is bad. Never raises."""
        with self._lock:
            self._seen = self._stat()
            try:
                digest, trust = self._read()
            except SettingsError as exc:
                self.rejected += 1
                log.error("schools file not reloaded; the last good one stays in force",
                          extra={"reason": str(exc)})  # load_schools' messages never hold a key
                return False
            if digest == self._digest:
                return False
            self._digest, self.trust = digest, trust
            log.warning("schools file reloaded", extra={"schools": len(trust.schools)})
            return True

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _read(self) -> tuple[str, Trust]:
        raw = _read_bytes(self.path)
        return hashlib.sha256(raw).hexdigest(), _parse(raw, self.path, self.clock)


def load_schools(path: Path | str) -> Trust:
    """Read and check the schools file; any problem is one SettingsError line naming the variable."""
    return _parse(_read_bytes(Path(path)), path, clock.now)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _error(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None


def _parse(raw: bytes, path: Path | str, clock: Callable[[], float]) -> Trust:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise _error(f"{path} is not valid JSON ({exc})") from None
    try:
        return Trust(SchoolsFile.model_validate(data), clock=clock)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False, include_input=False):
            where = ".".join(str(p) for p in err.get("loc", ()))
            msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            problems.append(f"{where}: {msg}" if where else msg)
        raise _error(f"{path}: " + "; ".join(problems)) from None


def _error(message: str) -> SettingsError:
    return SettingsError(f"invalid configuration: {VARIABLE}: {message}")
