/**
 * The signed-in user's id from a request's session cookie — what next-auth's `auth()` answers,
 * without its per-call work that a request handler throws away: building the config and adapter,
 * an internal session request and response, and encrypting a refreshed token that no response
 * carries. Same cookie (the `__Secure-` one over HTTPS: the web server's front sets
 * x-forwarded-proto from the socket or a trusted proxy, which is what `auth()` reads too), same
 * salt and secret; an expired, tampered or foreign token is no session. Nothing is cached: a
 * session is a signed, encrypted JWT, so this is the whole check `auth()` makes (there is no
 * server-side session to revoke; a user removed from a workspace loses it at the membership check
 * every workspace procedure makes). The tRPC endpoint runs this on every call (#14: a comment's CPU).
 */
import { getToken } from "next-auth/jwt";
import { env } from "@/server/env";

export async function sessionUserId(req: Pick<Request, "headers">): Promise<string | null> {
  const secret = env().AUTH_SECRET;
  if (!secret) return null;
  const token = await getToken({
    req: { headers: { cookie: req.headers.get("cookie") ?? "" } }, // the cookie only: a session never comes as a bearer token here
    secret,
    secureCookie: req.headers.get("x-forwarded-proto") === "https",
  });
  return typeof token?.sub === "string" ? token.sub : null;
}
