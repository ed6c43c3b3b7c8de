/**
 * The response headers that do not vary per request, in one place for both ways a response leaves
 * the web process: next.config.js hands them to Next.js (pages, route handlers), and the tRPC
 * front (trpc-front.ts) sets them itself on the /api/trpc answers it gives without Next.js.
 * Plain JavaScript: next.config.js imports it before any TypeScript is compiled.
 */

/** On every response. */
export const EVERY_RESPONSE = [
  ["X-Content-Type-Options", "nosniff"],
  // other sites learn nothing from us, not even our origin (invite links carry tokens)
  ["Referrer-Policy", "same-origin"],
];

/**
 * On /api/* except the API docs page (server/http/api-docs.ts sets its own policy): JSON and
 * bytes, nothing in them may run, nothing may frame them.
 */
export const API_RESPONSE = [["Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"]];

/** When the request came over HTTPS (x-forwarded-proto, which the web server sets: TRUST_PROXY). */
export const HTTPS_RESPONSE = [["Strict-Transport-Security", "max-age=31536000"]];
