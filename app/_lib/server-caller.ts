import { TRPCError } from "@trpc/server";
import { headers } from "next/headers";
import { createCaller } from "@/server/api/root";
import { db } from "@/server/db/client";
import { env } from "@/server/env";
import { publicBaseUrl, requestOrigin } from "@/server/http/request-origin";
import { processPubSub } from "@/server/pubsub/process";

export type ServerCaller = ReturnType<typeof createCaller>;

/**
 * Server components: the tRPC API as `userId`, with the same context a request to /api/trpc gets
 * (its origin from this page request's headers), so every procedure's checks apply.
 */
export async function serverCaller(userId: string): Promise<ServerCaller> {
  const e = env();
  // next start serves plain HTTP; the scheme and host a proxy saw come from its headers (TRUST_PROXY)
  const req = { url: "http://localhost/", headers: await headers() };
  const s = { trustProxy: e.TRUST_PROXY, publicUrl: e.PUBLIC_URL };
  return createCaller({ db: db(), pubsub: processPubSub(), actor: { userId }, publicUrl: publicBaseUrl(req, s), requestOrigin: requestOrigin(req, s) });
}

/** The message of an error the API answers to a caller (not found, forbidden, bad input), else undefined. */
export function clientErrorMessage(e: unknown): string | undefined {
  return e instanceof TRPCError && e.code !== "INTERNAL_SERVER_ERROR" ? e.message : undefined;
}
