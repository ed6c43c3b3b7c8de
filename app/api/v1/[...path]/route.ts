/**
 * The HTTP API (/api/v1/…), for personal API tokens: every operation is listed in
 * server/api/v1/operations.ts and described at /api/openapi.json; who may call each is in
 * server/api/access.ts (`API_ACCESS`).
 */
import { handleApi } from "@/server/api/v1/dispatch";

const handle = (req: Request) => handleApi(req);
export const GET = handle;
export const POST = handle;
export const PUT = handle;
export const PATCH = handle;
export const DELETE = handle;
export const dynamic = "force-dynamic";
