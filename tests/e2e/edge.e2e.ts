/**
 * The HTTP edge, probed as a stranger would against the production server (`npm start`'s web
 * process: Next.js behind our front): security headers, the Origin check, body limits, sign-in
 * rate limits, error text, and the known proxy-bypass request shapes.
 */
import { expect, test, type BrowserContext, type Page } from "@playwright/test";
import { importDemoProject, signInDemo } from "./helpers";

const SYNC_PORT = Number(process.env.E2E_SYNC_PORT ?? 1334);
const MiB = 1024 * 1024;

async function cookieHeader(ctx: BrowserContext): Promise<string> {
  return (await ctx.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
}

/**
 * A body of `total` bytes produced as the server reads it; `sent()` is how many it asked for.
 * (Node's fetch streams it with chunked transfer encoding: no Content-Length to refuse early.)
 */
function streamedBody(total: number, chunk = 64 * 1024) {
  let produced = 0;
  const filler = new Uint8Array(chunk).fill(0x61);
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (produced >= total) return c.close();
      produced += chunk;
      c.enqueue(filler);
    },
  });
  return { body, sent: () => produced };
}

async function post(baseURL: string, path: string, init: { body: BodyInit | ReadableStream<Uint8Array>; headers?: Record<string, string> }) {
  return fetch(`${baseURL}${path}`, { method: "POST", ...init, duplex: "half" } as RequestInit);
}

/** Records every Content-Security-Policy violation the page reports. */
async function watchCsp(page: Page): Promise<string[]> {
  const violations: string[] = [];
  await page.exposeFunction("__cspViolation", (v: string) => violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) =>
      (window as unknown as { __cspViolation: (v: string) => void }).__cspViolation(`${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`),
    );
  });
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  return violations;
}

