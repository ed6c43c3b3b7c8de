import { AppError } from "../errors";
import { ctz32, popcount32 } from "./bits";
import { sharedOnRowsEncoder } from "./on-rows";
import { assertStateMatrix, rawCutoff, type StateMatrix, type Transform } from "./matrix";

export { createOnRowsEncoder, encodeOnRows, sharedOnRowsEncoder, type OnRowsEncoder } from "./on-rows";

/**
 * The on/off bits of one source (or one time-range shard of it) at one threshold: what every
 * match query at that threshold reads. Build it once per (source, threshold) and reuse it; it is
 * immutable, so one instance can serve concurrent queries.
 *
 * Two layouts of the same bits, each suited to one half of the algorithm:
 *
 * - `rows` (time-major): W = ceil(D/32) words per step; bit `c & 31` of `rows[r*W + (c>>5)]` is
 *   cell c at local row r. Scoring a candidate against all D cells is an AND over the rows of
 *   [p, p+L) and an AND-NOT over its padding rows, 32 cells per word op, and the candidate's rows
 *   are contiguous in memory.
 * - `cols` (cell-major): CW = ceil(steps/32) words per cell; bit `r & 31` of `cols[c*CW + (r>>5)]`.
 *   Counting the k selected cells over time walks only k columns: XOR of a word with itself
 *   shifted by one step marks the steps where a cell switches, so the cost is T/32 word ops per
 *   cell plus one per switch, not T·k.
 *
 * Bits past `cells` in a row word and past `steps` in a column word are always 0.
 * Memory: 2·T·D/8 bytes (1M × 650 → 163 MB; a 10M-step shard of 64 cells → 160 MB).
 *
 * Shards: an index may hold only global steps [origin, origin+steps) of a source of `totalSteps`
 * steps. A shard that owns [t0, t1) must also hold a halo of rows before and after it
 * (see `shardHalo`), so runs and paddings near its borders can be read.
 */
export interface OnIndex {
  /** T of the whole source. */
  readonly totalSteps: number;
  /** Global step of local row 0. */
  readonly origin: number;
  /** Rows held. */
  readonly steps: number;
  /** D. */
  readonly cells: number;
  /** fround(ℓ): a value is on iff V ≥ threshold. */
  readonly threshold: number;
  readonly transform: Transform;
  /** W = ceil(cells / 32). */
  readonly rowWords: number;
  readonly rows: Uint32Array;
  /** CW = ceil(steps / 32). */
  readonly colWords: number;
  readonly cols: Uint32Array;
  /** Every on-run that starts in the index, by start step; null when D > 65,536. */
  readonly runs: RunTable | null;
}

/** Stored lengths and gaps saturate here; a stored SAT means "≥ SAT" (callers fall back to bits). */
export const RUN_SAT = 0xffff;

/**
 * The on-runs of all cells, grouped by start step (CSR): the runs starting at local row r are
 * entries [offsets[r], offsets[r+1]), longest first. With padding before ≥ 1, A of a candidate (p, L) only holds
 * cells whose run starts exactly at p, so scoring reads the ~D/mean-period entries at p instead of
 * ANDing L rows of D bits. Per entry: `cell`; `length` of the run; `gapBefore`/`gapAfter`, the
 * off steps since the cell's previous run / until its next one (SAT when there is none and the
 * index reaches the source's edge). Runs cut by the index's edges are clipped to it, which is
 * safe for candidates whose padding lies inside the index (what `shardHalo` guarantees).
 * 8 bytes per run: 1M × 650 at ~5 % switches per step ≈ 260 MB.
 */
export interface RunTable {
  readonly offsets: Int32Array;
  readonly cell: Uint16Array;
  readonly length: Uint16Array;
  readonly gapBefore: Uint16Array;
  readonly gapAfter: Uint16Array;
}

