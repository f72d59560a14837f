// A GraphQL client for the register app: POSTs JSON to the gateway and speaks automatic
// persisted queries (Apollo's persistedQuery extension, version 1), as Apollo Client's
// persisted-queries link and urql's persistedExchange do. Plain ES module, no dependencies.
//
// Each operation is first sent as its SHA-256 hash alone. A gateway that does not know the
// hash answers PERSISTED_QUERY_NOT_FOUND, and the operation is sent again with its text
// (and the hash, so the gateway registers it); later requests send the hash only.

/** The gateway's endpoint, relative to the page (/register/ -> /graphql), so the app also works
 *  behind a proxy that mounts the gateway under a prefix. */
export const ENDPOINT = new URL("../graphql", window.location.href).pathname;

/** What the client did, for the curious (and the browser test): hash-only sends, text sends. */
export const stats = { hashOnly: 0, withText: 0, fellBack: 0 };

const hashes = new Map(); // query text -> hex sha256 (or null when hashing is unavailable)
let apq = true; // off for the rest of the page once the gateway says it does not support APQ

/** Hex SHA-256 of the text; null where crypto.subtle is missing (a page served over plain
 *  http from a host other than localhost is not a secure context): then the text is sent. */
async function sha256(text) {
  if (!hashes.has(text)) {
    let hex = null;
    if (globalThis.crypto && crypto.subtle) {
      const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
      hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
    }
    hashes.set(text, hex);
  }
  return hashes.get(text);
}

/** A GraphQL error: the answer's errors (message and extensions.code), or a transport failure. */
export class GraphQLError extends Error {
  constructor(message, { errors = [], status = 0, data = null } = {}) {
    super(message);
    this.name = "GraphQLError";
    this.errors = errors;
    this.status = status;
    this.data = data;
  }
}

async function post(body) {
  const response = await fetch(ENDPOINT, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/graphql-response+json, application/json",
      // The gateway's CSRF prevention needs one of its preflight headers on any request a
      // browser could send cross-site without asking; a JSON POST is not one, but a
      // hash-only GET would be, so the header goes on every request.
      "x-go4graph-csrf": "1",
    },
    body: JSON.stringify(body),
  });
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    payload = null;
  }
  return { status: response.status, payload };
}

function codes(payload) {
  const errors = (payload && Array.isArray(payload.errors)) ? payload.errors : [];
  return errors.map((e) => (e && e.extensions && e.extensions.code) || "");
}

function messages(payload) {
  const errors = (payload && Array.isArray(payload.errors)) ? payload.errors : [];
  return errors.map((e) => String((e && e.message) || ""));
}

/** How to go on after a hash-only answer: "register" (send text + hash), "text" (text only),
 *  or null (the answer stands). */
function fallback({ payload }) {
  const found = codes(payload);
  if (found.includes("PERSISTED_QUERY_NOT_FOUND")) return "register";
  if (found.includes("PERSISTED_QUERY_NOT_SUPPORTED")) {
    apq = false;
    return "text";
  }
  return null;
}

/** Run one operation; resolves to its data, rejects with a GraphQLError when the answer has
 *  errors (their data, possibly partial, rides along) or did not come. */
export async function request(query, variables = {}) {
  const hash = apq ? await sha256(query) : null;
  let answer;
  try {
    if (hash) {
      const extensions = { persistedQuery: { version: 1, sha256Hash: hash } };
      stats.hashOnly += 1;
      answer = await post({ variables, extensions });
      const next = fallback(answer);
      if (next) {
        stats.fellBack += 1;
        stats.withText += 1;
        answer = await post(next === "register" ? { query, variables, extensions }
          : { query, variables });
      }
    } else {
      stats.withText += 1;
      answer = await post({ query, variables });
    }
  } catch (error) {
    throw new GraphQLError(`The gateway could not be reached (${error.message}).`);
  }
  const { status, payload } = answer;
  if (!payload || typeof payload !== "object") {
    throw new GraphQLError(`The gateway answered ${status} without a GraphQL answer.`, { status });
  }
  if (Array.isArray(payload.errors) && payload.errors.length) {
    throw new GraphQLError(messages(payload).join("; "), {
      errors: payload.errors, status, data: payload.data ?? null,
    });
  }
  return payload.data;
}
