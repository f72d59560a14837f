// The GraphQL-over-HTTP audit (graphql-http's serverAudits) against a running gateway.
// Usage: node audit.mjs http://127.0.0.1:PORT/graphql  -> prints a JSON list of results.
// The audit is a script, not a browser: on its GETs it says so with a preflight header, as
// the gateway's CSRF rule (gateway/http/csrf.py) asks of every GET that runs an operation and
// as Apollo's docs ask of non-browser clients. Its POSTs go as they are: one "without a
// Content-Type" is sent by node's fetch as text/plain, which the same rule refuses (400).
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
const fetchFn = (input, init = {}) => {
  if ((init.method ?? 'GET').toUpperCase() !== 'GET') return fetch(input, init);
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
