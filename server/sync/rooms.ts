/**
 * Rooms: one Yjs document and one awareness per room, the y-websocket
 * protocol with the room's sockets, persistence and relay through a
 * {@link SyncBackend}, and unloading once a room has been empty for a while.
 * Presence from a socket passes the gate (presence-gate.ts) before the room
 * applies it, and every path a frame takes is contained: an error closes the
 * socket that sent it, never the process.
 *
 * Our own version of `@y/websocket-server/utils`, which keeps its documents
 * and persistence in module-level singletons (two servers in one process
 * would share documents), sends sync step 1 before persistence has loaded
 * and unloads a room the moment its last client leaves.
 */
import type { WebSocket } from "ws";
import * as Y from "yjs";
import * as syncProtocol from "y-protocols/sync";
import * as awarenessProtocol from "y-protocols/awareness";
import * as encoding from "lib0/encoding";
import * as decoding from "lib0/decoding";
import { isClassRoom, MAX_PRESENCE_BYTES, MESSAGE_ROLE, MESSAGE_SIGNAL, presenceFromClient, readPresence, type PresenceUser } from "@statescope/collab";
import type { RoomLink, SyncBackend } from "./backend";
import { CLOSE_MALFORMED, CLOSE_TOO_FAST, MESSAGE_AWARENESS, MESSAGE_SYNC } from "./frames";
import {
  checkRelayedPresence,
  encodeAwarenessEntries,
  MAX_CLIENTS_PER_SOCKET,
  PRESENCE_BURST,
  PRESENCE_FLOOD_ALLOWANCE,
  PRESENCE_RATE,
  readAwarenessEntries,
  readRawAwarenessEntries,
  stateText,
  TokenBucket,
  type AwarenessEntry,
} from "./presence-gate";

/** Transaction / awareness origin of updates that came from another process (broadcast, never stored again). */
const RELAYED = Symbol("relayed");
/** Origin of the stored state applied when a room loads. */
const LOADED = Symbol("loaded");
/** Origin of awareness removals when a socket leaves (relayed, unlike the local timeout). */
const LEFT = Symbol("left");

/** A client whose unsent output exceeds this is too slow to keep up: it is closed and reconnects. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
const PING_MS = 30_000;
/**
 * Our clients' presence changes go to the other sync processes together, at most this often per
 * room: a class of 1,000 students sends 1,000 presence updates a second, and one NOTIFY each (which
 * this and every other process then also receives and checks) cost more than the fan-out of the
 * presenter's view. Presence is shown, not merged: 50 ms later across processes is not seen.
 */
export const PRESENCE_RELAY_MS = 50;

/**
 * Presence frames a socket may have waiting to be admitted (see queuePresence); one more, or one
 * larger than a presence state can be, is admitted at once, with what waits before it.
 */
export const PRESENCE_QUEUE = 4;
/**
 * A document update that comes this long after the room's previous one (a presenter's view moves
 * 10 times a second) goes out at once, in the turn it is read, instead of after everything that
 * turn has queued (a class joining queues handshakes, admissions and presence there); updates
 * that come faster are merged and sent once per turn.
 */
export const QUIET_UPDATE_MS = 20;

/** Presence frames admitted per turn of the event loop, after the turn's document broadcast. */
export const PRESENCE_SLICE = 64;
/**
 * Students' presence goes to the staff together, at most this often per room: a class sends 1,000
 * updates a second, more while it joins, and one frame per turn of the event loop to each staff
 * page (which y-websocket echoes back, a frame for each) cost the loop that delivers the presenter's
 * updates. Shown, not merged: 50 ms later is not seen.
 */
export const STAFF_PRESENCE_MS = 50;


export interface RoomsOptions {
  backend: SyncBackend;
  /** How long a room stays loaded after its last client left. */
  idleMs: number;
  log: (line: string) => void;
}

/** Who a socket is, from the room token: what the others see in its presence. */
export type RoomMember = PresenceUser;

/** How a room reports a socket's misbehaviour to the server that admitted it. */
export interface SocketGuard {
  /** A refused frame or entry; a few of them close the socket. */
  strike(problem: string): void;
  /** Close the socket now with `code` and a reason the page shows. */
  refuse(code: number, reason: string): void;
}

