/**
 * Room storage: each room's document as an append-only log of Yjs updates, compacted now and
 * then. Postgres in production (storage-pg.ts); in memory here, for unit-level tests and one
 * process alone. Both run through the same contract suite (contract.int.test.ts).
 */
import * as Y from "yjs";
import type { MemoryHub } from "@/server/pubsub/memory";
import type { Notification } from "@/server/pubsub/pubsub";

export interface RoomStorage {
  /** The room's stored updates, oldest first (the document is their merge); [] for a new room. */
  load(room: string): Promise<Uint8Array[]>;
  /**
   * Append one update. `announce` is published exactly when the update is committed (a load
   * finds it from then on), in one delivery, and never for an update that was not (the relay's
   * way of telling the other processes); it does not wait for the disk. Resolves once the update
   * is durable. Rejects when the write fails: before the commit having stored and announced
   * nothing; after it (the database went away before the update reached its disk) the update may
   * or may not survive, so the caller appends it again (Yjs updates are idempotent).
   */
  append(room: string, update: Uint8Array, announce: readonly Notification[]): Promise<void>;
  /**
   * Merge the room's updates into one. An update appended while this runs is kept beside the
   * merged one, never lost; a failure leaves the log as it was.
   */
  compact(room: string): Promise<void>;
}

/** How many updates one `Y.mergeUpdates` call of `mergeUpdatesYielding` takes (≈ 1–2 ms each). */
const MERGE_SLICE = 64;

/**
 * Updates merged into one without applying them one by one: a log whose rows are not in causal
 * order (row ids are not commit order, and two writes of one process may commit out of order)
 * makes each `applyUpdate` re-merge Yjs's pending structs with the next, which grows
 * quadratically — 0.7–0.9 s of one blocked event loop for 1,000 rows, measured in `bench:sync`.
 * `Y.mergeUpdates` takes any order in one pass; it runs a slice at a time, yielding to the event
 * loop between slices so a room's compaction never holds up its deliveries.
 */
export async function mergeUpdatesYielding(updates: readonly Uint8Array[]): Promise<Uint8Array> {
  let level = [...updates];
  if (level.length === 0) return Y.encodeStateAsUpdate(new Y.Doc());
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += MERGE_SLICE) {
      const slice = level.slice(i, i + MERGE_SLICE);
      next.push(slice.length === 1 ? slice[0]! : Y.mergeUpdates(slice));
      await new Promise<void>((ok) => setImmediate(ok));
    }
    level = next;
  }
  return level[0]!;
}

/**
 * The merge of a room's updates as one update (what compaction stores): merged in any order
 * (mergeUpdatesYielding), then applied once to a document so that what was overwritten or
 * deleted is garbage-collected in the stored state.
 */
export async function mergeLog(updates: readonly Uint8Array[]): Promise<Uint8Array> {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, await mergeUpdatesYielding(updates));
  const merged = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  return merged;
}

/** Storage in this process's memory; announcements go out on `hub`, the pub/sub its relays use. */
export function createMemoryStorage(hub: MemoryHub): RoomStorage {
  const logs = new Map<string, Uint8Array[]>();
  return {
    async load(room) {
      return [...(logs.get(room) ?? [])];
    },
    async append(room, update, announce) {
      const log = logs.get(room) ?? [];
      log.push(update.slice());
      logs.set(room, log);
      hub.deliver(announce);
    },
    async compact(room) {
      const log = logs.get(room);
      if (!log || log.length < 2) return;
      const n = log.length;
      const merged = await mergeLog(log.slice(0, n));
      // updates appended while the merge yielded stay beside it
      const now = logs.get(room) ?? [];
      logs.set(room, [merged, ...(now === log ? now.slice(n) : now)]);
    },
  };
}
