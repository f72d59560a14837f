// The GraphQL-over-HTTP audit (graphql-http's serverAudits) against a running gateway.
// Usage: node audit.mjs http://127.0.0.1:PORT/graphql  -> prints a JSON list of results.
// The audit is a script, not a browser: like any non-browser client it says so with a
// preflight header (the gateway's CSRF rule, gateway/http/csrf.py), which no cross-site form
// can send.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set('x-go4graph-csrf', '1');
  return fetch(input, { ...init, headers });
};

const results = [];
for (const audit of serverAudits({ url, fetchFn })) {
  const result = await audit.fn();
  results.push({ id: audit.id, name: audit.name, status: result.status,
                 reason: result.status === 'ok' ? undefined : result.reason });
}
process.stdout.write(JSON.stringify(results));
