/**
 * The worker's analysis memory: sources prepared for analysis (transformed values row-major, per
 * cell moments and mid-ranks; see packages/core `PreparedSource`) in a byte-bounded LRU, built by
 * streaming the source's chunks from Postgres once and then shared by every cell search, guidance,
 * comparison and partners query on that source. Concurrent requests for the same preparation wait
 * for one build. A source whose preparation does not fit the budget is never cached: cell search
 * then prepares it in blocks of cells, one pass over the stored chunks per block.
 * Whole sources are kept in kernel memories (shared WebAssembly memories, see packages/core
 * `kernels`) so cell search's sums run as SIMD kernels on the engine's threads ({@link KernelPool}),
 * which share them rather than copy them; a source dropped from the cache is released from them.
 */
import {
  AppError,
  kernelMatrixOf,
  preparedBytes,
  prepareSource,
  restrictRows,
  RowsBuilder,
  SlotHistograms,
  SourcePreparer,
  thresholdGrid,
  type CellSearchTarget,
  type CellStats,
  type PreparedSource,
  type StateMatrix,
  type ThresholdGrid,
} from "@statescope/core";
import { pgPool, type Db } from "@/server/db/client";
import { findSource } from "@/server/services/datasets/datasets";
import { ByteLru } from "@/server/services/matching/byte-lru";
import { forEachStateChunk } from "@/server/storage/dataset-store";
import { KernelPool } from "./kernel-pool";
import { scoreCells } from "./score";

export type AnalysisSource = Awaited<ReturnType<typeof findSource>>;

/** Reports a phase and its completion (0..1); awaited, so a job can store it and the event loop turns. */
export type Progress = (phase: string, fraction: number) => Promise<void>;
const noProgress: Progress = async () => undefined;

interface Entry {
  prep: PreparedSource;
  /** Guidance's per-cell counts on the source's threshold grid, filled lazily. */
  slots: SlotHistograms | null;
}

/** Cells ranked between progress reports (and event-loop turns). */
const CELLS_PER_STEP = 16;

export class AnalysisEngine {
  readonly cache: ByteLru<Entry>;
  /** Threads for cell search's kernels (null: they run on this thread). */
  readonly pool: KernelPool | null;
  private readonly building = new Map<string, Promise<Entry>>();
  /** Per prepared source, the cell search running on it (its kernel scratch holds one at a time). */
  private readonly searches = new WeakMap<PreparedSource, Promise<unknown>>();
  /** `threads`: kernel threads per cell search (default 1, see ANALYSIS_THREADS; 0: the kernels run on this thread). */
  constructor(
    readonly budget: number,
    opts: { threads?: number } = {},
  ) {
    this.pool = opts.threads === 0 ? null : new KernelPool(opts.threads ?? 1);
    this.cache = new ByteLru<Entry>(budget, (e) => this.pool?.release(kernelMemories(e.prep)));
  }

  /**
   * Scores every cell of a prepared source against a target (see {@link scoreCells}); searches on
   * the same source run one after the other, each with the kernels and all threads.
   */
  async score(prep: PreparedSource, target: CellSearchTarget, progress?: (fraction: number) => Promise<void>): Promise<CellStats> {
    const before = this.searches.get(prep) ?? Promise.resolve();
    const run = before.catch(() => undefined).then(() => scoreCells(prep, target, this.pool, progress));
    this.searches.set(prep, run);
    return run;
  }

  /** Does a whole prepared source (with ranks or not) fit this engine's memory? */
  fits(src: AnalysisSource, ranks: boolean): boolean {
    return preparedBytes(src.steps, src.cells, ranks) <= this.budget;
  }

  /**
   * Part of a preparation: starts the kernel threads on the prepared source and runs a small
   * search on them (a label on every 64th step, ~1.5 % of a search's rows), so the first real
   * search pays neither the threads' start nor the kernels' first, unoptimised runs.
   */
  async warm(prep: PreparedSource): Promise<void> {
    const n = prep.values.steps;
    if (!this.pool || !prep.ranks || n < 2) return;
    const positive = new Uint8Array(n);
    for (let t = 0; t < n; t += 64) positive[t] = 1;
    await this.score(prep, { kind: "label", positive });
  }

  /** The source's transformed values (all cells, in a kernel memory, or `select`), row-major, streamed from its stored chunks. */
  async readRows(db: Db, src: AnalysisSource, select: number[] | null, progress: Progress = noProgress, phase = "reading the source"): Promise<StateMatrix> {
    const b = new RowsBuilder({ steps: src.steps, sourceCells: src.cells, transform: src.transform, ...(select ? { select } : { kernels: true }) });
    let last = 0;
    await forEachStateChunk(pgPool(db), src, async (from, rows) => {
      b.push(rows.subarray(0, Math.min(rows.length, (src.steps - from) * src.cells)));
      const done = Math.min(src.steps, from + rows.length / src.cells) / src.steps;
      if (done - last >= 0.02) {
        last = done;
        await progress(phase, done);
      }
    });
    return b.finish();
  }

