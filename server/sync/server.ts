/**
 * The realtime server: the y-websocket protocol over `ws`, admitting a socket
 * only with a valid room token (`?token=` on the upgrade URL) of a current
 * member whose role is still the token's. A refused client is accepted and
 * closed at once with 4401 (no/invalid token) or 4403 (token for another room,
 * not a member, role changed) and a reason, before any document bytes, because
 * a browser cannot read the HTTP status of a refused upgrade; a page speaking
 * another schema version (`?v=`) gets 4426 and "reload the page". Admitted
 * sockets join a room (rooms.ts) as the member the token names (the identity
 * others see in their presence), which a backend (backend.ts: storage + relay)
 * persists and relays between sync processes.
 */
import http from "node:http";
import type { Socket } from "node:net";
import { listenFor } from "@/server/http/listen";
import { WebSocketServer, type WebSocket } from "ws";
import { AppError, isAppError } from "@statescope/core";
import { CLOSE_SCHEMA_MISMATCH, COLLAB_SCHEMA_VERSION, isClassRoom } from "@statescope/collab";
import type { MemberKey } from "@/server/services/authz";
import type { Role } from "@/server/services/schemas";
import type { SyncClaims } from "@/server/services/sync-tokens";
import type { SyncBackend } from "./backend";
import { CLOSE_MALFORMED, inspectFrame } from "./frames";
import { createRooms, type SocketGuard } from "./rooms";

export const CLOSE_UNAUTHENTICATED = 4401;
export const CLOSE_FORBIDDEN = 4403;

