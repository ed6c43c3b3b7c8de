/**
 * The one error mapping of the HTTP edge: an AppError code becomes a tRPC code, and the tRPC code
 * an HTTP status (tRPC's own table), for tRPC procedures and route handlers alike. Errors that are
 * not ours (a TypeError from a malformed body, a database error) never reach the client as they
 * are: the client gets a generic message with a request id, and the detail is logged under it.
 */
import { randomBytes } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { AppError, isAppError, type AppErrorCode } from "@statescope/core";
import { ZodError } from "zod";

const TRPC_CODE: Record<AppErrorCode, TRPCError["code"]> = {
  BAD_INPUT: "BAD_REQUEST",
  UNAUTHENTICATED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  TOO_LARGE: "PAYLOAD_TOO_LARGE",
  UNSUPPORTED: "BAD_REQUEST",
  TOO_MANY_REQUESTS: "TOO_MANY_REQUESTS",
  INTERNAL: "INTERNAL_SERVER_ERROR",
};

export function toTRPCError(e: AppError): TRPCError {
  return new TRPCError({ code: TRPC_CODE[e.code], message: e.message, cause: e });
}

/** The HTTP status of an AppError (through its tRPC code, so both transports agree). */
export function httpStatusOf(e: AppError): number {
  return getHTTPStatusCodeFromError(toTRPCError(e));
}

/** Response headers an AppError asks for: `Retry-After` on TOO_MANY_REQUESTS. */
export function errorHeaders(e: AppError): Record<string, string> {
  const s = e.options.retryAfterSeconds;
  return s === undefined ? {} : { "retry-after": String(Math.max(1, Math.ceil(s))) };
}

/** A short id that ties a generic message shown to a client to the logged detail. */
export function newRequestId(): string {
  return randomBytes(6).toString("hex");
}

/** Logs an unexpected error (with its stack) under a fresh request id and returns the id. */
export function logUnexpected(where: string, e: unknown): string {
  const id = newRequestId();
  console.error(`[request ${id}] ${where} failed:`, e);
  return id;
}

/** The client went away mid-request: nothing failed on our side. */
function isAbort(e: unknown): boolean {
  return e instanceof Error && (e.name === "AbortError" || e.message === "aborted" || (e as { code?: string }).code === "ECONNRESET");
}

/**
 * A request id for an error whose text stays on the server: a failure of ours is logged with its
 * stack; a request we could not read gets one short line (a flood of bad requests must not
 * flood the log with stacks); a client that went away, none.
 */
export function requestIdFor(code: TRPCError["code"], where: string, cause: unknown): string {
  if (code === "INTERNAL_SERVER_ERROR") return logUnexpected(where, cause);
  const id = newRequestId();
  if (!isAbort(cause)) console.warn(`[request ${id}] ${where}: unreadable request: ${String(cause instanceof Error ? cause.message : cause).slice(0, 200)}`);
  return id;
}

/**
 * True when a tRPC error's message was written by us for the client: an AppError, a TRPCError we
 * raised without a cause, or an input schema's validation message. Anything else (the cause is a
 * TypeError, a SyntaxError, a driver error…) carries internal text.
 */
export function isClientSafe(error: TRPCError): boolean {
  const cause = error.cause;
  return cause === undefined || isAppError(cause) || cause instanceof ZodError;
}

/** The message a client sees for an error whose own text is internal. */
export function genericMessage(code: TRPCError["code"], requestId: string): string {
  return code === "INTERNAL_SERVER_ERROR"
    ? `something failed on the server (request id ${requestId}); try again, and quote the id if it keeps failing`
    : `the request could not be read (request id ${requestId}): send the input as the API expects it`;
}

/**
 * A route handler's error answer, shaped like tRPC's: JSON `{error: {code, message}}` with the
 * AppError's status (and `Retry-After`); anything else is logged and answered 500 with a request id.
 * `extraHeaders`: e.g. `connection: close` when the request's body was not read to its end.
 */
export function errorResponse(e: unknown, what: string, extraHeaders: Record<string, string> = {}): Response {
  if (isAppError(e)) return Response.json({ error: { code: e.code, message: e.message } }, { status: httpStatusOf(e), headers: { ...errorHeaders(e), ...extraHeaders } });
  const id = logUnexpected(what, e);
  return Response.json(
    { error: { code: "INTERNAL", message: `the ${what} failed on the server (request id ${id}); try again`, requestId: id } },
    { status: 500, headers: { "x-request-id": id, ...extraHeaders } },
  );
}
