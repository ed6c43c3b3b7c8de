/**
 * The relay between sync processes serving the same rooms: document updates, presence and
 * liveness, over pub/sub (Postgres NOTIFY in production, the in-memory hub in tests — the
 * relay's contract suite runs against both).
 *
 * Updates: a process announces each batch it stores with `announce`, whose notifications the
 * storage sends in the same statement as the row, so the others hear of it exactly when it is
 * committed — and no later: the commit does not wait for the disk (storage-pg.ts), because
 * Postgres delivers the notifications of all processes one commit at a time. The bytes ride
 * along: as base64, deflated when that is smaller, and over several numbered parts (delivered
 * together) when even that does not fit one 8000-byte notification.
 * A batch too large for MAX_PARTS is announced without its bytes: the others re-read the room.
 *
 * Presence travels the same way on its own channel, published at once (it is not stored); an
 * update too large for MAX_PRESENCE_PARTS is split by client. Every process announces itself every
 * `heartbeatMs`; when one falls silent for `goneMs` (killed, or cut off), the others remove its
 * clients' presence at once instead of after the 30 s awareness timeout. A process that joins a
 * room asks the others for their clients' presence. After the pub/sub connection was lost every
 * joined room re-reads its storage (`reload`) and asks again, since messages were missed.
 *
 * Messages are checked against their schema on arrival (pubsub.ts): what fails is logged and
 * dropped. The relay never sees a client's bytes before the room has validated them.
 */
import { randomBytes } from "node:crypto";
import os from "node:os";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { z } from "zod";
import { defineChannel, MAX_PAYLOAD_BYTES, type Notification, type PubSub } from "@/server/pubsub/pubsub";

/** Parts one relayed update may take (≈ 1.8 MB of base64; a 1 MB frame's update fits). */
export const MAX_PARTS = 256;
/** Parts one relayed presence update may take (≈ 340 KB deflated: some 100,000 selected cells). */
export const MAX_PRESENCE_PARTS = 48;
/** Parts of a message that do not all arrive within this time are forgotten. */
const PARTS_TTL_MS = 10_000;
/** Largest inflated message accepted from another process. */
const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

const ZRoom = z.string().min(1).max(200);
const ZOrigin = z.string().min(1).max(100);
const ZBase64 = z.string().max(MAX_PAYLOAD_BYTES).regex(/^[A-Za-z0-9+/]*={0,2}$/, "not base64");
const ZPart = z
  .object({ id: z.string().regex(/^[0-9a-f]{12}$/), index: z.number().int().min(0), count: z.number().int().min(2).max(MAX_PARTS) })
  .refine((p) => p.index < p.count, "part index past the count");
/** Bytes in a message: base64, perhaps deflated, perhaps one part of several. */
const ZBytes = { data: ZBase64, deflated: z.boolean(), part: ZPart.optional() };

/** Document updates, sent by the storage with the row that holds them. */
export const SYNC_UPDATES = defineChannel(
  "statescope_sync",
  z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("update"), room: ZRoom, origin: ZOrigin, ...ZBytes }),
    /** Stored, but too large to carry: read the room again. */
    z.object({ kind: z.literal("reload"), room: ZRoom, origin: ZOrigin }),
  ]),
);

/** Presence (y-protocols awareness updates), questions for it, and liveness. */
export const SYNC_PRESENCE = defineChannel(
  "statescope_awareness",
  z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("presence"), room: ZRoom, origin: ZOrigin, ...ZBytes }),
    /** A process (re)loaded the room: send your clients' presence. */
    z.object({ kind: z.literal("ask"), room: ZRoom, origin: ZOrigin }),
    z.object({ kind: z.literal("alive"), origin: ZOrigin }),
  ]),
);

/**
 * Signals to a room's staff from outside the sync processes (the web process, when a batch of a
 * class's answers committed: `tasks`, "the tasks' answers changed, read them again"). Published
 * by anyone with the database (`roomSignal`); every sync process with the room loaded passes it
 * on to the room's staff sockets only (rooms.ts), never to students. It carries no data: the
 * staff's page reads the tasks through tRPC, with its credential, as before.
 */
export const ROOM_SIGNALS = defineChannel("statescope_room_signal", z.object({ room: ZRoom, signal: z.enum(["tasks"]) }));
export type RoomSignal = z.output<typeof ROOM_SIGNALS.schema>["signal"];

