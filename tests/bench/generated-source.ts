/**
 * Benchmarks that need a big source in Postgres write it here: the AR(1) generator of
 * bench:match (packages/core/bench/source-generator.ts) streamed chunk by chunk through the
 * dataset writer (what an import writes, minus reading HDF5), so nothing holds the whole matrix
 * in memory. Also the match benches' shared dataset and the way they pick queries.
 */
import type { PoolClient } from "pg";
import { selectCells } from "@statescope/core";
import { pgPool, type Db } from "@/server/db/client";
import { createSource, finishSource, StreamingSourceWriter } from "@/server/services/datasets/writer";
import { readStateWindow, type SourceLayout } from "@/server/storage/dataset-store";
import { SourceGenerator } from "../../packages/core/bench/source-generator";
import { mulberry32 as rng } from "../../packages/core/src/random";

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
  const w = new StreamingSourceWriter(conn, id, s.name, cells, chunkRows, { steps, transform: "none" });
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

/** The match benches' database (bench:match-e2e and bench:match-cold share it and its dataset). */
export const MATCH_BENCH = {
  dataDir: ".test-data/bench-match",
  pgPort: Number(process.env.BENCH_PG_PORT ?? 54800),
  slug: "bench-match",
  source: "states",
  cells: 650,
} as const;

/**
 * The match benches' user, workspace and READY dataset "bench-match-<T>x650" (one generated
 * source, transform none), created once and reused by name on re-runs.
 */
export async function ensureMatchDataset(db: Db, steps: number, log: (line: string) => void): Promise<{ userId: string; datasetId: string; src: SourceLayout }> {
  const { slug, source, cells } = MATCH_BENCH;
  const name = `bench-match-${steps}x${cells}`;
  const user = await db.user.upsert({ where: { email: "bench@match.test" }, create: { email: "bench@match.test", name: "bench" }, update: {}, select: { id: true } });
  const ws = await db.workspace.upsert({ where: { slug }, create: { slug, name: "match bench" }, update: {}, select: { id: true } });
  await db.membership.upsert({
    where: { workspaceId_userId: { workspaceId: ws.id, userId: user.id } },
    create: { workspaceId: ws.id, userId: user.id, role: "OWNER" },
    update: { role: "OWNER" },
  });
  const found = await db.dataset.findFirst({
    where: { workspaceId: ws.id, name, status: "READY" },
    select: { id: true, sources: { where: { name: source }, select: { id: true, steps: true, cells: true, chunkRows: true } } },
  });
  const existing = found?.sources[0];
  if (found && existing?.steps === steps && existing.cells === cells) {
    log(`reusing dataset ${name} (${found.id})`);
    return { userId: user.id, datasetId: found.id, src: existing };
  }
  // An interrupted earlier write (or a mismatched one): start over.
  await db.dataset.deleteMany({ where: { workspaceId: ws.id, name } });
  const ds = await db.dataset.create({ data: { workspaceId: ws.id, createdById: user.id, name, format: "numpy", phase: "bench" }, select: { id: true } });
  const conn = await pgPool(db).connect();
  const t0 = performance.now();
  let src: { id: string; chunkRows: number };
  try {
    await conn.query("set synchronous_commit = off");
    const secs = () => ((performance.now() - t0) / 1000).toFixed(0);
    src = await writeGeneratedSource(db, conn, ds.id, { name: source, type: "state", steps, cells }, log, secs);
  } finally {
    conn.release();
  }
  await db.dataset.update({ where: { id: ds.id }, data: { status: "READY", steps, readyAt: new Date(), phase: "done", percent: 100 } });
  log(`wrote ${((steps * cells * 4) / 2 ** 30).toFixed(2)} GiB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { userId: user.id, datasetId: ds.id, src: { id: src.id, steps, cells, chunkRows: src.chunkRows } };
}

/**
 * `n` distinct selections made the way the Select view makes them (see match-bench.ts): a brushed
 * range of 2–6 steps, `selectCells` with padding (1, 0) at `threshold`, kept when 5–20 cells come
 * out (a random 20 of them when more). Deterministic for a seed.
 */
export async function pickMatchQueries(db: Db, src: SourceLayout, n: number, threshold: number, seed = 4242): Promise<number[][]> {
  const r = rng(seed);
  const out: number[][] = [];
  const seen = new Set<string>();
  let tries = 0;
  while (out.length < n && tries++ < 20_000) {
    const b0 = 10 + Math.floor(r() * (src.steps - 40));
    const len = 2 + Math.floor(r() * 5);
    const w0 = b0 - 5;
    const w1 = b0 + len + 5;
    const data = await readStateWindow(pgPool(db), src, w0, w1);
    const cells = selectCells({ data, steps: w1 - w0, cells: src.cells }, [5, 5 + len], threshold, [1, 0]);
    if (cells.length < 5) continue;
    while (cells.length > 20) cells.splice(Math.floor(r() * cells.length), 1);
    const key = cells.join(",");
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(cells);
  }
  if (out.length < n) throw new Error(`found only ${out.length} of ${n} selections of 5–20 cells`);
  return out;
}

/** An environment for a worker process with the default match settings (no MATCH_CACHE_BYTES / MATCH_SHARD_STEPS). */
export function withoutMatchSettings(e: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { MATCH_CACHE_BYTES: _c, MATCH_SHARD_STEPS: _s, ...rest } = e;
  return rest;
}
