"""Redis as a production service: requirepass, an ACL user and TLS, against a real redis-server;
a refused password or certificate stops start-up with one line that never shows the password."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gateway.app import create_app
from gateway.settings import SettingsError, load_settings
from gateway.simulator import DEMO_KEY
from tests.cache.redis_server import RedisServer, free_port
from tests.conftest import SECRETS, Gateway
from tests.creds.conftest import SECRET_A, UPSTREAM, bearer

pytestmark = pytest.mark.redis

PASSWORD = "redis-test-password-Zq8"
USER_PASSWORD = "acl-user-password-Kw3"
SECRETS.update({PASSWORD, USER_PASSWORD})
QUERY = "{ school { code } academicYear { students { id upn } } }"


@pytest.fixture
def locked_redis() -> Iterator[RedisServer]:
    server = RedisServer(free_port(), password=PASSWORD).start()
    assert server.command("ACL", "SETUSER", "gateway", "on", f">{USER_PASSWORD}",
                          "~go4graph:*", "+@all").startswith(b"+OK")
    yield server
    server.stop()


def with_auth(server: RedisServer, auth: str, scheme: str = "redis", port: int | None = None,
              query: str = "") -> str:
    return f"{scheme}://{auth}@127.0.0.1:{port or server.port}/0{query}"


async def served_twice(make_replica: Callable[..., Gateway], url: str) -> None:
    gw = make_replica(cache_url=url, cache_secret=SECRET_A)
    first = await gw.gql(QUERY, headers=bearer(DEMO_KEY))
    assert "errors" not in first, first
    gw.sim.reset()
    again = make_replica(cache_url=url, cache_secret=SECRET_A)  # another replica: from Redis
    assert await again.gql(QUERY, headers=bearer(DEMO_KEY)) == first
    assert gw.sim.requests == []


async def test_requirepass_and_an_acl_user_work(make_replica: Callable[..., Gateway],
                                                locked_redis: RedisServer) -> None:
    await served_twice(make_replica, locked_redis.url)  # redis://:password@host
    locked_redis.flush()
    await served_twice(make_replica, with_auth(locked_redis, f"gateway:{USER_PASSWORD}"))
    assert locked_redis.command("DBSIZE") != b":0\r\n"


@pytest.mark.parametrize("auth", [":wrong-password-Pq1", "gateway:wrong-password-Pq1", ""])
def test_a_wrong_password_fails_at_start_in_one_line(locked_redis: RedisServer, auth: str) -> None:
    url = with_auth(locked_redis, auth) if auth else locked_redis.url.replace(f":{PASSWORD}@", "")
    with pytest.raises(SettingsError) as err:
        create_app(load_settings(upstream_url=UPSTREAM, cache_url=url, cache_secret=SECRET_A))
    message = str(err.value)
    assert message.startswith("invalid configuration: GO4GRAPH_CACHE_URL: ")
    assert "\n" not in message
    assert "wrong-password" not in message and PASSWORD not in message


def test_serve_with_a_wrong_password_exits_with_one_line(locked_redis: RedisServer,
                                                         tmp_path: Path) -> None:
    env = {**os.environ, "GO4GRAPH_UPSTREAM_URL": "http://127.0.0.1:9/customer/v1",
           "GO4GRAPH_CACHE_URL": with_auth(locked_redis, ":wrong-password-Pq1"),
           "GO4GRAPH_CACHE_SECRET": SECRET_A}
    done = subprocess.run([sys.executable, "-m", "gateway.cli", "serve", "--port",
                           str(free_port())], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("go4graph: invalid configuration: GO4GRAPH_CACHE_URL:")
    assert "Traceback" not in done.stderr and "wrong-password" not in done.stderr + done.stdout


def test_a_redis_that_does_not_answer_is_not_a_start_up_error() -> None:
    # An outage at start is survived like one later (the upstream answers): a warning only.
    from gateway.resources.redis_conn import check_redis

    warning = check_redis(f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0", timeout=0.5)
    assert warning is not None and "does not answer" in warning and PASSWORD not in warning


# --- TLS -------------------------------------------------------------------------------------

def _certificates(folder: Path, name: str) -> tuple[Path, Path, Path]:
    """A throwaway CA, and a server certificate it signed for 127.0.0.1 (ca, cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)

    def cert(subject: str, key: ec.EllipticCurvePrivateKey, issuer: str,
             signer: ec.EllipticCurvePrivateKey, ca: bool) -> x509.Certificate:
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
                   .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(minutes=5))
                   .not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                   # Python 3.13 verifies strictly (VERIFY_X509_STRICT): key identifiers and,
                   # for the CA, its key usage must be there, as a real CA's certificates have.
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                                  critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                       signer.public_key()), critical=False))
        if ca:
            builder = builder.add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False), critical=True)
        if not ca:
            builder = builder.add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_cert = cert(f"{name} CA", ca_key, f"{name} CA", ca_key, True)
    server_cert = cert("127.0.0.1", server_key, f"{name} CA", ca_key, False)
    paths = folder / f"{name}-ca.pem", folder / f"{name}-cert.pem", folder / f"{name}-key.pem"
    paths[0].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(server_key.private_bytes(serialization.Encoding.PEM,
                                                  serialization.PrivateFormat.TraditionalOpenSSL,
                                                  serialization.NoEncryption()))
    return paths


@pytest.fixture
def tls_redis(tmp_path: Path) -> Iterator[tuple[RedisServer, int, Path]]:
    help_text = subprocess.run(["redis-server", "--help"], capture_output=True, text=True).stdout
    ca, cert, key = _certificates(tmp_path, "server")
    tls_port = free_port()
    server = RedisServer(free_port(), password=PASSWORD, extra=(
        "--tls-port", str(tls_port), "--tls-cert-file", str(cert), "--tls-key-file", str(key),
        "--tls-ca-cert-file", str(ca), "--tls-auth-clients", "no"))
    try:
        server.start()
    except RuntimeError:
        pytest.skip(f"this redis-server has no TLS support ({help_text.strip()[:40]})")
    yield server, tls_port, ca
    server.stop()


async def test_rediss_with_a_verified_certificate_works(
        make_replica: Callable[..., Gateway], tls_redis: tuple[RedisServer, int, Path]) -> None:
    server, tls_port, ca = tls_redis
    url = with_auth(server, f":{PASSWORD}", "rediss", tls_port, f"?ssl_ca_certs={ca}")
    await served_twice(make_replica, url)


def test_rediss_with_a_certificate_that_does_not_verify_fails_at_start(
        tls_redis: tuple[RedisServer, int, Path], tmp_path: Path) -> None:
    server, tls_port, _ = tls_redis
    other_ca, _, _ = _certificates(tmp_path, "stranger")
    url = with_auth(server, f":{PASSWORD}", "rediss", tls_port, f"?ssl_ca_certs={other_ca}")
    with pytest.raises(SettingsError) as err:
        create_app(load_settings(upstream_url=UPSTREAM, cache_url=url, cache_secret=SECRET_A))
    message = str(err.value)
    assert "GO4GRAPH_CACHE_URL: TLS to rediss://127.0.0.1" in message, message
    assert "\n" not in message and PASSWORD not in message
