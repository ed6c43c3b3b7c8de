/**
 * A backend in this process's memory: storage and relay on an in-memory pub/sub hub. Several
 * backends on one hub behave as several sync processes on one database (the relay's and the
 * storage's contract suite proves the parts behave as the Postgres ones do). For unit-level
 * room tests; the sync process and its integration tests use Postgres.
 */
import type { MemoryHub } from "@/server/pubsub/memory";
import { createBackend, type BackendOptions, type SyncBackend } from "./backend";
import { createRelay, type RelayOptions } from "./relay";
import { createMemoryStorage, type RoomStorage } from "./storage";

/** `storage`: share one between backends of the same "database" (default: a new one). */
export function createMemoryBackend(hub: MemoryHub, opts: RelayOptions & Pick<BackendOptions, "flushMs" | "compactRows"> & { storage?: RoomStorage } = {}): SyncBackend {
  const pubsub = hub.connect({ log: opts.log });
  return createBackend({
    storage: opts.storage ?? createMemoryStorage(hub),
    relay: createRelay(pubsub, opts),
    flushMs: opts.flushMs,
    compactRows: opts.compactRows,
    log: opts.log,
    release: () => pubsub.close(),
  });
}