/** Builds the run table from the row bits at once (see {@link runTableSlices}). */
export function buildRunTable(rows: Uint32Array, W: number, steps: number, cells: number, origin: number, totalSteps: number): RunTable | null {
  const slices = runTableSlices(rows, W, steps, cells, origin, totalSteps);
  let r = slices.next();
  while (!r.done) r = slices.next();
  return r.value;
}

/** Rows per slice of {@link runTableSlices} (≈ 5 ms of work each at 650 cells). */
const RUN_SLICE_ROWS = 4096;

/**
 * Builds the run table from the row bits — a pass over T·W words that counts the runs starting
 * at each step, then one step per run edge — yielding every `sliceRows` rows of each pass, so a
 * caller can spread a big build over many turns of its event loop (1M × 650: 41M runs, 330 MB).
 * The rows must not change until it returns. null when D > 65,536, or when the table would take
 * more than `maxBytes` (8 per run, 4 per step: known after the first pass, before allocating).
 *
 * An entry is written when its run ends, at the back of its start step's free slots: the runs
 * that start at a step end shortest first, so each step comes out longest first with no sort
 * (ends of one step are taken in descending cell order: equal lengths stay in cell order).
 */
export function* runTableSlices(
  rows: Uint32Array,
  W: number,
  steps: number,
  cells: number,
  origin: number,
  totalSteps: number,
  { sliceRows = RUN_SLICE_ROWS, maxBytes = Infinity }: { sliceRows?: number; maxBytes?: number } = {},
): Generator<void, RunTable | null, void> {
  if (cells > 65536) return null;
  const offsets = new Int32Array(steps + 1);
  let total = 0;
  for (let r = 0; r < steps; r++) {
    if (r % sliceRows === sliceRows - 1) yield;
    offsets[r] = total;
    const b = r * W;
    for (let w = 0; w < W; w++) {
      const s = r === 0 ? rows[b + w]! : rows[b + w]! & ~rows[b - W + w]!;
      if (s !== 0) total += popcount32(s);
    }
  }
  offsets[steps] = total;
  if (total * 8 + offsets.byteLength > maxBytes) return null;
  const cell = new Uint16Array(total);
  const length = new Uint16Array(total);
  const gapBefore = new Uint16Array(total);
  const gapAfter = new Uint16Array(total);
  // per start step: its next free slot from the back
  const free = offsets.slice(1);
  // per cell: slot of its last ended run (−1 none), the local row where it ended, the open run's start and gap before
  const lastSlot = new Int32Array(cells).fill(-1);
  const lastEnd = new Int32Array(cells).fill(-1);
  const startRow = new Int32Array(cells);
  const openGap = new Uint16Array(cells);
  const sat = (x: number) => (x < RUN_SAT ? x : RUN_SAT);
  const atStart = origin === 0;
  const atEnd = origin + steps === totalSteps;
  for (let r = 0; r <= steps; r++) {
    if (r % sliceRows === sliceRows - 1) yield;
    const b = r * W;
    if (r > 0) {
      for (let w = W - 1; w >= 0; w--) {
        let ends = rows[b - W + w]! & ~(r < steps ? rows[b + w]! : 0);
        while (ends !== 0) {
          const bit = 31 - Math.clz32(ends);
          ends ^= 1 << bit;
          const c = (w << 5) | bit;
          const s0 = startRow[c]!;
          const j = --free[s0]!;
          cell[j] = c;
          length[j] = sat(r - s0);
          gapBefore[j] = openGap[c]!;
          gapAfter[j] = RUN_SAT; // until a next run shows up
          lastSlot[c] = j;
          lastEnd[c] = r;
        }
      }
    }
    if (r === steps) break;
    for (let w = 0; w < W; w++) {
      let starts = r === 0 ? rows[b + w]! : rows[b + w]! & ~rows[b - W + w]!;
      while (starts !== 0) {
        const bit = ctz32(starts);
        starts &= starts - 1;
        const c = (w << 5) | bit;
        const prev = lastSlot[c]!;
        const le = lastEnd[c]!;
        if (prev >= 0) gapAfter[prev] = sat(r - le);
        openGap[c] = prev >= 0 ? sat(r - le) : atStart ? RUN_SAT : sat(r);
        startRow[c] = r;
      }
    }
  }
  // last runs of cells: no next run inside the index
  if (!atEnd) {
    for (let c = 0; c < cells; c++) {
      const j = lastSlot[c]!;
      if (j >= 0 && gapAfter[j] === RUN_SAT) gapAfter[j] = sat(steps - lastEnd[c]!);
    }
  }
  return { offsets, cell, length, gapBefore, gapAfter };
}


