// go4graph's GraphiQL start-up (ours, not vendored). Loaded after React, ReactDOM and
// GraphiQL from the gateway itself: the page needs nothing from any other host, and the
// Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  var DEFAULT_QUERY = [
    "# go4graph: GraphQL over GO4Schools.",
    "#",
    "# Run a query: Ctrl-Enter or the play button.",
    "# Complete a name: Ctrl-Space.",
    "# Every type and field: the Docs (book) button.",
    "# extensions.cost in each answer: the operation's estimated cost and upstream calls.",
    "",
    "{",
    "  school {",
    "    name",
    "    currentAcademicYear",
    "  }",
    "}",
    ""
  ].join("\n");

  // Queries go to the page's own address (GET /graphql from a browser is this page;
  // GraphiQL POSTs JSON), so the gateway works behind a path-rewriting proxy too.
  // X-GO4GRAPH-Cost asks for the estimate (admission control) in every answer's extensions.
  var fetcher = GraphiQL.createFetcher({ url: window.location.pathname,
                                         headers: { "X-GO4GRAPH-Cost": "1" } });

  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: DEFAULT_QUERY
    })
  );
})();
