/**
 * Running a match query against a stored source: on/off indices are built by
 * streaming the source's chunks from Postgres (the float32 matrix never has to
 * exist whole) and kept in a byte-bounded LRU per (source, threshold), next to
 * the decoded source when it fits, so a new threshold does not re-read Postgres.
 * A source longer than `shardStepsFor` steps is handled in time-range shards:
 * `rangeIndex` builds the index of one shard's rows, read from only the chunks
 * that hold them (the shard jobs of ./sharded.ts, or `run` shard after shard).
 */
import {
  buildOnIndex,
  createOnIndexBuilder,
  FastCollectMerger,
  FastLevelsMerger,
  matchPlanned,
  planMatch,
  planShardRanges,
  PreciseMerger,
  scanShard,
  shardIndexRange,
  type MatchPlan,
  type OnIndex,
  type ScanPhase,
  type ShardPartial,
} from "@statescope/core";
import { pgPool, type Db } from "@/server/db/client";
import { findSource } from "@/server/services/datasets/datasets";
import { forEachStateChunk, readWholeSource } from "@/server/storage/dataset-store";
import { ByteLru } from "./byte-lru";
import type { CanonicalQuery, MatchResultOut } from "./schemas";

type Cached = { kind: "index"; index: OnIndex } | { kind: "source"; data: Float32Array };

type SourceRow = Awaited<ReturnType<typeof findSource>>;

/** A query checked against its source: the source's row and the plan, loaded and made once per query. */
export interface PreparedMatch {
  src: SourceRow;
  plan: MatchPlan;
}

export interface MatchRun {
  result: MatchResultOut;
  computeMs: number;
  indexMs: number;
}

/**
 * Estimated bytes per step of an on/off index of a `cells`-cell source: rows and columns
 * (2 · ceil(D/32) words), the run table's offsets, and its entries at up to one switch per
 * 8 cells and step (8 bytes each). Realistic sources switch less; the estimate errs high.
 */
export function indexBytesPerStep(cells: number): number {
  return 8 * Math.ceil(cells / 32) + 4 + cells;
}

export interface MatchEngineOptions {
  /** Steps per time-range shard (MATCH_SHARD_STEPS); default: half the cache budget per shard index. */
  shardSteps?: number | undefined;
}

export class MatchEngine {
  readonly cache: ByteLru<Cached>;
  constructor(
    cacheBytes: number,
    private readonly opts: MatchEngineOptions = {},
  ) {
    this.cache = new ByteLru<Cached>(cacheBytes);
  }

  /**
   * Steps of a `cells`-cell source this worker scans in one piece: a source longer than this
   * is split into time-range shards (see ./sharded.ts).
   */
  shardStepsFor(cells: number): number {
    if (this.opts.shardSteps !== undefined) return this.opts.shardSteps;
    return Math.max(4096, Math.floor(this.cache.budget / 2 / indexBytesPerStep(cells)));
  }

  /** The on/off index of a source at a threshold, from the cache or built now. */
  async index(db: Db, src: SourceRow, threshold: number): Promise<OnIndex> {
    const thr = Math.fround(threshold);
    const key = `index:${src.id}:${thr}`;
    const hit = this.cache.get(key);
    if (hit?.kind === "index") return hit.index;

    const srcKey = `source:${src.id}`;
    const bytes = src.steps * src.cells * 4;
    let index: OnIndex;
    const decoded = this.cache.get(srcKey);
    if (decoded?.kind === "source") {
      index = buildOnIndex({ data: decoded.data, steps: src.steps, cells: src.cells }, thr, { transform: src.transform });
    } else if (bytes <= this.cache.budget / 2) {
      // Small enough to keep decoded: the next threshold on this source skips Postgres.
      const data = await readWholeSource(pgPool(db), src);
      this.cache.set(srcKey, { kind: "source", data }, bytes);
      index = buildOnIndex({ data, steps: src.steps, cells: src.cells }, thr, { transform: src.transform });
    } else {
      index = await this.streamIndex(db, src, thr, 0, src.steps);
    }
    this.cache.set(key, { kind: "index", index }, indexBytes(index));
    return index;
  }

