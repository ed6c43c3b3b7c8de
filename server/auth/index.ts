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
import { isAppError } from "@statescope/core";
import { db } from "@/server/db/client";
import { env, githubAuthEnabled } from "@/server/env";
import { verifyCredentials } from "@/server/services/users";

class WrongCredentials extends CredentialsSignin {
  override code = "wrong_credentials";
}

function providers(): Provider[] {
  const list: Provider[] = [
    Credentials({
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(raw) {
        const email = typeof raw?.email === "string" ? raw.email : "";
        const password = typeof raw?.password === "string" ? raw.password : "";
        if (!email || !password) throw new WrongCredentials();
        try {
          const u = await verifyCredentials(db(), email, password);
          return { id: u.userId, email: u.email, name: u.name };
        } catch (e) {
          if (isAppError(e) && e.code === "UNAUTHENTICATED") throw new WrongCredentials();
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
  providers: providers(),
  callbacks: {
    session({ session, token }) {
      if (token.sub) session.user.id = token.sub;
      return session;
    },
  },
}));

/** The signed-in user's id, or null. */
export async function currentUserId(): Promise<string | null> {
  const session = await auth();
  return session?.user?.id ?? null;
}
