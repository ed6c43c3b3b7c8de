import { AppError } from "../errors";
import type { StateMatrix, Transform } from "../matching/matrix";
import { kernelArray, kernelMatrixOf } from "./kernels";

/**
 * The values the explorer shows (the source's transform applied), row-major like the stored
 * source: value (t, c) at `data[t · cells + c]`. The analysis keeps sources this way: a label's
 * steps are whole rows (a sparse label reads only its rows), and a pass over all steps streams
 * once through memory.
 */
export interface RowsBuilderOptions {
  /** Steps of the source (rows the builder will receive in total). */
  steps: number;
  /** Cells per row of the source. */
  sourceCells: number;
  /** The source columns to keep, in output order (default: all). */
  select?: ArrayLike<number>;
  /** V = fround(tanh(raw)) or V = raw, as matching.md defines it. */
  transform: Transform;
  /** Keep the rows in a kernel memory when possible (see ./kernels: cell search's SIMD sums, shared with threads). */
  kernels?: boolean;
}

/** Collects a source's rows (its stored chunks, streamed in step order), transformed, keeping the selected columns. */
export class RowsBuilder {
  private readonly out: Float32Array;
  private readonly sel: Uint32Array | null;
  private readonly width: number;
  private filled = 0;
  constructor(private readonly opts: RowsBuilderOptions) {
    const { steps, sourceCells } = opts;
    if (!Number.isInteger(steps) || steps < 0 || !Number.isInteger(sourceCells) || sourceCells < 1) {
      throw new AppError("BAD_INPUT", `rows: need steps ≥ 0 and cells ≥ 1, got ${steps} × ${sourceCells}`);
    }
    this.sel = opts.select ? Uint32Array.from(opts.select) : null;
    for (const c of this.sel ?? []) if (c >= sourceCells) throw new AppError("BAD_INPUT", `rows: the source has ${sourceCells} cells, cell ${c} was selected`);
    this.width = this.sel ? this.sel.length : sourceCells;
    this.out = (opts.kernels ? kernelArray(Float32Array, steps, this.width) : null) ?? new Float32Array(steps * this.width);
  }

  /** Appends whole rows (a multiple of the source's cells). */
  push(rows: Float32Array): void {
    const D = this.opts.sourceCells;
    if (rows.length % D !== 0) throw new RangeError(`rows: ${rows.length} values is not a whole number of ${D}-cell rows`);
    const n = rows.length / D;
    if (this.filled + n > this.opts.steps) throw new RangeError(`rows: ${this.filled + n} rows pushed into a ${this.opts.steps}-step matrix`);
    const { out, sel, width } = this;
    const tanh = this.opts.transform === "tanh";
    let o = this.filled * width;
    if (!sel) {
      // Float32Array stores round, so out = fround(tanh(raw)) as matching.md prescribes
      if (tanh) for (let i = 0; i < rows.length; i++) out[o + i] = Math.tanh(rows[i]!);
      else out.set(rows, o);
    } else {
      for (let r = 0; r < n; r++, o += width) {
        const row = r * D;
        if (tanh) for (let j = 0; j < width; j++) out[o + j] = Math.tanh(rows[row + sel[j]!]!);
        else for (let j = 0; j < width; j++) out[o + j] = rows[row + sel[j]!]!;
      }
    }
    this.filled += n;
  }

  finish(): StateMatrix {
    if (this.filled !== this.opts.steps) throw new RangeError(`rows: ${this.filled} of ${this.opts.steps} rows were pushed`);
    return { data: this.out, steps: this.opts.steps, cells: this.width };
  }
}

/** The transformed values of a whole matrix (tests, small sources); a copy. */
export function transformedRows(m: StateMatrix, transform: Transform, select?: ArrayLike<number>, opts: { kernels?: boolean } = {}): StateMatrix {
  const b = new RowsBuilder({ steps: m.steps, sourceCells: m.cells, transform, ...(select ? { select } : {}), ...opts });
  if (m.steps > 0) b.push(m.data);
  return b.finish();
}

/** Cells within this many of each other are read in one pass over the rows (they share a few cache lines per row). */
const NEAR_CELLS = 32;

/**
 * The given cells' values cell-major (`out[i · steps + t]`). Nearby cells (a block of adjacent
 * ones) in one pass over the rows; scattered ones (e.g. the top cells of a search) four columns a
 * pass, each read by its own load at a fixed stride, which the processor prefetches (a single
 * pass touching a cache line per cell per row waited on memory about three times as long).
 */
export function extractColumns(m: StateMatrix, cells: ArrayLike<number>, out: Float32Array = new Float32Array(cells.length * m.steps)): Float32Array {
  const { data, steps: T, cells: D } = m;
  const k = cells.length;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < k; i++) {
    const c = cells[i]!;
    if (!(c >= 0 && c < D)) throw new RangeError(`columns: cell ${c} is not one of the ${D} cells`);
    lo = Math.min(lo, c);
    hi = Math.max(hi, c);
  }
  if (out.length < k * T) throw new RangeError(`columns: out holds ${out.length} values, need ${k * T}`);
  if (hi - lo < NEAR_CELLS) {
    for (let t = 0, row = 0; t < T; t++, row += D) for (let i = 0; i < k; i++) out[i * T + t] = data[row + cells[i]!]!;
    return out;
  }
  let i = 0;
  for (; i + 3 < k; i += 4) {
    const [c0, c1, c2, c3] = [cells[i]!, cells[i + 1]!, cells[i + 2]!, cells[i + 3]!];
    const o0 = i * T;
    const o1 = o0 + T;
    const o2 = o1 + T;
    const o3 = o2 + T;
    for (let t = 0, row = 0; t < T; t++, row += D) {
      out[o0 + t] = data[row + c0]!;
      out[o1 + t] = data[row + c1]!;
      out[o2 + t] = data[row + c2]!;
      out[o3 + t] = data[row + c3]!;
    }
  }
  for (; i < k; i++) {
    const o = i * T;
    for (let t = 0, p = cells[i]!; t < T; t++, p += D) out[o + t] = data[p]!;
  }
  return out;
}

/** The rows at the given steps only (ascending, distinct), compacted: for tracks with missing steps. In a kernel memory when `m` is. */
export function restrictRows(m: StateMatrix, keep: Uint32Array): StateMatrix {
  const { steps, cells: D, data } = m;
  const out = (kernelMatrixOf(data, steps, D) ? kernelArray(Float32Array, keep.length, D) : null) ?? new Float32Array(keep.length * D);
  for (let i = 0; i < keep.length; i++) {
    const t = keep[i]!;
    if (t >= steps || (i > 0 && t <= keep[i - 1]!)) throw new RangeError(`restrict: steps must be ascending, distinct and < ${steps}`);
    out.set(data.subarray(t * D, (t + 1) * D), i * D);
  }
  return { data: out, steps: keep.length, cells: D };
}
