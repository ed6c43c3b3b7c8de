/**
 * Rooms persisted in Postgres and relayed between sync processes.
 *
 * Storage: the `SyncUpdate` table is an append-only log per room. Local
 * updates are merged into one row per batch: the first update after a quiet
 * spell is written at once, later ones at most every `flushMs` (≤ 50 ms,
 * default 20). Batches are sent without waiting for the previous commit, so
 * a slow commit holds nothing back. A crash of this process therefore loses
 * at most the updates received in the last `flushMs` (plus any insert not yet
 * handed to Postgres, normally well under a millisecond): the bound is 50 ms
 * at the maximum setting, within the 100 ms the issue allows. A failed insert
 * keeps its updates in memory and retries them with the next batch, so
 * nothing older is ever dropped. A room with more than `compactRows` rows is
 * compacted: in one transaction (under an advisory lock per room) the rows
 * read are merged into the newest of them (`compacted = true`) and exactly
 * the others deleted.
 *
 * Relay: each insert runs `pg_notify('statescope_sync', {room, id, origin, d})`
 * in the same statement, so the announcement goes out exactly when the row
 * is committed. Payloads are limited to 8000 bytes: a batch of up to 5000
 * bytes (nearly every one: an edit is tens of bytes) rides along as base64
 * `d`; a larger one is announced by id only. Every process LISTENs on one
 * dedicated connection and, for rooms it has loaded, applies `d` or fetches
 * the announced rows by id (not "id > last seen": inserts of two processes
 * can commit out of id order). A row
 * compacted away before it was fetched is covered by the oldest compacted
 * row above it. Presence travels as `statescope_awareness` notifications
 * (base64 awareness updates, deflated when large; when still over the limit
 * (thousands of selected cells) sent in numbered parts by one statement, so
 * they are delivered together, and put back together by the receivers; past
 * MAX_AWARENESS_PARTS dropped with a log line). Every process also announces
 * itself there every HEARTBEAT_MS; when one falls silent for PROCESS_GONE_MS
 * (killed, or cut off), the others remove its clients' presence at once
 * instead of after the 30 s awareness timeout. A process that loads a room asks the others
 * for their clients' presence. After the LISTEN connection drops it is
 * reopened and every loaded room is re-read, since notifications may have
 * been missed meanwhile.
 */
import { randomBytes } from "node:crypto";
import os from "node:os";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import * as decoding from "lib0/decoding";
import pg from "pg";
import * as Y from "yjs";
import type { RoomLink, RoomPeer, SyncBackend } from "./backend";

export const SYNC_CHANNEL = "statescope_sync";
export const AWARENESS_CHANNEL = "statescope_awareness";
/** Postgres refuses NOTIFY payloads of 8000 bytes or more. */
const MAX_NOTIFY_BYTES = 7900;
/** Base64 characters of a presence update per notification part (room, origin and part numbers fit beside). */
const AWARENESS_PART_CHARS = 7000;
/** Largest presence relayed between processes, in parts (≈ 340 KB deflated: some 100,000 selected cells). */
const MAX_AWARENESS_PARTS = 48;
/** Parts of a presence update that do not all arrive within this time are forgotten. */
const AWARENESS_PARTS_TTL_MS = 10_000;
/** How often a process announces on the presence channel that it is alive. */
const HEARTBEAT_MS = 2000;
/** A process not heard from for this long is gone: its clients' relayed presence is removed. */
const PROCESS_GONE_MS = 8000;
/** A stored batch up to this size travels inside its notification (base64 + room name stay under the limit). */
const MAX_INLINE_BYTES = 5000;

export interface PgBackendOptions {
  connectionString: string;
  /** Longest time a received update waits before it is written (ms, ≤ 50). */
  flushMs?: number;
  /** Compact a room once it has more rows than this. */
  compactRows?: number;
  /** Identifies this process in `SyncUpdate.origin` and in notifications. */
  origin?: string;
  log?: (line: string) => void;
}

export interface PgBackend extends SyncBackend {
  readonly origin: string;
  /**
   * Stop at once without writing pending updates, as a crash would (tests of the crash bound).
   */
  abandon(): Promise<void>;
}

