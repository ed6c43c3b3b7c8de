/**
 * Benchmarks that need a big source in Postgres write it here: the AR(1) generator of
 * bench:match (packages/core/bench/source-generator.ts) streamed chunk by chunk through the
 * dataset writer (what an import writes, minus reading HDF5), so nothing holds the whole matrix
 * in memory. Also the match benches' shared dataset and the way they pick queries.
 */
import type { PoolClient } from "pg";
import { selectCells } from "@statescope/core";
import { pgPool, type Db } from "@/server/db/client";
import { DEMO_LOGIN, DEMO_WORKSPACE, seedDemo } from "@/server/services/seed";
import { createSource, createTrack, finishSource, StreamingSourceWriter, StreamingTrackWriter } from "@/server/services/datasets/writer";
import { readStateWindow, TOKEN_CHUNK_ROWS, writeTokenChunk, writeVocabulary, type SourceLayout } from "@/server/storage/dataset-store";
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

/** The explorer benches' dataset (see {@link ensureExplorerDataset}). */
export const EXPLORER_BENCH = { source: "states", cells: 650, vocabulary: 10_000 } as const;
const VOCAB = EXPLORER_BENCH.vocabulary;
const SYLLABLES = ["ka", "to", "ri", "men", "sa", "lo", "ve", "dan", "po", "tri", "el", "us", "or", "an", "is", "qu", "ber", "ni", "ca", "do"];
const POS = ["DET", "NOUN", "VERB", "ADJ", "ADP", "PRON", "ADV", "PUNCT", "NUM", "CONJ"];

/** Word i of the vocabulary: common words short, like a real one. */
function word(i: number): string {
  if (i === 0) return "<eos>";
  let s = "";
  let x = i;
  do {
    s += SYLLABLES[x % SYLLABLES.length];
    x = Math.floor(x / SYLLABLES.length);
  } while (x > 0);
  return s;
}

/**
 * A READY dataset "bench-open-<T>x650" in the demo workspace, as an explorer shows a real one
 * (bench:explorer-open, bench:click --steps): T tokens of a 10,000-word vocabulary (Zipf ids),
 * a discrete "pos" track, and source "states" of T × 650 float32 from the AR(1) generator with
 * its default bit index. Written once, reused by name.
 */
export async function ensureExplorerDataset(db: Db, steps: number, log: (line: string) => void): Promise<{ datasetId: string; src: SourceLayout }> {
  const { cells, source } = EXPLORER_BENCH;
  const name = `bench-open-${steps}x${cells}`;
  await seedDemo(db);
  const ws = await db.workspace.findUniqueOrThrow({ where: { slug: DEMO_WORKSPACE.slug }, select: { id: true } });
  const user = await db.user.findUniqueOrThrow({ where: { email: DEMO_LOGIN.email }, select: { id: true } });
  const found = await db.dataset.findFirst({
    where: { workspaceId: ws.id, name, status: "READY" },
    select: { id: true, steps: true, sources: { select: { id: true, steps: true, cells: true, chunkRows: true } } },
  });
  const have = found?.sources[0];
  if (found && found.steps === steps && have?.cells === cells) {
    log(`reusing dataset ${name} (${found.id})`);
    return { datasetId: found.id, src: have };
  }
  await db.dataset.deleteMany({ where: { workspaceId: ws.id, name } });
  const ds = await db.dataset.create({
    data: { workspaceId: ws.id, createdById: user.id, name, format: "numpy", phase: "bench", steps, vocabularySize: VOCAB, separator: " " },
    select: { id: true },
  });
  const conn = await pgPool(db).connect();
  const t0 = performance.now();
  let src: { id: string; chunkRows: number };
  const secs = () => ((performance.now() - t0) / 1000).toFixed(0);
  try {
    await conn.query("set synchronous_commit = off");
    await writeVocabulary(conn, ds.id, Array.from({ length: VOCAB }, (_, id) => ({ id, token: word(id) })));
    // Zipf(1) ids by inverse CDF over the harmonic numbers; POS follows the id (a stand-in for a tagger)
    const cdf = new Float64Array(VOCAB);
    for (let i = 0, s = 0; i < VOCAB; i++) cdf[i] = s += 1 / (i + 1);
    const r = rng(11);
    const track = await createTrack(db, ds.id, { ordinal: 0, name: "pos", kind: "discrete", width: 1, labels: POS.map((label, id) => ({ id, label })), range: null, hasWeights: false });
    const tw = new StreamingTrackWriter(conn, track.id, "discrete", 1, track.chunkRows, false);
    for (let from = 0, index = 0; from < steps; from += TOKEN_CHUNK_ROWS, index++) {
      const ids = new Int32Array(Math.min(TOKEN_CHUNK_ROWS, steps - from));
      const pos = new Int32Array(ids.length);
      for (let t = 0; t < ids.length; t++) {
        const u = r() * cdf[VOCAB - 1]!;
        let lo = 0;
        let hi = VOCAB - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cdf[mid]! < u) lo = mid + 1;
          else hi = mid;
        }
        ids[t] = lo;
        pos[t] = lo === 0 ? 7 : lo % POS.length;
      }
      await writeTokenChunk(conn, ds.id, index, ids);
      await tw.push(pos);
    }
    await tw.end();
    log(`tokens and pos track written (${secs()} s)`);
    src = await writeGeneratedSource(db, conn, ds.id, { name: source, type: "states", steps, cells }, log, secs);
  } catch (e) {
    await db.dataset.deleteMany({ where: { id: ds.id } });
    throw e;
  } finally {
    conn.release();
  }
  await db.dataset.update({ where: { id: ds.id }, data: { status: "READY", readyAt: new Date(), phase: "done", percent: 100 } });
  log(`wrote ${((steps * cells * 4) / 2 ** 30).toFixed(2)} GiB of states in ${secs()} s`);
  return { datasetId: ds.id, src: { id: src.id, steps, cells, chunkRows: src.chunkRows } };
}
