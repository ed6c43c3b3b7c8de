/**
 * The persisted on/off bit index (issue 15) on a real Postgres: written by the dataset writer at
 * the default threshold; at a new threshold, the query is answered from the floats first and a
 * follow-up `match:index` job persists the index afterwards, once (two builds at the same time:
 * one builds under the advisory lock, the other waits and finds it); and a dataset deleted while
 * its index is being built (the build fails with NOT_FOUND, the delete is not held up, nothing is
 * left behind).
 */
import type { Runner } from "graphile-worker";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOnIndex, match, type MatchResult } from "@statescope/core";
import { freshDatabase, type TestDatabase } from "../../../tests/setup/db";
import { deleteWhileWriting, makeRandomDataset } from "../../../tests/setup/random-dataset";
import { startTestWorker } from "../../../tests/setup/worker";
import { loopTurns } from "../../../tests/setup/loop-turns";
import { pgPool } from "../../db/client";
import { resetEnvCache } from "../../env";
import { createCaller } from "../../api/root";
import { findSource } from "../datasets/datasets";
import { createUser } from "../users";
import { createWorkspace } from "../workspaces";
import { BIT_CHUNK_STEPS, bitIndexThresholds } from "../../storage/bit-index-store";
import { MatchEngine } from "./engine";
import { canonicalQuery, ZMatchInput } from "./schemas";

let t: TestDatabase;
let userId: string;
let workspaceId: string;
const saved = { url: process.env.DATABASE_URL, inline: process.env.MATCH_INLINE_VALUES, wait: process.env.MATCH_WAIT_MS };

async function makeDataset(name: string, steps: number, cells: number, seed: number): Promise<{ datasetId: string; data: Float32Array }> {
  return makeRandomDataset(t, { workspaceId, userId }, name, { steps, cells, seed });
}

function reference(data: Float32Array, steps: number, cells: number, q: { cells: number[]; threshold: number; mode: "fast" | "precise" }): MatchResult {
  return match(buildOnIndex({ data, steps, cells }, q.threshold), { ...q, padLeft: 1, padRight: 0, k: 50 });
}

beforeAll(async () => {
  t = await freshDatabase();
  process.env.DATABASE_URL = t.url;
  process.env.MATCH_INLINE_VALUES = "0"; // every query through the queue and the workers
  process.env.MATCH_WAIT_MS = "60000";
  resetEnvCache();
  userId = (await createUser(t.db, { email: "b@bits.test", password: "password1" })).userId;
  workspaceId = (await createWorkspace(t.db, userId, { slug: "bits" })).workspaceId;
});

