"""Redis as a production service: authentication and TLS from the cache URL, checked at start.

``GO4GRAPH_CACHE_URL`` takes the forms redis-py knows:

- ``redis://host:6379/0`` — no authentication (a private network only);
- ``redis://:password@host:6379/0`` — ``requirepass``;
- ``redis://user:password@host:6379/0`` — an ACL user (Redis 6+);
- ``rediss://…`` — TLS; the server's certificate is verified against the system's
  CAs, or the file named by ``?ssl_ca_certs=/path/ca.pem``; ``ssl_certfile`` and
  ``ssl_keyfile`` present a client certificate, ``ssl_check_hostname=false`` skips
  the name check (a certificate issued for another name).

Percent-encode special characters of the password (``@`` as ``%40``). The
password goes to aiocache's Redis backend, and from there to redis-py; it is
never logged or echoed: ``check_redis`` reports a refusal as one line that names
the variable and the user, not the password.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from gateway.settings import SettingsError

VARIABLE = "GO4GRAPH_CACHE_URL"
_TLS_FILES = ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile")
_TRUE = ("1", "true", "yes", "on")


def tls_options(url: str) -> dict[str, Any]:
    """redis-py connection options for a ``rediss://`` URL's query (empty for ``redis://``)."""
    parts = urlsplit(url)
    if parts.scheme != "rediss":
        return {}
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    options: dict[str, Any] = {k: query[k] for k in _TLS_FILES if query.get(k)}
    if "ssl_cert_reqs" in query:
        options["ssl_cert_reqs"] = query["ssl_cert_reqs"].lower()
    if "ssl_check_hostname" in query:
        options["ssl_check_hostname"] = query["ssl_check_hostname"].lower() in _TRUE
    return options


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    user = f"{unquote(parts.username)}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{user}{parts.hostname or ''}{port}{parts.path}"


def check_redis(url: str, timeout: float = 2.0) -> str | None:
    """One round trip to the cache's Redis at start-up.

    A refused password or user, or a TLS certificate that does not verify, is a configuration
    mistake: ``SettingsError`` (one line). A Redis that does not answer is an outage, which the
    cache already survives (queries go to the upstream): a warning line is returned instead.
    """
    import redis
    from redis.backoff import NoBackoff
    from redis.exceptions import AuthenticationError, ConnectionError, RedisError, ResponseError
    from redis.retry import Retry

    parts = urlsplit(url)
    where = describe(url)
    client = redis.Redis(
        host=parts.hostname or "127.0.0.1", port=parts.port or 6379,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        ssl=parts.scheme == "rediss", socket_timeout=timeout, socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0), **tls_options(url))  # one try: the answer is the point
    try:
        client.ping()
    except AuthenticationError:
        who = f"user {unquote(parts.username)!r} with " if parts.username else ""
        raise SettingsError(f"invalid configuration: {VARIABLE}: {where} refused {who}the "
                            f"password given (check the URL's password, or its ACL user)") from None
    except ResponseError as exc:
        text = str(exc)
        if text.startswith(("NOAUTH", "WRONGPASS", "NOPERM")):
            need = "needs a password" if text.startswith("NOAUTH") else "refused the credentials"
            raise SettingsError(f"invalid configuration: {VARIABLE}: {where} {need} "
                                f"({text.split()[0]})") from None
        raise SettingsError(f"invalid configuration: {VARIABLE}: {where} answered an error "
                            f"({type(exc).__name__})") from None
    except ConnectionError as exc:
        reason = _tls_reason(exc)
        if reason is not None:
            raise SettingsError(f"invalid configuration: {VARIABLE}: TLS to {where} failed: "
                                f"{reason}") from None
        return f"{where} does not answer yet ({type(exc).__name__}); serving from the upstream until it does"
    except (RedisError, OSError) as exc:
        return f"{where} does not answer yet ({type(exc).__name__}); serving from the upstream until it does"
    finally:
        client.close()
    return None


def _tls_reason(exc: BaseException) -> str | None:
    """The TLS failure behind a connection error, if it was one (certificate, protocol)."""
    import ssl

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return f"the server's certificate did not verify ({seen.verify_message})"
        if isinstance(seen, ssl.SSLError):
            return f"{seen.reason or type(seen).__name__}"
        seen = seen.__cause__ or seen.__context__
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text:
        return "the TLS handshake failed (" + ("certificate did not verify" if "VERIFY" in text
                                              else "protocol") + ")"
    return None
