/**
 * Request shapes known to skip or confuse a Next.js middleware/proxy (CVE-2025-29927's
 * `x-middleware-subrequest` and its relatives): sent to a production server (`next start`
 * under the launcher), each must be answered exactly like the same request without it.
 * Authorization lives in the procedures and pages, not in a proxy, so nothing may change.
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
}

async function answer(url: string, init: RequestInit | undefined, extra: Record<string, string>): Promise<Answer> {
  const headers = new Headers(init?.headers);
  for (const [k, v] of Object.entries(extra)) headers.set(k, v);
  const r = await fetch(url, { ...init, headers, redirect: "manual", signal: AbortSignal.timeout(30_000) });
  await r.arrayBuffer();
  return { status: r.status, location: r.headers.get("location") };
}

/** Differences between each protected request with and without each bypass shape (empty: nothing changed). */
export async function middlewareBypassDifferences(webUrl: string): Promise<string[]> {
  const diffs: string[] = [];
  for (const req of protectedRequests(webUrl)) {
    const base = await answer(req.url, req.init, {});
    if (base.status < 300 || base.status >= 500) diffs.push(`${req.what}: answered ${base.status} signed out (want a refusal or a redirect to sign-in)`);
    for (const h of BYPASS_HEADERS) {
      const got = await answer(req.url, req.init, h);
      if (got.status !== base.status || got.location !== base.location) {
        diffs.push(`${req.what} with ${JSON.stringify(h)}: ${got.status} ${got.location ?? ""} instead of ${base.status} ${base.location ?? ""}`);
      }
    }
  }
  return diffs;
}