/** One socket in a room. */
interface Conn {
  member: RoomMember;
  guard: SocketGuard;
  /** Awareness client ids this socket speaks for. */
  ids: Set<number>;
  /** Presence updates applied at PRESENCE_RATE… */
  rate: TokenBucket;
  /** …and those sent faster, before the socket is closed. */
  flood: TokenBucket;
  /** The newest over-rate entry per client, applied when the rate allows. */
  held: Map<number, AwarenessEntry>;
  heldTimer: NodeJS.Timeout | null;
  /** Presence frames read but not yet admitted (see queuePresence). */
  queued: Uint8Array[];
}

interface Room {
  name: string;
  doc: Y.Doc;
  awareness: awarenessProtocol.Awareness;
  conns: Map<WebSocket, Conn>;
  link: RoomLink | null;
  ready: Promise<void>;
  idleTimer: NodeJS.Timeout | null;
  /** Document updates applied since the last broadcast, and the socket each came from. */
  outbox: Uint8Array[];
  outboxFrom: Set<unknown>;
  /** Awareness clients changed since the last broadcast; those changed by our own clients are relayed. */
  awarenessOut: Set<number>;
  awarenessRelay: Set<number>;
  relayTimer: NodeJS.Timeout | null;
  /** The live relayed batch being applied (broadcast as it came: see applyRelayed). */
  relayedBatch: Uint8Array | null;
  flushScheduled: boolean;
  /** When the room's last document update was applied (performance.now()): see QUIET_UPDATE_MS. */
  lastUpdateAt: number;
  /**
   * A classroom session's room: students' presence (role VIEWER, stamped by the server) goes to
   * the instructor and TAs only, never fanned out to every student (that fan-out is quadratic).
   * `students` are the awareness clients last seen as students (so their departure is filtered too).
   */
  classroom: boolean;
  students: Set<number>;
  /**
   * Awareness clients whose current state is not a student's (role other than VIEWER): what a
   * student joining a classroom is sent, without going through every student's state (a class of
   * 1,000 joining made that quadratic).
   */
  staff: Set<number>;
  /** Which of our sockets speaks for an awareness client (the inverse of every Conn's `ids`). */
  speakers: Map<number, Conn>;
  /** Sync step 1 (the document's state vector) as sent to a joining socket, until the document changes. */
  stepOne: Uint8Array | null;
  /** Sockets with presence frames waiting, in the order they came; a drain is scheduled while any wait. */
  presenceWaiting: Map<WebSocket, Conn>;
  presenceDrain: boolean;
  /** Students whose presence changed since it last went to the staff (see STAFF_PRESENCE_MS). */
  staffOut: Set<number>;
  staffTimer: NodeJS.Timeout | null;
}

export interface Rooms {
  /** Attach an admitted socket to a room (loading the room first). Rejects if the room cannot be loaded. */
  join(socket: WebSocket, name: string, member: RoomMember, guard: SocketGuard): Promise<void>;
  /**
   * The member on `socket` in room `name` has a new role, on this connection: their presence is
   * stamped with it from their next update, the page is told (a MESSAGE_ROLE frame, after which it
   * re-sends its presence), and a new writer is asked for what it has that the room lacks (as a
   * reconnect's sync would). In a classroom, a student who becomes staff gets the students'
   * presence. False when the socket is not (yet) in the room.
   */
  changeRole(socket: WebSocket, name: string, role: RoomMember["role"]): boolean;
  /** Names and client counts of loaded rooms. */
  loaded(): Map<string, number>;
  /** Flush and unload every room. */
  close(): Promise<void>;
}

/** A room's staff sockets: members whose role is not a classroom student's (VIEWER), as they are now. */
function staffSockets(room: Room): WebSocket[] {
  return [...room.conns].flatMap(([socket, conn]) => (conn.member.role !== "VIEWER" ? [socket] : []));
}

/** Whether `socket` can take another message (a socket too far behind is closed instead). */
function ready(socket: WebSocket): boolean {
  if (socket.readyState !== socket.OPEN) return false;
  if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
    socket.close(1013, "you fell too far behind: reconnecting");
    return false;
  }
  return true;
}

function send(socket: WebSocket, message: Uint8Array): void {
  if (!ready(socket)) return;
  socket.send(message, (err) => {
    if (err) socket.terminate();
  });
}

/**
 * A server-to-client websocket frame holding `payload` (RFC 6455 §5.2: FIN + binary opcode, no
 * mask, 7/16/64-bit length), exactly what `ws` would write for `send(payload)`.
 */
