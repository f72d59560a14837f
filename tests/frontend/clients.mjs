// Apollo Client (createPersistedQueryLink) and urql (persistedExchange) against running
// gateways, with automatic persisted queries and hash-only GETs.
// Usage: node clients.mjs STEP URL  -> prints JSON {answers: [...]}
//   STEP "apollo" or "urql": the step's query twice on one new client (the first request falls
//   back to the text, the second sends the hash only).
// What went over the wire is observed on the server side (the gateway's request log) by the
// pytest test; the answers are returned here.
import { createHash } from 'node:crypto';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { Client, fetchExchange, gql as urqlGql } from '@urql/core';
import { persistedExchange } from '@urql/exchange-persisted';

const [step, url] = process.argv.slice(2);
// Not a browser: it says so with a header no cross-site form can send (CSRF rule).
const headers = { 'apollo-require-preflight': 'true' };

export const APOLLO_QUERY = `query ApolloSchool { school { name code } }`;
export const URQL_QUERY = `query UrqlYear { academicYear { year } }`;

async function apollo() {
  const sha256 = (text) => createHash('sha256').update(text).digest('hex');
  const link = createPersistedQueryLink({ sha256, useGETForHashedQueries: true })
    .concat(new HttpLink({ uri: url, headers }));
  const client = new ApolloClient({ link, cache: new InMemoryCache() });
  const answers = [];
  for (let i = 0; i < 2; i++) {
    const result = await client.query({ query: gql(APOLLO_QUERY), fetchPolicy: 'network-only' });
    answers.push(result.data);
  }
  return answers;
}

async function urql() {
  const client = new Client({
    url,
    fetchOptions: { headers },
    exchanges: [persistedExchange({ preferGetForPersistedQueries: true }), fetchExchange],
  });
  const answers = [];
  for (let i = 0; i < 2; i++) {
    const result = await client.query(urqlGql(URQL_QUERY), {}, { requestPolicy: 'network-only' })
      .toPromise();
    if (result.error) throw result.error;
    answers.push(result.data);
  }
  return answers;
}

const answers = step === 'apollo' ? await apollo() : await urql();
process.stdout.write(JSON.stringify({ answers }));
