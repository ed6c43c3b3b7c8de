/**
 * The realtime server: the y-websocket protocol over `ws`, admitting a socket
 * only with a valid room token (`?token=` on the upgrade URL). A refused
 * client is accepted and closed at once with 4401 (no/invalid token) or 4403
 * (token for another room) and a reason, before any document bytes, because
 * a browser cannot read the HTTP status of a refused upgrade; a page speaking
 * another schema version (`?v=`) gets 4426 and "reload the page". Admitted
 * sockets join a room (rooms.ts), which a backend (pg-backend.ts) persists
 * and relays between sync processes.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { AppError, isAppError } from "@statescope/core";
import { CLOSE_SCHEMA_MISMATCH, COLLAB_SCHEMA_VERSION } from "@statescope/collab";
import type { SyncClaims } from "@/server/services/sync-tokens";
import type { SyncBackend } from "./backend";
import { inspectFrame } from "./frames";
import { createRooms } from "./rooms";

export const CLOSE_UNAUTHENTICATED = 4401;
export const CLOSE_FORBIDDEN = 4403;

export interface SyncServerOptions {
  /** Storage and relay of rooms (pg-backend.ts); closed with the server. */
  backend: SyncBackend;
  /** How long an empty room stays loaded before it is written out and released (default 30 s). */
  idleMs?: number;
  /** Verify the token for `room`; throw AppError UNAUTHENTICATED/FORBIDDEN to refuse. */
  authorize(token: string | null, room: string): Promise<SyncClaims>;
  log?: (line: string) => void;
  /**
   * Re-checked for every open socket's member every `recheckMs` (default 2000): false closes it
   * with 4403, so a revoked member is gone within that period. A failing check keeps the socket.
   */
  recheck?(claims: SyncClaims): Promise<boolean>;
  recheckMs?: number;
  /** Largest accepted frame in bytes. */
  maxPayload?: number;
}

export interface SyncServer {
  listen(port: number, host?: string): Promise<number>;
  /** Loaded rooms and their client counts. */
  loadedRooms(): Map<string, number>;
  /** Close every socket, write out and unload every room, close the backend. */
  close(): Promise<void>;
}

/** Room names travel in the path: /<room>; `token` and the schema version `v` in the query. The token never reaches the logs. */
function parseUpgrade(url: string | undefined): { room: string; token: string | null; version: string | null } {
  const u = new URL(url ?? "/", "http://sync.invalid");
  let room: string;
  try {
    room = decodeURIComponent(u.pathname.slice(1));
  } catch {
    room = ""; // a malformed %-escape names no room; the token check refuses it
  }
  return { room, token: u.searchParams.get("token"), version: u.searchParams.get("v") };
}

/** Why a client's schema version cannot join, or null when it can. */
export function schemaRefusal(version: string | null): string | null {
  if (version === String(COLLAB_SCHEMA_VERSION)) return null;
  const theirs = version === null ? "no schema version" : `schema version ${version.slice(0, 8)}`;
  return `this page is out of date (${theirs}, the server speaks ${COLLAB_SCHEMA_VERSION}): reload the page`;
}

/** Malformed frames a socket may send before it is closed (others in the room are unaffected). */
export const MAX_MALFORMED_FRAMES = 3;
export const CLOSE_MALFORMED = 4400;

/**
 * Every frame is checked (see frames.ts) before y-websocket sees it: malformed frames are
 * dropped and, after a few, the socket is closed; a read-only member's (VIEWER's) document
 * writes (sync step 2 and updates) are dropped, so nothing they send is merged or broadcast,
 * while they may still ask for the document (step 1) and send presence (awareness).
 * Installed before setupWSConnection registers its message listener.
 */
function guardFrames(socket: WebSocket, opts: { readOnly: boolean; log: (l: string) => void; who: string }): void {
  const on = socket.on.bind(socket);
  let malformed = 0;
  socket.on = ((event: string, listener: (...args: unknown[]) => void) => {
    if (event !== "message") return on(event as "message", listener);
    return on("message", (data: ArrayBuffer | Buffer, isBinary: boolean) => {
      // a socket being closed is done: what it queued before (a flood of thousands of frames) is not
      // inspected, logged or merged, so it cannot hold the process up for the other rooms
      if (socket.readyState !== socket.OPEN) return;
      // y-websocket sets binaryType "arraybuffer"; accept Buffers too
      const frame = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      const info = inspectFrame(frame);
      if ("problem" in info) {
        malformed++;
        opts.log(`dropped a malformed frame from ${opts.who}: ${info.problem}`);
        if (malformed >= MAX_MALFORMED_FRAMES) socket.close(CLOSE_MALFORMED, "too many malformed frames");
        return;
      }
      if (opts.readOnly && (info.type === "sync-step2" || info.type === "sync-update")) return;
      listener(data, isBinary);
    });
  }) as typeof socket.on;
}

