/**
 * Replies on a slow disk: a reply is acknowledged only once it is on disk, but its live event does
 * not wait for the disk — nor for anyone else's flush (Postgres serialises the commits of all
 * transactions that NOTIFY, flush included: a reply that NOTIFYs in a durable commit made every
 * other reply's commit, and every other announcement, queue behind its fsync).
 *
 * The slow disk is Postgres's own `commit_delay` (with `commit_siblings = 0`, every WAL flush of
 * a commit sleeps 100 ms first), set on this test's database before any connection opens.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerFor, collabFixture, type CollabFixture } from "../../tests/fixtures/collab";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { pgPool } from "../db/client";
import { RECORD_EVENTS } from "../services/records/common";

const FLUSH_DELAY_MS = 100;

let t: TestDatabase;
let fx: CollabFixture;
let as: ReturnType<typeof callerFor>;

beforeAll(async () => {
  t = await freshDatabase();
  const admin = new pg.Client({ connectionString: t.url });
  await admin.connect();
  const name = new URL(t.url).pathname.slice(1);
  await admin.query(`ALTER DATABASE ${name} SET commit_delay = ${FLUSH_DELAY_MS * 1000}`);
  await admin.query(`ALTER DATABASE ${name} SET commit_siblings = 0`);
  await admin.end();
  fx = await collabFixture(t.db, "durable");
  as = callerFor(t);
});
afterAll(async () => {
  await t.drop();
  await fx?.cleanup();
});

describe("replies on a slow disk", () => {
  it("acknowledge each reply once it is on disk, without holding the others' commits or the live events behind each flush", async () => {
    const th = await as(fx.users.editor).comment.createThread({
      workspace: fx.ws,
      datasetId: fx.datasetId,
      anchor: { kind: "range", source: "states::states1", start: 0, end: 2, cells: [] },
      body: "slow disk",
      idempotencyKey: randomUUID(),
    });
    const arrived = new Map<string, number>();
    const unsubscribe = await t.pubsub.subscribe(RECORD_EVENTS, { message: (m) => m.kind === "comment" && arrived.set(m.id, performance.now()) });
    try {
      // the pool's connections are open (opening one is not what this measures); one per reply
      const pool = pgPool(t.db);
      const clients = await Promise.all(Array.from({ length: 10 }, () => pool.connect()));
      for (const c of clients) c.release();

      // the durable commit of a write on this database waits for the slow disk
      const t0 = performance.now();
      await pool.query(`UPDATE "CommentThread" SET "updatedAt" = now() WHERE id = $1`, [th.id]);
      const oneFlush = performance.now() - t0;
      expect(oneFlush).toBeGreaterThanOrEqual(FLUSH_DELAY_MS * 0.9);

      // ten members' replies at once, as a busy thread gets them
      const n = 10;
      const start = performance.now();
      const replies = await Promise.all(
        Array.from({ length: n }, async (_, i) => {
          const r = await as(i % 2 ? fx.users.editor2 : fx.users.viewer).comment.reply({ workspace: fx.ws, threadId: th.id, body: `reply ${i}`, idempotencyKey: randomUUID() });
          return { id: r.id, at: performance.now() };
        }),
      );
      await expect.poll(() => replies.every((r) => arrived.has(r.id)), { timeout: 10_000 }).toBe(true);

      // Each reply was acknowledged after a WAL flush that covered it (≥ the delay)…
      for (const r of replies) expect(r.at - start).toBeGreaterThanOrEqual(FLUSH_DELAY_MS * 0.9);
      // …but neither the replies nor their events went one flush after another: had each reply
      // committed durably with its NOTIFY, the last would have come no sooner than n flushes
      // (n × 100 ms = 1 s, more on a loaded machine, where one flush measured above takes longer).
      // On a quiet machine the last reply is acknowledged after ≈ 230 ms and the last event after ≈ 25.
      const serial = n * Math.max(FLUSH_DELAY_MS, oneFlush);
      expect(Math.max(...replies.map((r) => arrived.get(r.id)!)) - start).toBeLessThan(serial * 0.8);
      expect(Math.max(...replies.map((r) => r.at)) - start).toBeLessThan(serial * 0.8);
      expect(await t.db.comment.count({ where: { threadId: th.id } })).toBe(n + 1);
    } finally {
      unsubscribe();
    }
  });
});
