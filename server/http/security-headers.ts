/**
 * The Content-Security-Policy of our pages (set per request by proxy.ts, with a fresh nonce).
 * The headers that do not vary (nosniff, Referrer-Policy, HSTS over HTTPS, the API's policy)
 * are in next.config.js, which applies them to every response including route handlers.
 *
 * Scripts run only with the request's nonce ('strict-dynamic' lets the scripts Next.js loads
 * load theirs); styles may be inline (React renders style attributes); the page connects to
 * itself and to the sync server; no other site may frame it.
 */

/**
 * Pages another site may frame (the findings issue's embed routes): add a pattern here, e.g.
 * `/^\/embed\//`. Every other page answers `frame-ancestors 'none'`.
 */
export const FRAMEABLE_PATHS: readonly RegExp[] = [];

export interface CspSettings {
  nonce: string;
  /** The request's pathname: decides frame-ancestors. */
  pathname: string;
  /** ws(s)://host:port of the sync server as browsers reach it. */
  syncUrl: string;
  dev: boolean;
  https: boolean;
  /** Sign-in forms also post to GitHub (its OAuth start is a form action's redirect). */
  githubSignIn: boolean;
}

export function contentSecurityPolicy(s: CspSettings, frameable: readonly RegExp[] = FRAMEABLE_PATHS): string {
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
    ["frame-ancestors", frameable.some((p) => p.test(s.pathname)) ? "*" : "'none'"],
    ...(s.https ? ([["upgrade-insecure-requests"]] as [string][]) : []),
  ];
  return directives.map((d) => d.join(" ")).join("; ");
}

/** A fresh nonce: 128 random bits, base64. */
export function newNonce(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
}
