import { AppError } from "../errors";
import type { Transform } from "../matching/matrix";

/**
 * T steps × D cells stored cell-major: value (t, c) is `data[c * steps + t]`. The analysis works
 * column by column (one cell against a track over all steps), so each cell's values are contiguous.
 */
export interface ColumnMatrix {
  data: Float32Array;
  steps: number;
  cells: number;
}

/** Rows transposed per block: 256 rows × 650 cells × 4 bytes stays within L2 while it is read strided. */
const BLOCK_ROWS = 256;

export interface ColumnsBuilderOptions {
  /** Steps of the source (rows the builder will receive in total). */
  steps: number;
  /** Cells per row of the source. */
  sourceCells: number;
  /** The source columns to keep, in output order (default: all). */
  select?: ArrayLike<number>;
  /** V = fround(tanh(raw)) or V = raw, as matching.md defines the values the explorer shows. */
  transform: Transform;
}

/**
 * Transposes row-major rows (a source's stored chunks, streamed in step order) into a
 * {@link ColumnMatrix} of transformed values, keeping only the selected columns.
 */
export class ColumnsBuilder {
  private readonly out: Float32Array;
  private readonly sel: Uint32Array;
  private filled = 0;
  constructor(private readonly opts: ColumnsBuilderOptions) {
    const { steps, sourceCells } = opts;
    if (!Number.isInteger(steps) || steps < 0 || !Number.isInteger(sourceCells) || sourceCells < 1) {
      throw new AppError("BAD_INPUT", `columns: need steps ≥ 0 and cells ≥ 1, got ${steps} × ${sourceCells}`);
    }
    this.sel = opts.select ? Uint32Array.from(opts.select) : Uint32Array.from({ length: sourceCells }, (_, i) => i);
    for (const c of this.sel) if (c >= sourceCells) throw new AppError("BAD_INPUT", `columns: the source has ${sourceCells} cells, cell ${c} was selected`);
    this.out = new Float32Array(steps * this.sel.length);
  }

  /** Appends whole rows (a multiple of the source's cells). */
  push(rows: Float32Array): void {
    const D = this.opts.sourceCells;
    if (rows.length % D !== 0) throw new RangeError(`columns: ${rows.length} values is not a whole number of ${D}-cell rows`);
    const n = rows.length / D;
    const T = this.opts.steps;
    if (this.filled + n > T) throw new RangeError(`columns: ${this.filled + n} rows pushed into a ${T}-step matrix`);
    const { out, sel } = this;
    const k = sel.length;
    const tanh = this.opts.transform === "tanh";
    for (let r0 = 0; r0 < n; r0 += BLOCK_ROWS) {
      const r1 = Math.min(n, r0 + BLOCK_ROWS);
      for (let j = 0; j < k; j++) {
        let o = j * T + this.filled + r0;
        let i = r0 * D + sel[j]!;
        // Float32Array stores round, so out[o] = fround(tanh(raw)) as matching.md prescribes
        if (tanh) for (let r = r0; r < r1; r++, i += D) out[o++] = Math.tanh(rows[i]!);
        else for (let r = r0; r < r1; r++, i += D) out[o++] = rows[i]!;
      }
    }
    this.filled += n;
  }

  finish(): ColumnMatrix {
    if (this.filled !== this.opts.steps) throw new RangeError(`columns: ${this.filled} of ${this.opts.steps} rows were pushed`);
    return { data: this.out, steps: this.opts.steps, cells: this.sel.length };
  }
}

/** The transformed columns of a whole row-major matrix (tests, small sources). */
export function columnsOf(m: { data: Float32Array; steps: number; cells: number }, transform: Transform, select?: ArrayLike<number>): ColumnMatrix {
  const b = new ColumnsBuilder({ steps: m.steps, sourceCells: m.cells, transform, ...(select ? { select } : {}) });
  if (m.steps > 0) b.push(m.data);
  return b.finish();
}

/** Cell `c`'s values (a view, no copy). */
export function column(m: ColumnMatrix, c: number): Float32Array {
  return m.data.subarray(c * m.steps, (c + 1) * m.steps);
}
