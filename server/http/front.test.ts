import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { applyForwarded, clientAddress, requestOrigin, resolveForwarded } from "./request-origin";
import { assertSameOrigin } from "./same-origin";
import { contentSecurityPolicy, setsOwnPolicy } from "./security-headers";

const socket = { remoteAddress: "::ffff:203.0.113.7", encrypted: false };

describe("the web server's front (TRUST_PROXY)", () => {
  it("believes only the socket when no proxy is trusted, whatever the client claims", () => {
    const f = resolveForwarded(socket, { host: "app.test", "x-forwarded-for": "1.2.3.4", "x-forwarded-proto": "https", "x-forwarded-host": "evil.test" }, false);
    expect(f).toEqual({ for: "203.0.113.7", proto: "http", host: "app.test" });
  });

  it("behind a trusted proxy, takes the address it appended, never one further left", () => {
    const headers = { host: "internal:3000", "x-forwarded-for": "6.6.6.6, 198.51.100.9", "x-forwarded-proto": "https", "x-forwarded-host": "statescope.example" };
    expect(resolveForwarded(socket, headers, true)).toEqual({ for: "198.51.100.9", proto: "https", host: "statescope.example" });
    // a proxy that sent none: the socket (the proxy itself)
    expect(resolveForwarded(socket, { host: "h" }, true).for).toBe("203.0.113.7");
    // a Host that is not a host is not believed
    expect(resolveForwarded(socket, { host: "evil.example/x" }, false).host).toBe("localhost");
  });

  it("rewrites a request's headers and drops the ones only Next.js may send", () => {
    const req = {
      socket,
      headers: { host: "app.test:3000", "x-forwarded-for": "1.2.3.4", "x-forwarded-port": "443", forwarded: "for=1.2.3.4", "x-middleware-subrequest": "proxy:proxy:proxy:proxy:proxy", "x-invoke-path": "/x" },
    } as unknown as IncomingMessage;
    applyForwarded(req, false);
    expect(req.headers).toEqual({ host: "app.test:3000", "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "http", "x-forwarded-host": "app.test:3000" });
    const h = { url: "http://0.0.0.0:3000/", headers: new Headers(req.headers as Record<string, string>) };
    expect(clientAddress(h)).toBe("203.0.113.7");
    expect(requestOrigin(h, { trustProxy: false })).toBe("http://app.test:3000");
  });
});

describe("the Origin check", () => {
  const req = (method: string, headers: Record<string, string>) => new Request("http://0.0.0.0:3000/api/x", { method, headers: { host: "app.test:3000", ...headers } });
  const check = (r: Request, publicUrl?: string) => assertSameOrigin(r, { trustProxy: false, publicUrl });
  it("lets our own origin, reads and clients without Origin/Referer (not a browser page) through", () => {
    expect(() => check(req("POST", { origin: "http://app.test:3000" }))).not.toThrow();
    expect(() => check(req("POST", { origin: "https://statescope.example" }), "https://statescope.example/")).not.toThrow();
    expect(() => check(req("GET", { origin: "https://evil.example" }))).not.toThrow();
    expect(() => check(req("POST", {}))).not.toThrow();
  });
  it("refuses another origin, an opaque one, and a foreign Referer when Origin is missing", () => {
    const cases: Record<string, string>[] = [{ origin: "https://evil.example" }, { origin: "null" }, { origin: "http://app.test:3001" }, { referer: "https://evil.example/x" }];
    for (const h of cases) expect(() => check(req("POST", h)), JSON.stringify(h)).toThrow(/cross-origin request refused/);
  });
});

describe("Content-Security-Policy", () => {
  const base = { nonce: "abc", syncUrl: "wss://sync.example:1234", dev: false, https: true, githubSignIn: false };
  it("scripts by nonce only, the sync server in connect-src, framed by nobody", () => {
    const csp = contentSecurityPolicy(base);
    expect(csp).toContain("script-src 'self' 'nonce-abc' 'strict-dynamic';");
    expect(csp).not.toContain("unsafe-eval");
    expect(csp).toContain("connect-src 'self' wss://sync.example:1234;");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("upgrade-insecure-requests");
    expect(contentSecurityPolicy({ ...base, https: false, dev: true, githubSignIn: true })).toMatch(/'unsafe-eval'.*form-action 'self' https:\/\/github\.com; frame-ancestors 'none'$/);
  });
  it("leaves the findings' own pages to their handlers (the embeds set frame-ancestors *), and only those", () => {
    for (const p of ["/f/abc123/embed", "/f/abc123/v2/embed", "/f/abc123", "/f/assets/viewer.js", "/p/my-paper", "/oembed"]) expect(setsOwnPolicy(p), p).toBe(true);
    for (const p of ["/", "/signin", "/w/demo", "/w/demo/f/x/embed", "/fx/embed", "/oembedded", "/api/trpc/health"]) expect(setsOwnPolicy(p), p).toBe(false);
  });
});