/** Incremental builder: feed consecutive row blocks, so a huge source never exists as float32 at once. */
export interface OnIndexBuilder {
  /** Appends rows (row-major, `cells` values per row). */
  push(block: Float32Array): void;
  /** Puts rows at local row `row` (blocks in any order, never overlapping; don't mix with `push`). */
  pushAt(row: number, block: Float32Array): void;
  finish(): OnIndex;
}

export function createOnIndexBuilder(opts: {
  steps: number;
  cells: number;
  threshold: number;
  transform?: Transform;
  origin?: number;
  totalSteps?: number;
  /**
   * Build the run table (default true). It speeds up scoring with padding before ≥ 1 a little and
   * costs about as much as the bits to build; a cold path that must answer soon skips it.
   */
  runs?: boolean;
  /**
   * Fill the column bits (default true). Without them the index holds only rows; a caller fills
   * the columns its queries select with `fillColumnsFromRows` (a cold query on 650 cells needs
   * 5–20 of them, and transposing all costs ~1 s per 1M steps).
   */
  columns?: boolean;
}): OnIndexBuilder {
  const { steps, cells } = opts;
  const transform = opts.transform ?? "none";
  const origin = opts.origin ?? 0;
  const totalSteps = opts.totalSteps ?? origin + steps;
  if (!Number.isFinite(opts.threshold)) {
    throw new AppError("BAD_INPUT", `threshold must be a finite number, got ${opts.threshold}`);
  }
  if (!Number.isInteger(origin) || origin < 0 || origin + steps > totalSteps) {
    throw new AppError("BAD_INPUT", `index rows [${origin}, ${origin + steps}) lie outside the source's ${totalSteps} steps`);
  }
  const threshold = Math.fround(opts.threshold);
  const cut = rawCutoff(threshold, transform);
  const W = Math.ceil(cells / 32);
  const CW = Math.ceil(steps / 32);
  const rows = new Uint32Array(steps * W);
  const cols = new Uint32Array(cells * CW);
  let filled = 0;
  let next = 0;
  // (the thread's one encoder: making one per build was most of a small source's build)
  const encode = sharedOnRowsEncoder();
  const pushAt = (row: number, block: Float32Array): void => {
    if (block.length % cells !== 0) {
      throw new AppError("BAD_INPUT", `index block of ${block.length} values is not a whole number of ${cells}-cell rows`);
    }
    const n = block.length / cells;
    if (!Number.isInteger(row) || row < 0 || row + n > steps || filled + n > steps) throw new AppError("BAD_INPUT", `index block of rows [${row}, ${row + n}) exceeds the ${steps} rows announced`);
    if (cut !== null) {
      encode(block, cells, cut, rows.subarray(row * W, (row + n) * W));
      // column words shared with a neighbouring block are OR-ed, so blocks may come in any order
      if (opts.columns !== false) transposeInto(rows, W, cols, CW, row, row + n, cells);
    }
    filled += n;
  };
  return {
    pushAt,
    push(block: Float32Array): void {
      pushAt(next, block);
      next += block.length / cells;
    },
    finish(): OnIndex {
      if (filled !== steps) throw new AppError("BAD_INPUT", `index got ${filled} of ${steps} rows`);
      const runs = opts.runs === false ? null : buildRunTable(rows, W, steps, cells, origin, totalSteps);
      return { totalSteps, origin, steps, cells, threshold, transform, rowWords: W, rows, colWords: CW, cols, runs };
    },
  };
}

