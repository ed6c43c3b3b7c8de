import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { pgPool } from "../db/client";
import { defineJob } from "./define";
import { enqueue, enqueueAll } from "./enqueue";

const PROBE_JOB = defineJob("test:probe", z.object({ n: z.number().int().min(0), note: z.string().default("none") }));

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => {
  await t?.drop();
});

async function queued(): Promise<{ n: number; note: string; key: string | null; maxAttempts: number }[]> {
  const r = await pgPool(t.db).query<{ payload: { n: number; note: string }; key: string | null; max_attempts: number }>(
    `select j.payload, j.key, j.max_attempts from graphile_worker._private_jobs j join graphile_worker._private_tasks k on k.id = j.task_id
      where k.identifier = $1 order by j.id`,
    [PROBE_JOB.name],
  );
  return r.rows.map((x) => ({ ...x.payload, key: x.key, maxAttempts: x.max_attempts }));
}

async function clear(): Promise<void> {
  await pgPool(t.db).query("delete from graphile_worker._private_jobs");
}

describe("enqueue", () => {
  it("installs graphile-worker's schema on first use and queues the parsed payload with its spec", async () => {
    const schema = await pgPool(t.db).query("select 1 from pg_namespace where nspname = 'graphile_worker'");
    expect(schema.rowCount).toBe(0); // a fresh database: no worker ever ran on it
    await enqueue(PROBE_JOB, { n: 1 }, { db: t.db, maxAttempts: 2, jobKey: "probe:1" });
    expect(await queued()).toEqual([{ n: 1, note: "none", key: "probe:1", maxAttempts: 2 }]);
    await clear();
  });

  it("refuses a payload its schema rejects, and queues nothing", async () => {
    await expect(enqueue(PROBE_JOB, { n: -1 }, { db: t.db })).rejects.toThrow(/n/);
    await expect(enqueueAll(PROBE_JOB, [{ payload: { n: 1 } }, { payload: { n: 1.5 } }], { db: t.db })).rejects.toThrow();
    expect(await queued()).toEqual([]);
  });

  it("inside a node-postgres transaction: the jobs exist iff it commits", async () => {
    const c = await pgPool(t.db).connect();
    try {
      await c.query("begin");
      await enqueueAll(PROBE_JOB, [{ payload: { n: 1 }, jobKey: "a" }, { payload: { n: 2 }, jobKey: "b" }], { tx: c });
      await c.query("rollback");
      expect(await queued()).toEqual([]);
      await c.query("begin");
      await enqueueAll(PROBE_JOB, [{ payload: { n: 3 }, jobKey: "c" }, { payload: { n: 4, note: "x" } }], { tx: c, maxAttempts: 5 });
      expect(await queued()).toEqual([]); // not visible before the commit
      await c.query("commit");
    } finally {
      c.release();
    }
    expect(await queued()).toEqual([
      { n: 3, note: "none", key: "c", maxAttempts: 5 },
      { n: 4, note: "x", key: null, maxAttempts: 5 },
    ]);
    await clear();
  });

  it("inside a Prisma transaction: the job exists iff it commits", async () => {
    await t.db
      .$transaction(async (tx) => {
        await enqueue(PROBE_JOB, { n: 7 }, { tx });
        throw new Error("roll back");
      })
      .catch(() => undefined);
    expect(await queued()).toEqual([]);
    await t.db.$transaction(async (tx) => enqueue(PROBE_JOB, { n: 8 }, { tx, jobKey: "p" }));
    expect(await queued()).toEqual([{ n: 8, note: "none", key: "p", maxAttempts: 25 }]);
    await clear();
  });

  it("a job key keeps one queued job per key", async () => {
    for (let i = 0; i < 3; i++) await enqueue(PROBE_JOB, { n: i }, { db: t.db, jobKey: "same" });
    expect(await queued()).toEqual([{ n: 2, note: "none", key: "same", maxAttempts: 25 }]);
    await clear();
  });

  it("uses the database client's pool: queueing jobs opens no connection of its own", async () => {
    // sessions: connections ever opened to this database (a pool per job would add one per job)
    const sessions = async () => {
      await pgPool(t.db).query("select pg_stat_force_next_flush()");
      return Number((await pgPool(t.db).query<{ n: string }>("select sessions as n from pg_stat_database where datname = current_database()")).rows[0]!.n);
    };
    await enqueue(PROBE_JOB, { n: 0 }, { db: t.db });
    const before = await sessions();
    for (let i = 1; i <= 40; i++) await enqueue(PROBE_JOB, { n: i }, { db: t.db });
    expect(await sessions()).toBe(before);
    expect(await queued()).toHaveLength(41);
    await clear();
  });
});
