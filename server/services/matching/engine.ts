/**
 * Running a match query against a stored source. The on/off index of a (source, threshold) comes,
 * in order of preference, from this worker's byte-bounded LRU; from the persisted bit index
 * (server/storage/bit-index-store.ts: the row bits plus the query's k columns, ~T·D/8 bytes
 * instead of the T·D·4 of the floats); for a source small enough to keep decoded, from its floats
 * in memory; otherwise from the floats, streamed chunk by chunk, as before there were persisted
 * indices (`MatchRun.indexFromFloats`: the caller then queues `match:index`, whose job persists
 * the index at that threshold after the answer — `buildPersisted`, once for all workers: under an
 * advisory lock on (source, threshold), and only if no other worker committed it meanwhile).
 * A source longer than `shardStepsFor` steps is handled in time-range shards: `rangeIndex` reads
 * one shard's rows (the shard jobs of ./sharded.ts, or `run` shard after shard).
 * An index read from the bits or streamed from the floats has no run table (what precise scoring
 * is fastest with) and only its queried columns; after its first query it gets both in the
 * background (after a fast query, the rows that query did not read first).
 */
import {
  AppError,
  buildOnIndex,
  columnsOfRows,
  createOnColumnEncoder,
  createOnIndexBuilder,
  sharedOnRowsEncoder,
  fastCandidateRanges,
  fillColumnsFromRows,
  fillRowsFromColumns,
  FastCollectMerger,
  FastLevelsMerger,
  fastRowRanges,
  matchPlanned,
  onIndexFromBits,
  planMatch,
  planShardRanges,
  rawCutoff,
  PreciseMerger,
  columnsFromRowsSlices,
  runTableSlices,
  scanShard,
  shardIndexRange,
  type MatchPlan,
  type OnIndex,
  type RunTable,
  type ScanPhase,
  type ShardPartial,
} from "@statescope/core";
import type { PoolClient } from "pg";
import { pgPool, type Db } from "@/server/db/client";
import { findSource } from "@/server/services/datasets/datasets";
import { BitIndexWriter, findBitIndex, readBitColumns, readBitRowRanges, readBitRows, type BitIndexRef } from "@/server/storage/bit-index-store";
import { forEachStateChunk, readStateWindows, readWholeSource, scanStateChunks } from "@/server/storage/dataset-store";
import { hasStateColumns, scanStateColumns, StateColumnCopy } from "@/server/storage/state-columns";
import { ByteLru } from "./byte-lru";
import type { CanonicalQuery, MatchResultOut } from "./schemas";

/**
 * An index in the cache. `loaded` marks the cells whose columns are filled, `rowBlocks` the
 * blocks of ROW_BLOCK steps whose row bits are filled; null: all are.
 */
type CachedIndex = {
  kind: "index";
  index: OnIndex;
  loaded: Uint8Array | null;
  rowBlocks: Uint8Array | null;
  ref: BitIndexRef | null;
  /**
   * A fast query's index at a threshold with no persisted bits, from the source's cell-major copy:
   * columns read per cell from it, row bits only where candidates need them (`full`: the steps
   * whose row bits of every cell are filled; the selected cells' bits around candidates come from
   * their columns). A precise query does not use such an entry (it needs every row).
   */
  columnCopy?: { full: Uint8Array; layout: SourceRow };
  bytes: number;
  /**
   * Reads into this entry's columns and rows, each one after another (concurrent queries wait for
   * each other's reads of the same array; a column read and a row read run at once).
   */
  filling: { cols: Promise<unknown>; rows: Promise<unknown> };
  /** The run table and columns being completed in the background ({@link MatchEngine.completeLater}); settles when they are in (or given up). */
  completing?: Promise<void>;
  /** The rows no query has read yet, being read in the background ({@link MatchEngine.readRowsLater}). */
  readingRows?: Promise<void>;
};

/**
 * Milliseconds of run-table building per turn of the event loop. The build of a big index's
 * table (1M × 650: ≈ 1.6 s of CPU) goes in turns this long, so a query that arrives meanwhile
 * waits at most about this long at each of its steps.
 */
const RUN_TABLE_TURN_MS = 8;

/**
 * Steps per read of the rows a fast query left unread ({@link MatchEngine.readRowsLater}): a
 * query's own read of rows waits for at most one of these (1M × 650: 16 reads of 5 MB).
 */