test("pages carry a nonce Content-Security-Policy the app runs under without a violation; every response is nosniff", async ({ page, baseURL }) => {
  test.setTimeout(180_000);
  const violations = await watchCsp(page);
  const datasetId = await importDemoProject(300, "edge csp");
  await signInDemo(page, "/w/demo");
  const res = await page.goto(`/w/demo/datasets/${datasetId}/explore`);
  await expect(page.getByTestId("token").first()).toBeVisible();
  const csp = res!.headers()["content-security-policy"]!;
  const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
  expect(nonce).toBeTruthy();
  expect(csp).toContain("'strict-dynamic'");
  expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${SYNC_PORT}`);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(res!.headers()["x-content-type-options"]).toBe("nosniff");
  expect(res!.headers()["referrer-policy"]).toBe("same-origin");
  // every script the server rendered carries this request's nonce
  const html = await res!.text();
  const scripts = html.match(/<script\b[^>]*>/g) ?? [];
  expect(scripts.length).toBeGreaterThan(3);
  for (const s of scripts) expect(s).toContain(`nonce="${nonce}"`);
  // a second request gets another nonce
  const again = await page.request.get(`/w/demo/datasets/${datasetId}/explore`);
  expect(again.headers()["content-security-policy"]).not.toContain(nonce!);
  // the workspace page, the explorer with its realtime room and the sign-in page ran clean
  await page.goto("/w/demo");
  await expect(page.getByRole("heading").first()).toBeVisible();
  expect(violations).toEqual([]);

  // route handlers: nothing in them may run or be framed
  const api = await fetch(`${baseURL}/api/trpc/health`);
  expect(api.headers.get("x-content-type-options")).toBe("nosniff");
  expect(api.headers.get("content-security-policy")).toContain("default-src 'none'");
  // HSTS only over HTTPS, and a client saying so in X-Forwarded-Proto is not HTTPS
  const spoofed = await fetch(`${baseURL}/signin`, { headers: { "x-forwarded-proto": "https" } });
  expect(spoofed.headers.get("strict-transport-security")).toBeNull();
  expect(spoofed.headers.get("content-security-policy")).not.toContain("upgrade-insecure-requests");
});

test("a cookie-authenticated write from another origin is refused before any work (upload, extract, tRPC)", async ({ page, baseURL }) => {
  await signInDemo(page);
  const cookie = await cookieHeader(page.context());
  const evil = { cookie, origin: "https://evil.example" };
  const form = new FormData();
  form.set("demo", "parens");
  const cases = [
    await post(baseURL!, "/api/w/demo/datasets/upload", { body: new Uint8Array(100), headers: { ...evil, "x-file-name": "x.zip" } }),
    await post(baseURL!, "/api/w/demo/datasets/extract", { body: form, headers: evil }),
    await post(baseURL!, "/api/w/demo/datasets/extract", { body: form, headers: { cookie, origin: "null" } }),
    await post(baseURL!, "/api/w/demo/datasets/extract", { body: form, headers: { cookie, referer: "https://evil.example/page" } }),
  ];
  for (const r of cases) {
    expect(r.status).toBe(403);
    expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(/cross-origin request refused/);
  }
  const rpc = await post(baseURL!, "/api/trpc/workspace.rename", { body: JSON.stringify({ json: { workspace: "demo", name: "pwned" } }), headers: { ...evil, "content-type": "application/json" } });
  expect(rpc.status).toBe(403);
  expect(JSON.stringify(await rpc.json())).toMatch(/cross-origin request refused/);
  // our own origin passes the check (and reaches the form's own validation)
  const own = new FormData();
  own.set("tokenizer", "char");
  const ok = await post(baseURL!, "/api/w/demo/datasets/extract", { body: own, headers: { cookie, origin: baseURL! } });
  expect(ok.status).toBe(400);
  expect(((await ok.json()) as { error: { message: string } }).error.message).toMatch(/missing the weights/);
  // and nothing was renamed or queued
  await page.goto("/w/demo");
  await expect(page.getByText("pwned")).toHaveCount(0);
});

test("request bodies are limited while they stream: tRPC small (smaller signed out), uploads at UPLOAD_MAX_BYTES", async ({ page, baseURL }) => {
  test.setTimeout(120_000);
  // signed out: 200 MB offered, refused after a few hundred KB at most
  const anon = streamedBody(200 * MiB);
  const r1 = await post(baseURL!, "/api/trpc/auth.signUp", { body: anon.body, headers: { "content-type": "application/json" } });
  expect(r1.status).toBe(413);
  expect(JSON.stringify(await r1.json())).toMatch(/larger than 64 KiB \(the limit before sign-in\)/);
  expect(anon.sent()).toBeLessThan(20 * MiB);

  await signInDemo(page);
  const cookie = await cookieHeader(page.context());
  const big = streamedBody(200 * MiB);
  const r2 = await post(baseURL!, "/api/trpc/comment.createThread", { body: big.body, headers: { cookie, "content-type": "application/json" } });
  expect(r2.status).toBe(413);
  expect(JSON.stringify(await r2.json())).toMatch(/larger than 1 MiB/);
  expect(big.sent()).toBeLessThan(20 * MiB);

  // the upload and extract routes: the e2e server's UPLOAD_MAX_BYTES is 32 MiB
  for (const path of ["/api/w/demo/datasets/upload", "/api/w/demo/datasets/extract"]) {
    const s = streamedBody(300 * MiB);
    const r = await post(baseURL!, path, {
      body: s.body,
      headers: { cookie, "x-file-name": "big.zip", "content-type": path.endsWith("extract") ? "multipart/form-data; boundary=x" : "application/zip" },
    });
    expect(r.status, path).toBe(413);
    expect(((await r.json()) as { error: { message: string } }).error.message, path).toMatch(/larger than the (upload )?limit of (32\.0 MiB|33,554,432 bytes)/);
    expect(s.sent(), path).toBeLessThan(100 * MiB);
  }
  // a declared length over the limit is refused before a byte is read
  const declared = await fetch(`${baseURL}/api/w/demo/datasets/upload`, { method: "POST", headers: { cookie, "x-file-name": "big.zip", "content-length": String(5 * 1024 ** 3) }, body: "x" }).catch((e: unknown) => e);
  if (declared instanceof Response) expect(declared.status).toBe(413);
});

test("a list of cells names each cell once: 3,000 copies of one cell are refused with a clear error", async ({ page }) => {
  const datasetId = await importDemoProject(50, "edge cells");
  await signInDemo(page);
  const input = { json: { workspace: "demo", datasetId, source: "states::states1", from: 0, to: 50, cells: Array.from({ length: 3000 }, () => 3) } };
  // commas left unencoded: the URL stays well under the server's header limit
  const res = await page.request.get(`/api/trpc/dataset.states?input=${encodeURIComponent(JSON.stringify(input)).replaceAll("%2C", ",")}`, { failOnStatusCode: false });
  expect(res.status()).toBe(400);
  expect(await res.text()).toMatch(/cell 3 is listed more than once: name each cell once/);
});

test("sign-in: 200 wrong passwords in 5 s are cut off, the right one is refused while limited, and X-Forwarded-For changes nothing", async ({ page, baseURL }) => {
  test.setTimeout(120_000);
  const email = `flood-${Date.now()}@edge.test`;
  const password = "the right password";
  const signUp = await post(baseURL!, "/api/trpc/auth.signUp", { body: JSON.stringify({ json: { email, password } }), headers: { "content-type": "application/json" } });
  expect(signUp.status).toBe(200);
  const csrf = await fetch(`${baseURL}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const cookie = csrf.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const attempt = (pw: string, i = 0) =>
    fetch(`${baseURL}/api/auth/callback/credentials`, {
      method: "POST",
      redirect: "manual",
      // a different claimed address each time: the web server replaces it with the socket's
      headers: { "content-type": "application/x-www-form-urlencoded", cookie, "x-forwarded-for": `10.${i & 255}.0.1` },
      body: new URLSearchParams({ email, password: pw, csrfToken, callbackUrl: "/w" }),
    });
  const t0 = Date.now();
  const statuses: number[] = [];
  for (let batch = 0; batch < 10; batch++) {
    const rs = await Promise.all(Array.from({ length: 20 }, (_, k) => attempt(`wrong ${batch * 20 + k}`, batch * 20 + k)));
    statuses.push(...rs.map((r) => r.status));
  }
  const elapsed = Date.now() - t0;
  const checked = statuses.filter((s) => s === 302).length; // next-auth's "wrong credentials" redirect
  const limited = statuses.filter((s) => s === 429).length;
  expect(checked + limited).toBe(200);
  expect(checked).toBeLessThanOrEqual(10);
  expect(limited).toBeGreaterThanOrEqual(190);
  test.info().annotations.push({ type: "timing", description: `200 wrong passwords answered in ${elapsed} ms: ${checked} checked, ${limited} refused` });

  const right = await attempt(password);
  expect(right.status).toBe(429);
  expect(Number(right.headers.get("retry-after"))).toBeGreaterThan(60);
  expect(((await right.json()) as { error: { message: string } }).error.message).toMatch(/too many failed sign-ins: try again in \d+ min/);

  // the sign-in form says so too
  await page.goto("/signin");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator(".error[role=alert]")).toContainText(/too many failed sign-ins for this account from your network .* try again in \d+ min/);
  // while another account on the same address signs in as usual
  await signInDemo(page);
});

