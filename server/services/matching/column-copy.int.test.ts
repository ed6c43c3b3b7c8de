/**
 * The cell-major copy of a source's floats (issue 15, server/storage/DESIGN.md "Session 5") on a
 * real Postgres: written once (two builds at the same time: one writes under the advisory lock, the
 * other finds it), equal to the row chunks, read by a fast query at a threshold never asked before
 * for only its k cells (plus its candidates' rows) with results equal to the reference, and a
 * dataset deleted while its copy is being written ends in NOT_FOUND without holding the delete up.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOnIndex, match, type MatchResult } from "@statescope/core";
import { freshDatabase, type TestDatabase } from "../../../tests/setup/db";
import { deleteWhileWriting, makeRandomDataset } from "../../../tests/setup/random-dataset";
import { pgPool } from "../../db/client";
import { findSource } from "../datasets/datasets";
import { createUser } from "../users";
import { createWorkspace } from "../workspaces";
import { columnChunkRows, hasStateColumns, scanStateColumns } from "../../storage/state-columns";
import { startTestWorker } from "../../../tests/setup/worker";
import { enqueue } from "../../jobs/enqueue";
import { MATCH_COLUMNS_JOB } from "../../jobs/match";
import { MatchEngine } from "./engine";
import { canonicalQuery, ZMatchInput } from "./schemas";

let t: TestDatabase;
let userId: string;
let workspaceId: string;

async function makeDataset(name: string, steps: number, cells: number, seed: number): Promise<{ datasetId: string; data: Float32Array }> {
  return makeRandomDataset(t, { workspaceId, userId }, name, { steps, cells, seed, phi: 0.9, noise: 0.5 });
}

type Q = { cells: number[]; threshold: number; mode: "fast" | "precise" };
const query = (datasetId: string, q: Q) => canonicalQuery(ZMatchInput.parse({ datasetId, source: "h", ...q, padLeft: 1, padRight: 0, k: 50 }));
function reference(data: Float32Array, steps: number, cells: number, q: Q): MatchResult {
  return match(buildOnIndex({ data, steps, cells }, q.threshold), { ...q, padLeft: 1, padRight: 0, k: 50 });
}

beforeAll(async () => {
  t = await freshDatabase();
  userId = (await createUser(t.db, { email: "c@columns.test", password: "password1" })).userId;
  workspaceId = (await createWorkspace(t.db, userId, { slug: "columns" })).workspaceId;
});

afterAll(async () => {
  await t.drop();
});

describe("cell-major copy", () => {
  // 1,024 rows per row chunk at 650 cells, 16,384 per chunk of the copy: 3 of them, the last one short
  const steps = 40_000;
  const cells = 650;
  let datasetId: string;
  let data: Float32Array;
  beforeAll(async () => {
    ({ datasetId, data } = await makeDataset("copy", steps, cells, 11));
  });

  it("is written once by two concurrent builds and holds the rows' values cell by cell", { timeout: 120_000 }, async () => {
    const src = await findSource(t.db, null, datasetId, "h");
    expect(await hasStateColumns(pgPool(t.db), src.id)).toBe(false);
    const pair = [new MatchEngine(4 * 2 ** 20), new MatchEngine(4 * 2 ** 20)];
    const builds = await Promise.all(pair.map((e) => e.buildColumnCopy(t.db, src)));
    expect(builds.map((b) => b.built).sort()).toEqual([false, true]);
    const n = await pgPool(t.db).query(`select count(*)::int as n, sum("rows")::int as rows from "StateColumnChunk" where "sourceId" = $1`, [src.id]);
    expect(columnChunkRows(src.chunkRows, cells)).toBe(16_384);
    expect(n.rows[0]).toEqual({ n: 3, rows: steps });
    const want = [0, 7, 649, 64];
    const got = new Map(want.map((c) => [c, new Float32Array(steps)]));
    const bytes = await scanStateColumns(pgPool(t.db), src, want, (cell, from, values) => got.get(cell)!.set(values, from));
    expect(bytes).toBe(want.length * steps * 4);
    for (const c of want) {
      const col = new Float32Array(steps);
      for (let s = 0; s < steps; s++) col[s] = data[s * cells + c]!;
      expect(got.get(c)).toEqual(col);
    }
  });

  it("serves fast queries at never-asked thresholds from k cells and the candidates' rows, exactly as the reference", { timeout: 120_000 }, async () => {
    const src = await findSource(t.db, null, datasetId, "h");
    await new MatchEngine(4 * 2 ** 20).buildColumnCopy(t.db, src);
    const floats = steps * cells * 4;
    for (const [i, thr] of [0.07, 0.13, -0.02].entries()) {
      // a budget too small to keep the 104 MB of floats (a full scan would read them all), big enough for one shard
      const engine = new MatchEngine(16 * 2 ** 20);
      const q: Q = { cells: [3 + i, 40, 77, 600 - i], threshold: thr, mode: "fast" };
      const out = await engine.run(t.db, query(datasetId, q));
      expect(out.result).toEqual(reference(data, steps, cells, q));
      expect(out.indexFromFloats).toBe(true); // match:index still persists the bits afterwards
      expect(engine.stats.columnCopyLoads).toBe(1);
      // k columns (4 × 160 kB) plus the scoring windows of ≤ 1,000 candidates, against 104 MB
      expect(engine.stats.floatBytesRead).toBeGreaterThanOrEqual(4 * steps * 4);
      expect(engine.stats.floatBytesRead).toBeLessThan(floats / 4);

      // more fast queries on the same entry (other cells, overlapping candidates), then a precise one
      const q2: Q = { cells: [40, 41, 600 - i, 649], threshold: thr, mode: "fast" };
      expect((await engine.run(t.db, query(datasetId, q2))).result).toEqual(reference(data, steps, cells, q2));
      const q3: Q = { cells: [3 + i, 40, 77], threshold: thr, mode: "precise" };
      expect((await engine.run(t.db, query(datasetId, q3))).result).toEqual(reference(data, steps, cells, q3));
      const again = { ...q, cells: [3 + i, 77, 100] };
      expect((await engine.run(t.db, query(datasetId, again))).result).toEqual(reference(data, steps, cells, again));
    }
  });

  it("is written by the match:columns job for the sources a worker reads from storage", { timeout: 120_000 }, async () => {
    const big = await makeDataset("job", 30_000, 100, 12);
    const small = await makeDataset("small", 2_000, 20, 13);
    const engine = new MatchEngine(4 * 2 ** 20);
    const runner = await startTestWorker(t, { engine, concurrency: 1, pollInterval: 100 });
    try {
      for (const d of [big, small, big]) await enqueue(MATCH_COLUMNS_JOB, { datasetId: d.datasetId, workspaceId }, { db: t.db });
      for (let i = 0; ; i++) {
        const left = await pgPool(t.db).query(`select count(*)::int as n from graphile_worker.jobs where task_identifier = 'match:columns'`);
        if (left.rows[0].n === 0) break;
        if (i > 3000) throw new Error("the match:columns jobs never ended");
        await new Promise((ok) => setTimeout(ok, 20));
      }
    } finally {
      await runner.stop();
    }
    const bigSrc = await findSource(t.db, null, big.datasetId, "h");
    const smallSrc = await findSource(t.db, null, small.datasetId, "h");
    expect(await hasStateColumns(pgPool(t.db), bigSrc.id)).toBe(true);
    // 160 kB of floats: the engine keeps them decoded, a copy would never be read
    expect(await hasStateColumns(pgPool(t.db), smallSrc.id)).toBe(false);
    // the second job for the same dataset found the copy
    expect(engine.stats.columnCopyBuilds).toBe(1);
  });

  it("fails with NOT_FOUND when the dataset is deleted while its copy is being written, without holding up the delete", { timeout: 120_000 }, async () => {
    const gone = await makeDataset("deleted", 60_000, 40, 14);
    const src = await findSource(t.db, null, gone.datasetId, "h");
    const engine = new MatchEngine(2 * 2 ** 20);
    // the copy's COPY waits on the table lock: by then it has read floats and is mid-way
    const { deleteMs, outcome: err } = await deleteWhileWriting(t, gone.datasetId, "StateColumnChunk", () => engine.buildColumnCopy(t.db, src));
    expect(deleteMs).toBeLessThan(30_000);
    expect(err).toMatchObject({ code: "NOT_FOUND", message: expect.stringMatching(/source h was deleted while its cell-major copy was being written/) });
    const left = await pgPool(t.db).query(`select count(*)::int as n from "StateColumnChunk" where "sourceId" = $1`, [src.id]);
    expect(left.rows[0].n).toBe(0);
  });
});