const ROWS_LATER_STEPS = 65_536;

/**
 * Concurrent COPY streams of a float scan (`scanStateChunks`). One: on this 2-core machine a second
 * stream made the scan slower (4.2 vs 3.2 s for 1M × 650; node-postgres's receive of each stream
 * costs node CPU the backends need: 3.9 vs 2.2 s of it).
 */
const SCAN_STREAMS = 1;

/** Steps per block of row bits read on demand from a persisted index. */
const ROW_BLOCK = 64;
type Cached = CachedIndex | { kind: "source"; data: Float32Array };

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
  /**
   * This run read the floats of a whole source too big to keep decoded because no index was
   * persisted at its threshold: the caller should queue `match:index` (after answering).
   */
  indexFromFloats: boolean;
}

/**
 * Estimated bytes per step of an in-memory on/off index of a `cells`-cell source: the row bits
 * (4·ceil(D/32)) plus the columns of the cells queried so far (the column array is allocated
 * whole but only queried columns are touched, so only they take memory), counted as 64 cells.
 * Indices built from the floats of small sources also hold a run table; they are small.
 */
export function indexBytesPerStep(cells: number): number {
  return 4 * Math.ceil(cells / 32) + Math.ceil(Math.min(cells, 64) / 8);
}

export interface MatchEngineOptions {
  /** Steps per time-range shard (MATCH_SHARD_STEPS); default: half the cache budget per shard index. */
  shardSteps?: number | undefined;
  /**
   * Build the run table when indexing a decoded source (default true). The web process's inline
   * engine answers a click at a new threshold: there the table cost 15–45 ms of a 20,000 × 32
   * build (2–3 ms without) and saved nothing measurable in scoring.
   */
  runTables?: boolean | undefined;
  /** Milliseconds of background run-table building per event-loop turn (default RUN_TABLE_TURN_MS; 0: one slice per turn). */
  runTableTurnMs?: number | undefined;
}

/** The advisory lock of a (source, threshold) index build: hashtext(source id) and the threshold's float32 bits. */
function lockKey(sourceId: string, thr: number): [string, number] {
  const f = new Float32Array([thr]);
  return [sourceId, new Int32Array(f.buffer)[0]!];
}

export class MatchEngine {
  readonly cache: ByteLru<Cached>;
  /** Where this engine's indices came from (for logs and tests): built from floats and persisted, read from a persisted index. */
  readonly stats = { persistedBuilds: 0, persistedLoads: 0, columnCopyBuilds: 0, columnCopyLoads: 0, floatBytesRead: 0 };
  /** Run tables built in the background and put in a cached index (for logs and tests). */
  runTablesBuilt = 0;
  private readonly backgroundWork = new Set<Promise<void>>();
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

  /**
   * Whether this engine matches `src` from storage (bits, or streamed floats) rather than from its
   * floats kept decoded in the cache (sources of at most half the budget): only then does the
   * source's cell-major copy serve it.
   */
  readsFromStorage(src: { steps: number; cells: number }): boolean {
    return src.steps * src.cells * 4 > this.cache.budget / 2;
  }

  /**
   * The on/off index of a whole source at a threshold, with the columns of `cells` (all cells
   * when omitted) and all row bits filled in: from the cache, the persisted bit index, or built now.
   */
  async index(db: Db, src: SourceRow, threshold: number, cells?: ArrayLike<number>): Promise<OnIndex> {
    return (await this.entry(db, src, threshold, cells, true)).entry.index;
  }

