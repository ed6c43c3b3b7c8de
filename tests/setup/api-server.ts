/**
 * The HTTP API (`handleApi`, what app/api/v1/[...path]/route.ts calls) on a real socket, port 0,
 * for integration tests: the client address comes from the socket, as the web process's front
 * writes it (server/http/web-server.ts). `/api/openapi.json` is served too.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { incomingMessageToRequest } from "@trpc/server/adapters/node-http";
import { handleApi, type ApiDeps } from "../../server/api/v1/dispatch";
import { openApiDocument } from "../../server/api/v1/document";

export interface ApiServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** `onRequest`: sees each request first, e.g. to count its body's bytes or cut its connection. */
export async function startApiServer(deps: () => ApiDeps, opts: { onRequest?: (req: IncomingMessage) => void } = {}): Promise<ApiServer> {
  const server = createServer((req, res) => {
    opts.onRequest?.(req);
    void (async () => {
      req.headers["x-forwarded-for"] = req.socket.remoteAddress ?? "unknown";
      const request = incomingMessageToRequest(req, res, { maxBodySize: null });
      const url = new URL(request.url);
      const response = url.pathname === "/api/openapi.json" ? Response.json(openApiDocument(url.origin)) : await handleApi(request, deps());
      res.writeHead(response.status, Object.fromEntries(response.headers));
      if (!response.body) return res.end();
      const reader = response.body.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) res.write(r.value);
      res.end();
    })().catch((e: unknown) => {
      console.error("api test server:", e);
      res.destroy();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
