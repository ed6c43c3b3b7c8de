/**
 * The session credential: what a classroom participant (a guest without an account, or a
 * signed-in student who is not a member of the workspace) carries instead of a membership. It is
 * signed (HMAC-SHA256 with AUTH_SECRET), expires, and names exactly one participant of one
 * session; every use also checks the participant is still in a session that has not ended
 * (sessions.ts), so removing a student or ending the class revokes it at once.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";

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

const mac = (secret: string, body: string) => createHmac("sha256", secret).update(`class:${body}`).digest("base64url");

export function signClassCredential(secret: string, c: Omit<ClassCredential, "exp">, now = Date.now()): string {
  const body = Buffer.from(JSON.stringify({ s: c.s, p: c.p, exp: Math.floor(now / 1000) + CLASS_CREDENTIAL_TTL_SECONDS })).toString("base64url");
  return `${body}.${mac(secret, body)}`;
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

/** The credential in a request's Cookie header, verified (null when absent or invalid). */
export function classCredentialFromCookies(secret: string | undefined, cookieHeader: string | null): ClassCredential | null {
  if (!secret || !cookieHeader) return null;
  for (const part of cookieHeader.split(";")) {
    const i = part.indexOf("=");
    if (i < 0 || part.slice(0, i).trim() !== CLASS_COOKIE) continue;
    return verifyClassCredential(secret, decodeURIComponent(part.slice(i + 1).trim()));
  }
  return null;
}

/** The Set-Cookie value that hands a credential to the browser. */
export function classCookie(token: string, secure: boolean): string {
  return `${CLASS_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${CLASS_CREDENTIAL_TTL_SECONDS}${secure ? "; Secure" : ""}`;
}