  /**
   * The cached index of a whole source at a threshold with the columns of `cells` filled in; its
   * row bits are complete unless it was read from a persisted index (`rowBlocks`), whose rows are
   * read when a query needs them (`fillRows`). `fromFloats`: this call streamed the floats of a
   * source too big to keep decoded, as no index was persisted at this threshold.
   */
  private async entry(db: Db, src: SourceRow, threshold: number, cells?: ArrayLike<number>, allRows = false): Promise<{ key: string; entry: CachedIndex; fromFloats?: true }> {
    const thr = Math.fround(threshold);
    const key = `index:${src.id}:${thr}`;
    // the columns and (when all are wanted: precise) the rows of a persisted index, read at once
    const fill = (entry: CachedIndex) => Promise.all([this.fillColumns(db, key, entry, cells), allRows ? this.fillRows(db, key, entry, null) : undefined]);
    const hit = this.cache.get(key);
    // an entry from the cell-major copy holds only some rows: a precise query builds a whole one
    if (hit?.kind === "index" && !(allRows && hit.columnCopy)) {
      await fill(hit);
      return { key, entry: hit };
    }

    const srcKey = `source:${src.id}`;
    const bytes = src.steps * src.cells * 4;
    const decoded = this.cache.get(srcKey);
    if (decoded?.kind === "source") return { key, entry: this.keep(key, buildOnIndex({ data: decoded.data, steps: src.steps, cells: src.cells }, thr, { transform: src.transform, runs: this.opts.runTables }), null) };

    const ref = await findBitIndex(pgPool(db), src.id, thr);
    if (!ref && !this.readsFromStorage(src)) {
      // Small enough to keep decoded: the next threshold on this source skips Postgres.
      const data = await readWholeSource(pgPool(db), src);
      this.cache.set(srcKey, { kind: "source", data }, bytes);
      return { key, entry: this.keep(key, buildOnIndex({ data, steps: src.steps, cells: src.cells }, thr, { transform: src.transform, runs: this.opts.runTables }), null) };
    }
    if (!ref && !allRows && (await hasStateColumns(pgPool(db), src.id))) {
      // A fast query at a threshold never asked before: its k columns from the cell-major copy, its
      // candidates' rows from the row chunks (runPrepared), ~1/40 of the floats (DESIGN.md, "Session 5").
      this.stats.columnCopyLoads++;
      const rows = new Uint32Array(src.steps * Math.ceil(src.cells / 32));
      const cols = new Uint32Array(src.cells * Math.ceil(src.steps / 32));
      const index = onIndexFromBits({ totalSteps: src.steps, origin: 0, steps: src.steps, cells: src.cells, threshold: thr, transform: src.transform, rows, cols });
      const entry: CachedIndex = { kind: "index", index, loaded: new Uint8Array(src.cells), rowBlocks: null, ref: null, columnCopy: { full: new Uint8Array(src.steps), layout: src }, bytes: 0, filling: idle() };
      this.cache.set(key, entry, entry.bytes);
      await this.fillColumns(db, key, entry, cells);
      return { key, entry, fromFloats: true };
    }
    if (!ref) {
      // Answered from the floats, as fast as without persisted indices; writing the index here
      // too would hold this answer up (the caller queues `match:index` instead).
      // Rows only: the query's k columns come from them (transposing all 650 would cost ~1 s per 1M steps).
      const index = await this.streamIndex(db, src, thr, 0, src.steps, false);
      const entry: CachedIndex = { kind: "index", index, loaded: new Uint8Array(src.cells), rowBlocks: null, ref: null, bytes: index.rows.byteLength, filling: idle() };
      this.cache.set(key, entry, entry.bytes);
      await this.fillColumns(db, key, entry, cells);
      return { key, entry, fromFloats: true };
    }
    this.stats.persistedLoads++;
    // Both arrays are allocated whole; pages never written (rows and columns no query read) take no memory.
    const rows = new Uint32Array(src.steps * Math.ceil(src.cells / 32));
    const cols = new Uint32Array(src.cells * Math.ceil(src.steps / 32));
    const index = onIndexFromBits({ totalSteps: src.steps, origin: 0, steps: src.steps, cells: src.cells, threshold: thr, transform: src.transform, rows, cols });
    const entry: CachedIndex = { kind: "index", index, loaded: new Uint8Array(src.cells), rowBlocks: new Uint8Array(Math.ceil(src.steps / ROW_BLOCK)), ref, bytes: 0, filling: idle() };
    this.cache.set(key, entry, entry.bytes);
    await fill(entry);
    return { key, entry };
  }

