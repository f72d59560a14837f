"""The register app (issue 18): a small single-page app served at ``/register/`` in demo mode.

Plain ES modules in ``gateway/static/register/`` (package data, so they ship with
``pip install``), no build step and nothing from another host: pick a teacher and a class
on a day, see the session's marks, change them and save with ``recordSessionAttendances``.
It talks to ``/graphql`` with automatic persisted queries. Served only when the gateway runs
on the built-in demo school: against a real school the gateway serves no app of its own.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from gateway.settings import Settings

#: Where the app is served, and its directory inside the package.
REGISTER_PATH = "/register"
REGISTER_DIR = Path(str(files("gateway") / "static" / "register"))

#: Scripts, styles and requests from the gateway only; no inline script or style.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
])

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Small, unversioned files: the browser revalidates (ETag) instead of keeping stale code.
    "Cache-Control": "no-cache",
}


class RegisterStatic(StaticFiles):
    """The app's files (``index.html`` for ``/register/``), with hardening headers."""

    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result,
                      scope: Scope, status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.update(HEADERS)
        if str(full_path).endswith(".js"):  # ES modules need a JavaScript type under nosniff
            response.headers["Content-Type"] = "text/javascript; charset=utf-8"
        return response


def register_routes(settings: Settings) -> list[BaseRoute]:
    """``/register/`` in demo mode (no GO4GRAPH_UPSTREAM_URL); nothing otherwise (404s)."""
    if not settings.demo:
        return []
    return [Mount(REGISTER_PATH, app=RegisterStatic(directory=REGISTER_DIR, html=True),
                  name="register-app")]