test("internal error text never reaches the client: a generic message with a request id", async ({ baseURL }) => {
  for (const [path, body] of [
    ["/api/trpc/auth.signUp", "null"],
    ["/api/trpc/auth.signUp?batch=1", '{"0":null}'],
    ["/api/trpc/auth.signUp", "{not json"],
  ] as const) {
    const r = await post(baseURL!, path, { body, headers: { "content-type": "application/json" } });
    expect(r.status, body).toBe(400);
    const text = await r.text();
    expect(text, body).toMatch(/request id [0-9a-f]{12}/);
    expect(text, body).not.toMatch(/destructure|JSON at position|TypeError|SyntaxError|stack/);
  }
});

/**
 * Where a signed-out page request is sent: a redirect's Location, or (the page streams behind a
 * loading boundary, so its status is already sent) the redirect Next.js writes into the stream.
 */
async function signInRedirect(res: Response): Promise<string | null> {
  if (res.status >= 300 && res.status < 400) return res.headers.get("location");
  const html = await res.text();
  expect(html).not.toContain('aria-label="Workspace"');
  const meta = /<meta id="__next-page-redirect" http-equiv="refresh" content="\d+;url=([^"]+)"/.exec(html);
  return meta ? meta[1]!.replace(/&amp;/g, "&") : null;
}

test("the known proxy-bypass request shapes change nothing", async ({ page, baseURL }) => {
  const shapes: Record<string, string>[] = [
    { "x-middleware-subrequest": "middleware:middleware:middleware:middleware:middleware" },
    { "x-middleware-subrequest": "proxy:proxy:proxy:proxy:proxy" },
    { "x-middleware-subrequest": "src/middleware:src/middleware:src/middleware:src/middleware:src/middleware" },
    { "x-middleware-subrequest": "pages/_middleware", "x-middleware-subrequest-id": "0" },
    { "x-nextjs-data": "1" },
    { "x-middleware-prefetch": "1" },
    { "x-invoke-path": "/w/demo", "x-invoke-output": "/w/demo" },
  ];
  await signInDemo(page);
  const cookie = await cookieHeader(page.context());
  for (const h of shapes) {
    const what = JSON.stringify(h);
    // signed out: the page still sends you to sign in, the API still refuses
    const pageRes = await fetch(`${baseURL}/w/demo`, { headers: h, redirect: "manual" });
    expect(await signInRedirect(pageRes), what).toMatch(/^\/signin\?callbackUrl=/);
    const apiRes = await fetch(`${baseURL}/api/w/demo/datasets/x/states?source=s&from=0&to=1`, { headers: h });
    expect(apiRes.status, what).toBe(401);
    const rpc = await fetch(`${baseURL}/api/trpc/workspace.members?input=${encodeURIComponent(JSON.stringify({ json: { workspace: "demo" } }))}`, { headers: h });
    expect(rpc.status, what).toBe(401);
    // signed in: the page is served with its security headers as always
    const withSession = await fetch(`${baseURL}/w/demo`, { headers: { ...h, cookie } });
    expect(withSession.status, what).toBe(200);
    expect(withSession.headers.get("content-security-policy"), what).toMatch(/'nonce-/);
    // and a cross-origin write is still refused
    const write = await post(baseURL!, "/api/trpc/workspace.rename", {
      body: JSON.stringify({ json: { workspace: "demo", name: "pwned" } }),
      headers: { ...h, cookie, origin: "https://evil.example", "content-type": "application/json" },
    });
    expect(write.status, what).toBe(403);
  }
});