  /**
   * Completes a cached whole index in the background after a precise query on it (or once the
   * rows a fast query left are read: {@link readRowsLater}): its run table
   * (an index read from the persisted bits or streamed from the floats has none: building it there
   * would hold a cold answer up by seconds; precise scoring is a little faster with it: 1M × 650 at
   * padding 1/0, ≈ 34 vs 37 ms a query, now that scan.ts scores only what can enter the top), then every
   * cell's columns from its rows (a query on cells not read yet then reads none from Postgres:
   * 15–45 ms of a query at 1M × 650 for its 12–20 new cells). In turns of RUN_TABLE_TURN_MS on this
   * event loop, so queries meanwhile are answered (without them) between turns. Once per entry;
   * only when every row is in (the rows must not change while it runs); not in an engine told to
   * skip run tables (the web's inline engine).
   *
   * Both stay within half the cache budget with the entry: the columns are filled only if they
   * fit (1M × 650: 81 MB), the table built only if it fits too (41M runs, 330 MB; known from its
   * first pass, before it is allocated) — a 10M-step source's entry gets neither. Columns are
   * OR-ed in from the true rows, so a query reading some of them from Postgres meanwhile writes
   * the same bits. When it is done, if the entry is still cached, they are marked filled and
   * counted in the cache, and the table is put in the entry and counted (dropped if the entry grew
   * meanwhile past half the budget). An entry evicted meanwhile stops it at its next turn.
   */
  private completeLater(key: string, entry: CachedIndex): void {
    const { index } = entry;
    if (this.opts.runTables === false || entry.completing || entry.rowBlocks !== null || entry.columnCopy) return;
    if (index.runs !== null && entry.loaded === null) return;
    // within half the budget: every column if they fit, then the table if it fits too (else none)
    const missingCols = entry.loaded ? unloaded(entry.loaded) : 0;
    const room = this.cache.budget / 2 - entry.bytes;
    const fillColumns = entry.loaded !== null && missingCols * index.colWords * 4 <= room;
    const tableRoom = room - (fillColumns ? missingCols * index.colWords * 4 : 0);
    const work = (function* () {
      const runs = index.runs ?? (yield* runTableSlices(index.rows, index.rowWords, index.steps, index.cells, index.origin, index.totalSteps, { maxBytes: tableRoom }));
      if (fillColumns) yield* columnsFromRowsSlices(index);
      return runs;
    })();
    const build = new Promise<void>((done) => {
      const turn = () => {
        if (this.cache.get(key) !== entry) return done();
        const until = performance.now() + (this.opts.runTableTurnMs ?? RUN_TABLE_TURN_MS);
        let r = work.next();
        while (!r.done && performance.now() < until) r = work.next();
        if (!r.done) {
          // (not unref'd: the loop then waits in poll for other I/O before running an unref'd
          // immediate, and the build advanced only when something else woke the worker)
          setImmediate(turn);
          return;
        }
        if (this.cache.get(key) === entry) {
          let colBytes = 0;
          if (fillColumns && entry.loaded) {
            // (a read of some columns still in flight counts them again when it lands: k × T/8 bytes at most)
            colBytes = unloaded(entry.loaded) * index.colWords * 4;
            entry.loaded = null;
          }
          const runs = r.value;
          const runBytes = runs && entry.index.runs === null ? runTableBytes(runs) : 0;
          if (runBytes > 0 && entry.bytes + colBytes + runBytes <= this.cache.budget / 2) {
            entry.index = { ...entry.index, runs };
            this.runTablesBuilt++;
            this.account(key, entry, colBytes + runBytes);
          } else this.account(key, entry, colBytes);
        }
        done();
      };
      setImmediate(turn);
    });
    entry.completing = build;
    this.background(build);
  }

  /**
   * After a fast query on an index read from the persisted bits (it read its candidates' rows
   * only): reads the other rows in the background, ROWS_LATER_STEPS at a time (a query's own
   * read waits for at most one), then completes the index ({@link completeLater}). So later fast
   * queries on new cells read neither columns nor rows from Postgres. A failed read is dropped:
   * queries read what they need themselves, as before.
   */
  private readRowsLater(db: Db, key: string, entry: CachedIndex): void {
    if (this.opts.runTables === false || entry.rowBlocks === null || entry.readingRows || !entry.ref) return;
    const read = (async () => {
      const T = entry.index.steps;
      for (let a = 0; a < T && entry.rowBlocks !== null; a += ROWS_LATER_STEPS) {
        if (this.cache.get(key) !== entry) return;
        await this.fillRows(db, key, entry, [[a, Math.min(T, a + ROWS_LATER_STEPS)]]);
      }
      if (this.cache.get(key) === entry) this.completeLater(key, entry);
    })().catch(() => undefined);
    entry.readingRows = read;
    this.background(read);
  }

