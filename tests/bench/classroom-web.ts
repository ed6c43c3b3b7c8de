/**
 * The web side of `npm run bench:classroom`, in its own process: the app's tRPC router and request
 * context (server/api/context.ts: the session credential cookie, the client address) behind a
 * plain node HTTP server. Guests carry no next-auth session, so what Next.js would add for them is
 * the routing only; joins and tickets run exactly the code the app runs.
 *
 *   DATABASE_URL=… AUTH_SECRET=… SYNC_PORT=… node --import tsx tests/bench/classroom-web.ts
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createContext } from "@/server/api/context";
import { appRouter } from "@/server/api/root";

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const url = `http://127.0.0.1${req.url ?? "/"}`;
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    headers.set("x-forwarded-for", req.socket.remoteAddress ?? "127.0.0.1");
    const request = new Request(url, { method: req.method, headers, body: req.method === "GET" ? undefined : Buffer.concat(chunks) });
    void fetchRequestHandler({ endpoint: "/api/trpc", req: request, router: appRouter, createContext: ({ resHeaders }) => createContext(request, null, resHeaders) })
      .then(async (r) => {
        const out: Record<string, string | string[]> = {};
        r.headers.forEach((v, k) => (out[k] = k === "set-cookie" ? r.headers.getSetCookie() : v));
        res.writeHead(r.status, out).end(Buffer.from(await r.arrayBuffer()));
      })
      .catch((e: unknown) => res.writeHead(500).end(String(e)));
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => console.log(`classroom bench web listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`));
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => process.exit(0));