/** The notification that tells `room`'s staff about `signal` (send it with pg_notify, or publish it). */
export function roomSignal(room: string, signal: RoomSignal): Notification {
  return ROOM_SIGNALS.notification({ room, signal });
}

/** What the relay calls on a joined room. */
export interface RelayPeer {
  /** A document update another process stored. */
  update(update: Uint8Array): void;
  /** Updates may have been missed (too large to carry, or the connection was lost): re-read the room. */
  reload(): void;
  /** Presence of another process's clients. */
  presence(update: Uint8Array): void;
  /** Remove the presence of clients whose process is gone. */
  dropClients(clientIds: number[]): void;
  /** This process's clients' presence, for a process that just joined the room; null when none. */
  localPresence(): Uint8Array | null;
  /** A signal for the room's staff (ROOM_SIGNALS). */
  signal?(signal: RoomSignal): void;
}

/** A room as joined through the relay. */
export interface RelayRoom {
  /** Notifications telling the others about a stored update: the storage sends them with the row. */
  announce(update: Uint8Array): Notification[];
  /** Send presence of this process's clients (already validated by the room) to the others. */
  publishPresence(update: Uint8Array): void;
  /** Stop receiving for this room. */
  leave(): void;
}

export interface RoomRelay {
  /** This process, as the others know it. */
  readonly origin: string;
  /** Receive what the others send for `room` from the moment this resolves, and ask them for their presence. */
  join(room: string, peer: RelayPeer): Promise<RelayRoom>;
  /** Stop (the others notice the silence after their `goneMs`). */
  close(): Promise<void>;
}

export interface RelayOptions {
  /** Identifies this process in messages (default: host, pid and a random suffix). */
  origin?: string;
  /** How often this process says it is alive (default 2000 ms). */
  heartbeatMs?: number;
  /** A process silent this long is gone and its clients' presence removed (default 8000 ms). */
  goneMs?: number;
  log?: (line: string) => void;
}

