/**
 * Postgres room storage against a slow disk: relayed updates must not wait for the WAL flush,
 * and an append must still not resolve before its update is on disk.
 *
 * The slow disk is Postgres's own `commit_delay` (with `commit_siblings = 0`, every WAL flush of
 * a commit sleeps 100 ms first), set on this test's database so that every connection the
 * storage and the pub/sub open has it.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { createPgPubSub } from "../pubsub/pg";
import type { PubSub } from "../pubsub/pubsub";
import { createRelay, type RelayPeer } from "./relay";
import { createPgStorage } from "./storage-pg";

const FLUSH_DELAY_MS = 100;

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
  const name = new URL(t.url).pathname.slice(1);
  await t.db.$executeRawUnsafe(`ALTER DATABASE ${name} SET commit_delay = ${FLUSH_DELAY_MS * 1000}`);
  await t.db.$executeRawUnsafe(`ALTER DATABASE ${name} SET commit_siblings = 0`);
});
afterAll(async () => {
  await t.drop();
});

function update(key: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getMap("m").set(key, 1);
  return Y.encodeStateAsUpdate(doc);
}

describe("Postgres room storage on a slow disk", () => {
  it("relays appends without waiting for the WAL flush, and resolves each append only once it is flushed", async () => {
    const pool = new pg.Pool({ connectionString: t.url, max: 4 });
    const ends: PubSub[] = [createPgPubSub({ connectionString: t.url, pool }), createPgPubSub({ connectionString: t.url, pool })];
    const [a, b] = ends.map((end, i) => createRelay(end, { origin: `process-${i}-${randomBytes(2).toString("hex")}` }));
    try {
      // the slow disk is in place: a durable commit on a fresh connection waits for it
      const c = new pg.Client({ connectionString: t.url });
      await c.connect();
      const t0 = performance.now();
      await c.query(`INSERT INTO "SyncUpdate" (room, data, origin) VALUES ('probe', '\\x00', 'probe')`);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(FLUSH_DELAY_MS * 0.9);
      await c.end();

      const storage = createPgStorage({ pool, origin: "slow-disk" });
      const room = `ws:slow:${randomBytes(4).toString("hex")}`;
      const arrived: number[] = [];
      const peer = (onUpdate: (u: Uint8Array) => void): RelayPeer => ({
        update: onUpdate,
        reload: () => undefined,
        presence: () => undefined,
        dropClients: () => undefined,
        localPresence: () => null,
      });
      const ja = await a!.join(room, peer(() => undefined));
      await b!.join(room, peer(() => arrived.push(performance.now())));

      // the pool's connections are open (opening one is not what this measures)
      await Promise.all(Array.from({ length: 4 }, () => pool.query("SELECT 1")));

      // ten batches at once, as a busy room sends them (without waiting for each other's commits)
      const n = 10;
      const start = performance.now();
      const resolvedAt = await Promise.all(
        Array.from({ length: n }, async (_, i) => {
          const u = update(`k${i}`);
          await storage.append(room, u, ja.announce(u));
          return performance.now();
        }),
      );
      await expect.poll(() => arrived.length, { timeout: 10_000 }).toBe(n);

      // Each append waited for a WAL flush (≥ the delay)…
      for (const at of resolvedAt) expect(at - start).toBeGreaterThanOrEqual(FLUSH_DELAY_MS * 0.9);
      // …but the deliveries did not. Had the announcements waited for the flush, Postgres would have
      // delivered them one flush after another (commits that NOTIFY are serialised, flush included):
      // the last no sooner than n × 100 ms = 1 s after the start.
      const last = Math.max(...arrived) - start;
      expect(last).toBeLessThan((n * FLUSH_DELAY_MS) / 2);
      expect(await storage.load(room)).toHaveLength(n);
    } finally {
      await Promise.all([a!.close(), b!.close()]);
      await Promise.all(ends.map((e) => e.close()));
      await pool.end();
    }
  });
});

describe("Postgres room storage where the WAL barrier is refused", () => {
  it("says so once, and from then on stores every append with a durable commit", async () => {
    const role = `sync_${randomBytes(3).toString("hex")}`;
    // a role that may write the table but not run the barrier's function (function rights are per database)
    await t.db.$executeRawUnsafe(`CREATE ROLE ${role} LOGIN PASSWORD 'pw'`);
    await t.db.$executeRawUnsafe(`GRANT ALL ON "SyncUpdate" TO ${role}`);
    await t.db.$executeRawUnsafe(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
    await t.db.$executeRawUnsafe(`REVOKE EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, text, boolean) FROM PUBLIC`);
    const u = new URL(t.url);
    u.username = role;
    u.password = "pw";
    const pool = new pg.Pool({ connectionString: u.toString(), max: 2 });
    const logs: string[] = [];
    try {
      const storage = createPgStorage({ pool, origin: "no-barrier", log: (l) => logs.push(l) });
      const room = `ws:refused:${randomBytes(4).toString("hex")}`;
      await expect(storage.append(room, update("first"), [])).rejects.toThrow(/permission denied/);
      await storage.append(room, update("second"), []);
      const t0 = performance.now();
      await storage.append(room, update("third"), []);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(FLUSH_DELAY_MS * 0.9); // a durable commit (this database's slow disk)
      expect(logs.filter((l) => /refuses SELECT pg_logical_emit_message.*appends commit durably from now on/.test(l))).toHaveLength(1);
      // the first append was committed before its barrier failed: the caller writes it again, which is harmless
      expect(await storage.load(room)).toHaveLength(3);
    } finally {
      await pool.end();
      await t.db.$executeRawUnsafe(`GRANT EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, text, boolean) TO PUBLIC`);
      await t.db.$executeRawUnsafe(`REVOKE ALL ON "SyncUpdate" FROM ${role}`);
      await t.db.$executeRawUnsafe(`REVOKE USAGE ON ALL SEQUENCES IN SCHEMA public FROM ${role}`);
      await t.db.$executeRawUnsafe(`DROP ROLE ${role}`);
    }
  });
});
