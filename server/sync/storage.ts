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

/** The merge of a room's updates as one update (what compaction stores). */
export function mergeLog(updates: readonly Uint8Array[]): Uint8Array {
  const doc = new Y.Doc();
  for (const u of updates) Y.applyUpdate(doc, u);
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
      logs.set(room, [mergeLog(log)]);
    },
  };
}
