import { db } from "@/server/db/client";
import { env } from "@/server/env";
import { clientAddress, publicBaseUrlOf, requestOrigin as requestOriginOf } from "@/server/http/request-origin";
import { processPubSub } from "@/server/pubsub/process";
import { classCredentialFromCookies } from "@/server/services/classroom/credential";
import { userExists } from "@/server/services/users";
import type { Context } from "./trpc";

/** Build the tRPC context for a request: the database, the process's pub/sub, the signed-in user (if any) and who is calling from where. */
export async function createContext(req: Request, userId: string | null, resHeaders?: Headers): Promise<Context> {
  const client = db();
  let actor: Context["actor"] = null;
  if (userId) {
    // A JWT can outlive its user (e.g. a reset database): treat that as signed out.
    if (await userExists(client, userId)) actor = { userId };
  }
  const e = env();
  const requestOrigin = requestOriginOf(req, { trustProxy: e.TRUST_PROXY });
  // (from the origin just read, not read from the request again)
  const publicUrl = publicBaseUrlOf(requestOrigin, e.PUBLIC_URL);
  return {
    db: client,
    pubsub: processPubSub(),
    actor,
    publicUrl,
    requestOrigin,
    clientAddress: clientAddress(req),
    // a classroom participant's session credential (guests have nothing else)
    classroom: classCredentialFromCookies(e.AUTH_SECRET, req.headers.get("cookie")),
    setCookie: resHeaders ? (c) => resHeaders.append("set-cookie", c) : undefined,
  };
}
