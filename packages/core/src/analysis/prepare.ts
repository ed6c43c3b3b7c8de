import { AppError } from "../errors";
import type { StateMatrix } from "../matching/matrix";
import { kernelArray, kernelLayout, kernelMatrixOf } from "./kernels";
import { extractColumns } from "./rows";
import { midranks2, RankScratch } from "./ranks";

/**
 * A source prepared for analysis, once per source (the one-time cost `npm run bench:analysis`
 * reports): its transformed values row-major, each cell's mean and centred sum of squares, and
 * (for AUC and Spearman) each cell's doubled mid-ranks in the same row-major layout, so that every
 * later statistic against a track is a sum over the track's steps: AUC a rank sum over one label's
 * rows, Spearman a rank–rank product. A track with missing steps is analysed on a copy restricted
 * to its defined steps ({@link restrictRows}), prepared the same way.
 */
export interface PreparedSource {
  /** V, row-major (steps × cells). */
  values: StateMatrix;
  /** Per cell: mean of V. */
  mean: Float64Array;
  /** Per cell: Σ_t (V − mean)². */
  sxx: Float64Array;
  /** Per cell: the smallest and largest V (the top cells' histograms span them). */
  min: Float64Array;
  max: Float64Array;
  /** Doubled mid-ranks (see {@link midranks2}), row-major like `values`; null when prepared without ranks. */
  ranks: Uint32Array | null;
  /** Per cell: Σ_t (r2 − (n + 1))², the doubled ranks' centred sum of squares (ties lower it). */
  srr: Float64Array | null;
}

/** Bytes a prepared source holds (the cache's accounting): kernel memories, with their scratch, when it is prepared in them. */
export function preparedBytes(steps: number, cells: number, ranks: boolean): number {
  const matrix = steps > 0 && cells > 0 ? Math.ceil(kernelLayout(steps, cells).bytes / 65536) * 65536 : 0;
  return matrix * (ranks ? 2 : 1) + cells * (ranks ? 40 : 32);
}

/** Cells ranked together: their columns are gathered in one pass over the rows. */
const BLOCK = 32;

/**
 * Prepares a source block of cells by block of cells, so a caller can report progress (and a
 * worker yield) between blocks. Each block's columns are gathered from the rows once, ranked
 * (radix sort) and their ranks written back row-major. {@link prepareSource} runs it in one go.
 */
export class SourcePreparer {
  private readonly mean: Float64Array;
  private readonly sxx: Float64Array;
  private readonly min: Float64Array;
  private readonly max: Float64Array;
  private readonly ranks: Uint32Array | null;
  private readonly srr: Float64Array | null;
  private readonly scratch: RankScratch | null;
  private readonly cols: Float32Array;
  private readonly colRanks: Uint32Array;
  private done = 0;
  constructor(
    private readonly values: StateMatrix,
    opts: { ranks: boolean },
  ) {
    const { steps, cells } = values;
    if (values.data.length !== steps * cells) throw new RangeError(`prepare: ${steps} × ${cells} values need ${steps * cells}, got ${values.data.length}`);
    this.mean = new Float64Array(cells);
    this.sxx = new Float64Array(cells);
    this.min = new Float64Array(cells);
    this.max = new Float64Array(cells);
    // ranks beside values in a kernel memory go into one too (cell search's SIMD sums read both)
    const kernels = kernelMatrixOf(values.data, steps, cells) !== null;
    this.ranks = opts.ranks ? ((kernels ? kernelArray(Uint32Array, steps, cells) : null) ?? new Uint32Array(steps * cells)) : null;
    this.srr = opts.ranks ? new Float64Array(cells) : null;
    this.scratch = opts.ranks ? new RankScratch(steps) : null;
    const b = Math.min(BLOCK, cells);
    this.cols = new Float32Array(b * steps);
    this.colRanks = new Uint32Array(opts.ranks ? b * steps : 0);
  }

  get cellsDone(): number {
    return this.done;
  }

  /** Prepares at least the next `count` cells (whole blocks, fewer at the end); returns how many cells are done. */
  run(count: number): number {
    const { steps: n, cells: D } = this.values;
    const end = Math.min(D, this.done + Math.max(1, count));
    while (this.done < end) {
      const c0 = this.done;
      const k = Math.min(BLOCK, D - c0);
      const block = Array.from({ length: k }, (_, j) => c0 + j);
      const cols = extractColumns(this.values, block, this.cols);
      for (let j = 0; j < k; j++) {
        const col = cols.subarray(j * n, (j + 1) * n);
        // two passes: the centred sum of squares keeps its precision for near-constant cells
        let s = 0;
        let lo = Infinity;
        let hi = -Infinity;
        for (let t = 0; t < n; t++) {
          const v = col[t]!;
          s += v;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        this.min[c0 + j] = lo;
        this.max[c0 + j] = hi;
        const m = n > 0 ? s / n : 0;
        let q = 0;
        for (let t = 0; t < n; t++) {
          const d = col[t]! - m;
          q += d * d;
        }
        if (Number.isNaN(q)) throw new AppError("BAD_INPUT", `cell ${c0 + j} has NaN values: it cannot be analysed`);
        this.mean[c0 + j] = m;
        this.sxx[c0 + j] = q;
        if (this.ranks) {
          const r = this.colRanks.subarray(j * n, (j + 1) * n);
          midranks2(col, r, this.scratch!);
          let rr = 0;
          for (let t = 0; t < n; t++) {
            const d = r[t]! - (n + 1);
            rr += d * d;
          }
          this.srr![c0 + j] = rr;
        }
      }
      if (this.ranks) {
        const { ranks, colRanks } = this;
        for (let t = 0, row = c0; t < n; t++, row += D) for (let j = 0; j < k; j++) ranks[row + j] = colRanks[j * n + t]!;
      }
      this.done = c0 + k;
    }
    return this.done;
  }

  finish(): PreparedSource {
    if (this.done !== this.values.cells) throw new RangeError(`prepare: ${this.done} of ${this.values.cells} cells were prepared`);
    return { values: this.values, mean: this.mean, sxx: this.sxx, min: this.min, max: this.max, ranks: this.ranks, srr: this.srr };
  }
}

export function prepareSource(values: StateMatrix, opts: { ranks: boolean }): PreparedSource {
  const p = new SourcePreparer(values, opts);
  p.run(values.cells);
  return p.finish();
}