export function binaryFrame(payload: Uint8Array): Buffer {
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + n);
  frame[0] = 0x82;
  if (n < 126) frame[1] = n;
  else if (n < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    frame.writeUInt32BE(n >>> 0, 6);
  }
  frame.set(payload, head);
  return frame;
}

/**
 * One message to many sockets (a room's update to its 1,000 students): framed once and the same
 * bytes written to each connection, instead of `ws` framing it again for every socket (a header
 * allocated, a corked two-part write: about half of a broadcast's time). Only for sockets without
 * extensions (the server negotiates none: no per-message compression), whose `ws` writes every
 * frame synchronously, so frames never interleave; any other socket gets an ordinary send.
 */
export function sendToAll(sockets: Iterable<WebSocket>, message: Uint8Array): void {
  let frame: Buffer | null = null;
  for (const socket of sockets) {
    if (!ready(socket)) continue;
    const raw = rawStream(socket);
    if (!raw) {
      send(socket, message);
      continue;
    }
    frame ??= binaryFrame(message);
    raw.write(frame);
  }
}

/** The socket's connection, when our own frames may be written to it (no extensions: see sendToAll); else null. */
function rawStream(socket: WebSocket): { write(b: Buffer): boolean } | null {
  const raw = (socket as unknown as { _socket?: { write(b: Buffer): boolean } })._socket;
  return raw && socket.extensions === "" ? raw : null;
}

/**
 * Several messages to one socket in one write: a joining socket's sync step 1 and the presence it
 * sees, otherwise two writes (system calls) for each of a class's 1,000 joins on the loop that
 * delivers the presenter's updates. Framed as sendToAll frames them, for the same sockets; any other
 * socket gets ordinary sends.
 */
export function sendTogether(socket: WebSocket, messages: readonly Uint8Array[]): void {
  if (!ready(socket)) return;
  const raw = rawStream(socket);
  if (!raw) {
    for (const m of messages) send(socket, m);
    return;
  }
  raw.write(messages.length === 1 ? binaryFrame(messages[0]!) : Buffer.concat(messages.map(binaryFrame)));
}

function roleMessage(role: RoomMember["role"]): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MESSAGE_ROLE);
  encoding.writeVarString(e, role);
  return encoding.toUint8Array(e);
}

function signalMessage(signal: string): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MESSAGE_SIGNAL);
  encoding.writeVarString(e, signal);
  return encoding.toUint8Array(e);
}

function syncMessage(write: (e: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MESSAGE_SYNC);
  write(e);
  return encoding.toUint8Array(e);
}

function awarenessMessage(update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MESSAGE_AWARENESS);
  encoding.writeVarUint8Array(e, update);
  return encoding.toUint8Array(e);
}

