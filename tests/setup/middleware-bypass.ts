/**
 * Request shapes known to skip or confuse a Next.js middleware/proxy (CVE-2025-29927's
 * `x-middleware-subrequest` and its relatives): sent signed out to a production server
 * (`next start` under the launcher), each must be refused like the same request without it.
 * Authorization lives in the procedures and pages, not in a proxy, so no shape reaches them.
 * Next itself answers two shapes without running the route at all, which is no bypass: a
 * prefetch probe (`x-middleware-prefetch`) gets `{}` marked `x-middleware-skip`, and an RSC
 * request without its cache key is redirected to the same path with `_rsc=`.
 */
export const BYPASS_HEADERS: ReadonlyArray<Record<string, string>> = [
  { "x-middleware-subrequest": "middleware" },
  { "x-middleware-subrequest": "middleware:middleware:middleware:middleware:middleware" },
  { "x-middleware-subrequest": "src/middleware:src/middleware:src/middleware:src/middleware:src/middleware" },
  { "x-middleware-subrequest": "proxy:proxy:proxy:proxy:proxy" },
  { "x-middleware-subrequest": "src/proxy:src/proxy:src/proxy:src/proxy:src/proxy" },
  { "x-middleware-prefetch": "1" },
  { "x-middleware-invoke": "1" },
  { "x-nextjs-data": "1" },
  { "x-invoke-path": "/w", "x-invoke-query": "%7B%7D" },
  { "x-now-route-matches": "1" },
  { rsc: "1", "next-router-prefetch": "1" },
];

/** Requests a signed-out caller must be refused (the status and where it is sent are compared). */
export function protectedRequests(webUrl: string): Array<{ what: string; url: string; init?: RequestInit }> {
  return [
    { what: "page /w (sign-in required)", url: `${webUrl}/w` },
    { what: "tRPC workspace.list (user procedure)", url: `${webUrl}/api/trpc/workspace.list` },
    {
      what: "tRPC workspace.members (workspace procedure)",
      url: `${webUrl}/api/trpc/workspace.members?input=${encodeURIComponent(JSON.stringify({ json: { workspace: "demo" } }))}`,
    },
    { what: "route handler states", url: `${webUrl}/api/w/demo/datasets/x/states?source=s&from=0&to=1` },
    {
      what: "tRPC invite.create (owner mutation)",
      url: `${webUrl}/api/trpc/invite.create`,
      init: { method: "POST", headers: { "content-type": "application/json", origin: webUrl }, body: JSON.stringify({ json: { workspace: "demo", role: "OWNER" } }) },
    },
  ];
}

interface Answer {
  status: number;
  location: string | null;
  body: string;
  skipped: boolean;
}

async function answer(url: string, init: RequestInit | undefined, extra: Record<string, string>): Promise<Answer> {
  const headers = new Headers(init?.headers);
  for (const [k, v] of Object.entries(extra)) headers.set(k, v);
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await fetch(url, { ...init, headers, redirect: "manual", signal: AbortSignal.timeout(30_000) });
      const body = await r.text();
      return { status: r.status, location: r.headers.get("location"), body, skipped: r.headers.get("x-middleware-skip") === "1" };
    } catch (e) {
      // a connection lost (a restarting server) is asked again; an answer is never retried
      if (attempt >= 5) throw e;
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
}

/** Differences between each protected request with and without each bypass shape (empty: nothing changed). */
export async function middlewareBypassDifferences(webUrl: string): Promise<string[]> {
  const diffs: string[] = [];
  for (const req of protectedRequests(webUrl)) {
    const base = await answer(req.url, req.init, {});
    if (base.status < 300 || base.status >= 500) diffs.push(`${req.what}: answered ${base.status} signed out (want a refusal or a redirect to sign-in)`);
    for (const h of BYPASS_HEADERS) {
      const got = await answer(req.url, req.init, h);
      const same = got.status === base.status && got.location === base.location;
      // Next's own answers that run no route (see above): nothing of ours was reached
      const prefetchSkip = got.status === 200 && got.skipped && got.body.trim() === "{}";
      const rscRedirect = got.status === 307 && got.location !== null && new URL(got.location, req.url).pathname === new URL(req.url).pathname && /[?&]_rsc=/.test(got.location);
      if (!same && !prefetchSkip && !rscRedirect) {
        diffs.push(`${req.what} with ${JSON.stringify(h)}: ${got.status} ${got.location ?? ""} instead of ${base.status} ${base.location ?? ""}`);
      }
    }
  }
  return diffs;
}
