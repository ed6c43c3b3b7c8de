/**
 * What a room needs from storage and from the other sync processes, behind one interface so the
 * room logic (rooms.ts) knows nothing about either: `createBackend` joins a RoomStorage
 * (storage.ts) and a RoomRelay (relay.ts) and batches the writes.
 *
 * Local updates are merged into one stored update per batch: the first update after a quiet
 * spell is written at once, later ones at most every `flushMs` (≤ 50 ms, default 20). Batches
 * are sent without waiting for the previous commit, so a slow commit holds nothing back. A crash
 * of this process therefore loses at most the updates received in the last `flushMs` (plus any
 * write not yet handed to storage, normally well under a millisecond): the bound is 50 ms at the
 * maximum setting. A failed write keeps its updates in memory and retries them with the next
 * batch, so nothing older is ever dropped. A room with more than `compactRows` stored updates is
 * compacted, and again when it unloads.
 */
import * as Y from "yjs";
import type { RelayRoom, RoomRelay, RoomSignal } from "./relay";
import { mergeUpdatesYielding, type RoomStorage } from "./storage";

/** What the backend calls on a loaded room. */
export interface RoomPeer {
  /**
   * Apply a document update written by another process (broadcast locally, not stored again).
   * `live`: it just arrived through the relay (one batch of that process), rather than re-read.
   */
  applyRelayed(update: Uint8Array, live?: boolean): void;
  /** Apply an awareness update from another process's clients. */
  applyRelayedAwareness(update: Uint8Array): void;
  /** Remove the presence of clients relayed from a process that is gone (not relayed again). */
  dropRelayedClients(clientIds: number[]): void;
  /** Awareness of this process's own clients (for a process that just loaded the room), or null. */
  localAwareness(): Uint8Array | null;
  /** A signal for the room's staff from outside the sync processes (relay.ts ROOM_SIGNALS). */
  signal?(signal: RoomSignal): void;
}

/** A loaded room's connection to storage and to the other processes. */
export interface RoomLink {
  /** The stored updates that make up the room's document when it was loaded. */
  readonly stored: readonly Uint8Array[];
  /** Persist a local update: appended in a small batch, then announced to the other processes. */
  store(update: Uint8Array): void;
  /** Relay a local awareness update (presence) to the other processes. */
  publishAwareness(update: Uint8Array): void;
  /** Write whatever is pending now. */
  flush(): Promise<void>;
  /** Flush, compact when worthwhile, and stop receiving relayed updates for this room. */
  close(): Promise<void>;
}

export interface SyncBackend {
  /** This process, as the other processes know it. */
  readonly origin: string;
  /** Load a room; relayed updates for it reach `peer` from the moment this is called. */
  open(room: string, peer: RoomPeer): Promise<RoomLink>;
  /** Flush every room and release connections. */
  close(): Promise<void>;
}

export interface BackendOptions {
  storage: RoomStorage;
  relay: RoomRelay;
  /** Longest time a received update waits before it is written (ms, ≤ 50; default 20). */
  flushMs?: number;
  /** Compact a room once it has more stored updates than this (default 1000). */
  compactRows?: number;
  log?: (line: string) => void;
  /** Runs after every room is flushed and the relay closed (release pools, connections). */
  release?: () => Promise<void>;
}

interface Entry {
  room: string;
  relay: RelayRoom;
  pending: Uint8Array[];
  timer: NodeJS.Immediate | NodeJS.Timeout | null;
  /** Batch writes not yet answered. */
  inflight: Set<Promise<boolean>>;
  lastFlushAt: number;
  failures: number;
  /** Stored updates of this room we know of since the last compaction. */
  rows: number;
  compacting: boolean;
  reloading: boolean;
}

