import { describe, expect, it, vi } from "vitest";
import { AppError, type AppErrorCode } from "@statescope/core";
import { errorResponse, httpStatusOf, toTRPCError } from "./errors";

describe("the one error mapping", () => {
  it("gives every AppError code its tRPC code and HTTP status, the same for tRPC and route handlers", async () => {
    const expected: Record<AppErrorCode, [string, number]> = {
      BAD_INPUT: ["BAD_REQUEST", 400],
      UNAUTHENTICATED: ["UNAUTHORIZED", 401],
      FORBIDDEN: ["FORBIDDEN", 403],
      NOT_FOUND: ["NOT_FOUND", 404],
      CONFLICT: ["CONFLICT", 409],
      TOO_LARGE: ["PAYLOAD_TOO_LARGE", 413],
      UNSUPPORTED: ["BAD_REQUEST", 400],
      TOO_MANY_REQUESTS: ["TOO_MANY_REQUESTS", 429],
      INTERNAL: ["INTERNAL_SERVER_ERROR", 500],
    };
    for (const [code, [trpc, status]] of Object.entries(expected) as [AppErrorCode, [string, number]][]) {
      const e = new AppError(code, `a ${code} message`);
      expect(toTRPCError(e).code, code).toBe(trpc);
      expect(httpStatusOf(e), code).toBe(status);
      const res = errorResponse(e, "test");
      expect(res.status, code).toBe(status);
      expect(await res.json()).toEqual({ error: { code, message: `a ${code} message` } });
    }
  });

  it("answers TOO_MANY_REQUESTS with Retry-After", () => {
    const res = errorResponse(new AppError("TOO_MANY_REQUESTS", "slow down", { retryAfterSeconds: 41.2 }), "test");
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("42");
  });

  it("answers anything else with a generic message and a request id, and logs the detail under that id", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const res = errorResponse(new TypeError("Cannot destructure property 'json' of 'e' as it is null."), "upload");
      expect(res.status).toBe(500);
      const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
      expect(body.error.message).toBe(`the upload failed on the server (request id ${body.error.requestId}); try again`);
      expect(JSON.stringify(body)).not.toMatch(/destructure/);
      expect(String(log.mock.calls[0]![0])).toContain(body.error.requestId);
      expect(log.mock.calls[0]![1]).toBeInstanceOf(TypeError);
    } finally {
      log.mockRestore();
    }
  });
});