  private background(work: Promise<void>): void {
    this.backgroundWork.add(work);
    void work.then(() => this.backgroundWork.delete(work));
  }

  /** Settles when the background work on cached indices (row reads, completions) is done (tests, benches). */
  async backgroundSettled(): Promise<void> {
    while (this.backgroundWork.size > 0) await Promise.all(this.backgroundWork);
  }

  private keep(key: string, index: OnIndex, ref: BitIndexRef | null): CachedIndex {
    const bytes = indexBytes(index);
    const entry: CachedIndex = { kind: "index", index, loaded: null, rowBlocks: null, ref, bytes, filling: idle() };
    this.cache.set(key, entry, bytes);
    return entry;
  }

  private account(key: string, entry: CachedIndex, bytes: number): void {
    entry.bytes += bytes;
    if (this.cache.get(key) === entry) this.cache.set(key, entry, entry.bytes);
  }

  /** Runs `fill` after the entry's earlier reads of the same array (so two queries never read the same bits at once). */
  private serially(entry: CachedIndex, which: "cols" | "rows", fill: () => Promise<void>): Promise<void> {
    const next = entry.filling[which].then(fill, fill);
    entry.filling[which] = next.catch(() => undefined);
    return next;
  }

  /** Reads the persisted columns of the cells in `cells` that this cached index does not hold yet. */
  private fillColumns(db: Db, key: string, entry: CachedIndex, cells: ArrayLike<number> | undefined): Promise<void> {
    if (!entry.loaded) return Promise.resolve();
    return this.serially(entry, "cols", () => this.readColumns(db, key, entry, cells));
  }

  private async readColumns(db: Db, key: string, entry: CachedIndex, cells: ArrayLike<number> | undefined): Promise<void> {
    const { loaded, index } = entry;
    if (!loaded) return;
    const want = cells ? Array.from(cells) : Array.from({ length: index.cells }, (_, c) => c);
    const missing = want.filter((c) => loaded[c] === 0);
    if (missing.length === 0) return;
    // an index streamed from the floats holds all rows: its columns are cut from them
    if (entry.ref) await readBitColumns(pgPool(db), entry.ref, index.steps, missing, index.cols);
    else if (entry.columnCopy) await this.readCopyColumns(db, entry, missing);
    else fillColumnsFromRows(index, missing);
    for (const c of missing) loaded[c] = 1;
    this.account(key, entry, missing.length * index.colWords * 4);
  }

  /**
   * Reads the persisted row bits of `ranges` (null: all rows) that this cached index does not hold
   * yet, in blocks of ROW_BLOCK steps. A fast query needs only its candidates' rows (`fastRowRanges`).
   */
  private fillRows(db: Db, key: string, entry: CachedIndex, ranges: [number, number][] | null): Promise<void> {
    if (!entry.rowBlocks) return Promise.resolve();
    return this.serially(entry, "rows", () => this.readRowBlocks(db, key, entry, ranges));
  }

  private async readRowBlocks(db: Db, key: string, entry: CachedIndex, ranges: [number, number][] | null): Promise<void> {
    const blocks = entry.rowBlocks;
    if (!blocks) return;
    const { index } = entry;
    const T = index.steps;
    const want: [number, number][] = [];
    const mark = (b0: number, b1: number) => {
      // consecutive missing blocks become one range
      for (let b = b0; b < b1; b++) {
        if (blocks[b]) continue;
        blocks[b] = 1;
        const last = want[want.length - 1];
        if (last && last[1] === b * ROW_BLOCK) last[1] = Math.min(T, (b + 1) * ROW_BLOCK);
        else want.push([b * ROW_BLOCK, Math.min(T, (b + 1) * ROW_BLOCK)]);
      }
    };
    if (ranges === null) mark(0, blocks.length);
    else for (const [a, b] of [...ranges].sort((x, y) => x[0] - y[0])) mark(Math.floor(a / ROW_BLOCK), Math.ceil(b / ROW_BLOCK));
    if (want.length === 0) return;
    try {
      if (ranges === null && want.length === 1) await readBitRows(pgPool(db), entry.ref!, index.cells, 0, T, index.rows);
      else await readBitRowRanges(pgPool(db), entry.ref!, index.cells, want, index.rows);
    } catch (e) {
      for (const [a, b] of want) blocks.fill(0, Math.floor(a / ROW_BLOCK), Math.ceil(b / ROW_BLOCK));
      throw e;
    }
    let n = 0;
    for (const [a, b] of want) n += b - a;
    this.account(key, entry, n * index.rowWords * 4);
    if (!blocks.includes(0)) entry.rowBlocks = null;
  }

