import { AppError } from "../errors";
import type { ColumnMatrix } from "./columns";
import { midranks2, RankScratch } from "./ranks";

/**
 * A source prepared for analysis, once per source (the one-time cost `npm run bench:analysis`
 * reports): its transformed values cell-major, each cell's mean and centred sum of squares, and
 * (for AUC and Spearman) each cell's doubled mid-ranks, so that every later statistic against a
 * track is a sum over the track's steps: AUC a rank sum over one label's steps, Spearman a dot
 * product of ranks. The statistics of a track with missing steps run on a copy restricted to the
 * defined steps ({@link restrictColumns}), prepared the same way.
 */
export interface PreparedSource {
  columns: ColumnMatrix;
  /** Per cell: mean of V. */
  mean: Float64Array;
  /** Per cell: Σ_t (V − mean)². */
  sxx: Float64Array;
  /** Cell-major doubled mid-ranks (see {@link midranks2}); null when prepared without ranks. */
  ranks: Uint32Array | null;
  /** Per cell: Σ_t (r2 − (n + 1))², the doubled ranks' centred sum of squares (ties lower it). */
  srr: Float64Array | null;
}

/** Bytes a prepared source holds (the cache's accounting). */
export function preparedBytes(steps: number, cells: number, ranks: boolean): number {
  return steps * cells * (ranks ? 8 : 4) + cells * (ranks ? 24 : 16);
}

/**
 * Prepares a source cell range by cell range, so a caller can report progress (and a worker yield)
 * between ranges. {@link prepareSource} runs it in one go.
 */
export class SourcePreparer {
  private readonly mean: Float64Array;
  private readonly sxx: Float64Array;
  private readonly ranks: Uint32Array | null;
  private readonly srr: Float64Array | null;
  private readonly scratch: RankScratch | null;
  private done = 0;
  constructor(
    private readonly columns: ColumnMatrix,
    opts: { ranks: boolean },
  ) {
    const { steps, cells } = columns;
    if (columns.data.length !== steps * cells) throw new RangeError(`prepare: ${steps} × ${cells} columns need ${steps * cells} values, got ${columns.data.length}`);
    this.mean = new Float64Array(cells);
    this.sxx = new Float64Array(cells);
    this.ranks = opts.ranks ? new Uint32Array(steps * cells) : null;
    this.srr = opts.ranks ? new Float64Array(cells) : null;
    this.scratch = opts.ranks ? new RankScratch(steps) : null;
  }

  get cellsDone(): number {
    return this.done;
  }

  /** Prepares the next `count` cells (fewer at the end); returns how many cells are done. */
  run(count: number): number {
    const { steps: n, cells, data } = this.columns;
    const end = Math.min(cells, this.done + count);
    for (let c = this.done; c < end; c++) {
      const o = c * n;
      // two passes: the centred sum of squares keeps its precision for near-constant cells
      let s = 0;
      for (let t = 0; t < n; t++) s += data[o + t]!;
      const m = n > 0 ? s / n : 0;
      let q = 0;
      for (let t = 0; t < n; t++) {
        const d = data[o + t]! - m;
        q += d * d;
      }
      if (Number.isNaN(q)) throw new AppError("BAD_INPUT", `cell ${c} has NaN values: it cannot be analysed`);
      this.mean[c] = m;
      this.sxx[c] = q;
      if (this.ranks) {
        const r = this.ranks.subarray(o, o + n);
        midranks2(data.subarray(o, o + n), r, this.scratch!);
        const mid = n + 1;
        let rr = 0;
        for (let t = 0; t < n; t++) {
          const d = r[t]! - mid;
          rr += d * d;
        }
        this.srr![c] = rr;
      }
    }
    this.done = end;
    return end;
  }

  finish(): PreparedSource {
    if (this.done !== this.columns.cells) throw new RangeError(`prepare: ${this.done} of ${this.columns.cells} cells were prepared`);
    return { columns: this.columns, mean: this.mean, sxx: this.sxx, ranks: this.ranks, srr: this.srr };
  }
}

export function prepareSource(columns: ColumnMatrix, opts: { ranks: boolean }): PreparedSource {
  const p = new SourcePreparer(columns, opts);
  p.run(columns.cells);
  return p.finish();
}

/** The columns at the given steps only (ascending, distinct), compacted: for tracks with missing steps. */
export function restrictColumns(m: ColumnMatrix, keep: Uint32Array): ColumnMatrix {
  const n = keep.length;
  const { steps, cells, data } = m;
  for (let i = 0; i < n; i++) {
    if (keep[i]! >= steps || (i > 0 && keep[i]! <= keep[i - 1]!)) throw new RangeError(`restrict: steps must be ascending, distinct and < ${steps}`);
  }
  const out = new Float32Array(n * cells);
  for (let c = 0; c < cells; c++) {
    const o = c * steps;
    const w = c * n;
    for (let i = 0; i < n; i++) out[w + i] = data[o + keep[i]!]!;
  }
  return { data: out, steps: n, cells };
}