/**
 * The column bits of rows [0, steps) of row bits `rows` (W words per row): cell-major,
 * ceil(steps/32) words per cell, as `OnIndex.cols`.
 */
export function columnsOfRows(rows: Uint32Array, steps: number, cells: number): Uint32Array {
  const W = Math.ceil(cells / 32);
  const CW = Math.ceil(steps / 32);
  const cols = new Uint32Array(cells * CW);
  if (steps > 0) transposeInto(rows, W, cols, CW, 0, steps, cells);
  return cols;
}

/**
 * Fills the column bits of `cells` from the row bits (for an index built without columns): T word
 * reads per cell.
 */
export function fillColumnsFromRows(index: OnIndex, cells: ArrayLike<number>): void {
  const { rows, cols, rowWords: W, colWords: CW, steps } = index;
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= index.cells) throw new AppError("BAD_INPUT", `cell ${c} is outside the index's ${index.cells} cells`);
    const w = c >>> 5;
    const bit = c & 31;
    const out = c * CW;
    for (let blk = 0; blk < CW; blk++) {
      const t0 = blk << 5;
      const t1 = Math.min(steps, t0 + 32);
      let word = 0;
      for (let t = t0, at = t0 * W + w; t < t1; t++, at += W) word |= ((rows[at]! >>> bit) & 1) << (t - t0);
      cols[out + blk] = word;
    }
  }
}

/**
 * The reverse of {@link fillColumnsFromRows} for some steps: sets the row bits of `cells` at the
 * steps of `ranges` ([from, to), local rows) from their filled columns. Only sets bits (a row's
 * other cells keep theirs), so rows filled whole stay exact.
 */
export function fillRowsFromColumns(index: OnIndex, cells: ArrayLike<number>, ranges: readonly (readonly [number, number])[]): void {
  const { rows, cols, rowWords: W, colWords: CW, steps } = index;
  for (const [from, to] of ranges) {
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > steps) throw new AppError("BAD_INPUT", `rows [${from}, ${to}) are outside the index's ${steps} steps`);
    for (let i = 0; i < cells.length; i++) {
      const c = cells[i]!;
      const col = c * CW;
      const at = c >>> 5;
      const bit = 1 << (c & 31);
      for (let t = from; t < to; t++) if ((cols[col + (t >>> 5)]! >>> (t & 31)) & 1) rows[t * W + at]! |= bit;
    }
  }
}

/**
 * An index from its bits (e.g. read back from storage), without a run table. `cols` may hold
 * only some cells' columns: callers that do so must fill the selected cells' columns before a
 * query reads them (the scan reads only the selected cells' columns, scoring reads rows).
 */
export function onIndexFromBits(parts: {
  totalSteps: number;
  origin: number;
  steps: number;
  cells: number;
  threshold: number;
  transform: Transform;
  rows: Uint32Array;
  cols: Uint32Array;
}): OnIndex {
  const { steps, cells } = parts;
  const W = Math.ceil(cells / 32);
  const CW = Math.ceil(steps / 32);
  if (parts.rows.length !== steps * W || parts.cols.length !== cells * CW) {
    throw new AppError("INTERNAL", `index bits of ${steps} × ${cells} need ${steps * W} row and ${cells * CW} column words, got ${parts.rows.length} and ${parts.cols.length}`);
  }
  if (!Number.isInteger(parts.origin) || parts.origin < 0 || parts.origin + steps > parts.totalSteps) {
    throw new AppError("INTERNAL", `index rows [${parts.origin}, ${parts.origin + steps}) lie outside the source's ${parts.totalSteps} steps`);
  }
  return { ...parts, threshold: Math.fround(parts.threshold), rowWords: W, colWords: CW, runs: null };
}

