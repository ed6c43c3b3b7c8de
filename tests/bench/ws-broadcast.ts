/**
 * The floor of `npm run bench:classroom`: a bare websocket broadcast, in its own process like the
 * sync server. A socket on path /presenter is the presenter; every frame it sends goes, as is, to
 * every other socket (one `ws.send` each, as the sync server sends a room's update). No tokens,
 * no Yjs, no presence, no database: what is left is the websocket fan-out itself, measured by the
 * same clients in the same bench process, so the bench can print how far the class room is from it.
 *
 *   node --import tsx tests/bench/ws-broadcast.ts
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";

const server = http.createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server });
const listeners = new Set<WebSocket>();
wss.on("connection", (socket, req) => {
  if (req.url === "/presenter") {
    socket.on("message", (data: Buffer) => {
      for (const s of listeners) if (s.readyState === s.OPEN) s.send(data);
    });
    return;
  }
  listeners.add(socket);
  socket.on("close", () => listeners.delete(socket));
  socket.send(Buffer.from([0])); // "admitted", as the sync server's first document bytes
});
server.listen(0, "127.0.0.1", () => console.log(`ws broadcast listening on ws://127.0.0.1:${(server.address() as AddressInfo).port}`));
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => process.exit(0));