export function createBackend(opts: BackendOptions): SyncBackend {
  const { storage, relay } = opts;
  const flushMs = Math.min(opts.flushMs ?? 20, 50);
  const compactRows = opts.compactRows ?? 1000;
  const log = opts.log ?? (() => undefined);
  const entries = new Map<string, Entry>();
  /** Rooms between open() and their first read. */
  const opening = new Set<string>();
  let closed = false;
  const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

  // Batches are written without waiting for the previous one to commit (Yjs updates commute, and a
  // loaded room applies stored updates in any order): a slow commit never holds later batches back,
  // so what is at risk in a crash of this process is only what waits for the next batch.
  /**
   * Write the entry's pending updates once `flushMs` has passed since the last write (500 ms after a
   * failure). `soon`: when that time has already passed, in this turn rather than the next — the
   * first update after a quiet spell is written (and announced to the other processes) now, not
   * after what this turn of the event loop has queued.
   */
  function scheduleFlush(entry: Entry, soon = false): void {
    if (entry.timer || entry.pending.length === 0 || closed) return;
    const wait = entry.lastFlushAt + (entry.failures > 0 ? 500 : flushMs) - Date.now();
    if (soon && wait <= 0 && entry.failures === 0) return void runFlush(entry);
    entry.timer = wait <= 0 ? setImmediate(() => void runFlush(entry)) : setTimeout(() => void runFlush(entry), wait);
  }

  function clearTimer(entry: Entry): void {
    if (!entry.timer) return;
    clearTimeout(entry.timer as NodeJS.Timeout);
    clearImmediate(entry.timer as NodeJS.Immediate);
    entry.timer = null;
  }

  /** Write the pending updates as one; resolves true when it was stored. */
  function runFlush(entry: Entry): Promise<boolean> {
    clearTimer(entry);
    const batch = entry.pending;
    if (batch.length === 0) return Promise.resolve(true);
    entry.pending = [];
    entry.lastFlushAt = Date.now();
    const data = batch.length === 1 ? batch[0]! : Y.mergeUpdates(batch);
    const write: Promise<boolean> = storage
      .append(entry.room, data, entry.relay.announce(data))
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
          if (!closed) log(`room ${entry.room}: storing ${data.length} bytes failed (${message(e)}): retrying`);
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

  async function compact(entry: Entry): Promise<void> {
    entry.compacting = true;
    try {
      await storage.compact(entry.room);
      entry.rows = 1;
    } catch (e) {
      log(`room ${entry.room}: compaction failed (${message(e)}); the log is intact`);
    } finally {
      entry.compacting = false;
    }
  }

  /** Re-read the whole room (updates were missed); applying what the room has already is harmless. */
  async function reload(entry: Entry, peer: RoomPeer): Promise<void> {
    if (entry.reloading) return;
    entry.reloading = true;
    try {
      const all = await storage.load(entry.room);
      if (entries.get(entry.room) !== entry) return;
      entry.rows = all.length;
      if (all.length === 0) return;
      // one update, merged in any order (applying an out-of-order log one by one is quadratic: storage.ts)
      const merged = await mergeUpdatesYielding(all);
      if (entries.get(entry.room) === entry) peer.applyRelayed(merged);
    } catch (e) {
      if (!closed) log(`room ${entry.room}: re-reading the room failed: ${message(e)}`);
    } finally {
      entry.reloading = false;
    }
  }

  return {
    origin: relay.origin,
    async open(room, peer) {
      if (closed) throw new Error("the sync backend is closed");
      if (entries.has(room) || opening.has(room)) throw new Error(`room ${room} is already open in this process`);
      opening.add(room);
      let entry: Entry | undefined;
      try {
        // Joined first, so every update stored after the read below is announced to us.
        const joined = await relay.join(room, {
          update(update) {
            peer.applyRelayed(update, true);
            if (entry) entry.rows++;
          },
          reload: () => void (entry && reload(entry, peer)),
          presence: (update) => peer.applyRelayedAwareness(update),
          dropClients: (ids) => peer.dropRelayedClients(ids),
          localPresence: () => peer.localAwareness(),
          signal: (signal) => peer.signal?.(signal),
        });
        const e: Entry = (entry = { room, relay: joined, pending: [], timer: null, inflight: new Set(), lastFlushAt: 0, failures: 0, rows: 0, compacting: false, reloading: false });
        entries.set(room, e);
        let stored: Uint8Array[];
        try {
          stored = await storage.load(room);
        } catch (err) {
          joined.leave();
          entries.delete(room);
          throw err;
        }
        e.rows = stored.length;
        return {
          stored,
          store(update) {
            if (update.length === 0) return;
            e.pending.push(update);
            scheduleFlush(e, true);
          },
          publishAwareness: (update) => joined.publishPresence(update),
          flush: () => flushEntry(e),
          async close() {
            try {
              await flushEntry(e);
              if (e.rows > 1 && !e.compacting) await compact(e);
            } finally {
              clearTimer(e);
              joined.leave();
              if (entries.get(room) === e) entries.delete(room);
            }
          },
        };
      } finally {
        opening.delete(room);
      }
    },
    async close() {
      const results = await Promise.allSettled([...entries.values()].map((e) => flushEntry(e)));
      for (const r of results) if (r.status === "rejected") log(message(r.reason));
      closed = true;
      for (const e of entries.values()) clearTimer(e);
      entries.clear();
      await relay.close();
      await opts.release?.();
    },
  };
}
