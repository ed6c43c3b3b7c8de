/**
 * next-auth (Auth.js v5): email + password through the Credentials provider
 * (argon2id hashes, see services/users), GitHub OAuth when its env vars are
 * set, the Prisma adapter for OAuth accounts. Sessions are JWTs, which the
 * Credentials provider requires.
 */
import NextAuth, { CredentialsSignin } from "next-auth";
import type { Provider } from "next-auth/providers";
import Credentials from "next-auth/providers/credentials";
import GitHub from "next-auth/providers/github";
import { PrismaAdapter } from "@auth/prisma-adapter";
import { NextRequest } from "next/server";
import { AppError, isAppError } from "@statescope/core";
import { errorResponse } from "@/server/api/errors";
import { db } from "@/server/db/client";
import { env, githubAuthEnabled } from "@/server/env";
import { clientAddress } from "@/server/http/request-origin";
import { humanSeconds, limitFailures, retryAfter, signInSpends } from "@/server/services/rate-limits";
import { CLOSE_CONNECTION, declaredLength, limitStream } from "@/server/services/uploads";
import { verifyCredentials } from "@/server/services/users";

class WrongCredentials extends CredentialsSignin {
  override code = "wrong_credentials";
}

/** Over a sign-in rate limit; the message (with the wait) reaches the sign-in form. */
export class SignInLimited extends CredentialsSignin {
  override code = "rate_limited";
  constructor(
    readonly reason: string,
    readonly retryAfterSeconds: number,
  ) {
    super(reason);
  }
}

function providers(): Provider[] {
  const list: Provider[] = [
    Credentials({
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      // Counted before the password is checked (per account, account + address, and address;
      // a correct password gives the points back), so a flood is cut off at the limit and the
      // right password is refused too while the account is limited.
      async authorize(raw, request) {
        const email = typeof raw?.email === "string" ? raw.email : "";
        const password = typeof raw?.password === "string" ? raw.password : "";
        if (!email || !password) throw new WrongCredentials();
        try {
          const u = await limitFailures(db(), signInSpends(email, clientAddress(request)), () => verifyCredentials(db(), email, password));
          return { id: u.userId, email: u.email, name: u.name };
        } catch (e) {
          if (isAppError(e) && e.code === "UNAUTHENTICATED") throw new WrongCredentials();
          if (isAppError(e) && e.code === "TOO_MANY_REQUESTS") throw new SignInLimited(e.message, e.options.retryAfterSeconds ?? 60);
          throw e;
        }
      },
    }),
  ];
  const e = env();
  if (githubAuthEnabled(e)) list.push(GitHub({ clientId: e.AUTH_GITHUB_ID, clientSecret: e.AUTH_GITHUB_SECRET }));
  return list;
}

export const { handlers, auth, signIn, signOut } = NextAuth(() => ({
  // The adapter's types name @prisma/client; our generated client is the same API.
  adapter: PrismaAdapter(db() as unknown as Parameters<typeof PrismaAdapter>[0]),
  session: { strategy: "jwt" },
  secret: env().AUTH_SECRET,
  trustHost: true,
  pages: { signIn: "/signin" },
  // A wrong password or a rate-limited attempt is the caller's mistake, not the server's: logging
  // each one would let a flood of attempts write a line per request.
  logger: {
    error(error) {
      if (error instanceof CredentialsSignin) return;
      console.error(`[auth] ${error.name}: ${error.message}`, error.cause ?? "");
    },
  },
  providers: providers(),
  callbacks: {
    session({ session, token }) {
      if (token.sub) session.user.id = token.sub;
      return session;
    },
  },
}));

/** Sign-in and sign-out forms are small; a larger body is refused while it streams. */
const AUTH_MAX_BODY_BYTES = 16 * 1024;

/**
 * POST /api/auth/*: next-auth's handler behind a body limit. A credentials sign-in refused by a
 * rate limit comes back from next-auth as a redirect to the sign-in page; a client posting there
 * directly gets 429 with Retry-After instead (the sign-in form itself uses the server action,
 * which shows the wait as a message).
 */
export async function authPost(req: NextRequest): Promise<Response> {
  let body: string;
  try {
    const limited = req.body
      ? limitStream(req.body, {
          maxBytes: AUTH_MAX_BODY_BYTES,
          tooLarge: () => new AppError("TOO_LARGE", `a sign-in request is at most ${AUTH_MAX_BODY_BYTES / 1024} KiB`),
          declaredBytes: declaredLength(req.headers),
        })
      : null;
    body = limited ? await new Response(limited).text() : "";
  } catch (e) {
    return errorResponse(e, "sign-in", CLOSE_CONNECTION);
  }
  const res = await handlers.POST(new NextRequest(req.url, { method: "POST", headers: req.headers, body }));
  const location = res.headers.get("location") ?? "";
  if (!/[?&]code=rate_limited(&|$)/.test(location)) return res;
  const email = new URLSearchParams(body).get("email") ?? "";
  const wait = await retryAfter(db(), signInSpends(email, clientAddress(req)));
  return errorResponse(new AppError("TOO_MANY_REQUESTS", `too many failed sign-ins: try again in ${humanSeconds(wait)}`, { retryAfterSeconds: Math.max(1, wait) }), "sign-in");
}

/** The signed-in user's id, or null. */
export async function currentUserId(): Promise<string | null> {
  const session = await auth();
  return session?.user?.id ?? null;
}