  /** The columns of `cells` at the entry's threshold, encoded from their floats in the cell-major copy. */
  private async readCopyColumns(db: Db, entry: CachedIndex, cells: number[]): Promise<void> {
    const { index } = entry;
    const cut = rawCutoff(index.threshold, index.transform);
    const CW = index.colWords;
    if (cut === null) {
      // no float32 value is on at this threshold: the columns stay 0
      for (const c of cells) index.cols.fill(0, c * CW, (c + 1) * CW);
      return;
    }
    const encode = createOnColumnEncoder();
    const src = entry.columnCopy!.layout;
    try {
      this.stats.floatBytesRead += await scanStateColumns(pgPool(db), src, cells, (cell, from, values) => {
        const w = cell * CW + (from >>> 5);
        encode(values, cut, index.cols.subarray(w, w + Math.ceil(values.length / 32)));
      });
    } catch (e) {
      // a dataset deleted after the query found its copy leaves the copy's chunks missing
      await this.notDeleted(db, src, `a match at threshold ${Number(index.threshold.toPrecision(7))} was reading its cell-major copy`, e);
      throw e;
    }
  }

  /**
   * A fast query's rows on an entry from the cell-major copy: the selected cells' bits around each
   * candidate from their columns (the counts), and every cell's bits where scoring reads them, from
   * the row chunks of just those steps (one query for all candidates).
   */
  private fillCandidateRows(db: Db, key: string, entry: CachedIndex, plan: MatchPlan): Promise<void> {
    return this.serially(entry, "rows", async () => {
      const { index } = entry;
      const full = entry.columnCopy!.full;
      const parts = fastCandidateRanges(index, plan);
      const score = parts ? parts.score : [[0, index.steps] as [number, number]];
      if (parts) fillRowsFromColumns(index, plan.cells, parts.context);
      // the steps not filled yet, as few ranges as possible
      const want: [number, number][] = [];
      for (const [a, b] of [...score].sort((x, y) => x[0] - y[0])) {
        for (let t = a; t < b; t++) {
          if (full[t]) continue;
          const last = want[want.length - 1];
          if (last && last[1] === t) last[1] = t + 1;
          else want.push([t, t + 1]);
        }
      }
      if (want.length === 0) return;
      const W = index.rowWords;
      const cut = rawCutoff(index.threshold, index.transform);
      const layout = entry.columnCopy!.layout;
      const windows = await readStateWindows(pgPool(db), layout, want);
      const encode = sharedOnRowsEncoder();
      let n = 0;
      want.forEach(([a, b], i) => {
        const rows = index.rows.subarray(a * W, b * W);
        if (cut === null) rows.fill(0);
        else encode(windows[i]!, index.cells, cut, rows);
        this.stats.floatBytesRead += windows[i]!.byteLength;
        full.fill(1, a, b);
        n += b - a;
      });
      this.account(key, entry, n * W * 4);
    });
  }

  /**
   * Builds and persists the index of a source at `thr` once for all workers (the `match:index`
   * job): under an advisory lock on (source, threshold), if no other worker committed it
   * meanwhile, streams the float32 chunks into bit chunks in one transaction. Returns the
   * persisted index and whether this call built it. A dataset deleted meanwhile ends in NOT_FOUND.
   */
  async buildPersisted(db: Db, src: SourceRow, threshold: number): Promise<{ ref: BitIndexRef; built: boolean }> {
    const thr = Math.fround(threshold);
    const out = await this.buildOnce(db, src, lockKey(src.id, thr), `its index at threshold ${Number(thr.toPrecision(7))} was being built`, {
      find: (c) => findBitIndex(c, src.id, thr),
      write: async (c, onAbort) => {
        const w = new BitIndexWriter(c, src.id, src.steps, src.cells, thr, src.transform, { parent: "last", copy: true });
        onAbort(() => w.abort("the index build failed"));
        await forEachStateChunk(pgPool(db), src, async (from, rows) => {
          await w.push(rows.subarray(0, (Math.min(src.steps, from + rows.length / src.cells) - from) * src.cells));
        });
        return w.end();
      },
    });
    if (out.built) this.stats.persistedBuilds++;
    return { ref: out.result, built: out.built };
  }

