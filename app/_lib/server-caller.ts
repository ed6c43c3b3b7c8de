import { TRPCError } from "@trpc/server";
import { cookies, headers } from "next/headers";
import { createCaller } from "@/server/api/root";
import { db } from "@/server/db/client";
import { env } from "@/server/env";
import { publicBaseUrl, requestOrigin } from "@/server/http/request-origin";
import { processPubSub } from "@/server/pubsub/process";
import { CLASS_COOKIE, verifyClassCredential } from "@/server/services/classroom/credential";

export type ServerCaller = ReturnType<typeof createCaller>;

/**
 * Server components: the tRPC API as `userId`, with the same context a request to /api/trpc gets
 * (its origin from this page request's headers), so every procedure's checks apply.
 */
export async function serverCaller(userId: string): Promise<ServerCaller> {
  return callerOf(userId, false);
}

/** A classroom page's caller: the signed-in user if any, and the session credential the browser holds. */
export async function sessionCaller(userId: string | null): Promise<ServerCaller> {
  return callerOf(userId, true);
}

/** The app's public base URL as this page request reached it (PUBLIC_URL when set), for links to share. */
export async function pageBaseUrl(): Promise<string> {
  const e = env();
  return publicBaseUrl({ url: "http://localhost/", headers: await headers() }, { trustProxy: e.TRUST_PROXY, publicUrl: e.PUBLIC_URL });
}

async function callerOf(userId: string | null, withCredential: boolean): Promise<ServerCaller> {
  const e = env();
  // next start serves plain HTTP; the scheme and host a proxy saw come from its headers (TRUST_PROXY)
  const req = { url: "http://localhost/", headers: await headers() };
  const s = { trustProxy: e.TRUST_PROXY, publicUrl: e.PUBLIC_URL };
  const classroom = withCredential && e.AUTH_SECRET ? verifyClassCredential(e.AUTH_SECRET, (await cookies()).get(CLASS_COOKIE)?.value) : null;
  return createCaller({ db: db(), pubsub: processPubSub(), actor: userId ? { userId } : null, publicUrl: publicBaseUrl(req, s), requestOrigin: requestOrigin(req, s), classroom });
}

/** The message of an error the API answers to a caller (not found, forbidden, bad input), else undefined. */
export function clientErrorMessage(e: unknown): string | undefined {
  return e instanceof TRPCError && e.code !== "INTERNAL_SERVER_ERROR" ? e.message : undefined;
}