afterAll(async () => {
  await t.drop();
  for (const [k, v] of [["DATABASE_URL", saved.url], ["MATCH_INLINE_VALUES", saved.inline], ["MATCH_WAIT_MS", saved.wait]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  resetEnvCache();
});

describe("persisted bit index", () => {
  it("is written with the source at the default threshold and read by a worker instead of the floats", async () => {
    const steps = 3000;
    const { datasetId, data } = await makeDataset("default", steps, 40, 1);
    const src = await findSource(t.db, null, datasetId, "h");
    expect(await bitIndexThresholds(pgPool(t.db), src.id)).toEqual([Math.fround(0.3)]);
    // a budget too small to keep the floats decoded: the engine must take the persisted bits
    const engine = new MatchEngine(256 * 1024); // holds the index, too small to keep the floats decoded
    for (const mode of ["fast", "precise"] as const) {
      const q = { cells: [1, 5, 9, 33], threshold: 0.3, mode };
      const got = await engine.run(t.db, canonicalQuery(ZMatchInput.parse({ datasetId, source: "h", ...q, padLeft: 1, padRight: 0, k: 50 })));
      expect(got.result).toEqual(reference(data, steps, 40, q));
    }
    expect(engine.stats).toEqual({ persistedBuilds: 0, persistedLoads: 1, columnCopyBuilds: 0, columnCopyLoads: 0, floatBytesRead: 0 });
  });

  it("completes an index read from the persisted bits in the background after a query (the rows a fast query left, the run table, every cell's columns), in turns of the event loop", async () => {
    const steps = 20_000;
    const cells = 40;
    const { datasetId, data } = await makeDataset("runs", steps, cells, 5);
    const src = await findSource(t.db, null, datasetId, "h");
    type Q = { cells: number[]; threshold: number; mode: "fast" | "precise" };
    // a budget that keeps the index but not the floats; one slice of 4,096 rows per turn
    const engineAndRun = (budget = 8 * 2 ** 20) => {
      const engine = new MatchEngine(budget, { runTableTurnMs: 0 });
      const run = (q: Q) => engine.run(t.db, canonicalQuery(ZMatchInput.parse({ datasetId, source: "h", ...q, padLeft: 1, padRight: 0, k: 50 })));
      return { engine, run };
    };
    // done with nothing else going on in this process (a turn that waited for other I/O to wake the loop would not be)
    const settled = async (engine: MatchEngine) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([engine.backgroundSettled(), new Promise((_, no) => (timer = setTimeout(() => no(new Error("the index was not completed within 10 s")), 10_000)))]);
      clearTimeout(timer);
    };
    // with every bit chunk locked away, queries (on cells not queried before too) are answered all the same
    const answeredFromMemory = async (run: (q: Q) => ReturnType<MatchEngine["run"]>, queries: Q[]) => {
      const admin = new pg.Client({ connectionString: t.url });
      await admin.connect();
      try {
        await admin.query("begin");
        await admin.query(`lock table "BitIndexChunk" in access exclusive mode`);
        for (const q of queries) {
          const got = await Promise.race([run(q), new Promise<never>((_, no) => setTimeout(() => no(new Error(`${q.mode} on cells ${q.cells}: the query waited for the bit chunks`)), 5000))]);
          expect(got.result).toEqual(reference(data, steps, cells, q));
        }
      } finally {
        await admin.query("rollback");
        await admin.end();
      }
    };
    const later: Q[] = [
      { cells: [0, 2, 39], threshold: 0.3, mode: "precise" },
      { cells: [3, 17, 38], threshold: 0.3, mode: "fast" },
    ];

    // after a precise query (it read every row)
    {
      const { engine, run } = engineAndRun();
      const precise: Q = { cells: [1, 5, 9, 33], threshold: 0.3, mode: "precise" };
      expect((await run(precise)).result).toEqual(reference(data, steps, cells, precise));
      expect(engine.runTablesBuilt).toBe(0); // the answer did not wait for it
      await settled(engine);
      expect(engine.runTablesBuilt).toBe(1);
      await answeredFromMemory(run, [precise, ...later]);
      const index = await engine.index(t.db, src, 0.3);
      expect(index.runs).toEqual(buildOnIndex({ data, steps, cells }, 0.3).runs);
      // counted in the cache: the rows, the columns, 8 bytes per run and 4 per step
      expect(engine.cache.bytesUsed).toBeGreaterThanOrEqual(index.rows.byteLength + index.cols.byteLength + 8 * index.runs!.cell.length + 4 * steps);
    }

    // after a fast query (it read its candidates' rows only): the other rows are read first
    {
      const { engine, run } = engineAndRun();
      const fast: Q = { cells: [1, 5, 9], threshold: 0.3, mode: "fast" };
      expect((await run(fast)).result).toEqual(reference(data, steps, cells, fast));
      expect(engine.runTablesBuilt).toBe(0);
      await settled(engine);
      expect(engine.runTablesBuilt).toBe(1);
      await answeredFromMemory(run, [fast, ...later]);
    }

    // within half the budget: 1 MiB holds the rows (160 kB) and every column (100 kB) within its
    // half, not the table (≈ 0.9 MB): the columns are filled, the table is not built
    {
      const { engine, run } = engineAndRun(2 ** 20);
      const precise: Q = { cells: [1, 5, 9, 33], threshold: 0.3, mode: "precise" };
      expect((await run(precise)).result).toEqual(reference(data, steps, cells, precise));
      await settled(engine);
      expect(engine.runTablesBuilt).toBe(0);
      await answeredFromMemory(run, later);
      expect(engine.cache.bytesUsed).toBeLessThanOrEqual(2 ** 19);
      expect((await engine.index(t.db, src, 0.3)).runs).toBeNull();
    }

    // other work runs between the build's turns: an immediate that queues itself again runs once per turn of the loop
    const { engine, run } = engineAndRun();
    await engine.buildPersisted(t.db, src, 0.4);
    const at04: Q = { cells: [2, 3], threshold: 0.4, mode: "precise" };
    expect((await run(at04)).result).toEqual(reference(data, steps, cells, at04));
    const turns = loopTurns();
    await engine.backgroundSettled();
    turns.stop();
    expect(engine.runTablesBuilt).toBe(1);
    // 20,000 rows in slices of 4,096: 4 yields in each of the table's two passes, and 4 between column slices
    expect(turns.count).toBeGreaterThanOrEqual(12);
  });

  it("answers a new threshold from the floats without waiting for its index, which a follow-up job then builds exactly once", { timeout: 180_000 }, async () => {
    const steps = 2 * BIT_CHUNK_STEPS + 700; // three bit chunks
    const cells = 6;
    const { datasetId, data } = await makeDataset("concurrent", steps, cells, 2);
    const src = await findSource(t.db, null, datasetId, "h");
    const indexAt = async (thr: number) =>
      (await pgPool(t.db).query<{ n: number }>(`select count(*)::int as n from "SourceBitIndex" where "sourceId" = $1 and "threshold" = $2::real`, [src.id, Math.fround(thr)])).rows[0]!.n;
    // budgets that keep the source whole (no shards) but too big to keep decoded
    const engines = [new MatchEngine(2 * 2 ** 20), new MatchEngine(2 * 2 ** 20)];
    const runners: Runner[] = [];
    const admin = new pg.Client({ connectionString: t.url });
    await admin.connect();
    const buildsWaiting = async () => (await admin.query(`select 1 from pg_locks l join pg_class c on c.oid = l.relation where c.relname = 'BitIndexChunk' and not l.granted`)).rowCount ?? 0;
    try {
      for (const engine of engines) runners.push(await startTestWorker(t, { engine, concurrency: 1, pollInterval: 200 }));
      // every write of bit chunks waits for this lock: an answer that waited for the index could not come
      await admin.query("begin");
      await admin.query(`lock table "BitIndexChunk" in share mode`);
      const as = createCaller({ db: t.db, pubsub: t.pubsub, actor: { userId }, publicUrl: "http://app.test" });
      const queries = [
        { cells: [0, 2, 3], threshold: 0.05, mode: "precise" as const },
        { cells: [1, 4], threshold: 0.05, mode: "fast" as const },
      ];
      const outs = await Promise.all(queries.map((q) => as.match.run({ workspace: "bits", datasetId, source: "h", ...q, padLeft: 1, padRight: 0, k: 50 })));
      for (const [i, out] of outs.entries()) {
        expect(out.status).toBe("done");
        if (out.status === "done") expect(out.result).toEqual(reference(data, steps, cells, queries[i]!));
        expect(await t.db.matchResult.count({ where: { key: out.key } })).toBe(1);
      }
      expect(await indexAt(0.05)).toBe(0);
      // the follow-up job is writing the index now (held up by the lock), after both answers
      for (let i = 0; (await buildsWaiting()) === 0; i++) {
        if (i > 3000) throw new Error("no match:index job ever tried to write the index");
        await new Promise((ok) => setTimeout(ok, 20));
      }
      expect(await indexAt(0.05)).toBe(0);
      await admin.query("commit");
      for (let i = 0; ; i++) {
        const left = await pgPool(t.db).query(`select count(*)::int as n from graphile_worker.jobs where task_identifier = 'match:index'`);
        if ((await indexAt(0.05)) === 1 && left.rows[0].n === 0) break;
        if (i > 3000) throw new Error("the index at 0.05 never appeared, or its jobs never ended");
        await new Promise((ok) => setTimeout(ok, 20));
      }
      // whichever workers ran the two answers and their follow-up jobs, the index was built once
      expect(engines[0]!.stats.persistedBuilds + engines[1]!.stats.persistedBuilds).toBe(1);
    } finally {
      await admin.end();
      for (const r of runners) await r.stop();
    }
    expect(await indexAt(0.05)).toBe(1);
    // a fresh worker now reads the persisted index, with the same results
    const fresh = new MatchEngine(2 * 2 ** 20);
    const q05 = { cells: [0, 2, 3], threshold: 0.05, mode: "precise" as const };
    const again = await fresh.run(t.db, canonicalQuery(ZMatchInput.parse({ datasetId, source: "h", ...q05, padLeft: 1, padRight: 0, k: 50 })));
    expect(again.result).toEqual(reference(data, steps, cells, q05));
    expect(again.indexFromFloats).toBe(false);
    expect(fresh.stats).toEqual({ persistedBuilds: 0, persistedLoads: 1, columnCopyBuilds: 0, columnCopyLoads: 0, floatBytesRead: 0 });

    // two engines (two workers, two connections) building at the same moment: one builds under
    // the advisory lock, the other waits for it and finds what was committed
    const pair = [new MatchEngine(2 * 2 ** 20), new MatchEngine(2 * 2 ** 20)];
    const builds = await Promise.all(pair.map((e) => e.buildPersisted(t.db, src, -0.1)));
    expect(builds.map((b) => b.built).sort()).toEqual([false, true]);
    expect(builds[0]!.ref).toEqual(builds[1]!.ref);
    const q = { cells: [0, 5], threshold: -0.1, mode: "precise" as const };
    const read = await pair[0]!.run(t.db, canonicalQuery(ZMatchInput.parse({ datasetId, source: "h", ...q, padLeft: 1, padRight: 0, k: 50 })));
    expect(read.result).toEqual(reference(data, steps, cells, q));
    expect(read.indexFromFloats).toBe(false);
    expect(await bitIndexThresholds(pgPool(t.db), src.id)).toEqual([Math.fround(-0.1), Math.fround(0.05), Math.fround(0.3)]);
    const chunks = await pgPool(t.db).query(`select count(*)::int as n from "BitIndexChunk" c join "SourceBitIndex" i on i."id" = c."indexId" where i."sourceId" = $1`, [src.id]);
    expect(chunks.rows[0].n).toBe(9); // three chunks per threshold
  });

  it("fails with NOT_FOUND when the dataset is deleted while its index is being built, without holding up the delete", { timeout: 120_000 }, async () => {
    // 8 state chunks of 16,384 rows per read (forEachStateChunk's batch): the build writes bit chunks from its first read, then reads again
    const steps = 200_000;
    const { datasetId } = await makeDataset("deleted", steps, 4, 3);
    const src = await findSource(t.db, null, datasetId, "h");
    const engine = new MatchEngine(2 * 2 ** 20);
    // the build's first write of bit chunks waits on the table lock: by then it has read floats and is mid-way
    const { deleteMs, outcome: err } = await deleteWhileWriting(t, datasetId, "BitIndexChunk", () => engine.buildPersisted(t.db, src, 0.11));
    expect(deleteMs).toBeLessThan(30_000);
    expect(err).toMatchObject({ code: "NOT_FOUND", message: expect.stringMatching(/source h was deleted while its index at threshold 0\.11 was being built/) });
    const left = await pgPool(t.db).query(`select (select count(*) from "SourceBitIndex" where "sourceId" = $1)::int as i, (select count(*) from "BitIndexChunk")::int as c`, [src.id]);
    expect(left.rows[0].i).toBe(0);
    // the chunks of the rolled-back build are gone; the other datasets' indices remain
    const others = await pgPool(t.db).query(`select count(*)::int as n from "BitIndexChunk" c left join "SourceBitIndex" i on i."id" = c."indexId" where i."id" is null`);
    expect(others.rows[0].n).toBe(0);
  });

  it("answers NOT_FOUND when the dataset is deleted while a query at a never-asked threshold streams its floats", { timeout: 60_000 }, async () => {
    const steps = 5000;
    const cells = 300; // 4.9 MB of floats: more than half the engine's budget, so they are streamed, not kept
    const { datasetId } = await makeDataset("streamed", steps, cells, 4);
    const engine = new MatchEngine(4 * 2 ** 20);
    const q = canonicalQuery(ZMatchInput.parse({ datasetId, source: "h", cells: [1, 2], threshold: 0.21, mode: "precise", padLeft: 1, padRight: 0, k: 50 }));
    // planned against the source, then the dataset goes before the floats are read
    const prepared = await engine.prepare(t.db, null, q);
    await t.db.dataset.delete({ where: { id: datasetId } });
    await expect(engine.runPrepared(t.db, prepared)).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: expect.stringMatching(/source h was deleted while a match at threshold 0\.21 was reading its floats/),
    });
  });
});
