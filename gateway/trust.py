"""Trust mode: the schools file (``GO4GRAPH_SCHOOLS_FILE``), read once at start-up.

The file is JSON::

    {"schools": [
      {"code": "ABC", "name": "Abbey School", "api_key": "<GO4Schools key>",
       "assembly_token": "<optional Assembly token>",
       "tokens": ["sha256:<64 hex>", ...]}
    ]}

The server holds each school's key; clients present gateway tokens, and the
file lists only their hashes (``go4graph token --school ABC`` makes one). A
token may be listed under several schools (a trust's central team).

Why a plain SHA-256 and not a salted, slow hash: gateway tokens are 256-bit
random strings made by the CLI, not passwords, so there is nothing to guess
or precompute and a salt or a KDF adds no strength; an unsalted hash also
lets a request find its grants with one dictionary look-up instead of a slow
hash per file entry on every request. A pepper would add nothing either: the
file already holds the school keys in clear, and must be protected as such.
"""

from __future__ import annotations

import hashlib
import re
import secrets
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

from gateway.resources.tenant import Tenant
from gateway.settings import SettingsError
from gateway.shared.secrets import Credential

VARIABLE = "GO4GRAPH_SCHOOLS_FILE"
TOKEN_PREFIX = "g4g_"
HASH_PREFIX = "sha256:"
_HASH = re.compile(r"^sha256:[0-9a-f]{64}$")


def new_token() -> str:
    """A new random gateway token (256 bits); shown once, never stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The line the schools file lists for a token."""
    return HASH_PREFIX + hashlib.sha256(token.strip().encode()).hexdigest()


class SchoolEntry(BaseModel):
    """One school of the trust: its code, its upstream key(s), and the tokens allowed to read it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(min_length=1, max_length=64)
    name: str | None = None
    api_key: SecretStr
    assembly_token: SecretStr | None = None
    tokens: list[str] = Field(default_factory=list)

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
    def _hashes(cls, value: list[str]) -> list[str]:
        out = [v.strip().lower() for v in value]
        for i, v in enumerate(out):
            if not _HASH.match(v):
                raise ValueError(f"token {i} is not a 'sha256:<64 hex>' hash "
                                 f"(list hashes made by 'go4graph token', never tokens)")
        return out


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

    def __init__(self, file: SchoolsFile) -> None:
        self.schools = {s.code: s for s in file.schools}
        credentials = {s.code: (Credential(s.api_key.get_secret_value()),
                                Credential(s.assembly_token.get_secret_value())
                                if s.assembly_token else None)
                       for s in file.schools}
        self._grants: dict[str, dict[str | None, Tenant]] = {}
        for school in file.schools:
            key, assembly = credentials[school.code]
            for h in school.tokens:
                # Logs and audit name the caller by a short id of the token's hash.
                caller = f"token:{h.removeprefix(HASH_PREFIX)[:12]}"
                self._grants.setdefault(h, {})[school.code] = Tenant(
                    key, school_code=school.code, assembly=assembly, caller=caller)

    def tenants_for(self, token: str) -> dict[str | None, Tenant]:
        """The schools this gateway token may read, by code (empty: not a known token)."""
        return dict(self._grants.get(token_hash(token), {}))


def load_schools(path: Path | str) -> Trust:
    """Read and check the schools file; any problem is one SettingsError line naming the variable."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise _error(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise _error(f"{path} is not valid JSON ({exc})") from None
    try:
        return Trust(SchoolsFile.model_validate(data))
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False, include_input=False):
            where = ".".join(str(p) for p in err.get("loc", ()))
            msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            problems.append(f"{where}: {msg}" if where else msg)
        raise _error(f"{path}: " + "; ".join(problems)) from None


def _error(message: str) -> SettingsError:
    return SettingsError(f"invalid configuration: {VARIABLE}: {message}")
