"""``GET /``: a small page pointing a browser to GraphiQL (when it is on) and, in demo mode, to
the register app at ``/register/``. No script; the same hardening headers as GraphiQL's page."""

from __future__ import annotations

from starlette.responses import HTMLResponse

from gateway.http.graphiql import PAGE_HEAD, graphiql_on, page_headers
from gateway.register_app import REGISTER_PATH
from gateway.settings import Settings

HEADERS = page_headers("default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
                       "form-action 'none'; frame-ancestors 'none'")

_PAGE = PAGE_HEAD + """    <style>body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto;
      padding: 0 1rem; }} code {{ background: #f2f2f2; padding: 0 .2em; }}</style>
  </head>
  <body>
    <h1>go4graph</h1>
    <p>A GraphQL gateway over GO4Schools. The endpoint is <code>/graphql</code>
      (POST <code>application/json</code>, or GET for queries).</p>
    <ul>
{links}
    </ul>
  </body>
</html>
"""


def landing_page(settings: Settings) -> str:
    links = []
    if graphiql_on(settings):
        links.append('      <li><a id="graphiql" href="graphql">GraphiQL</a>: write and run queries '
                     'against the graph, with its documentation beside them</li>')
    else:
        links.append("      <li>GraphiQL is switched off on this gateway "
                     "(GO4GRAPH_GRAPHIQL=on switches it on)</li>")
    if settings.demo:
        links.append(f'      <li><a id="register" href="{REGISTER_PATH.strip("/")}/">The register '
                     "app</a>: the demo school's morning register, built on the graph</li>")
    return _PAGE.format(links="\n".join(links))


def landing_route(settings: Settings) -> HTMLResponse:
    """``GET /`` (an ASGI response: the page is built once)."""
    return HTMLResponse(landing_page(settings), headers=HEADERS)
