/**
 * The session credential: what a classroom participant (a guest without an account, or a
 * signed-in student who is not a member of the workspace) carries instead of a membership. It is
 * signed (HMAC-SHA256 with AUTH_SECRET), expires, and names exactly one participant of one
 * session; every use also checks the participant is still in a session that has not ended
 * (sessions.ts), so removing a student or ending the class revokes it at once.
 */
import { timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { hmacBase64url } from "@/server/services/hmac";

/** The cookie that carries it (httpOnly, SameSite=Lax, path /). */
export const CLASS_COOKIE = "statescope_class";
/** A credential lives as long as a long lecture; the archive link works without it. */
export const CLASS_CREDENTIAL_TTL_SECONDS = 8 * 3600;

export const ZClassCredential = z.object({
  /** session id */
  s: z.string().min(1).max(64),
  /** participant id */
  p: z.string().min(1).max(64),
  /** expiry, seconds since the epoch */
  exp: z.number().int(),
});
export type ClassCredential = z.infer<typeof ZClassCredential>;

const mac = (secret: string, body: string) => hmacBase64url(secret, `class:${body}`);

export function signClassCredential(secret: string, c: Omit<ClassCredential, "exp">, now = Date.now()): string {
  const claims = { s: c.s, p: c.p, exp: Math.floor(now / 1000) + CLASS_CREDENTIAL_TTL_SECONDS };
  const body = Buffer.from(JSON.stringify(claims)).toString("base64url");
  const token = `${body}.${mac(secret, body)}`;
  // the participant's next requests (an answer, a ticket) come to this process with it: known valid
  remember(secret, token, claims);
  return token;
}

/** The credential's claims, or null when it is missing, forged, malformed or expired. */
export function verifyClassCredential(secret: string, token: string | null | undefined, now = Date.now()): ClassCredential | null {
  if (!token || token.length > 1024) return null;
  const [body, sig, extra] = token.split(".");
  if (!body || !sig || extra !== undefined) return null;
  const expected = Buffer.from(mac(secret, body));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  const c = ZClassCredential.safeParse(parsed);
  if (!c.success || c.data.exp * 1000 < now) return null;
  return c.data;
}

/**
 * Credentials verified lately (by secret and token): a class sends a thousand requests at once, each
 * with its cookie, and verifying (HMAC, JSON, schema) was a tenth of a millisecond of each. Only a
 * valid token is kept, its claims are immutable and its expiry is checked at every use; removal and
 * the session's end are checked in the database at every use anyway.
 */
const verified = new Map<string, ClassCredential>();
const VERIFIED_MAX = 20_000;

function remember(secret: string, token: string, c: ClassCredential): void {
  if (verified.size >= VERIFIED_MAX) verified.clear();
  verified.set(`${secret}\u0000${token}`, Object.freeze(c));
}

function verifiedCredential(secret: string, token: string, now: number): ClassCredential | null {
  const hit = verified.get(`${secret}\u0000${token}`);
  if (hit) return hit.exp * 1000 < now ? null : hit;
  const c = verifyClassCredential(secret, token, now);
  if (c) remember(secret, token, c);
  return c;
}

/** The credential in a request's Cookie header, verified (null when absent or invalid). */
export function classCredentialFromCookies(secret: string | undefined, cookieHeader: string | null, now = Date.now()): ClassCredential | null {
  if (!secret || !cookieHeader) return null;
  for (const part of cookieHeader.split(";")) {
    const i = part.indexOf("=");
    if (i < 0 || part.slice(0, i).trim() !== CLASS_COOKIE) continue;
    return verifiedCredential(secret, decodeURIComponent(part.slice(i + 1).trim()), now);
  }
  return null;
}

/** The Set-Cookie value that hands a credential to the browser. */
export function classCookie(token: string, secure: boolean): string {
  return `${CLASS_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${CLASS_CREDENTIAL_TTL_SECONDS}${secure ? "; Secure" : ""}`;
}