  /**
   * The index of rows [from, to) of a source (a shard with its halo), from the cache or built
   * by reading only the chunks that overlap those rows.
   */
  async rangeIndex(db: Db, src: SourceRow, threshold: number, from: number, to: number): Promise<OnIndex> {
    if (from === 0 && to === src.steps) return this.index(db, src, threshold);
    const thr = Math.fround(threshold);
    const key = `index:${src.id}:${thr}:${from}-${to}`;
    const hit = this.cache.get(key);
    if (hit?.kind === "index") return hit.index;
    const decoded = this.cache.get(`source:${src.id}`);
    const index =
      decoded?.kind === "source"
        ? buildOnIndex({ data: decoded.data, steps: src.steps, cells: src.cells }, thr, { transform: src.transform, from, to })
        : await this.streamIndex(db, src, thr, from, to);
    this.cache.set(key, { kind: "index", index }, indexBytes(index));
    return index;
  }

  /** Builds the index of rows [from, to) from Postgres chunk by chunk (the float32 rows never exist whole). */
  private async streamIndex(db: Db, src: SourceRow, thr: number, from: number, to: number): Promise<OnIndex> {
    const cells = src.cells;
    const builder = createOnIndexBuilder({ steps: to - from, cells, threshold: thr, transform: src.transform, origin: from, totalSteps: src.steps });
    await forEachStateChunk(
      pgPool(db),
      src,
      (start, rows) => {
        const a = Math.max(from, start);
        const b = Math.min(to, start + rows.length / cells);
        if (b > a) builder.push(rows.subarray((a - start) * cells, (b - start) * cells));
      },
      { from, to },
    );
    return builder.finish();
  }

  /** Loads the query's source and plans the query against its shape (a bad query fails here, before any state is read). */
  async prepare(db: Db, q: CanonicalQuery): Promise<PreparedMatch> {
    const src = await findSource(db, null, q.datasetId, q.source);
    return { src, plan: planMatch(q, src.steps, src.cells) };
  }

  /** Runs a query in this process: {@link prepare} then {@link runPrepared}. */
  async run(db: Db, q: CanonicalQuery): Promise<MatchRun> {
    return this.runPrepared(db, await this.prepare(db, q));
  }

  /**
   * Runs a prepared query in this process (the CLI, the unsharded job). A source longer than the
   * shard budget is scanned shard after shard with the same protocol as the shard jobs, so at most
   * one shard index has to be built at a time.
   */
  async runPrepared(db: Db, { src, plan }: PreparedMatch): Promise<MatchRun> {
    if (src.steps > this.shardStepsFor(src.cells)) return this.runShards(db, src, plan);
    const t0 = performance.now();
    const index = await this.index(db, src, plan.threshold);
    const t1 = performance.now();
    const result = matchPlanned(index, plan);
    const t2 = performance.now();
    return { result, computeMs: t2 - t1, indexMs: t1 - t0 };
  }

  private async runShards(db: Db, src: SourceRow, plan: MatchPlan): Promise<MatchRun> {
    const ranges = planShardRanges(src.steps, this.shardStepsFor(src.cells));
    let computeMs = 0;
    let indexMs = 0;
    const pass = async (phase: ScanPhase, add: (p: ShardPartial) => void) => {
      for (const range of ranges) {
        const { from, to } = shardIndexRange(range, plan);
        const t0 = performance.now();
        const index = await this.rangeIndex(db, src, plan.threshold, from, to);
        const t1 = performance.now();
        add(scanShard(index, plan, range, phase));
        indexMs += t1 - t0;
        computeMs += performance.now() - t1;
      }
    };
    let result: MatchResultOut;
    if (plan.mode === "precise") {
      const merger = new PreciseMerger(plan);
      await pass({ kind: "precise" }, (p) => merger.add(p));
      result = merger.finish();
    } else {
      const levels = new FastLevelsMerger(plan);
      await pass({ kind: "levels" }, (p) => levels.add(p));
      const minLevel = levels.finish();
      const merger = new FastCollectMerger(plan, minLevel);
      await pass({ kind: "collect", minLevel }, (p) => merger.add(p));
      result = merger.finish();
    }
    return { result, computeMs, indexMs };
  }
}

function indexBytes(i: OnIndex): number {
  let n = i.rows.byteLength + i.cols.byteLength;
  if (i.runs) n += i.runs.offsets.byteLength + i.runs.cell.byteLength + i.runs.length.byteLength + i.runs.gapBefore.byteLength + i.runs.gapAfter.byteLength;
  return n;
}
