/**
 * A READY dataset with one source "h" of `steps` × `cells` smooth random values (a per-cell AR(1):
 * x ← phi·x + noise·(u − ½)), written by the dataset writer like an import (its chunks, statistics
 * and default-threshold bit index), for the match engine's integration tests. Returns the values.
 */
import pg from "pg";
import { mulberry32 } from "@statescope/core";
import { pgPool } from "../../server/db/client";
import { createSource, finishSource, StreamingSourceWriter } from "../../server/services/datasets/writer";
import type { TestDatabase } from "./db";

export async function makeRandomDataset(
  t: TestDatabase,
  owner: { workspaceId: string; userId: string },
  name: string,
  shape: { steps: number; cells: number; seed: number; phi?: number; noise?: number },
): Promise<{ datasetId: string; data: Float32Array }> {
  const { steps, cells, seed, phi = 0.95, noise = 0.3 } = shape;
  const ds = await t.db.dataset.create({ data: { workspaceId: owner.workspaceId, createdById: owner.userId, name, format: "numpy", steps }, select: { id: true } });
  const { id, chunkRows } = await createSource(t.db, ds.id, { ordinal: 0, name: "h", type: "state", layer: 1, transform: "none", unsigned: false, steps, cells });
  const r = mulberry32(seed);
  const data = new Float32Array(steps * cells);
  const x = new Float64Array(cells);
  for (let i = 0; i < data.length; i++) {
    const c = i % cells;
    x[c] = phi * x[c]! + noise * (r() - 0.5);
    data[i] = x[c]!;
  }
  const conn = await pgPool(t.db).connect();
  try {
    const w = new StreamingSourceWriter(conn, id, "h", cells, chunkRows, { steps, transform: "none" });
    for (let from = 0; from < steps; from += 5000) await w.push(data.subarray(from * cells, Math.min(steps, from + 5000) * cells), from);
    await finishSource(t.db, id, await w.end(), w.hist);
  } finally {
    conn.release();
  }
  await t.db.dataset.update({ where: { id: ds.id }, data: { status: "READY", readyAt: new Date() } });
  return { datasetId: ds.id, data };
}

/**
 * Deletes a dataset while `write` (started here) is about to write to `table`: the table is locked
 * in SHARE mode first, so the write waits there (mid-way: it has read floats); once it waits, the
 * dataset is deleted and committed. Returns how long the delete took and what `write` ended with
 * (its error, or null).
 */
export async function deleteWhileWriting(t: TestDatabase, datasetId: string, table: string, write: () => Promise<unknown>): Promise<{ deleteMs: number; outcome: unknown }> {
  const admin = new pg.Client({ connectionString: t.url });
  await admin.connect();
  let running: Promise<unknown> | undefined;
  let deleteMs: number;
  try {
    await admin.query("begin");
    await admin.query(`lock table "${table}" in share mode`);
    running = write().then(
      () => null,
      (e: unknown) => e,
    );
    for (let i = 0; ; i++) {
      const r = await admin.query(`select 1 from pg_locks l join pg_class c on c.oid = l.relation where c.relname = $1 and not l.granted`, [table]);
      if (r.rowCount) break;
      if (i > 6000) throw new Error(`nothing ever tried to write to ${table}`);
      await new Promise((ok) => setTimeout(ok, 10));
    }
    const t0 = Date.now();
    await admin.query(`delete from "Dataset" where "id" = $1`, [datasetId]);
    await admin.query("commit");
    deleteMs = Date.now() - t0;
  } finally {
    await admin.end();
  }
  return { deleteMs, outcome: await running };
}
