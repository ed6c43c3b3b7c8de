/**
 * Listening for a whole class at once. A server's listen backlog is how many connections the
 * kernel completes and holds until the process accepts them; Node's default is 511. When a class
 * of 1,000 joins or answers at once (each browser a connection of its own) while the event loop
 * is busy, the 512th waiting connection overflowed it: the kernel dropped its handshake and the
 * browser retried only after its SYN timeout (1 s, then 3 s, then 7 s) — seconds added to a join
 * or an answer with the server idle in between (#18; `ListenOverflows` in /proc/net/netstat).
 * The kernel caps the backlog at net.core.somaxconn (4096 on current Linux).
 */
import type { Server } from "node:net";

export const LISTEN_BACKLOG = 4096;

/** Listens on `port` (0: any free one) at `host` with LISTEN_BACKLOG; resolves with the port. */
export function listenFor(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off("error", reject);
      const a = server.address();
      resolve(typeof a === "object" && a ? a.port : port);
    });
  });
}
