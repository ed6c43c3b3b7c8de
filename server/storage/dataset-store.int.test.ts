/**
 * Whole-source float scans on a real Postgres (`scanStateChunks`, what a match at a threshold
 * without a persisted index streams): every chunk of the range is visited exactly once with its
 * own rows, in one COPY or split over several connections, and a missing chunk is an error.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { pgPool } from "../db/client";
import { createSource, finishSource, StreamingSourceWriter } from "../services/datasets/writer";
import { createUser } from "../services/users";
import { createWorkspace } from "../services/workspaces";
import { scanStateChunks, type SourceLayout } from "./dataset-store";

let t: TestDatabase;
let src: SourceLayout;
const steps = 4500;
const cells = 1024; // 1024 rows per chunk: 5 chunks, the last one partial
const data = new Float32Array(steps * cells);

beforeAll(async () => {
  t = await freshDatabase();
  const { userId } = await createUser(t.db, { email: "s@scan.test", password: "password1" });
  const { workspaceId } = await createWorkspace(t.db, userId, { slug: "scan" });
  const ds = await t.db.dataset.create({ data: { workspaceId, createdById: userId, name: "scan", format: "numpy", steps }, select: { id: true } });
  const { id, chunkRows } = await createSource(t.db, ds.id, { ordinal: 0, name: "h", type: "state", layer: 1, transform: "none", unsigned: false, steps, cells });
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.001) * (i % 7);
  const conn = await pgPool(t.db).connect();
  try {
    const w = new StreamingSourceWriter(conn, id, "h", cells, chunkRows);
    await w.push(data, 0);
    await finishSource(t.db, id, await w.end(), w.hist);
  } finally {
    conn.release();
  }
  src = { id, steps, cells, chunkRows };
  expect(chunkRows).toBe(1024);
});

afterAll(async () => {
  await t?.drop();
});

async function scan(opts: { from?: number; to?: number; streams?: number }): Promise<number[]> {
  const seen: number[] = [];
  await scanStateChunks(
    pgPool(t.db),
    src,
    (from, rows) => {
      seen.push(from);
      // a copy of the chunk's own rows (the view is only valid during the call)
      expect(Array.from(rows.subarray(0, 3 * cells))).toEqual(Array.from(data.subarray(from * cells, (from + 3) * cells)));
      expect(rows.length).toBe((Math.min(steps, from + 1024) - from) * cells);
      expect(rows[rows.length - 1]).toBe(data[Math.min(steps, from + 1024) * cells - 1]);
    },
    opts,
  );
  return seen.sort((a, b) => a - b);
}

describe("scanStateChunks", () => {
  it("visits every chunk of a range once with its rows, in one stream or several", async () => {
    for (const streams of [1, 2, 3, 9]) expect(await scan({ streams })).toEqual([0, 1024, 2048, 3072, 4096]);
    expect(await scan({ from: 1500, to: 3100, streams: 2 })).toEqual([1024, 2048, 3072]);
    expect(await scan({ from: 4096, to: 4500, streams: 2 })).toEqual([4096]);
  });

  it("fails when a chunk of the range is missing", async () => {
    await pgPool(t.db).query(`delete from "StateChunk" where "sourceId" = $1 and "index" = 3`, [src.id]);
    await expect(scan({ streams: 2 })).rejects.toThrow(/chunks 3\.\.4 are incomplete \(1 found\)/);
    await expect(scan({ to: 3000 })).resolves.toEqual([0, 1024, 2048]);
  });
});