  /** The prepared source from memory, or prepared now (and kept). `prepareMs` is 0 on a hit. */
  async prepared(db: Db, src: AnalysisSource, opts: { ranks: boolean; progress?: Progress }): Promise<{ prep: PreparedSource; prepareMs: number }> {
    if (!this.fits(src, opts.ranks)) {
      throw new AppError("TOO_LARGE", `source ${src.name} (${src.steps.toLocaleString("en")} × ${src.cells}) needs ${gib(preparedBytes(src.steps, src.cells, opts.ranks))} prepared; this worker's ANALYSIS_CACHE_BYTES is ${gib(this.budget)}`);
    }
    const key = `prep:${src.id}`;
    const hit = this.cache.get(key);
    if (hit && (hit.prep.ranks || !opts.ranks)) return { prep: hit.prep, prepareMs: 0 };
    const t0 = performance.now();
    const entry = await this.once(`${key}:${opts.ranks}`, async () => {
      const progress = opts.progress ?? noProgress;
      // a source prepared without ranks keeps its values; only the ranks are added
      const values = hit?.prep.values ?? (await this.readRows(db, src, null, progress));
      const prep = await prepareStepwise(values, opts.ranks, progress, "ranking each cell's values");
      await this.warm(prep);
      const e: Entry = { prep, slots: hit?.slots ?? null };
      this.cache.set(key, e, preparedBytes(src.steps, src.cells, opts.ranks));
      return e;
    });
    return { prep: entry.prep, prepareMs: performance.now() - t0 };
  }

  /**
   * The source restricted to the steps where a track is defined, prepared with ranks (the ranks of
   * a subset are not the subset of the ranks). Kept under `trackKey`, which names the track and its
   * version, so every label of the track shares it.
   */
  async restricted(db: Db, src: AnalysisSource, keep: Uint32Array, trackKey: string, progress: Progress = noProgress): Promise<{ prep: PreparedSource; prepareMs: number }> {
    const key = `restricted:${src.id}:${trackKey}`;
    const hit = this.cache.get(key);
    if (hit) return { prep: hit.prep, prepareMs: 0 };
    const t0 = performance.now();
    const entry = await this.once(key, async () => {
      const full = this.fits(src, false) ? (await this.prepared(db, src, { ranks: false, progress })).prep.values : await this.readRows(db, src, null, progress);
      const prep = await prepareStepwise(restrictRows(full, keep), true, progress, "ranking each cell's values where the track is defined");
      await this.warm(prep);
      const e: Entry = { prep, slots: null };
      this.cache.set(key, e, preparedBytes(keep.length, src.cells, true));
      return e;
    });
    return { prep: entry.prep, prepareMs: performance.now() - t0 };
  }

  /**
   * The values guidance reads: the whole prepared source when it fits (kept, with its per-cell
   * grid counts), else just the selected cells (streamed, not kept; their counts are computed now).
   */
  async guideValues(db: Db, src: AnalysisSource, cells: number[], progress: Progress = noProgress): Promise<{ values: StateMatrix; cells: number[]; slots: SlotHistograms; prepareMs: number }> {
    const grid = await sourceGrid(db, src);
    if (this.fits(src, false)) {
      const { prep, prepareMs } = await this.prepared(db, src, { ranks: false, progress });
      const entry = this.cache.get(`prep:${src.id}`);
      const slots = entry?.slots ?? new SlotHistograms(prep.values, grid);
      if (entry && !entry.slots) {
        entry.slots = slots;
        // re-account the entry with its counts (ByteLru replaces the key)
        this.cache.set(`prep:${src.id}`, entry, preparedBytes(src.steps, src.cells, prep.ranks !== null) + slots.bytes);
      }
      return { values: prep.values, cells, slots, prepareMs };
    }
    const t0 = performance.now();
    const values = await this.readRows(db, src, cells, progress);
    return { values, cells: cells.map((_, i) => i), slots: new SlotHistograms(values, grid), prepareMs: performance.now() - t0 };
  }

  private async once(key: string, build: () => Promise<Entry>): Promise<Entry> {
    const pending = this.building.get(key);
    if (pending) return pending;
    const p = build().finally(() => this.building.delete(key));
    this.building.set(key, p);
    return p;
  }
}

/** The kernel memories a prepared source's values and ranks live in (none when they are ordinary arrays). */
function kernelMemories(p: PreparedSource): WebAssembly.Memory[] {
  const { steps, cells } = p.values;
  return [kernelMatrixOf(p.values.data, steps, cells), p.ranks ? kernelMatrixOf(p.ranks, steps, cells) : null].flatMap((m) => (m ? [m.memory] : []));
}

/** {@link SourcePreparer} a block of cells at a time, reporting progress between blocks. */
async function prepareStepwise(values: StateMatrix, ranks: boolean, progress: Progress, phase: string): Promise<PreparedSource> {
  if (!ranks) return prepareSource(values, { ranks: false });
  const p = new SourcePreparer(values, { ranks: true });
  while (p.run(CELLS_PER_STEP) < values.cells) await progress(phase, p.cellsDone / values.cells);
  return p.finish();
}

/** The thresholds guidance works on: 0.001 steps over [−1, 1] for tanh sources, a round grid over [min, max] otherwise. */
export async function sourceGrid(db: Db, src: AnalysisSource): Promise<ThresholdGrid> {
  if (src.transform === "tanh") return thresholdGrid(-1, 1);
  const s = await db.datasetSource.findUniqueOrThrow({ where: { id: src.id }, select: { min: true, max: true } });
  return thresholdGrid(s.min, Math.max(s.min, s.max));
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}
