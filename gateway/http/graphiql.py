"""GraphiQL, served entirely by the gateway itself: no CDN, works offline and air-gapped.

The page (``GET /graphql`` from a browser) loads React, ReactDOM, GraphiQL and our
``graphiql-boot.js`` from ``/graphql/static/`` (the files vendored in
``gateway/static/graphiql/``; see the README there). Asset URLs carry a digest of the file
(``?v=...``), so the browser may cache them for a year and still sees an update at once.
The page has no inline script: its Content-Security-Policy allows scripts from the gateway
only (``'unsafe-inline'`` for styles, which GraphiQL sets as attributes).
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from html import escape
from importlib.resources import files
from pathlib import Path

from starlette.datastructures import QueryParams
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from gateway.settings import Settings

#: Where the assets are served, and their directory inside the package.
STATIC_PATH = "/graphql/static"
ASSET_DIR = Path(str(files("gateway") / "static" / "graphiql"))

#: In page order.
STYLES = ("graphiql.min.css",)
SCRIPTS = ("react.production.min.js", "react-dom.production.min.js", "graphiql.min.js",
           "graphiql-boot.js")

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
])

def page_headers(policy: str) -> dict[str, str]:
    """The hardening headers of the gateway's own pages (GraphiQL's, ``GET /``'s)."""
    return {"Content-Security-Policy": policy, "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}


#: Headers of the page itself.
PAGE_HEADERS = page_headers(CONTENT_SECURITY_POLICY)

#: The start of the gateway's pages, up to their own styles.
PAGE_HEAD = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>go4graph</title>
    <link rel="icon" href="data:,">
"""

_PAGE = PAGE_HEAD + """{styles}
    <style>
      html, body {{ height: 100%; margin: 0; overflow: hidden; }}
      #graphiql {{ height: 100vh; }}
    </style>
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL&hellip;</div>
{scripts}
  </body>
</html>
"""


def _digest(name: str) -> str:
    return hashlib.sha256((ASSET_DIR / name).read_bytes()).hexdigest()[:16]


def _url(name: str) -> str:
    # Relative to the page at .../graphql, so a proxy that mounts the gateway under a
    # prefix still works.
    return escape(f"{STATIC_PATH.lstrip('/')}/{name}?v={_digest(name)}")


@lru_cache(maxsize=1)
def graphiql_page() -> str:
    """The HTML of the GraphiQL page (built once per process)."""
    styles = "\n".join(f'    <link rel="stylesheet" href="{_url(n)}">' for n in STYLES)
    scripts = "\n".join(f'    <script src="{_url(n)}"></script>' for n in SCRIPTS)
    return _PAGE.format(styles=styles, scripts=scripts)


class GraphiQLStatic(StaticFiles):
    """The vendored assets, with cache and hardening headers."""

    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result,
                      scope: Scope, status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        versioned = "v" in QueryParams(scope.get("query_string", b""))
        response.headers["Cache-Control"] = ("public, max-age=31536000, immutable" if versioned
                                             else "no-cache")
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def graphiql_on(settings: Settings) -> bool:
    """``GO4GRAPH_GRAPHIQL``: on, off, or auto (unset): on unless only trusted documents run,
    where GraphiQL could run nothing but those."""
    return settings.graphiql if settings.graphiql is not None else not settings.trusted_only


def graphiql_routes(settings: Settings) -> list[BaseRoute]:
    """The static route, only when GraphiQL is switched on (otherwise its URLs are 404s)."""
    if not graphiql_on(settings):
        return []
    return [Mount(STATIC_PATH, app=GraphiQLStatic(directory=ASSET_DIR), name="graphiql-static")]
