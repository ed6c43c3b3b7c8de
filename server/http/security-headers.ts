/**
 * The Content-Security-Policy of our pages (set per request by proxy.ts, with a fresh nonce).
 * The headers that do not vary (nosniff, Referrer-Policy, HSTS over HTTPS, the API's policy)
 * are in static-headers.mjs: next.config.js applies them to every response including route
 * handlers, and the tRPC front (trpc-front.ts) sets them on the answers it gives itself.
 *
 * Scripts run only with the request's nonce ('strict-dynamic' lets the scripts Next.js loads
 * load theirs); styles may be inline (React renders style attributes); the page connects to
 * itself and to the sync server; no other site may frame it.
 */

/**
 * Paths answered by route handlers that write their own HTML and set their own
 * Content-Security-Policy: the published findings (`/f/…`, `/p/…`, `/oembed`), whose embed routes
 * (`/f/<id>/embed`, `/f/<id>/v<n>/embed`) any site may frame (`frame-ancestors *`) and whose other
 * pages answer `frame-ancestors 'none'`. proxy.ts leaves them alone: a header it set would win over
 * the handler's (Next.js keeps the first), and their scripts carry no nonce. Every other page is
 * rendered by Next.js under the nonce policy below and framed by nobody.
 */
export const OWN_POLICY_PATHS: readonly RegExp[] = [/^\/f\//, /^\/p\//, /^\/oembed(\/|$)/];

export function setsOwnPolicy(pathname: string): boolean {
  return OWN_POLICY_PATHS.some((p) => p.test(pathname));
}

export interface CspSettings {
  nonce: string;
  /** ws(s)://host:port of the sync server as browsers reach it. */
  syncUrl: string;
  dev: boolean;
  https: boolean;
  /** Sign-in forms also post to GitHub (its OAuth start is a form action's redirect). */
  githubSignIn: boolean;
}

export function contentSecurityPolicy(s: CspSettings): string {
  const sync = new URL(s.syncUrl);
  const directives: [string, ...string[]][] = [
    ["default-src", "'self'"],
    // 'unsafe-eval' in development only: React rebuilds server error stacks with eval there
    ["script-src", "'self'", `'nonce-${s.nonce}'`, "'strict-dynamic'", ...(s.dev ? ["'unsafe-eval'"] : [])],
    ["style-src", "'self'", "'unsafe-inline'"],
    ["img-src", "'self'", "data:", "blob:"],
    ["font-src", "'self'"],
    ["connect-src", "'self'", `${sync.protocol}//${sync.host}`],
    ["object-src", "'none'"],
    ["base-uri", "'self'"],
    ["form-action", "'self'", ...(s.githubSignIn ? ["https://github.com"] : [])],
    ["frame-ancestors", "'none'"],
    ...(s.https ? ([["upgrade-insecure-requests"]] as [string][]) : []),
  ];
  return directives.map((d) => d.join(" ")).join("; ");
}

/** A fresh nonce: 128 random bits, base64. */
export function newNonce(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
}
