/**
 * The signed-in user's id from a request's session cookie — what next-auth's `auth()` answers,
 * without its per-call work that a request handler throws away: building the config and adapter,
 * an internal session request and response, and encrypting a refreshed token that no response
 * carries. Same cookie (the `__Secure-` one over HTTPS: the web server's front sets
 * x-forwarded-proto from the socket or a trusted proxy, which is what `auth()` reads too), same
 * salt and secret; an expired, tampered or foreign token is no session.
 *
 * Decrypting the token is most of that work (~1–2 ms of CPU per request, #14: a comment's CPU),
 * and a token's content never changes, so a reader remembers the tokens it decrypted (at most
 * `max`, each only until the token's own expiry). That changes no answer: a session is a signed,
 * encrypted JWT with nothing on the server to revoke (signing out forgets the cookie in the
 * browser; the token stays valid until it expires, cached or not). What can be revoked is checked
 * against the database on every request, never cached: that the user still exists (the tRPC
 * context) and their membership and role (every workspace procedure).
 */
import { decode, getToken } from "next-auth/jwt";
import { env } from "@/server/env";

const PLAIN = "authjs.session-token";
const SECURE = "__Secure-authjs.session-token";

/** Whether a request carries a session cookie at all (the secure or the plain one, whole or chunked): without one it is signed out. */
export function hasSessionCookie(headers: Pick<Headers, "get">): boolean {
  return headers.get("cookie")?.includes(PLAIN) ?? false;
}

export type SessionReader = (req: Pick<Request, "headers">) => Promise<string | null>;

export function createSessionReader(opts: { max?: number } = {}): SessionReader {
  const max = opts.max ?? 1000;
  /** token (with its cookie name) → user id and expiry (ms); oldest first, for eviction. */
  const known = new Map<string, { sub: string; expMs: number }>();
  return async (req) => {
    const secret = env().AUTH_SECRET;
    if (!secret) return null;
    const secure = req.headers.get("x-forwarded-proto") === "https";
    const salt = secure ? SECURE : PLAIN;
    const cookie = req.headers.get("cookie");
    // no session cookie (a guest student, a signed-out visitor): nothing for getToken to parse
    if (!cookie?.includes(salt)) return null;
    // the cookie only (a session never comes as a bearer token here); chunked cookies are joined
    const token = await getToken({ req: { headers: { cookie } }, secret, secureCookie: secure, cookieName: salt, raw: true });
    if (!token) return null;
    const key = `${salt}=${token}`;
    const hit = known.get(key);
    if (hit) {
      if (hit.expMs > Date.now()) return hit.sub;
      known.delete(key);
      return null;
    }
    let payload: { sub?: unknown; exp?: unknown } | null;
    try {
      payload = await decode({ token, secret, salt });
    } catch {
      return null; // tampered, foreign or expired
    }
    if (typeof payload?.sub !== "string") return null;
    // next-auth's tokens always expire; one without `exp` is not remembered
    if (typeof payload.exp === "number") {
      if (known.size >= max) known.delete(known.keys().next().value!);
      known.set(key, { sub: payload.sub, expMs: payload.exp * 1000 });
    }
    return payload.sub;
  };
}
