/**
 * Room storage in Postgres: the `SyncUpdate` table is an append-only log per room. An append and
 * its announcement are one statement (`INSERT` + `pg_notify`), so the other processes hear of a
 * row exactly when it is committed. Compaction merges, in one transaction under an advisory lock
 * per room, the rows it read into the newest of them (`compacted = true`) and deletes exactly the
 * others: a row committed after the read (ids are not commit-ordered) stays.
 */
import pg from "pg";
import { mergeLog, type RoomStorage } from "./storage";

export interface PgStorageOptions {
  pool: pg.Pool;
  /** Written to `SyncUpdate.origin`: which process stored a row. */
  origin: string;
}

function bytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function createPgStorage({ pool, origin }: PgStorageOptions): RoomStorage {
  return {
    async load(room) {
      const r = await pool.query<{ data: Buffer }>(`SELECT data FROM "SyncUpdate" WHERE room = $1 ORDER BY id`, [room]);
      return r.rows.map((row) => bytes(row.data));
    },
    async append(room, update, announce) {
      // A data-modifying WITH runs whether or not the query reads it: one statement, one commit.
      await pool.query(
        `WITH ins AS (INSERT INTO "SyncUpdate" (room, data, origin) VALUES ($1, $2, $3))
         SELECT pg_notify(c, p) FROM unnest($4::text[], $5::text[]) AS t(c, p)`,
        [room, Buffer.from(update.buffer, update.byteOffset, update.byteLength), origin, announce.map((n) => n.channel), announce.map((n) => n.payload)],
      );
    },
    async compact(room) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`statescope_sync:${room}`]);
        const r = await client.query<{ id: string; data: Buffer }>(`SELECT id::text AS id, data FROM "SyncUpdate" WHERE room = $1 ORDER BY id`, [room]);
        if (r.rows.length > 1) {
          const merged = mergeLog(r.rows.map((row) => bytes(row.data)));
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
