/**
 * The web process: Next.js behind a small front in the same process (a Next.js custom server).
 *
 * `next start` believes a client's X-Forwarded-For / -Proto / -Host (it only fills them in when
 * they are missing), so a client could pick its own address for the rate limits and its own
 * scheme for HSTS. This front replaces them on every request with what the socket says (or the
 * trusted proxies, see TRUST_PROXY) before Next.js sees the request, and drops the headers only
 * Next.js itself may send. It costs no extra hop: the same process, the same socket.
 *
 * It also answers the tRPC endpoint itself (trpc-front.ts: the same handler as the Next route,
 * without Next's per-request cost), except in dev mode, where the Next route reloads with the code.
 *
 * Usage (the launcher does this): node --import tsx server/http/web-server.ts [--dir APP_DIR] [--dev]
 * (`npm start` runs its bundle instead, server/cli/bundle.ts; --dir names the app's folder, which
 * the bundle's own location does not tell).
 */
import http from "node:http";
import path from "node:path";
import next from "next";
import { env } from "@/server/env";
import { lingerOnClose } from "./linger";
import { listenFor } from "./listen";
import { applyForwarded } from "./request-origin";
import { trpcFront } from "./trpc-front";

async function main(): Promise<void> {
  const dev = process.argv.includes("--dev");
  const at = process.argv.indexOf("--dir");
  const dir = at > 0 && process.argv[at + 1] ? path.resolve(process.argv[at + 1]!) : path.resolve(import.meta.dirname, "..", "..");
  const e = env();
  const server = http.createServer();
  // an answer given before the body was read (413 …) reaches the client: see linger.ts
  server.on("connection", (socket) => lingerOnClose(socket));
  const app = next({ dev, dir, hostname: e.HOSTNAME, port: e.PORT, httpServer: server });
  await app.prepare();
  const handle = app.getRequestHandler();
  const trpc = e.TRPC_FRONT && !dev ? trpcFront({ hostname: e.HOSTNAME, port: e.PORT }) : () => false;
  server.on("request", (req, res) => {
    applyForwarded(req, e.TRUST_PROXY);
    if (trpc(req, res)) return;
    void handle(req, res);
  });
  // dev only: Next's hot reload uses a WebSocket on this server
  if (dev) server.on("upgrade", (req) => applyForwarded(req, e.TRUST_PROXY));
  // a class's joins and answers arrive at once, each a connection of its own: see listen.ts
  await listenFor(server, e.PORT, e.HOSTNAME);
  console.log(`ready on http://${e.HOSTNAME}:${e.PORT} (${dev ? "development" : "production"}; TRUST_PROXY=${e.TRUST_PROXY}; tRPC ${e.TRPC_FRONT && !dev ? "by the front" : "by Next.js"})`);
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
