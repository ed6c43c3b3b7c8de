/** The Next.js side of the finding routes: who is asking, from where, then {@link serveFinding}. */
import { currentUserId } from "@/server/auth";
import { db } from "@/server/db/client";
import { env } from "@/server/env";
import { publicBaseUrl } from "@/server/http/request-origin";
import { serveFinding, serverError } from "./serve";

export async function handleFindingRequest(req: Request): Promise<Response> {
  try {
    const userId = await currentUserId();
    const e = env();
    const publicUrl = publicBaseUrl(req, { trustProxy: e.TRUST_PROXY, publicUrl: e.PUBLIC_URL });
    return await serveFinding(req, { db: db(), viewer: userId ? { userId } : null, publicUrl, now: new Date() });
  } catch (e) {
    return serverError(e);
  }
}
