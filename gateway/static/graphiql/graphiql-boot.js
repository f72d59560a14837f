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
  var fetcher = GraphiQL.createFetcher({ url: window.location.pathname });

  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: DEFAULT_QUERY
    })
  );
})();