export function createRooms(opts: RoomsOptions): Rooms {
  const rooms = new Map<string, Room>();
  /** Rooms being written out and released; a join waits so it loads what they stored. */
  const unloading = new Map<string, Promise<void>>();

  function createRoom(name: string): Room {
    const doc = new Y.Doc({ gc: true });
    const awareness = new awarenessProtocol.Awareness(doc);
    awareness.setLocalState(null);
    const room: Room = {
      name,
      doc,
      awareness,
      conns: new Map(),
      link: null,
      ready: Promise.resolve(),
      idleTimer: null,
      outbox: [],
      outboxFrom: new Set(),
      awarenessOut: new Set(),
      awarenessRelay: new Set(),
      relayTimer: null,
      relayedBatch: null,
      flushScheduled: false,
      lastUpdateAt: -Infinity,
      classroom: isClassRoom(name),
      students: new Set(),
      staff: new Set(),
      speakers: new Map(),
      stepOne: null,
      presenceWaiting: new Map(),
      presenceDrain: false,
      staffOut: new Set(),
      staffTimer: null,
    };
    const scheduleBroadcast = () => {
      if (room.flushScheduled) return;
      room.flushScheduled = true;
      setImmediate(() => broadcast(room));
    };

    doc.on("update", (update: Uint8Array, origin: unknown) => {
      room.stepOne = null;
      const now = performance.now();
      const quiet = room.outbox.length === 0 && now - room.lastUpdateAt >= QUIET_UPDATE_MS;
      room.lastUpdateAt = now;
      room.outbox.push(origin === RELAYED && room.relayedBatch ? room.relayedBatch : update);
      room.outboxFrom.add(origin);
      // the first update after a quiet spell goes now (a scheduled broadcast then finds nothing new)
      if (quiet && origin !== LOADED) broadcast(room);
      else scheduleBroadcast();
      if (origin !== RELAYED && origin !== LOADED) room.link?.store(update);
    });

    awareness.on("update", ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
      // Our clients' changes and departures go to the other processes; their own timeouts they detect themselves.
      // (Which socket speaks for which client is the gate's business: see admitPresence.)
      const relay = room.conns.has(origin as WebSocket) || origin === LEFT;
      for (const list of [added, updated]) {
        for (const id of list) {
          const state = awareness.states.get(id) as { user?: { role?: unknown } } | undefined;
          if (state?.user?.role === "VIEWER") room.staff.delete(id);
          else room.staff.add(id);
        }
      }
      for (const id of removed) room.staff.delete(id);
      for (const list of [added, updated, removed]) {
        for (const id of list) {
          room.awarenessOut.add(id);
          if (relay) room.awarenessRelay.add(id);
        }
      }
      scheduleBroadcast();
    });

    room.ready = opts.backend
      .open(name, {
        // A relayed batch is forwarded to our sockets as it came, not as the update the document
        // emits: that one is taken after garbage collection, and a batch holding two presenter
        // moves that overwrite the same keys (20 ms of updates, merged) would reach this
        // process's students as the last move only — the others' students saw both. Not when the
        // document holds updates that waited for a missing one (batches are written concurrently
        // and may arrive out of order): this batch may complete them, and only the emitted update
        // carries what they add.
        applyRelayed: (update, live) => {
          room.relayedBatch = live && doc.store.pendingStructs === null && doc.store.pendingDs === null ? update : null;
          try {
            Y.applyUpdate(doc, update, RELAYED);
          } finally {
            room.relayedBatch = null;
          }
        },
        applyRelayedAwareness: (update) => {
          const checked = checkRelayedPresence(update);
          if (!checked) return;
          // a client that moved to another process (a newer state from there) is no longer spoken for
          // by a socket of ours that has not noticed it is gone
          for (const e of readAwarenessEntries(checked)) {
            if (e.json === "null" || (awareness.meta.get(e.clientId)?.clock ?? -1) >= e.clock) continue;
            unspeak(room, e.clientId);
          }
          awarenessProtocol.applyAwarenessUpdate(awareness, checked, RELAYED);
        },
        dropRelayedClients: (ids) => awarenessProtocol.removeAwarenessStates(awareness, ids, RELAYED),
        // a classroom's staff only (sockets whose role is not a student's, as they are now)
        signal: (signal) => {
          if (!room.classroom) return;
          sendToAll(staffSockets(room), signalMessage(signal));
        },
        localAwareness: () => {
          const ids = [...room.conns.values()].flatMap((c) => [...c.ids]).filter((id) => awareness.states.has(id));
          return ids.length > 0 ? awarenessProtocol.encodeAwarenessUpdate(awareness, ids) : null;
        },
      })
      .then((link) => {
        room.link = link;
        // merged first: applying a log whose rows are out of causal order one by one is quadratic (storage.ts)
        if (link.stored.length > 0) Y.applyUpdate(doc, link.stored.length === 1 ? link.stored[0]! : Y.mergeUpdates([...link.stored]), LOADED);
      });
    return room;
  }

  /**
   * Everything that changed during one turn of the event loop goes out as one frame per socket
   * (updates merged, awareness encoded once): under load this turns updates × sockets sends into
   * turns × sockets, and when quiet it adds no delay.
   */
  function broadcast(room: Room): void {
    room.flushScheduled = false;
    if (room.outbox.length > 0) {
      const updates = room.outbox;
      const from = room.outboxFrom;
      room.outbox = [];
      room.outboxFrom = new Set();
      try {
        const merged = updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates);
        const message = syncMessage((e) => syncProtocol.writeUpdate(e, merged));
        // A socket that sent everything in this batch already has it.
        const skip = from.size === 1 ? [...from][0] : undefined;
        sendToAll(skip === undefined ? room.conns.keys() : [...room.conns.keys()].filter((s) => s !== skip), message);
      } catch (e) {
        // each update was applied to the document already: clients get them with their next sync
        opts.log(`room ${room.name}: broadcasting ${updates.length} update(s) failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    // One encoding per audience: everyone, and in a classroom the staff alone for students' presence.
    if (room.awarenessOut.size > 0) {
      const ids = [...room.awarenessOut];
      room.awarenessOut.clear();
      const students = room.classroom ? ids.filter((id) => isStudent(room, id)) : [];
      const everyone = students.length > 0 ? ids.filter((id) => !room.students.has(id)) : ids;
      for (const id of ids) if (!room.awareness.states.has(id)) room.students.delete(id);
      const all = everyone.length > 0 ? encodePresence(room, everyone) : null;
      if (all) sendToAll(room.conns.keys(), awarenessMessage(all));
      if (students.length > 0) {
        for (const id of students) room.staffOut.add(id);
        if (!room.staffTimer) {
          room.staffTimer = setTimeout(() => sendStaffPresence(room), STAFF_PRESENCE_MS);
          room.staffTimer.unref();
        }
      }
    }
    if (room.awarenessRelay.size > 0 && !room.relayTimer) {
      room.relayTimer = setTimeout(() => relayPresence(room), PRESENCE_RELAY_MS);
      room.relayTimer.unref();
    }
  }

  /** Students' presence changed since the last time, to the staff (see STAFF_PRESENCE_MS): each student's current state. */
  function sendStaffPresence(room: Room): void {
    if (room.staffTimer) clearTimeout(room.staffTimer);
    room.staffTimer = null;
    if (room.staffOut.size === 0) return;
    const ids = [...room.staffOut];
    room.staffOut.clear();
    const staff = staffSockets(room);
    if (staff.length === 0) return;
    const update = encodePresence(room, ids);
    if (update) sendToAll(staff, awarenessMessage(update));
  }

  /** Our clients' presence changes since the last time, to the other processes (see PRESENCE_RELAY_MS). */
  function relayPresence(room: Room): void {
    if (room.relayTimer) clearTimeout(room.relayTimer);
    room.relayTimer = null;
    if (room.awarenessRelay.size === 0) return;
    const update = encodePresence(room, [...room.awarenessRelay]);
    room.awarenessRelay.clear();
    if (update) room.link?.publishAwareness(update);
  }

  /** A classroom student's awareness client (their stamped role is VIEWER), remembered until they leave. */
  function isStudent(room: Room, id: number): boolean {
    const state = room.awareness.states.get(id) as { user?: { role?: unknown } } | undefined;
    if (state) {
      if (state.user?.role === "VIEWER") room.students.add(id);
      else room.students.delete(id);
    }
    return room.students.has(id);
  }

  /**
   * The awareness update of `ids`. A state that cannot be encoded (the gate lets none in; this is
   * the last line) is removed and the socket speaking for it closed, instead of failing for all.
   */
  function encodePresence(room: Room, ids: number[]): Uint8Array | null {
    try {
      return awarenessProtocol.encodeAwarenessUpdate(room.awareness, ids);
    } catch {
      const fine = ids.filter((id) => {
        try {
          awarenessProtocol.encodeAwarenessUpdate(room.awareness, [id]);
          return true;
        } catch {
          return false;
        }
      });
      const bad = ids.filter((id) => !fine.includes(id));
      opts.log(`room ${room.name}: presence of client(s) ${bad.join(", ")} could not be encoded; removed`);
      for (const conn of room.conns.values()) {
        if (bad.some((id) => conn.ids.has(id))) conn.guard.refuse(CLOSE_MALFORMED, "your presence could not be sent to the others");
      }
      for (const id of bad) room.awareness.states.delete(id);
      return fine.length > 0 ? awarenessProtocol.encodeAwarenessUpdate(room.awareness, fine) : null;
    }
  }

  function scheduleUnload(room: Room): void {
    if (room.idleTimer) clearTimeout(room.idleTimer);
    // Write what the last client sent right away; release the memory only after the grace period.
    void room.link?.flush().catch(() => undefined);
    room.idleTimer = setTimeout(() => {
      room.idleTimer = null;
      const stillIdle = () => room.conns.size === 0 && rooms.get(room.name) === room && room.idleTimer === null;
      if (!stillIdle()) return;
      // Only a room whose updates are all stored may leave memory: if Postgres is away, it stays loaded.
      (room.link?.flush() ?? Promise.resolve()).then(
        () => {
          if (!stillIdle()) return;
          rooms.delete(room.name);
          const done = unload(room).finally(() => unloading.delete(room.name));
          unloading.set(room.name, done);
        },
        (e: unknown) => {
          opts.log(`room ${room.name} stays loaded: ${e instanceof Error ? e.message : String(e)}`);
          if (stillIdle()) scheduleUnload(room);
        },
      );
    }, opts.idleMs);
    room.idleTimer.unref();
  }

  async function unload(room: Room): Promise<void> {
    try {
      await room.ready.catch(() => undefined);
      relayPresence(room);
      await room.link?.close();
      opts.log(`unloaded idle room ${room.name}`);
    } catch (e) {
      opts.log(`unloading room ${room.name} failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      if (room.staffTimer) clearTimeout(room.staffTimer);
      room.awareness.destroy();
      room.doc.destroy();
    }
  }

  /** No socket of ours speaks for awareness client `id` any more. */
  function unspeak(room: Room, id: number): void {
    room.speakers.get(id)?.ids.delete(id);
    room.speakers.delete(id);
  }

  /** Sync step 1 for a socket that joins or becomes a writer: encoded once per version of the document. */
  function stepOne(room: Room): Uint8Array {
    room.stepOne ??= syncMessage((e) => syncProtocol.writeSyncStep1(e, room.doc));
    return room.stepOne;
  }

  function leave(room: Room, socket: WebSocket): void {
    const conn = room.conns.get(socket);
    if (!conn) return;
    room.conns.delete(socket);
    room.presenceWaiting.delete(socket);
    conn.queued = [];
    for (const id of conn.ids) if (room.speakers.get(id) === conn) room.speakers.delete(id);
    if (conn.heldTimer) clearTimeout(conn.heldTimer);
    awarenessProtocol.removeAwarenessStates(room.awareness, [...conn.ids], LEFT);
    if (room.conns.size === 0) scheduleUnload(room);
  }

  /** The user a client id's presence belongs to now: a socket of ours, or the stamped state relayed from another process. */
  function ownerOf(room: Room, clientId: number): string | null {
    const speaker = room.speakers.get(clientId);
    if (speaker) return speaker.member.id;
    return readPresence(room.awareness.states.get(clientId))?.user.id ?? null;
  }

  /**
   * A socket's awareness update through the gate (presence-gate.ts): only its own client, each
   * state bounded, schema-checked and given the member's identity, at most PRESENCE_RATE a second.
   */
  function admitPresence(room: Room, socket: WebSocket, conn: Conn, update: Uint8Array): void {
    const now: AwarenessEntry[] = [];
    for (const e of readRawAwarenessEntries(update)) {
      const mine = conn.ids.has(e.clientId);
      // y-websocket clients send back every update they receive: same clock, nothing new (and
      // nothing decoded: a presenter's page echoes a class's presence, 1,000 states a second)
      if (!mine && (room.awareness.meta.get(e.clientId)?.clock ?? -1) >= e.clock) continue;
      if (e.state.length > MAX_PRESENCE_BYTES) return conn.guard.refuse(CLOSE_MALFORMED, `presence state refused: ${e.state.length} bytes; the limit is ${MAX_PRESENCE_BYTES}`);
      let text: string;
      try {
        text = stateText(e.state);
      } catch {
        conn.guard.strike(`presence for client ${e.clientId} is not UTF-8 text`);
        continue;
      }
      let json = "null";
      if (text !== "null") {
        const r = presenceFromClient(text, conn.member);
        if (!r.ok && r.hostile) return conn.guard.refuse(CLOSE_MALFORMED, r.problem);
        if (!r.ok) {
          conn.guard.strike(r.problem);
          continue;
        }
        json = JSON.stringify(r.presence);
      }
      if (!mine) {
        const owner = ownerOf(room, e.clientId);
        if (owner !== null && owner !== conn.member.id) {
          conn.guard.strike(`presence for client ${e.clientId}, which is another member's`);
          continue;
        }
        if (conn.ids.size >= MAX_CLIENTS_PER_SOCKET) {
          conn.guard.strike(`presence for a second client (${e.clientId}) on one connection`);
          continue;
        }
        // the member's own client: new, or back through this socket (a reconnect)
        unspeak(room, e.clientId);
        conn.ids.add(e.clientId);
        room.speakers.set(e.clientId, conn);
      }
      const entry = { clientId: e.clientId, clock: e.clock, json };
      if (conn.rate.take()) now.push(entry);
      else hold(room, socket, conn, entry);
    }
    if (now.length > 0) awarenessProtocol.applyAwarenessUpdate(room.awareness, encodeAwarenessEntries(now), socket);
  }

  /**
   * A socket's presence frame, admitted after the document broadcast of this turn of the event
   * loop: a class of 1,000 sends 1,000 presence frames a second (more while it joins, each first
   * one announcing a client), and admitting those read in one poll of the sockets (schema check,
   * stamp, apply) held back the presenter's update to everyone read in the same poll. A socket's
   * frames keep their order; a socket with PRESENCE_QUEUE waiting, or a frame larger than any
   * presence state can be, is admitted at once (its limits act as before, a flood is closed).
   */
  function queuePresence(room: Room, socket: WebSocket, conn: Conn, update: Uint8Array): void {
    if (conn.queued.length >= PRESENCE_QUEUE || update.length > MAX_PRESENCE_BYTES + 64) {
      admitQueued(room, socket, conn);
      admitFrame(room, socket, conn, update);
      return;
    }
    conn.queued.push(update);
    room.presenceWaiting.set(socket, conn);
    if (room.presenceDrain) return;
    room.presenceDrain = true;
    setImmediate(() => drainPresence(room));
  }

  function drainPresence(room: Room): void {
    // the presenter's update read in the same turn goes out before these
    if (room.outbox.length > 0) broadcast(room);
    let n = 0;
    for (const [socket, conn] of room.presenceWaiting) {
      if (n >= PRESENCE_SLICE) break;
      n += conn.queued.length;
      admitQueued(room, socket, conn);
    }
    if (room.presenceWaiting.size > 0) setImmediate(() => drainPresence(room));
    else room.presenceDrain = false;
  }

  /** Admit what waits from `socket` (nothing if it left or was closed meanwhile). */
  function admitQueued(room: Room, socket: WebSocket, conn: Conn): void {
    room.presenceWaiting.delete(socket);
    const frames = conn.queued;
    conn.queued = [];
    for (const update of frames) {
      if (room.conns.get(socket) !== conn || socket.readyState !== socket.OPEN) return;
      admitFrame(room, socket, conn, update);
    }
  }

  /** admitPresence, containing what fails to this socket (as a frame's handler does). */
  function admitFrame(room: Room, socket: WebSocket, conn: Conn, update: Uint8Array): void {
    try {
      admitPresence(room, socket, conn, update);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      opts.log(`room ${room.name}: a presence frame from user ${conn.member.id} could not be applied (${why}): closing that connection`);
      conn.guard.refuse(CLOSE_MALFORMED, `a frame could not be applied: ${why}`);
    }
  }

  /** An update over the rate: kept (the newest per client) until the rate allows; a flood closes the socket. */
  function hold(room: Room, socket: WebSocket, conn: Conn, entry: AwarenessEntry): void {
    if (!conn.flood.take()) {
      conn.guard.refuse(CLOSE_TOO_FAST, `too many presence updates: at most ${PRESENCE_RATE} per second`);
      return;
    }
    const prev = conn.held.get(entry.clientId);
    if (!prev || prev.clock < entry.clock) conn.held.set(entry.clientId, entry);
    releaseHeld(room, socket, conn);
  }

  function releaseHeld(room: Room, socket: WebSocket, conn: Conn): void {
    if (conn.heldTimer || conn.held.size === 0) return;
    conn.heldTimer = setTimeout(() => {
      conn.heldTimer = null;
      if (room.conns.get(socket) !== conn) return;
      const due: AwarenessEntry[] = [];
      for (const [id, e] of conn.held) {
        if (!conn.rate.take()) break;
        due.push(e);
        conn.held.delete(id);
      }
      try {
        if (due.length > 0) awarenessProtocol.applyAwarenessUpdate(room.awareness, encodeAwarenessEntries(due), socket);
      } catch (e) {
        opts.log(`room ${room.name}: held presence could not be applied: ${e instanceof Error ? e.message : String(e)}`);
      }
      releaseHeld(room, socket, conn);
    }, conn.rate.waitMs());
    conn.heldTimer.unref();
  }

  async function join(socket: WebSocket, name: string, member: RoomMember, guard: SocketGuard): Promise<void> {
    for (let pending = unloading.get(name); pending; pending = unloading.get(name)) await pending;
    let room = rooms.get(name);
    if (!room) {
      room = createRoom(name);
      rooms.set(name, room);
    }
    if (room.idleTimer) {
      clearTimeout(room.idleTimer);
      room.idleTimer = null;
    }
    const r = room;
    const conn: Conn = {
      member,
      guard,
      ids: new Set(),
      rate: new TokenBucket(PRESENCE_BURST, PRESENCE_RATE),
      flood: new TokenBucket(PRESENCE_FLOOD_ALLOWANCE, PRESENCE_RATE),
      held: new Map(),
      heldTimer: null,
      queued: [],
    };
    r.conns.set(socket, conn);
    let alive = true;
    const ping = setInterval(() => {
      if (!alive) return void socket.terminate();
      // ping() throws on a socket that is closing; its close event stops this timer
      if (socket.readyState !== socket.OPEN) return;
      alive = false;
      socket.ping();
    }, PING_MS);
    ping.unref();
    socket.on("pong", () => (alive = true));
    socket.on("close", () => {
      clearInterval(ping);
      leave(r, socket);
    });
    try {
      await r.ready;
    } catch (e) {
      // Let the next join try again; this socket learns why.
      if (rooms.get(name) === r) rooms.delete(name);
      for (const s of r.conns.keys()) s.close(1011, "the room could not be loaded: reconnecting");
      r.conns.clear();
      r.awareness.destroy();
      r.doc.destroy();
      throw e;
    }
    if (socket.readyState !== socket.OPEN) return;
    socket.binaryType = "arraybuffer";
    socket.on("message", (data: ArrayBuffer | Buffer) => {
      const frame = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      try {
        const decoder = decoding.createDecoder(frame);
        const type = decoding.readVarUint(decoder);
        if (type === MESSAGE_SYNC) {
          const reply = encoding.createEncoder();
          encoding.writeVarUint(reply, MESSAGE_SYNC);
          syncProtocol.readSyncMessage(decoder, reply, r.doc, socket);
          if (encoding.length(reply) > 1) send(socket, encoding.toUint8Array(reply));
        } else if (type === MESSAGE_AWARENESS) {
          queuePresence(r, socket, conn, decoding.readVarUint8Array(decoder));
        }
      } catch (e) {
        // frames.ts has already refused anything undecodable: whatever fails here, only this socket goes
        const why = e instanceof Error ? e.message : String(e);
        opts.log(`room ${name}: a frame from user ${member.id} could not be applied (${why}): closing that connection`);
        guard.refuse(CLOSE_MALFORMED, `a frame could not be applied: ${why}`);
      }
    });
    // a classroom student sees the staff's presence only
    const present = r.classroom && member.role === "VIEWER" ? [...r.staff].filter((id) => r.awareness.states.has(id)) : [...r.awareness.getStates().keys()];
    sendTogether(socket, present.length > 0 ? [stepOne(r), awarenessMessage(awarenessProtocol.encodeAwarenessUpdate(r.awareness, present))] : [stepOne(r)]);
  }

  function changeRole(socket: WebSocket, name: string, role: RoomMember["role"]): boolean {
    const room = rooms.get(name);
    const conn = room?.conns.get(socket);
    if (!room || !conn) return false;
    const was = conn.member.role;
    conn.member = { ...conn.member, role };
    send(socket, roleMessage(role));
    if (role !== "VIEWER") {
      send(socket, stepOne(room));
      if (room.classroom && was === "VIEWER") {
        const students = [...room.awareness.getStates().keys()].filter((id) => !conn.ids.has(id) && isStudent(room, id));
        const update = students.length > 0 ? encodePresence(room, students) : null;
        if (update) send(socket, awarenessMessage(update));
      }
    }
    return true;
  }

  return {
    join,
    changeRole,
    loaded: () => new Map([...rooms].map(([n, r]) => [n, r.conns.size])),
    async close() {
      const all = [...rooms.values()];
      rooms.clear();
      for (const r of all) {
        if (r.idleTimer) clearTimeout(r.idleTimer);
        if (r.staffTimer) clearTimeout(r.staffTimer);
        // Tell the other processes our clients are gone now rather than after their 30 s timeout.
        const ids = [...r.conns.values()].flatMap((c) => [...c.ids]);
        for (const c of r.conns.values()) if (c.heldTimer) clearTimeout(c.heldTimer);
        for (const s of r.conns.keys()) s.terminate();
        r.conns.clear();
        if (ids.length > 0) awarenessProtocol.removeAwarenessStates(r.awareness, ids, LEFT);
        broadcast(r);
        relayPresence(r);
      }
      await Promise.all([...all.map(unload), ...unloading.values()]);
    },
  };
}
