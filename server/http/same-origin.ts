/**
 * The Origin check: a state-changing request that carries ambient credentials (the session
 * cookie) must come from one of our own pages. A browser names the page's origin in `Origin` on
 * every cross-origin request and on same-origin POSTs; a form or fetch from another site
 * therefore names that site, and is refused before any work is done.
 */
import { AppError } from "@statescope/core";
import { requestOrigin, type OriginSettings } from "./request-origin";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Whether a request authenticates with ambient credentials (a cookie the browser attaches on its
 * own). The API issue's bearer tokens are not ambient — a page on another site cannot make a
 * browser send them — so requests authenticated by a token will answer false here and skip the
 * check; until then every request counts as cookie-authenticated.
 */
export function usesAmbientCredentials(_req: Request): boolean {
  return true;
}

export interface SameOriginSettings extends OriginSettings {
  publicUrl?: string | undefined;
}

/** The origins our pages are served from: the one this request reached, and PUBLIC_URL's. */
export function ownOrigins(req: Request, s: SameOriginSettings): Set<string> {
  const own = new Set([requestOrigin(req, s)]);
  if (s.publicUrl) own.add(new URL(s.publicUrl).origin);
  return own;
}

/**
 * Throws FORBIDDEN for a state-changing, cookie-authenticated request from another origin:
 * `Origin` (or, when a browser left it out, `Referer`) names a site that is not ours, or is the
 * opaque "null" of a sandboxed frame or a cross-site redirect. A request with neither header does
 * not come from a browser page (browsers send Origin on every POST), so it cannot be a forgery.
 */
export function assertSameOrigin(req: Request, s: SameOriginSettings): void {
  if (SAFE_METHODS.has(req.method) || !usesAmbientCredentials(req)) return;
  const origin = req.headers.get("origin") ?? refererOrigin(req.headers.get("referer"));
  if (origin === undefined) return;
  if (origin !== "null" && ownOrigins(req, s).has(origin)) return;
  throw new AppError(
    "FORBIDDEN",
    `cross-origin request refused: a ${req.method} from ${origin === "null" ? "an opaque origin" : origin} may not act with your Statescope session; use Statescope's own pages`,
  );
}

function refererOrigin(referer: string | null): string | undefined {
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return "null";
  }
}
