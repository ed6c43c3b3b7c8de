/**
 * Route handlers (uploads) answer errors the way tRPC does: an AppError becomes
 * JSON `{error: {code, message}}` with the matching HTTP status; anything else
 * is logged and reported as a generic server error.
 */
import { isAppError, type AppError } from "@statescope/core";

const STATUS: Record<AppError["code"], number> = {
  BAD_INPUT: 400,
  UNSUPPORTED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TOO_LARGE: 413,
  INTERNAL: 500,
};

export function errorResponse(e: unknown, what: string): Response {
  if (isAppError(e)) return Response.json({ error: { code: e.code, message: e.message } }, { status: STATUS[e.code] });
  console.error(`${what} failed:`, e);
  return Response.json({ error: { code: "INTERNAL", message: `the ${what} failed on the server; try again` } }, { status: 500 });
}