export function defaultOrigin(): string {
  return `${os.hostname().slice(0, 60)}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

function bytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** The client ids an awareness update sets (`set`) or removes (state null), in y-protocols' encoding. */
export function awarenessEntries(update: Uint8Array): { set: number[]; removed: number[] } {
  const d = decoding.createDecoder(update);
  const set: number[] = [];
  const removed: number[] = [];
  const n = decoding.readVarUint(d);
  for (let i = 0; i < n; i++) {
    const id = decoding.readVarUint(d);
    decoding.readVarUint(d); // clock
    (decoding.readVarString(d) === "null" ? removed : set).push(id);
  }
  return { set, removed };
}

/** An awareness update cut into updates of at most about `budget` bytes each (one client never split). */
function splitAwareness(update: Uint8Array, budget: number): Uint8Array[] {
  const d = decoding.createDecoder(update);
  const n = decoding.readVarUint(d);
  const groups: Uint8Array[][] = [[]];
  let size = 0;
  for (let i = 0; i < n; i++) {
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, decoding.readVarUint(d));
    encoding.writeVarUint(e, decoding.readVarUint(d));
    encoding.writeVarString(e, decoding.readVarString(d));
    const entry = encoding.toUint8Array(e);
    if (size + entry.length > budget && groups[groups.length - 1]!.length > 0) {
      groups.push([]);
      size = 0;
    }
    groups[groups.length - 1]!.push(entry);
    size += entry.length;
  }
  return groups.map((entries) => {
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, entries.length);
    for (const entry of entries) encoding.writeUint8Array(e, entry);
    return encoding.toUint8Array(e);
  });
}

interface Joined {
  peer: RelayPeer;
  /** Presence client ids relayed from each other process, to drop when that process is gone. */
  clients: Map<string, Set<number>>;
}

export function createRelay(pubsub: PubSub, opts: RelayOptions = {}): RoomRelay {
  const origin = opts.origin ?? defaultOrigin();
  const log = opts.log ?? (() => undefined);
  const heartbeatMs = opts.heartbeatMs ?? 2000;
  const goneMs = opts.goneMs ?? 8000;
  const rooms = new Map<string, Joined>();
  /** When each other process was last heard. */
  const lastHeard = new Map<string, number>();
  /** Parts being put back together, by origin and message id. */
  const partial = new Map<string, { parts: (string | undefined)[]; got: number; at: number }>();
  let closed = false;

  // ---- sending ----

  /**
   * `data` as messages of one channel: whole, deflated, or in parts; null when even `maxParts`
   * parts cannot hold it. `envelope` builds the message around a piece of base64.
   */
  function encodeBytes(data: Uint8Array, maxParts: number, envelope: (b: { data: string; deflated: boolean; part?: { id: string; index: number; count: number } }) => Notification): Notification[] | null {
    const plain = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
    const fits = (n: Notification) => Buffer.byteLength(n.payload) <= MAX_PAYLOAD_BYTES;
    // the envelope's own size with the longest part fields, measured once
    const overhead = Buffer.byteLength(envelope({ data: "", deflated: true, part: { id: "0".repeat(12), index: MAX_PARTS - 1, count: MAX_PARTS } }).payload);
    if (plain.length + overhead <= MAX_PAYLOAD_BYTES) return [envelope({ data: plain, deflated: false })];
    const deflated = deflateRawSync(data).toString("base64");
    if (deflated.length + overhead <= MAX_PAYLOAD_BYTES) return [envelope({ data: deflated, deflated: true })];
    const chunk = Math.floor((MAX_PAYLOAD_BYTES - overhead) / 4) * 4;
    const count = Math.ceil(deflated.length / chunk);
    if (count > maxParts) return null;
    const id = randomBytes(6).toString("hex");
    const parts = Array.from({ length: count }, (_, index) => envelope({ data: deflated.slice(index * chunk, (index + 1) * chunk), deflated: true, part: { id, index, count } }));
    if (!parts.every(fits)) throw new Error("relay: a part does not fit one notification"); // a bug in the sizes above
    return parts;
  }

  async function send(notifications: Notification[]): Promise<void> {
    try {
      await pubsub.publish(notifications);
    } catch (e) {
      if (!closed) log(`relaying on ${notifications[0]?.channel ?? "?"} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  function ask(room: string): void {
    void send([SYNC_PRESENCE.notification({ kind: "ask", room, origin })]);
  }

  function publishPresence(room: string, update: Uint8Array): void {
    const whole = encodeBytes(update, MAX_PRESENCE_PARTS, (b) => SYNC_PRESENCE.notification({ kind: "presence", room, origin, ...b }));
    if (whole) return void send(whole);
    // many clients at once (a process answering "ask" for a big room): one message per group of clients
    for (const piece of splitAwareness(update, 64 * 1024)) {
      const n = encodeBytes(piece, MAX_PRESENCE_PARTS, (b) => SYNC_PRESENCE.notification({ kind: "presence", room, origin, ...b }));
      if (n) void send(n);
      else log(`room ${room}: a presence update of ${piece.length} bytes is too large to relay to other sync processes; dropped`);
    }
  }

  // ---- receiving ----

  /** The whole bytes of a message once its last part arrived, else null. */
  function assemble(from: string, m: { data: string; deflated: boolean; part?: { id: string; index: number; count: number } }): Uint8Array | null {
    let data = m.data;
    if (m.part) {
      const now = Date.now();
      for (const [k, p] of partial) if (now - p.at > PARTS_TTL_MS) partial.delete(k);
      const key = `${from}:${m.part.id}`;
      let p = partial.get(key);
      if (!p) partial.set(key, (p = { parts: new Array<string | undefined>(m.part.count), got: 0, at: now }));
      if (p.parts.length !== m.part.count || p.parts[m.part.index] !== undefined) return null;
      p.parts[m.part.index] = m.data;
      if (++p.got < m.part.count) return null;
      partial.delete(key);
      data = p.parts.join("");
    }
    const raw = Buffer.from(data, "base64");
    return bytes(m.deflated ? inflateRawSync(raw, { maxOutputLength: MAX_INFLATED_BYTES }) : raw);
  }

  function heard(from: string): boolean {
    if (from === origin) return false;
    lastHeard.set(from, Date.now());
    return true;
  }

  function onUpdate(m: z.output<typeof SYNC_UPDATES.schema>): void {
    if (!heard(m.origin)) return;
    const room = rooms.get(m.room);
    if (!room) return;
    if (m.kind === "reload") return room.peer.reload();
    let update: Uint8Array | null;
    try {
      update = assemble(m.origin, m);
      if (update) room.peer.update(update);
    } catch (e) {
      log(`room ${m.room}: a relayed update could not be applied (${e instanceof Error ? e.message : String(e)}): re-reading the room`);
      room.peer.reload();
    }
  }

  function onPresence(m: z.output<typeof SYNC_PRESENCE.schema>): void {
    if (!heard(m.origin) || m.kind === "alive") return;
    const room = rooms.get(m.room);
    if (!room) return;
    if (m.kind === "ask") {
      const mine = room.peer.localPresence();
      if (mine) publishPresence(m.room, mine);
      return;
    }
    try {
      const update = assemble(m.origin, m);
      if (!update) return;
      const { set, removed } = awarenessEntries(update);
      room.peer.presence(update);
      let theirs = room.clients.get(m.origin);
      if (!theirs) room.clients.set(m.origin, (theirs = new Set()));
      // a client that reconnected through another process belongs to that one now
      for (const [o, ids] of room.clients) if (o !== m.origin) for (const id of set) ids.delete(id);
      for (const id of set) theirs.add(id);
      for (const id of removed) theirs.delete(id);
    } catch (e) {
      log(`room ${m.room}: a relayed presence update could not be applied: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  function onSignal(m: z.output<typeof ROOM_SIGNALS.schema>): void {
    rooms.get(m.room)?.peer.signal?.(m.signal);
  }

  /**
   * After a lost connection: nobody counts as gone for the silence, and every room catches up —
   * re-reads its storage, tells the others its clients' presence and asks for theirs (a database
   * restart cuts every process at once: whichever is back first, the other hears the answer).
   */
  function resync(): void {
    const now = Date.now();
    for (const other of lastHeard.keys()) lastHeard.set(other, now);
    if (rooms.size > 0) log("relay connection (re)established: re-reading loaded rooms");
    for (const [name, room] of rooms) {
      room.peer.reload();
      const mine = room.peer.localPresence();
      if (mine) publishPresence(name, mine);
      ask(name);
    }
  }

  // ---- liveness ----
  const heartbeat = setInterval(() => {
    void send([SYNC_PRESENCE.notification({ kind: "alive", origin })]);
    const now = Date.now();
    for (const [other, at] of lastHeard) {
      if (now - at < goneMs) continue;
      lastHeard.delete(other);
      for (const [name, room] of rooms) {
        const ids = room.clients.get(other);
        room.clients.delete(other);
        if (!ids?.size) continue;
        log(`room ${name}: sync process ${other} fell silent; removing the presence of its ${ids.size} client(s)`);
        room.peer.dropClients([...ids]);
      }
    }
  }, heartbeatMs);
  heartbeat.unref();

  // ---- listening: retried until it works; a late success counts as a reconnect ----
  const unsubscribe: (() => void)[] = [];
  let retryMs = 250;
  async function listen(): Promise<boolean> {
    try {
      unsubscribe.push(await pubsub.subscribe(SYNC_UPDATES, { message: onUpdate, resync }));
      unsubscribe.push(await pubsub.subscribe(SYNC_PRESENCE, { message: onPresence }));
      unsubscribe.push(await pubsub.subscribe(ROOM_SIGNALS, { message: onSignal }));
      return true;
    } catch (e) {
      for (const u of unsubscribe.splice(0)) u();
      if (closed) return false;
      log(`relay: listening failed (${e instanceof Error ? e.message : String(e)}): retrying in ${retryMs} ms`);
      setTimeout(() => void listen().then((ok) => ok && resync()), retryMs).unref();
      retryMs = Math.min(retryMs * 2, 5000);
      return false;
    }
  }
  const firstListen = listen();

  return {
    origin,
    async join(room, peer) {
      if (closed) throw new Error("the relay is closed");
      if (rooms.has(room)) throw new Error(`room ${room} is already joined in this process`);
      // listening before the room reads its storage, so every row committed after the read is announced to us
      await firstListen;
      const joined: Joined = { peer, clients: new Map() };
      rooms.set(room, joined);
      ask(room);
      return {
        announce(update) {
          return encodeBytes(update, MAX_PARTS, (b) => SYNC_UPDATES.notification({ kind: "update", room, origin, ...b })) ?? [SYNC_UPDATES.notification({ kind: "reload", room, origin })];
        },
        publishPresence: (update) => publishPresence(room, update),
        leave() {
          if (rooms.get(room) === joined) rooms.delete(room);
        },
      };
    },
    async close() {
      closed = true;
      clearInterval(heartbeat);
      rooms.clear();
      for (const u of unsubscribe.splice(0)) u();
    },
  };
}