  /**
   * Writes the cell-major copy of a source's floats (`StateColumnChunk`, what a fast query at a
   * threshold never asked before reads) once for all workers: under an advisory lock on the
   * source, if no other worker committed it meanwhile, transposes every float chunk in one
   * transaction (the `match:columns` job). A dataset deleted meanwhile ends in NOT_FOUND.
   */
  async buildColumnCopy(db: Db, src: SourceRow): Promise<{ built: boolean }> {
    const out = await this.buildOnce(db, src, [`columns:${src.id}`, 0], "its cell-major copy was being written", {
      find: async (c) => ((await hasStateColumns(c, src.id)) ? true : null),
      write: async (c, onAbort) => {
        const w = new StateColumnCopy(c, src);
        onAbort(() => w.abort("the copy failed"));
        await forEachStateChunk(pgPool(db), src, (from, rows) => w.put(from, rows));
        await w.end();
        return true;
      },
    });
    if (out.built) this.stats.columnCopyBuilds++;
    return { built: out.built };
  }

  /**
   * Something derived from a source's floats, written once for all workers: under the advisory
   * lock `lock`, returns what `find` sees committed, else runs `write` on a connection of its own
   * in one transaction and commits. On failure the COPY is aborted and the transaction rolled back;
   * a dataset deleted meanwhile ends in NOT_FOUND.
   */
  private async buildOnce<R>(
    db: Db,
    src: SourceRow,
    [k1, k2]: [string, number],
    what: string,
    step: { find: (c: PoolClient) => Promise<R | null>; write: (c: PoolClient, onAbort: (abort: () => Promise<void>) => void) => Promise<R> },
  ): Promise<{ result: R; built: boolean }> {
    const c = await pgPool(db).connect();
    let broken: Error | undefined;
    try {
      await c.query("select pg_advisory_lock(hashtext($1), $2)", [k1, k2]);
      try {
        const done = await step.find(c);
        if (done !== null) return { result: done, built: false };
        await c.query("begin");
        let abort: (() => Promise<void>) | undefined;
        try {
          await c.query("set local synchronous_commit = off");
          const result = await step.write(c, (a) => (abort = a));
          await c.query("commit");
          return { result, built: true };
        } catch (e) {
          // a COPY still open on c would hold the rollback up behind it
          await abort?.().catch(() => undefined);
          await c.query("rollback").catch((r: unknown) => (broken = r instanceof Error ? r : new Error(String(r))));
          await this.notDeleted(db, src, what, e);
          throw e;
        }
      } finally {
        if (!broken) await c.query("select pg_advisory_unlock(hashtext($1), $2)", [k1, k2]).catch((r: unknown) => (broken = r instanceof Error ? r : new Error(String(r))));
      }
    } finally {
      // a session whose unlock or rollback failed is not returned to the pool (its lock dies with it)
      c.release(broken);
    }
  }

  /** After a failed read of a source: NOT_FOUND (not retryable) when the source is gone. */
  private async notDeleted(db: Db, src: SourceRow, what: string, cause: unknown): Promise<void> {
    const still = await pgPool(db).query(`select 1 from "DatasetSource" where "id" = $1`, [src.id]);
    if (still.rowCount === 0) throw new AppError("NOT_FOUND", `dataset ${src.datasetId}: source ${src.name} was deleted while ${what}`, { cause });
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
    if (decoded?.kind === "source") return this.keep(key, buildOnIndex({ data: decoded.data, steps: src.steps, cells: src.cells }, thr, { transform: src.transform, from, to, runs: this.opts.runTables }), null).index;
    const ref = await findBitIndex(pgPool(db), src.id, thr);
    if (!ref) return this.keep(key, await this.streamIndex(db, src, thr, from, to, true), null).index;
    const rows = await readBitRows(pgPool(db), ref, src.cells, from, to);
    const index = onIndexFromBits({ totalSteps: src.steps, origin: from, steps: to - from, cells: src.cells, threshold: thr, transform: src.transform, rows, cols: columnsOfRows(rows, to - from, src.cells) });
    return this.keep(key, index, ref).index;
  }