export interface SyncServerOptions {
  /** Storage and relay of rooms (backend.ts; pg-backend.ts in the sync process); closed with the server. */
  backend: SyncBackend;
  /** How long an empty room stays loaded before it is written out and released (default 30 s). */
  idleMs?: number;
  /** Verify the token for `room`; throw AppError UNAUTHENTICATED/FORBIDDEN to refuse. */
  authorize(token: string | null, room: string): Promise<SyncClaims>;
  /**
   * Current roles (null: not a member) of many members in one call (authz.memberRoles). A socket
   * is admitted only while its member's role is the token's, and every open socket is re-checked
   * every `recheckMs` (default 2000), so a removed or demoted member is gone within that period
   * (in a classroom's room a participant whose role changed keeps the socket: see the re-check).
   * A failing re-check keeps the sockets; a failing check at admission refuses with 1011 (retry).
   * Admissions arriving together share calls (see batchedRoles).
   */
  memberRoles(keys: readonly MemberKey[]): Promise<(Role | null)[]>;
  recheckMs?: number;
  log?: (line: string) => void;
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

/**
 * Room names travel in the path: /<room>; `token` and the schema version `v` in the query. The token
 * never reaches the logs. A target the URL parser refuses (`//[`) names nothing, and is refused like
 * any other socket without a token: it threw in the connection handler, which ended the process.
 */
export function parseUpgrade(url: string | undefined): { room: string; token: string | null; version: string | null } {
  let u: URL;
  try {
    u = new URL(url ?? "/", "http://sync.invalid");
  } catch {
    return { room: "", token: null, version: null };
  }
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

/** A check that could not be made (the database is away): the client should retry, not give up. */
class Unavailable extends Error {}

const memberKey = (c: SyncClaims) => `${c.w}\u0000${c.u}`;

/** The re-check runs in this many slices of the members (see createSyncServer). */
export const RECHECK_SLICES = 8;

/** A member's re-check slice: all their sockets in one (FNV-1a of the member key). */
function sliceOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % RECHECK_SLICES;
}

/** A close reason within the protocol's 123 bytes (`ws` throws on a longer one), cut at a character. */
export function closeReason(reason: string): string {
  let out = "";
  let bytes = 0;
  for (const ch of reason) {
    bytes += Buffer.byteLength(ch);
    if (bytes > 123) break;
    out += ch;
  }
  return out;
}

/** The most members one admission query asks about. */
const MAX_ADMISSION_BATCH = 1000;
/** Admission queries start at most this often; the checks arriving in between go together. */
export const ADMISSION_GATHER_MS = 25;

/** Admissions settled in one turn of the event loop (see settleInSlices). */
export const ADMIT_SLICE = 8;

/**
 * Settle a batch's admissions ADMIT_SLICE at a time, one slice per turn of the event loop: each
 * admitted socket joins its room then (listeners, the first sync step, the staff's presence), and a
 * batch of a hundred joining in one turn held back the presenter's updates to everyone already in
 * the room.
 */
async function settleInSlices(settle: (() => void)[]): Promise<void> {
  for (let i = 0; i < settle.length; i += ADMIT_SLICE) {
    if (i > 0) await new Promise((r) => setImmediate(r));
    for (const f of settle.slice(i, i + ADMIT_SLICE)) f();
  }
}

/**
 * One member's role through `memberRoles`, with the checks that arrive together sharing a call:
 * one call is in flight at a time, and calls start at most every ADMISSION_GATHER_MS; the checks
 * that come in meanwhile go together in the next. A lone join waits for nothing; a class of 1,000
 * joining within seconds costs a few dozen queries, not one per socket (each of which also held
 * the event loop that delivers the presenter's updates).
 */
export function batchedRoles(memberRoles: SyncServerOptions["memberRoles"], gatherMs = ADMISSION_GATHER_MS): (key: MemberKey) => Promise<Role | null> {
  let waiting: { key: MemberKey; ok: (role: Role | null) => void; fail: (e: unknown) => void }[] = [];
  let busy = false;
  let lastStart = -Infinity;
  let timer: NodeJS.Timeout | null = null;
  const run = () => {
    if (busy || timer || waiting.length === 0) return;
    const wait = lastStart + gatherMs - performance.now();
    if (wait > 0) {
      timer = setTimeout(() => {
        timer = null;
        run();
      }, wait);
      return;
    }
    busy = true;
    const batch = waiting.slice(0, MAX_ADMISSION_BATCH);
    waiting = waiting.slice(batch.length);
    Promise.resolve()
      .then(() => {
        // the spacing counts from the call itself, on the monotonic sub-millisecond clock: this
        // microtask runs after whatever the caller of run() still does in its turn (milliseconds
        // under a crowd), and Date.now()'s whole milliseconds let a call start up to one early
        lastStart = performance.now();
        return memberRoles(batch.map((b) => b.key));
      })
      .then(
        // the next batch's query need not wait for these sockets to join their rooms
        (roles) => void settleInSlices(batch.map((b, i) => () => b.ok(roles[i] ?? null))),
        (e: unknown) => void settleInSlices(batch.map((b) => () => b.fail(e))),
      )
      .finally(() => {
        busy = false;
        run();
      });
  };
  return (key) =>
    new Promise((ok, fail) => {
      waiting.push({ key, ok, fail });
      run();
    });
}

/** WebSocket handshakes completed per turn of the event loop (see createUpgradeQueue). */
export const UPGRADE_SLICE = 8;
/** Handshakes that may wait for their turn; beyond this an upgrade is answered 503 (a flood cannot grow the queue without bound). */
export const MAX_PENDING_UPGRADES = 5000;

/**
 * The HTTP upgrades of a burst of joins, completed UPGRADE_SLICE per turn of the event loop. A
 * class of 1,000 joining at once delivers hundreds of upgrade requests in one poll of the sockets,
 * and each handshake (accept key, socket set-up, token check) ran there, ahead of the broadcast
 * the presenter's update had scheduled for the end of that turn; now that broadcast waits for one
 * slice at most. A lone upgrade is completed at once. Waiting sockets that close are dropped.
 */
export function createUpgradeQueue(complete: (req: http.IncomingMessage, socket: Socket, head: Buffer) => void, log: (line: string) => void) {
  const pending: { req: http.IncomingMessage; socket: Socket; head: Buffer; onError: () => void }[] = [];
  let draining = false;
  const drain = () => {
    for (const u of pending.splice(0, UPGRADE_SLICE)) {
      u.socket.removeListener("error", u.onError);
      if (!u.socket.destroyed) complete(u.req, u.socket, u.head);
    }
    if (pending.length > 0) setImmediate(drain);
    else draining = false;
  };
  return {
    upgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
      if (!draining) {
        draining = true;
        setImmediate(drain);
        return complete(req, socket, head);
      }
      if (pending.length >= MAX_PENDING_UPGRADES) {
        log(`refused an upgrade: ${pending.length} handshakes are waiting`);
        socket.end("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      // the HTTP server has let go of the socket: an error while it waits must not reach the process
      const onError = () => socket.destroy();
      socket.on("error", onError);
      pending.push({ req, socket, head, onError });
    },
    /** Handshakes waiting for their turn. */
    waiting: () => pending.length,
    /** Drop every waiting handshake (the server is closing). */
    close(): void {
      for (const u of pending.splice(0)) u.socket.destroy();
    },
  };
}

/** Joins after a logged one are gathered into one line per room and role at most this often. */
export const JOIN_LOG_MS = 1000;
/**
 * Users named in one gathered line at most (≈ 3 KB): a class of 1,000 joining in one period made
 * a 27 KB line, which log pipelines split or cut (Docker's json-file driver at 16 KB).
 */
export const JOIN_LOG_USERS_PER_LINE = 100;

/**
 * The log of admitted joins. A join is logged at once when none was in the last JOIN_LOG_MS
 * (`user u joined room as ROLE`); the joins that follow within that period are gathered and
 * logged together when it ends, one line per room and role naming every user
 * (`3 users joined room as VIEWER: u1, u2, u3`; beyond JOIN_LOG_USERS_PER_LINE users, a line per
 * hundred: `250 users joined room as VIEWER (101–200): …`), so each join is still findable by user id. A
 * class of 1,000 joining wrote 1,000 lines (a pipe write each) on the loop that delivers the
 * presenter's updates; refusals and errors are still logged one by one where they happen.
 */
export function createJoinLog(log: (line: string) => void, everyMs = JOIN_LOG_MS) {
  const gathered = new Map<string, { room: string; role: Role; users: string[] }>();
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    for (const { room, role, users } of gathered.values()) {
      if (users.length === 1) log(`user ${users[0]} joined ${room} as ${role}`);
      else if (users.length <= JOIN_LOG_USERS_PER_LINE) log(`${users.length} users joined ${room} as ${role}: ${users.join(", ")}`);
      else {
        for (let i = 0; i < users.length; i += JOIN_LOG_USERS_PER_LINE) {
          const part = users.slice(i, i + JOIN_LOG_USERS_PER_LINE);
          log(`${users.length} users joined ${room} as ${role} (${i + 1}–${i + part.length}): ${part.join(", ")}`);
        }
      }
    }
    gathered.clear();
  };
  const tick = () => {
    timer = null;
    if (gathered.size === 0) return;
    flush();
    // the period restarts with the lines just written: joins still arriving keep being gathered
    timer = setTimeout(tick, everyMs);
    timer.unref();
  };
  return {
    joined(userId: string, room: string, role: Role): void {
      if (timer === null) {
        log(`user ${userId} joined ${room} as ${role}`);
        timer = setTimeout(tick, everyMs);
        timer.unref();
        return;
      }
      const key = `${room}\u0000${role}`;
      const g = gathered.get(key);
      if (g) g.users.push(userId);
      else gathered.set(key, { room, role, users: [userId] });
    },
    /** Log what is gathered now (the server is closing). */
    close(): void {
      if (timer) clearTimeout(timer);
      timer = null;
      flush();
    },
  };
}

/** Malformed frames a socket may send before it is closed (others in the room are unaffected). */
export const MAX_MALFORMED_FRAMES = 3;

/**
 * Every frame is checked (see frames.ts) before the room sees it: malformed frames are dropped
 * and, after a few (counted with the presence entries the room refuses), the socket is closed;
 * a read-only member's (VIEWER's) document writes (sync step 2 and updates) are dropped, so
 * nothing they send is merged or broadcast, while they may still ask for the document (step 1)
 * and send presence (awareness). `opts.readOnly` is read for every frame: the server flips it
 * when it changes the socket's role in place. Installed before the room registers its message
 * listener. Returns how the room reports what it refuses.
 */
export function guardFrames(socket: WebSocket, opts: { readOnly: boolean; log: (l: string) => void; who: string }): SocketGuard {
  const on = socket.on.bind(socket);
  let malformed = 0;
  const guard: SocketGuard = {
    strike(problem) {
      malformed++;
      opts.log(`dropped a malformed frame from ${opts.who}: ${problem}`);
      if (malformed === MAX_MALFORMED_FRAMES) guard.refuse(CLOSE_MALFORMED, "too many malformed frames");
    },
    refuse(code, reason) {
      if (socket.readyState !== socket.OPEN) return;
      opts.log(`closing the connection of ${opts.who} (${code}): ${reason}`);
      socket.close(code, closeReason(reason));
    },
  };
  socket.on = ((event: string, listener: (...args: unknown[]) => void) => {
    if (event !== "message") return on(event as "message", listener);
    return on("message", (data: ArrayBuffer | Buffer, isBinary: boolean) => {
      // a socket being closed is done: what it queued before (a flood of thousands of frames) is not
      // inspected, logged or merged, so it cannot hold the process up for the other rooms
      if (socket.readyState !== socket.OPEN) return;
      // y-websocket sets binaryType "arraybuffer"; accept Buffers too
      const frame = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      const info = inspectFrame(frame);
      if ("problem" in info) return guard.strike(info.problem);
      if (opts.readOnly && (info.type === "sync-step2" || info.type === "sync-update")) return;
      listener(data, isBinary);
    });
  }) as typeof socket.on;
  return guard;
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
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload ?? 1 << 20 });
  const upgrades = createUpgradeQueue((req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req)), log);
  httpServer.on("upgrade", (req: http.IncomingMessage, socket: Socket, head: Buffer) => upgrades.upgrade(req, socket, head));
  const rooms = createRooms({ backend: opts.backend, idleMs: opts.idleMs ?? 30_000, log });
  const joins = createJoinLog(log);

  /**
   * One timer for all sockets, the members in RECHECK_SLICES slices: every `recheckMs` /
   * RECHECK_SLICES the current roles of one slice's distinct (workspace, user) with an open socket
   * are read in one query, so each is re-checked every `recheckMs` and a class of 1,000 costs eight
   * small queries spread over the period instead of one large one (a stall of the loop that
   * delivers the presenter's updates, every period).
   */
  const watched = new Map<WebSocket, { claims: SyncClaims; room: string; frames: { readOnly: boolean }; slice: number }>();
  const rechecking = new Set<number>();
  let tick = 0;
  const recheckTimer = setInterval(() => {
    const slice = tick++ % RECHECK_SLICES;
    if (rechecking.has(slice) || watched.size === 0) return;
    const sockets = [...watched].filter(([, w]) => w.slice === slice);
    if (sockets.length === 0) return;
    rechecking.add(slice);
    const keys = new Map<string, MemberKey>();
    for (const [, w] of sockets) keys.set(memberKey(w.claims), { workspaceId: w.claims.w, userId: w.claims.u });
    opts
      .memberRoles([...keys.values()])
      .then(
        (roles) => {
          const now = new Map([...keys.keys()].map((k, i) => [k, roles[i] ?? null]));
          for (const [socket, w] of sockets) {
            const role = now.get(memberKey(w.claims)) ?? null;
            if (role === w.claims.role || socket.readyState !== socket.OPEN) continue;
            // a classroom participant made presenter (or handing it back) stays connected: the new
            // role applies to this socket's next frame, and the page is told (rooms.changeRole)
            if (role !== null && isClassRoom(w.room) && rooms.changeRole(socket, w.room, role)) {
              log(`user ${w.claims.u} in ${w.room} is now ${role} (changed on the open connection)`);
              w.claims = { ...w.claims, role };
              w.frames.readOnly = role === "VIEWER";
              continue;
            }
            log(`closing user ${w.claims.u} in ${w.room}: ${role ? `role is now ${role}` : "no longer a member"}`);
            socket.close(CLOSE_FORBIDDEN, "your access to this workspace was revoked");
          }
        },
        // A database hiccup must not disconnect everyone: keep the sockets and check again next time.
        (e: unknown) => log(`membership recheck failed (${e instanceof Error ? e.message : String(e)}); will retry`),
      )
      .finally(() => rechecking.delete(slice));
  }, (opts.recheckMs ?? 2000) / RECHECK_SLICES);
  recheckTimer.unref();

  /**
   * Admission beyond the token: the token lives a minute, a membership can end or change in
   * that time. Refuses (AppError FORBIDDEN) a member removed or whose role is no longer the token's.
   */
  const roleOf = batchedRoles(opts.memberRoles);
  async function admit(claims: SyncClaims): Promise<void> {
    let role: Role | null;
    try {
      role = await roleOf({ workspaceId: claims.w, userId: claims.u });
    } catch (e) {
      throw new Unavailable(`could not check your membership (${e instanceof Error ? e.message : String(e)}): retrying`);
    }
    if (!role) throw new AppError("FORBIDDEN", "you are not a member of this workspace any more");
    if (role !== claims.role) throw new AppError("FORBIDDEN", `your role in this workspace is now ${role}: reconnect with a new token`);
  }

  /** Accept-and-close: the browser sees the code and reason; the client never gets document bytes. */
  function refuse(socket: WebSocket, code: number, reason: string): void {
    // Resume so the client's closing handshake can be read; drop the socket if it never answers.
    socket.resume();
    socket.close(code, closeReason(reason));
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
    // Hold frames that arrive while we authorize; the room's handler attaches later.
    socket.pause();
    void (async () => {
      let claims: SyncClaims;
      try {
        claims = await opts.authorize(token, room);
        await admit(claims);
      } catch (e) {
        if (e instanceof Unavailable) {
          log(`refused a connection to ${room} for now: ${e.message}`);
          return refuse(socket, 1011, e.message);
        }
        const app = isAppError(e) ? e : new AppError("INTERNAL", "authorization failed");
        const code = app.code === "FORBIDDEN" ? CLOSE_FORBIDDEN : CLOSE_UNAUTHENTICATED;
        log(`refused a connection to ${room}: ${app.message}`);
        return refuse(socket, code, app.message);
      }
      if (socket.readyState !== socket.OPEN) return;
      joins.joined(claims.u, room, claims.role);
      const frames = { readOnly: claims.role === "VIEWER", log, who: `user ${claims.u}` };
      const guard = guardFrames(socket, frames);
      watched.set(socket, { claims, room, frames, slice: sliceOf(memberKey(claims)) });
      socket.once("close", () => watched.delete(socket));
      try {
        // who the others see: the token's identity, never what the client puts in its presence
        await rooms.join(socket, room, { id: claims.u, name: claims.n, color: claims.c, role: claims.role }, guard);
        socket.resume();
      } catch (e) {
        log(`room ${room} could not be loaded: ${e instanceof Error ? e.message : String(e)}`);
        refuse(socket, 1011, "the room could not be loaded: try again shortly");
      }
    })();
  });

  return {
    listen(port, host = "0.0.0.0") {
      // a class's sockets arrive at once: see listen.ts
      return listenFor(httpServer, port, host);
    },
    loadedRooms: () => rooms.loaded(),
    async close() {
      clearInterval(recheckTimer);
      joins.close();
      upgrades.close();
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => httpServer.close(() => resolve())));
      await rooms.close();
      await opts.backend.close();
    },
  };
}