export function createSyncServer(opts: SyncServerOptions): SyncServer {
  const log = opts.log ?? (() => undefined);
  const httpServer = http.createServer((req, res) => {
    if (req.url === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
      return;
    }
    res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ server: httpServer, maxPayload: opts.maxPayload ?? 1 << 20 });
  const rooms = createRooms({ backend: opts.backend, idleMs: opts.idleMs ?? 30_000, log });

  /**
   * One timer for all sockets: every `recheckMs` each distinct (workspace, user, role) is checked
   * once, however many tabs that member has open.
   */
  const watched = new Map<WebSocket, { claims: SyncClaims; room: string }>();
  let rechecking = false;
  const recheckTimer = opts.recheck
    ? setInterval(() => {
        if (rechecking || watched.size === 0) return;
        rechecking = true;
        const groups = new Map<string, { claims: SyncClaims; sockets: WebSocket[] }>();
        for (const [socket, w] of watched) {
          const key = `${w.claims.w}\u0000${w.claims.u}\u0000${w.claims.role}`;
          const g = groups.get(key);
          if (g) g.sockets.push(socket);
          else groups.set(key, { claims: w.claims, sockets: [socket] });
        }
        void Promise.all(
          [...groups.values()].map(({ claims, sockets }) =>
            opts.recheck!(claims)
              .catch((e: unknown) => {
                // A database hiccup must not disconnect everyone: keep the sockets and check again next time.
                log(`membership recheck failed (${e instanceof Error ? e.message : String(e)}); will retry`);
                return true;
              })
              .then((ok) => {
                if (ok) return;
                for (const socket of sockets) {
                  if (socket.readyState !== socket.OPEN) continue;
                  log(`closing user ${claims.u} in ${watched.get(socket)?.room ?? "?"}: no longer a member`);
                  socket.close(CLOSE_FORBIDDEN, "your access to this workspace was revoked");
                }
              }),
          ),
        ).finally(() => (rechecking = false));
      }, opts.recheckMs ?? 2000)
    : null;
  recheckTimer?.unref();

  function watchMembership(socket: WebSocket, claims: SyncClaims, room: string): void {
    watched.set(socket, { claims, room });
    socket.once("close", () => watched.delete(socket));
  }

  /** Accept-and-close: the browser sees the code and reason; the client never gets document bytes. */
  function refuse(socket: WebSocket, code: number, reason: string): void {
    // Resume so the client's closing handshake can be read; drop the socket if it never answers.
    socket.resume();
    socket.close(code, reason.slice(0, 120));
    setTimeout(() => socket.terminate(), 2000).unref();
  }

  wss.on("connection", (socket: WebSocket, req: http.IncomingMessage) => {
    const { room, token, version } = parseUpgrade(req.url);
    // Protocol errors (an oversized or invalid frame) close this socket (ws sends 1009/1002); without
    // a listener the 'error' event would take the whole process down.
    socket.on("error", (e) => log(`a socket in ${room} failed: ${e.message}`));
    // An old page (cached script) speaks another schema: tell it to reload before anything else.
    const stale = schemaRefusal(version);
    if (stale) {
      log(`refused a connection to ${room}: ${stale}`);
      refuse(socket, CLOSE_SCHEMA_MISMATCH, stale);
      return;
    }
    // Hold frames that arrive while we authorize; y-websocket's handler attaches later.
    socket.pause();
    opts
      .authorize(token, room)
      .then((claims) => {
        if (socket.readyState !== socket.OPEN) return;
        log(`user ${claims.u} joined ${room} as ${claims.role}`);
        guardFrames(socket, { readOnly: claims.role === "VIEWER", log, who: `user ${claims.u}` });
        if (opts.recheck) watchMembership(socket, claims, room);
        return rooms.join(socket, room).then(
          () => socket.resume(),
          (e: unknown) => {
            log(`room ${room} could not be loaded: ${e instanceof Error ? e.message : String(e)}`);
            refuse(socket, 1011, "the room could not be loaded: try again shortly");
          },
        );
      })
      .catch((e: unknown) => {
        const app = isAppError(e) ? e : new AppError("INTERNAL", "authorization failed");
        const code = app.code === "FORBIDDEN" ? CLOSE_FORBIDDEN : CLOSE_UNAUTHENTICATED;
        log(`refused a connection to ${room}: ${app.message}`);
        refuse(socket, code, app.message);
      });
  });

  return {
    listen(port, host = "0.0.0.0") {
      return new Promise((resolve, reject) => {
        httpServer.once("error", reject);
        httpServer.listen(port, host, () => resolve((httpServer.address() as AddressInfo).port));
      });
    },
    loadedRooms: () => rooms.loaded(),
    async close() {
      if (recheckTimer) clearInterval(recheckTimer);
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => httpServer.close(() => resolve())));
      await rooms.close();
      await opts.backend.close();
    },
  };
}
