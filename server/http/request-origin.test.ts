import { afterEach, describe, expect, it, vi } from "vitest";
import { resetEnvCache } from "@/server/env";
import { clientAddress, publicBaseUrl, requestOrigin } from "./request-origin";

const req = (url: string, headers: Record<string, string> = {}) => ({ url, headers: new Headers(headers) });
const direct = { trustProxy: false };
const proxied = { trustProxy: true };

describe("requestOrigin", () => {
  it("uses the Host the browser sent, not the bind address in the URL", () => {
    expect(requestOrigin(req("http://0.0.0.0:3000/api/trpc/x", { host: "127.0.0.1:3000" }), direct)).toBe("http://127.0.0.1:3000");
    expect(requestOrigin(req("http://0.0.0.0:3000/x", { host: "lab.example.org" }), direct)).toBe("http://lab.example.org");
    expect(requestOrigin(req("http://[::]:3000/x", { host: "[::1]:3000" }), direct)).toBe("http://[::1]:3000");
  });

  it("never answers a wildcard bind address", () => {
    expect(requestOrigin(req("http://0.0.0.0:3000/x"), direct)).toBe("http://localhost:3000");
    expect(requestOrigin(req("http://0.0.0.0:3000/x", { host: "0.0.0.0:3000" }), direct)).toBe("http://localhost:3000");
    expect(requestOrigin(req("http://[::]:3000/x", { host: "[::]:3000" }), direct)).toBe("http://localhost:3000");
  });

  it("ignores forwarded headers unless TRUST_PROXY is set", () => {
    const r = req("http://0.0.0.0:3000/x", { host: "10.0.0.5:3000", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" });
    expect(requestOrigin(r, direct)).toBe("http://10.0.0.5:3000");
    expect(requestOrigin(r, proxied)).toBe("https://evil.example");
    expect(requestOrigin(req("http://0.0.0.0:3000/x", { host: "a:1", "x-forwarded-host": "scope.example, inner", "x-forwarded-proto": "https, http" }), proxied)).toBe(
      "https://scope.example",
    );
  });

  it("refuses a Host header that is not a host", () => {
    for (const host of ["evil.example/x", "a@b", "a b", "x\\y", ""]) {
      expect(requestOrigin(req("http://127.0.0.1:3000/x", { host }), direct)).toBe("http://127.0.0.1:3000");
    }
    expect(requestOrigin(req("http://127.0.0.1:3000/x", { "x-forwarded-host": "//evil", "x-forwarded-proto": "javascript" }), proxied)).toBe("http://127.0.0.1:3000");
  });

  it("PUBLIC_URL wins for links", () => {
    expect(publicBaseUrl(req("http://0.0.0.0:3000/x", { host: "127.0.0.1:3000" }), { ...direct, publicUrl: "https://scope.example/" })).toBe("https://scope.example");
    expect(publicBaseUrl(req("http://0.0.0.0:3000/x", { host: "127.0.0.1:3000" }), direct)).toBe("http://127.0.0.1:3000");
  });
});

describe("clientAddress", () => {
  it("is the x-forwarded-for the web server's front wrote (applyForwarded: the socket's, or the trusted proxy's entry)", () => {
    expect(clientAddress(req("http://x/", { "x-forwarded-for": "203.0.113.9" }))).toBe("203.0.113.9");
    expect(clientAddress(req("http://x/"))).toBe("unknown");
  });
});

describe("tRPC context", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    resetEnvCache();
  });
  it("builds invite links from the address the browser used (opened at 127.0.0.1, bound to 0.0.0.0)", async () => {
    vi.stubEnv("DATABASE_URL", "postgresql://u:p@127.0.0.1:9/none");
    vi.stubEnv("PUBLIC_URL", undefined);
    vi.stubEnv("TRUST_PROXY", undefined);
    resetEnvCache();
    const { createContext } = await import("@/server/api/context");
    const ctx = await createContext(new Request("http://0.0.0.0:3000/api/trpc/invite.create", { headers: { host: "127.0.0.1:3000" } }), null);
    expect(ctx.publicUrl).toBe("http://127.0.0.1:3000");
    expect(ctx.requestOrigin).toBe("http://127.0.0.1:3000");
  });
});