  /**
   * Builds the index of rows [from, to) from Postgres chunk by chunk as they stream in (the float32
   * rows never exist whole; encoding overlaps the read). No run table: it costs about as much as
   * the bits to build and a cold answer is waiting (a precise query on a whole index then has it
   * built in the background: `completeLater`). `columns`: fill every cell's column bits too.
   */
  private async streamIndex(db: Db, src: SourceRow, thr: number, from: number, to: number, columns: boolean): Promise<OnIndex> {
    const cells = src.cells;
    const builder = createOnIndexBuilder({ steps: to - from, cells, threshold: thr, transform: src.transform, origin: from, totalSteps: src.steps, runs: false, columns });
    try {
      await scanStateChunks(
        pgPool(db),
        src,
        (start, rows) => {
          this.stats.floatBytesRead += rows.byteLength;
          const a = Math.max(from, start);
          const b = Math.min(to, start + rows.length / cells);
          if (b > a) builder.pushAt(a - from, rows.subarray((a - start) * cells, (b - start) * cells));
        },
        { from, to, streams: SCAN_STREAMS },
      );
    } catch (e) {
      // a dataset deleted before the scan began (or between two streams' snapshots) leaves chunks missing
      await this.notDeleted(db, src, `a match at threshold ${Number(thr.toPrecision(7))} was reading its floats`, e);
      throw e;
    }
    return builder.finish();
  }

  /**
   * The source's floats (steps × cells, as stored: readWholeSource) when this engine holds them
   * decoded — a small source it has matched on — else null: its result rows' states are cut from
   * them instead of read again from the state chunks.
   */
  decodedSource(sourceId: string): Float32Array | null {
    const hit = this.cache.get(`source:${sourceId}`);
    return hit?.kind === "source" ? hit.data : null;
  }

  /** Loads the query's source and plans the query against its shape (a bad query fails here, before any state is read). */
  async prepare(db: Db, workspaceId: string | null, q: CanonicalQuery): Promise<PreparedMatch> {
    const src = await findSource(db, workspaceId, q.datasetId, q.source);
    return { src, plan: planMatch(q, src.steps, src.cells) };
  }

  /** Runs a query in this process: {@link prepare} then {@link runPrepared}. */
  async run(db: Db, q: CanonicalQuery): Promise<MatchRun> {
    return this.runPrepared(db, await this.prepare(db, null, q));
  }

  /**
   * Runs a prepared query in this process (the CLI, the unsharded job). A source longer than the
   * shard budget is scanned shard after shard with the same protocol as the shard jobs, so at most
   * one shard index has to be built at a time.
   */
  async runPrepared(db: Db, { src, plan }: PreparedMatch): Promise<MatchRun> {
    if (src.steps > this.shardStepsFor(src.cells)) return this.runShards(db, src, plan);
    const t0 = performance.now();
    const { key, entry, fromFloats } = await this.entry(db, src, plan.threshold, plan.cells, plan.mode === "precise");
    // a fast query reads only its candidates' rows; finding them needs only the columns
    if (entry.columnCopy) await this.fillCandidateRows(db, key, entry, plan);
    else await this.fillRows(db, key, entry, entry.rowBlocks ? fastRowRanges(entry.index, plan) : null);
    const t1 = performance.now();
    const result = matchPlanned(entry.index, plan);
    const t2 = performance.now();
    // later queries get every cell's columns (no read from Postgres for new cells) and the run table
    if (plan.mode === "precise") this.completeLater(key, entry);
    else this.readRowsLater(db, key, entry);
    return { result, computeMs: t2 - t1, indexMs: t1 - t0, indexFromFloats: fromFloats === true };
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
    return { result, computeMs, indexMs, indexFromFloats: false };
  }
}

/** Cells whose columns an entry does not hold yet. */
function unloaded(loaded: Uint8Array): number {
  let n = 0;
  for (const x of loaded) if (x === 0) n++;
  return n;
}

function idle(): CachedIndex["filling"] {
  return { cols: Promise.resolve(), rows: Promise.resolve() };
}

function indexBytes(i: OnIndex): number {
  return i.rows.byteLength + i.cols.byteLength + (i.runs ? runTableBytes(i.runs) : 0);
}

function runTableBytes(r: RunTable): number {
  return r.offsets.byteLength + r.cell.byteLength + r.length.byteLength + r.gapBefore.byteLength + r.gapAfter.byteLength;
}
