/**
 * Benchmarks that need a big source in Postgres write it here: the AR(1) generator of
 * bench:match (packages/core/bench/source-generator.ts) streamed chunk by chunk through the
 * dataset writer, so nothing holds the whole matrix in memory.
 */
import type { PoolClient } from "pg";
import type { Db } from "@/server/db/client";
import { createSource, finishSource, StreamingSourceWriter } from "@/server/services/datasets/writer";
import { SourceGenerator } from "../../packages/core/bench/source-generator";

export interface GeneratedSource {
  name: string;
  type: string;
  steps: number;
  cells: number;
}

/** Create source `s` of dataset `datasetId` and fill it; logs progress every 10 %. Returns the source's id and chunk size. */
export async function writeGeneratedSource(
  db: Db,
  conn: PoolClient,
  datasetId: string,
  s: GeneratedSource,
  log: (line: string) => void,
  elapsedSeconds: () => string,
): Promise<{ id: string; chunkRows: number }> {
  const { steps, cells } = s;
  const { id, chunkRows } = await createSource(db, datasetId, { ordinal: 0, name: s.name, type: s.type, layer: 1, transform: "none", unsigned: false, steps, cells });
  const w = new StreamingSourceWriter(conn, id, s.name, cells, chunkRows);
  const gen = new SourceGenerator(cells, 7);
  const buf = new Float32Array(chunkRows * cells);
  let shown = -1;
  for (let from = 0; from < steps; from += chunkRows) {
    const rows = buf.subarray(0, (Math.min(steps, from + chunkRows) - from) * cells);
    gen.next(rows);
    await w.push(rows, from);
    const p = Math.floor((from / steps) * 10) * 10;
    if (p !== shown) {
      shown = p;
      log(`writing ${steps.toLocaleString("en")} × ${cells} float32: ${p}% (${elapsedSeconds()} s)`);
    }
  }
  await finishSource(db, id, await w.end(), w.hist);
  return { id, chunkRows };
}
