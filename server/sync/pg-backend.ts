/**
 * The sync process's backend: rooms stored in Postgres (storage-pg.ts) and relayed between sync
 * processes over Postgres NOTIFY/LISTEN (relay.ts on the process's one pub/sub connection), with
 * the batching of backend.ts. One pool serves the writes, the reads and the publishing.
 */
import pg from "pg";
import { createPgPubSub } from "@/server/pubsub/pg";
import { createBackend, type SyncBackend } from "./backend";
import { createRelay } from "./relay";
import { createPgStorage } from "./storage-pg";

export interface PgBackendOptions {
  connectionString: string;
  /** Longest time a received update waits before it is written (ms, ≤ 50). */
  flushMs?: number;
  /** Compact a room once it has more rows than this. */
  compactRows?: number;
  /** Identifies this process in `SyncUpdate.origin` and in relayed messages. */
  origin?: string;
  log?: (line: string) => void;
}

export function createPgBackend(opts: PgBackendOptions): SyncBackend {
  const log = opts.log ?? (() => undefined);
  const pool = new pg.Pool({ connectionString: opts.connectionString, max: 8 });
  pool.on("error", () => undefined); // an idle connection dropped by the server; the next query reconnects
  const pubsub = createPgPubSub({ connectionString: opts.connectionString, pool, log });
  const relay = createRelay(pubsub, { origin: opts.origin, log });
  return createBackend({
    storage: createPgStorage({ pool, origin: relay.origin, log }),
    relay,
    flushMs: opts.flushMs,
    compactRows: opts.compactRows,
    log,
    async release() {
      await pubsub.close();
      await pool.end().catch(() => undefined);
    },
  });
}