interface Entry {
  room: string;
  peer: RoomPeer;
  pending: Uint8Array[];
  timer: NodeJS.Immediate | NodeJS.Timeout | null;
  /** Batch inserts not yet answered. */
  inflight: Set<Promise<boolean>>;
  lastFlushAt: number;
  failures: number;
  /** Rows of this room we know of since the last compaction. */
  rows: number;
  compacting: boolean;
  /** Announced row ids not fetched yet. */
  wanted: Set<string>;
  fetchScheduled: boolean;
  /** Awareness client ids relayed from each other process, to drop when that process is gone. */
  relayedClients: Map<string, Set<number>>;
}

/** The client ids an awareness update sets (`set`) or removes (state null), in y-protocols' encoding. */
function awarenessClients(update: Uint8Array): { set: number[]; removed: number[] } {
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

function bytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function defaultOrigin(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

export function createPgBackend(opts: PgBackendOptions): PgBackend {
  const flushMs = Math.min(opts.flushMs ?? 20, 50);
  const compactRows = opts.compactRows ?? 1000;
  const origin = opts.origin ?? defaultOrigin();
  const log = opts.log ?? (() => undefined);
  const pool = new pg.Pool({ connectionString: opts.connectionString, max: 8 });
  pool.on("error", () => undefined); // an idle connection dropped by the server; the next query reconnects
  const entries = new Map<string, Entry>();
  let closed = false;

  // ---- liveness of the other processes ----
  /** When each other process was last heard on either channel. */
  const lastHeard = new Map<string, number>();
  const heartbeat = setInterval(() => {
    // through the pool like every relay (a failure here is reported by the relays themselves)
    pool.query(`SELECT pg_notify($1, $2)`, [AWARENESS_CHANNEL, JSON.stringify({ origin, hb: 1 })]).catch(() => undefined);
    const now = Date.now();
    for (const [other, at] of lastHeard) {
      if (now - at < PROCESS_GONE_MS) continue;
      lastHeard.delete(other);
      for (const entry of entries.values()) {
        const ids = entry.relayedClients.get(other);
        entry.relayedClients.delete(other);
        if (ids?.size) {
          log(`room ${entry.room}: sync process ${other} fell silent; removing the presence of its ${ids.size} client(s)`);
          entry.peer.dropRelayedClients([...ids]);
        }
      }
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();

  // ---- the LISTEN connection ----
  let listener: pg.Client | null = null;
  let reconnectDelay = 250;
  const dropped = new WeakSet<pg.Client>();
  const firstListen = connectListener();

  async function connectListener(): Promise<void> {
    if (closed) return;
    const client = new pg.Client({ connectionString: opts.connectionString });
    client.on("notification", (n) => onNotification(n.channel, n.payload ?? ""));
    client.on("error", (e) => dropListener(client, e));
    client.on("end", () => dropListener(client, null));
    try {
      await client.connect();
      await client.query(`LISTEN ${SYNC_CHANNEL}; LISTEN ${AWARENESS_CHANNEL}`);
    } catch (e) {
      dropListener(client, e);
      return;
    }
    if (closed) return void client.end().catch(() => undefined);
    listener = client;
    reconnectDelay = 250;
    // heartbeats may have been missed while not listening: nobody counts as gone for that
    const now = Date.now();
    for (const other of lastHeard.keys()) lastHeard.set(other, now);
    // Rooms loaded while we were not listening may have missed announcements.
    if (entries.size > 0) log("relay connection (re)established: re-reading loaded rooms");
    for (const entry of entries.values()) void resync(entry);
  }

  function dropListener(client: pg.Client, e: unknown): void {
    if (dropped.has(client)) return;
    dropped.add(client);
    if (listener === client) listener = null;
    client.end().catch(() => undefined);
    if (closed) return;
    log(`relay connection lost (${e instanceof Error ? e.message : "closed"}): reconnecting in ${reconnectDelay} ms`);
    const t = setTimeout(() => void connectListener(), reconnectDelay);
    t.unref();
    reconnectDelay = Math.min(reconnectDelay * 2, 5000);
  }

  function onNotification(channel: string, payload: string): void {
    let msg: { room?: unknown; id?: unknown; origin?: unknown; d?: unknown; a?: unknown; z?: unknown; q?: unknown; m?: unknown; i?: unknown; n?: unknown };
    try {
      msg = JSON.parse(payload) as typeof msg;
    } catch {
      return;
    }
    if (msg.origin === origin || typeof msg.origin !== "string") return;
    lastHeard.set(msg.origin, Date.now());
    if (typeof msg.room !== "string") return;
    const entry = entries.get(msg.room);
    if (!entry) return;
    if (channel === SYNC_CHANNEL && typeof msg.id === "string") {
      if (typeof msg.d === "string") {
        try {
          entry.peer.applyRelayed(bytes(Buffer.from(msg.d, "base64")));
          entry.rows++;
          return;
        } catch (e) {
          log(`room ${entry.room}: a relayed update could not be applied (${e instanceof Error ? e.message : String(e)}): reading it from the table`);
        }
      }
      entry.wanted.add(msg.id);
      scheduleFetch(entry);
    } else if (channel === AWARENESS_CHANNEL) {
      if (msg.q === 1) {
        const mine = entry.peer.localAwareness();
        if (mine) publishAwareness(entry.room, mine);
      } else if (typeof msg.a === "string") {
        const whole = typeof msg.m === "string" ? assemble(`${msg.origin}:${msg.m}`, msg.i, msg.n, msg.a) : msg.a;
        if (whole === null) return;
        try {
          const raw = Buffer.from(whole, "base64");
          const update = bytes(msg.z === 1 ? inflateRawSync(raw) : raw);
          entry.peer.applyRelayedAwareness(update);
          const { set, removed } = awarenessClients(update);
          let mine = entry.relayedClients.get(msg.origin);
          if (!mine) entry.relayedClients.set(msg.origin, (mine = new Set()));
          // a client that reconnected through another process belongs to that one now
          for (const [o, ids] of entry.relayedClients) if (o !== msg.origin) for (const id of set) ids.delete(id);
          for (const id of set) mine.add(id);
          for (const id of removed) mine.delete(id);
        } catch (e) {
          log(`room ${entry.room}: a relayed presence update could not be applied: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    }
  }

  // ---- relayed updates ----
  function scheduleFetch(entry: Entry): void {
    if (entry.fetchScheduled) return;
    entry.fetchScheduled = true;
    setImmediate(() => void fetchWanted(entry));
  }

  async function fetchWanted(entry: Entry): Promise<void> {
    entry.fetchScheduled = false;
    const ids = [...entry.wanted];
    entry.wanted.clear();
    if (ids.length === 0 || entries.get(entry.room) !== entry) return;
    try {
      const r = await pool.query<{ id: string; data: Buffer }>(
        `SELECT id::text AS id, data FROM "SyncUpdate" WHERE room = $1 AND id = ANY($2::bigint[]) ORDER BY id`,
        [entry.room, ids],
      );
      for (const row of r.rows) entry.peer.applyRelayed(bytes(row.data));
      entry.rows += r.rows.length;
      if (r.rows.length < ids.length) {
        // Compacted away before we read it: the oldest compacted row above it holds its content.
        const found = new Set(r.rows.map((row) => row.id));
        const lowest = ids.filter((id) => !found.has(id)).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))[0]!;
        const c = await pool.query<{ data: Buffer }>(
          `SELECT data FROM "SyncUpdate" WHERE room = $1 AND compacted AND id > $2::bigint ORDER BY id LIMIT 1`,
          [entry.room, lowest],
        );
        for (const row of c.rows) entry.peer.applyRelayed(bytes(row.data));
      }
    } catch (e) {
      if (closed) return;
      log(`room ${entry.room}: reading relayed updates failed (${e instanceof Error ? e.message : String(e)}): retrying`);
      for (const id of ids) entry.wanted.add(id);
      setTimeout(() => scheduleFetch(entry), 500).unref();
    }
  }

  async function readRoom(room: string): Promise<Uint8Array[]> {
    const r = await pool.query<{ data: Buffer }>(`SELECT data FROM "SyncUpdate" WHERE room = $1 ORDER BY id`, [room]);
    return r.rows.map((row) => bytes(row.data));
  }

  async function resync(entry: Entry): Promise<void> {
    try {
      const all = await readRoom(entry.room);
      if (entries.get(entry.room) !== entry) return;
      for (const u of all) entry.peer.applyRelayed(u);
      void notify(AWARENESS_CHANNEL, JSON.stringify({ room: entry.room, origin, q: 1 }));
    } catch (e) {
      log(`room ${entry.room}: re-reading after a relay outage failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  // ---- presence ----
  async function notify(channel: string, payload: string): Promise<void> {
    try {
      await pool.query(`SELECT pg_notify($1, $2)`, [channel, payload]);
    } catch (e) {
      if (!closed) log(`relaying on ${channel} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  function publishAwareness(room: string, update: Uint8Array): void {
    let payload = JSON.stringify({ room, origin, a: Buffer.from(update).toString("base64") });
    if (payload.length <= MAX_NOTIFY_BYTES) return void notify(AWARENESS_CHANNEL, payload);
    const a = deflateRawSync(update).toString("base64");
    payload = JSON.stringify({ room, origin, z: 1, a });
    if (payload.length <= MAX_NOTIFY_BYTES) return void notify(AWARENESS_CHANNEL, payload);
    const n = Math.ceil(a.length / AWARENESS_PART_CHARS);
    if (n > MAX_AWARENESS_PARTS || room.length > 500) {
      log(`room ${room}: a presence update of ${update.length} bytes is too large to relay to other sync processes; dropped`);
      return;
    }
    const m = randomBytes(6).toString("hex");
    const parts = Array.from({ length: n }, (_, i) => JSON.stringify({ room, origin, z: 1, m, i, n, a: a.slice(i * AWARENESS_PART_CHARS, (i + 1) * AWARENESS_PART_CHARS) }));
    // one statement, one transaction: the parts are delivered together, in order
    void pool.query(`SELECT pg_notify($1, p) FROM unnest($2::text[]) AS t(p)`, [AWARENESS_CHANNEL, parts]).catch((e: unknown) => {
      if (!closed) log(`relaying on ${AWARENESS_CHANNEL} failed: ${e instanceof Error ? e.message : String(e)}`);
    });
  }

  /** Parts of large presence updates being put back together, by origin and message id. */
  const partial = new Map<string, { parts: (string | undefined)[]; got: number; at: number }>();
  /** The whole base64 update once its last part arrived, else null. */
  function assemble(key: string, i: unknown, n: unknown, part: string): string | null {
    const now = Date.now();
    for (const [k, p] of partial) if (now - p.at > AWARENESS_PARTS_TTL_MS) partial.delete(k);
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_AWARENESS_PARTS || typeof i !== "number" || !Number.isInteger(i) || i < 0 || i >= n) return null;
    let p = partial.get(key);
    if (!p) partial.set(key, (p = { parts: new Array<string | undefined>(n), got: 0, at: now }));
    if (p.parts.length !== n || p.parts[i] !== undefined) return null;
    p.parts[i] = part;
    if (++p.got < n) return null;
    partial.delete(key);
    return p.parts.join("");
  }

  // ---- batched writes ----
  // Batches are written without waiting for the previous one to commit (Yjs updates commute, and a
  // loaded room applies rows in any order): a slow commit (fsync) never holds later batches back,
  // so what is at risk in a crash of this process is only what waits for the next batch.
  function scheduleFlush(entry: Entry): void {
    if (entry.timer || entry.pending.length === 0 || closed) return;
    const wait = entry.lastFlushAt + (entry.failures > 0 ? 500 : flushMs) - Date.now();
    entry.timer = wait <= 0 ? setImmediate(() => void runFlush(entry)) : setTimeout(() => void runFlush(entry), wait);
  }

  function clearTimer(entry: Entry): void {
    if (!entry.timer) return;
    clearTimeout(entry.timer as NodeJS.Timeout);
    clearImmediate(entry.timer as NodeJS.Immediate);
    entry.timer = null;
  }

  /** Write the pending updates as one row; resolves true when it was stored. */
  function runFlush(entry: Entry): Promise<boolean> {
    clearTimer(entry);
    const batch = entry.pending;
    if (batch.length === 0) return Promise.resolve(true);
    entry.pending = [];
    entry.lastFlushAt = Date.now();
    const data = batch.length === 1 ? batch[0]! : Y.mergeUpdates(batch);
    const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    // Small batches (nearly all) ride along in the notification, saving the others a read.
    const inline = buf.length <= MAX_INLINE_BYTES ? buf.toString("base64") : null;
    const write: Promise<boolean> = pool
      .query(
        `WITH ins AS (INSERT INTO "SyncUpdate" (room, data, origin) VALUES ($1, $2, $3) RETURNING id)
         SELECT pg_notify('${SYNC_CHANNEL}', json_build_object('room', $1::text, 'id', id::text, 'origin', $3::text, 'd', $4::text)::text) FROM ins`,
        [entry.room, buf, origin, inline],
      )
      .then(
        () => {
          entry.failures = 0;
          entry.rows++;
          return true;
        },
        (e: unknown) => {
          entry.failures++;
          // Keep the batch: it goes out with the next attempt, so nothing older than the last batch is ever lost.
          entry.pending = [data, ...entry.pending];
          if (!closed) log(`room ${entry.room}: storing ${data.length} bytes failed (${e instanceof Error ? e.message : String(e)}): retrying`);
          return false;
        },
      )
      .finally(() => {
        entry.inflight.delete(write);
        if (closed) return;
        scheduleFlush(entry);
        if (entry.rows > compactRows && !entry.compacting) void compact(entry);
      });
    entry.inflight.add(write);
    return write;
  }

  async function flushEntry(entry: Entry, attempts = 3): Promise<void> {
    for (let failed = 0; failed < attempts; ) {
      const stored = await Promise.all([...entry.inflight, runFlush(entry)]);
      if (stored.includes(false)) failed++;
      if (entry.pending.length === 0 && entry.inflight.size === 0) return;
    }
    const n = entry.pending.reduce((s, u) => s + u.length, 0);
    throw new Error(`room ${entry.room}: ${n} bytes could not be stored after ${attempts} attempts`);
  }

  /** Merge every row of the room into its newest row, in one transaction. */
  async function compact(entry: Entry): Promise<void> {
    entry.compacting = true;
    const client = await pool.connect().catch(() => null);
    if (!client) return void (entry.compacting = false);
    try {
      await client.query("BEGIN");
      await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`statescope_sync:${entry.room}`]);
      const r = await client.query<{ id: string; data: Buffer }>(`SELECT id::text AS id, data FROM "SyncUpdate" WHERE room = $1 ORDER BY id`, [entry.room]);
      if (r.rows.length > 1) {
        const doc = new Y.Doc();
        for (const row of r.rows) Y.applyUpdate(doc, bytes(row.data));
        const merged = Y.encodeStateAsUpdate(doc);
        doc.destroy();
        const last = r.rows[r.rows.length - 1]!.id;
        await client.query(`UPDATE "SyncUpdate" SET data = $1, compacted = true WHERE id = $2::bigint`, [Buffer.from(merged), last]);
        // Exactly the rows merged: one committed after our read (ids are not commit-ordered) stays.
        await client.query(`DELETE FROM "SyncUpdate" WHERE id = ANY($1::bigint[])`, [r.rows.slice(0, -1).map((row) => row.id)]);
      }
      await client.query("COMMIT");
      entry.rows = 1;
    } catch (e) {
      await client.query("ROLLBACK").catch(() => undefined);
      log(`room ${entry.room}: compaction failed (${e instanceof Error ? e.message : String(e)}); the log is intact`);
    } finally {
      client.release();
      entry.compacting = false;
    }
  }

  return {
    origin,
    async open(room, peer) {
      if (closed) throw new Error("the sync backend is closed");
      if (entries.has(room)) throw new Error(`room ${room} is already open in this process`);
      // LISTEN first, so every row committed after the read below is announced to us.
      await firstListen;
      const entry: Entry = {
        room,
        peer,
        pending: [],
        timer: null,
        inflight: new Set(),
        lastFlushAt: 0,
        failures: 0,
        rows: 0,
        compacting: false,
        wanted: new Set(),
        fetchScheduled: false,
        relayedClients: new Map(),
      };
      entries.set(room, entry);
      let stored: Uint8Array[];
      try {
        stored = await readRoom(room);
      } catch (e) {
        entries.delete(room);
        throw e;
      }
      entry.rows = stored.length;
      void notify(AWARENESS_CHANNEL, JSON.stringify({ room, origin, q: 1 }));
      const link: RoomLink = {
        stored,
        store(update) {
          if (update.length === 0) return;
          entry.pending.push(update);
          scheduleFlush(entry);
        },
        publishAwareness: (update) => publishAwareness(room, update),
        flush: () => flushEntry(entry),
        async close() {
          try {
            await flushEntry(entry);
            if (entry.rows > 1 && !entry.compacting) await compact(entry);
          } finally {
            clearTimer(entry);
            if (entries.get(room) === entry) entries.delete(room);
          }
        },
      };
      return link;
    },
    async close() {
      const all = [...entries.values()];
      const results = await Promise.allSettled(all.map((e) => flushEntry(e)));
      for (const r of results) if (r.status === "rejected") log(String(r.reason instanceof Error ? r.reason.message : r.reason));
      closed = true;
      clearInterval(heartbeat);
      entries.clear();
      await listener?.end().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
    async abandon() {
      closed = true;
      clearInterval(heartbeat);
      for (const e of entries.values()) {
        clearTimer(e);
        e.pending = [];
      }
      entries.clear();
      await listener?.end().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}
