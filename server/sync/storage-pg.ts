/**
 * Room storage in Postgres: the `SyncUpdate` table is an append-only log per room. An append and
 * its announcement are one statement (`INSERT` + `pg_notify`), so the other processes hear of a
 * row exactly when it is committed. Compaction merges, in one transaction under an advisory lock
 * per room, the rows it read into the newest of them (`compacted = true`) and deletes exactly the
 * others: a row committed after the read (ids are not commit-ordered) stays.
 *
 * That statement commits without waiting for the WAL to reach the disk (`synchronous_commit` off
 * for it alone), and the append resolves only after a durable commit that started later (a
 * "WAL barrier": WAL is flushed in order, so it covers every commit before it). The relay must
 * not wait for the disk: Postgres serialises the commits of all transactions that NOTIFY (one
 * cluster-wide lock, held until the commit is done, WAL flush included), so with a durable
 * commit every announcement of every sync process queued behind each fsync, and one slow fsync
 * (a checkpoint, a busy disk) held every other process's deliveries for hundreds of
 * milliseconds. Now the lock is held for the commit without the flush, and the flushes are
 * shared: one barrier at a time per process covers all the appends committed before it began.
 * If the database crashes before the barrier, the append rejects and the caller writes the
 * update again (appending an update twice is harmless: Yjs updates are idempotent).
 */
import pg from "pg";
import { createWalBarrier } from "@/server/db/wal-barrier";
import { mergeLog, type RoomStorage } from "./storage";

export interface PgStorageOptions {
  pool: pg.Pool;
  /** Written to `SyncUpdate.origin`: which process stored a row. */
  origin: string;
  log?: (line: string) => void;
}

function bytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function createPgStorage({ pool, origin, log = () => undefined }: PgStorageOptions): RoomStorage {
  const barrier = createWalBarrier(pool, (why) => log(`sync storage: ${why}: appends commit durably from now on, and relayed updates wait for the disk`));

  return {
    async load(room) {
      const r = await pool.query<{ data: Buffer }>(`SELECT data FROM "SyncUpdate" WHERE room = $1 ORDER BY id`, [room]);
      return r.rows.map((row) => bytes(row.data));
    },
    async append(room, update, announce) {
      // A data-modifying WITH runs whether or not the query reads it: one statement, one commit,
      // which does not wait for the WAL flush (set_config(…, true): this transaction only; the
      // insert reads it, so it is always evaluated); the barrier after it does.
      const later = barrier.commitSetting;
      await pool.query(
        `WITH async AS (SELECT set_config('synchronous_commit', coalesce($6, current_setting('synchronous_commit')), true)),
              ins AS (INSERT INTO "SyncUpdate" (room, data, origin) SELECT $1::text, $2::bytea, $3::text FROM async)
         SELECT pg_notify(c, p) FROM unnest($4::text[], $5::text[]) AS t(c, p)`,
        [room, Buffer.from(update.buffer, update.byteOffset, update.byteLength), origin, announce.map((n) => n.channel), announce.map((n) => n.payload), later],
      );
      if (later) await barrier.durable();
    },
    async compact(room) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`statescope_sync:${room}`]);
        const r = await client.query<{ id: string; data: Buffer }>(`SELECT id::text AS id, data FROM "SyncUpdate" WHERE room = $1 ORDER BY id`, [room]);
        if (r.rows.length > 1) {
          const merged = await mergeLog(r.rows.map((row) => bytes(row.data)));
          const last = r.rows[r.rows.length - 1]!.id;
          await client.query(`UPDATE "SyncUpdate" SET data = $1, compacted = true WHERE id = $2::bigint`, [Buffer.from(merged), last]);
          await client.query(`DELETE FROM "SyncUpdate" WHERE id = ANY($1::bigint[])`, [r.rows.slice(0, -1).map((row) => row.id)]);
        }
        await client.query("COMMIT");
      } catch (e) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
  };
}
