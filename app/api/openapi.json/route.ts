/** The OpenAPI 3.1 document of /api/v1, generated from the operations' zod schemas (server/api/v1/document.ts). */
import { env } from "@/server/env";
import { openApiDocument } from "@/server/api/v1/document";
import { publicBaseUrl } from "@/server/http/request-origin";

export function GET(req: Request): Response {
  const e = env();
  return Response.json(openApiDocument(publicBaseUrl(req, { trustProxy: e.TRUST_PROXY, publicUrl: e.PUBLIC_URL })), {
    headers: { "access-control-allow-origin": "*" },
  });
}
export const dynamic = "force-dynamic";
