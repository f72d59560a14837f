"""The Redis of the compose file and of the manifests, run for real: the shipped start-up
script with the password from a secret file, and a gateway reading its cache URL from the
secrets folder that ``deploy/make-secrets.sh`` writes (compose's /run/secrets, a mounted
Kubernetes Secret)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from gateway.app import create_app
from gateway.settings import load_settings
from tests.conftest import Gateway, free_port

pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _compose_script() -> str:
    return str(yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]["redis"]["command"][2]
               ).replace("$$", "$")  # compose's escape for a literal $


def _kubernetes_script() -> str:
    docs = list(yaml.safe_load_all((DEPLOY / "kubernetes" / "redis.yaml").read_text()))
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    return str(deployment["spec"]["template"]["spec"]["containers"][0]["command"][2])


def _send(port: int, *args: str, password: str | None = None) -> bytes:
    def frame(*parts: str) -> bytes:
        out = [f"*{len(parts)}\r\n".encode()]
        for p in parts:
            out.append(b"$%d\r\n%s\r\n" % (len(p.encode()), p.encode()))
        return b"".join(out)

    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        if password is not None:
            s.sendall(frame("AUTH", password))
            assert s.recv(1024).startswith(b"+OK")
        s.sendall(frame(*args))
        return s.recv(65536)


@pytest.fixture
def secret_files(tmp_path: Path, secrets: set[str]) -> Path:
    """deploy/make-secrets.sh run for real, in a copy of deploy/."""
    shutil.copy(DEPLOY / "make-secrets.sh", tmp_path / "make-secrets.sh")
    subprocess.run(["sh", str(tmp_path / "make-secrets.sh")], check=True, capture_output=True)
    folder = tmp_path / "secrets"
    assert {p.name for p in folder.iterdir()} == {"redis_password", "GO4GRAPH_CACHE_URL",
                                                  "GO4GRAPH_CACHE_SECRET"}
    first = (folder / "redis_password").read_text()
    subprocess.run(["sh", str(tmp_path / "make-secrets.sh")], check=True, capture_output=True)
    assert (folder / "redis_password").read_text() == first  # never overwritten
    # tests/test_no_secrets_in_logs.py checks no log line of the session carries these.
    secrets.add(first.strip())
    secrets.add((folder / "GO4GRAPH_CACHE_SECRET").read_text().strip())
    return folder



def _start(script: str, secret_path: str, secret_file: Path, tmp_path: Path) -> tuple[int, subprocess.Popen[bytes]]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (CI installs it; apt-get install redis-server)")
    port = free_port()
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    script = (script.replace(secret_path, str(secret_file)).replace("--dir /data", f"--dir {data}")
              .replace("exec redis-server -", f"exec redis-server - --port {port} --bind 127.0.0.1"))
    proc = subprocess.Popen(["sh", "-c", script], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            _send(port, "PING")
            return port, proc
        except OSError:
            assert time.monotonic() < deadline and proc.poll() is None, "redis did not start"
            time.sleep(0.05)


@pytest.fixture
def stop() -> Iterator[Callable[[subprocess.Popen[bytes]], None]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs.append
    for p in procs:
        p.kill()
        p.wait(10)


@pytest.mark.parametrize("which", ["compose", "kubernetes"])
def test_the_shipped_redis_needs_its_password(which: str, secret_files: Path, tmp_path: Path,
                                             stop: Callable[[subprocess.Popen[bytes]], None]) -> None:
    script, path = ((_compose_script(), "/run/secrets/redis_password") if which == "compose"
                    else (_kubernetes_script(), "/run/secrets/redis/password"))
    port, proc = _start(script, path, secret_files / "redis_password", tmp_path)
    stop(proc)
    password = (secret_files / "redis_password").read_text().strip()
    assert _send(port, "PING").startswith(b"-NOAUTH")
    assert _send(port, "PING", password=password).startswith(b"+PONG")
    assert b"536870912" in _send(port, "CONFIG", "GET", "maxmemory", password=password)
    assert password.encode() not in Path(f"/proc/{proc.pid}/cmdline").read_bytes()


async def test_a_gateway_uses_the_passworded_redis_through_its_secrets_folder(
        secret_files: Path, tmp_path: Path, stop: Callable[[subprocess.Popen[bytes]], None],
        monkeypatch: pytest.MonkeyPatch, fresh_sim: object) -> None:
    port, proc = _start(_compose_script(), "/run/secrets/redis_password",
                        secret_files / "redis_password", tmp_path)
    stop(proc)
    url_file = secret_files / "GO4GRAPH_CACHE_URL"
    url_file.write_text(url_file.read_text().replace("@redis:6379", f"@127.0.0.1:{port}"))
    monkeypatch.delenv("GO4GRAPH_CACHE_URL", raising=False)
    monkeypatch.setenv("GO4GRAPH_SECRETS_DIR", str(secret_files))
    settings = load_settings()
    assert settings.cache_url.startswith("redis://:") and f":{port}/0" in settings.cache_url
    app = create_app(settings, simulator=fresh_sim)
    gw = Gateway(app, httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw"),
                 fresh_sim)  # type: ignore[arg-type]
    try:
        data = await gw.gql("{ academicYear { students { id } } }")
        assert "errors" not in data
        ready = (await gw.client.get("/readyz")).json()
        assert ready["checks"]["cache"] == "ok" and ready["degraded"] == []
        password = (secret_files / "redis_password").read_text().strip()
        assert int(_send(port, "DBSIZE", password=password).strip()[1:]) > 0  # cached there
        proc.kill()  # an outage: logged and reported, and the password in its URL never is
        proc.wait(10)
        ready = (await gw.client.get("/readyz")).json()
        assert ready["status"] == "degraded" and ready["degraded"] == ["cache"]
    finally:
        await gw.client.aclose()
        await gw.services.aclose()