/**
 * Fills every cell's column bits of `index` from its row bits (every row must be filled), OR-ed in
 * — columns filled already keep their bits — yielding every `sliceRows` rows (a multiple of 32),
 * so a caller can spread the work over its event loop (1M × 650: ≈ 1 s of CPU).
 */
export function* columnsFromRowsSlices(index: OnIndex, sliceRows = RUN_SLICE_ROWS): Generator<void, void, void> {
  if (sliceRows % 32 !== 0) throw new RangeError(`column slices of ${sliceRows} rows: use a multiple of 32`);
  for (let r = 0; r < index.steps; r += sliceRows) {
    if (r > 0) yield;
    transposeInto(index.rows, index.rowWords, index.cols, index.colWords, r, Math.min(index.steps, r + sliceRows), index.cells);
  }
}

/**
 * Copies the bits of rows [r0, r1) into the column layout, 32 rows × 32 cells at a time with a
 * 32×32 bit-matrix transpose (5 rounds of masked swaps) instead of one scattered write per bit.
 * Column words straddling r0 or r1 are merged with what earlier blocks wrote.
 */
function transposeInto(rows: Uint32Array, W: number, cols: Uint32Array, CW: number, r0: number, r1: number, cells: number): void {
  const a = new Int32Array(32);
  for (let blk = r0 >>> 5; blk <= (r1 - 1) >>> 5; blk++) {
    const t0 = blk << 5;
    for (let w = 0; w < W; w++) {
      // a[j] = row t0+j, word w (bits = cells 32w..32w+31); rows outside [r0, r1) read as 0
      for (let j = 0; j < 32; j++) {
        const t = t0 + j;
        a[j] = t >= r0 && t < r1 ? rows[t * W + w]! : 0;
      }
      // transpose so that a[i] bit j = row t0+j of cell 32w+i (Hacker's Delight 7-3, LSB-first)
      let m = 0x0000ffff;
      for (let j = 16; j !== 0; j >>>= 1, m ^= m << j) {
        for (let k = 0; k < 32; k = (k + j + 1) & ~j) {
          const t = ((a[k]! >>> j) ^ a[k + j]!) & m;
          a[k + j] = a[k + j]! ^ t;
          a[k] = a[k]! ^ (t << j);
        }
      }
      const cEnd = Math.min(32, cells - (w << 5));
      for (let i = 0; i < cEnd; i++) cols[((w << 5) + i) * CW + blk]! |= a[i]!;
    }
  }
}

/**
 * Builds the index of `matrix` at `threshold` (compare with `fround(threshold)`), optionally only
 * for its rows [from, to) (a shard with halo; the result's origin is `from`).
 */
export function buildOnIndex(
  matrix: StateMatrix,
  threshold: number,
  opts: { transform?: Transform; from?: number; to?: number; runs?: boolean } = {},
): OnIndex {
  assertStateMatrix(matrix, "source");
  const from = opts.from ?? 0;
  const to = opts.to ?? matrix.steps;
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > matrix.steps || from > to) {
    throw new AppError("BAD_INPUT", `index rows [${from}, ${to}) lie outside the source's ${matrix.steps} steps`);
  }
  const b = createOnIndexBuilder({
    steps: to - from,
    cells: matrix.cells,
    threshold,
    transform: opts.transform ?? "none",
    origin: from,
    totalSteps: matrix.steps,
    runs: opts.runs,
  });
  b.push(matrix.data.subarray(from * matrix.cells, to * matrix.cells));
  return b.finish();
}

/** Whether cell c is on at global step t (t must be held by the index). */
export function isOnAt(index: OnIndex, t: number, c: number): boolean {
  const r = t - index.origin;
  return ((index.rows[r * index.rowWords + (c >>> 5)]! >>> (c & 31)) & 1) === 1;
}
