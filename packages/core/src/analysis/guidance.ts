/**
 * Threshold guidance for a brush and a selection: how many cells the Select view's rule would
 * pick, how many candidate ranges the selection would have, and how well the threshold separates
 * the brushed range from the rest, over a grid of thresholds.
 *
 * Everything depends on the threshold only through comparisons V ≥ fround(ℓ), so each quantity
 * is a step function of ℓ and is computed for the whole grid at once from the selected cells'
 * values (once per selection, O(k·T + G)); following a drag of the threshold is then a lookup.
 * Sources are row-major (the analysis keeps them so), values transformed.
 */
import type { StateMatrix } from "../matching/matrix";

/**
 * Thresholds ℓ_j = (first + j) · mant · 10^exp, j = 0 … count − 1: a round step (1, 2 or 5 times a
 * power of ten) so the grid points are the numbers a person types; on [−1, 1] (tanh sources) the
 * step is 0.001, the Select view's threshold field's precision.
 */
export interface ThresholdGrid {
  first: number;
  mant: 1 | 2 | 5;
  exp: number;
  count: number;
}

/** The finest round grid covering [lo, hi] with at most `maxPoints` points. */
export function thresholdGrid(lo: number, hi: number, maxPoints = 2001): ThresholdGrid {
  if (!(hi >= lo) || !Number.isFinite(lo) || !Number.isFinite(hi)) throw new RangeError(`threshold grid: need finite lo ≤ hi, got [${lo}, ${hi}]`);
  const span = Math.max(hi - lo, 1e-9);
  let exp = Math.floor(Math.log10(span / (maxPoints - 1))) - 1;
  for (;;) {
    for (const mant of [1, 2, 5] as const) {
      const step = mant * 10 ** exp;
      const first = Math.floor(lo / step + 1e-9);
      const last = Math.ceil(hi / step - 1e-9);
      if (last - first + 1 <= maxPoints) return { first, mant, exp, count: last - first + 1 };
    }
    exp++;
  }
}

/** ℓ_j as the shortest decimal (0.3, not 0.30000000000000004). */
export function gridValue(g: ThresholdGrid, j: number): number {
  const m = (g.first + j) * g.mant;
  return g.exp < 0 ? m / 10 ** -g.exp : m * 10 ** g.exp;
}

/** The index of the grid point nearest to ℓ (clamped to the grid). */
export function gridIndex(g: ThresholdGrid, threshold: number): number {
  const step = g.mant * 10 ** g.exp;
  return Math.min(g.count - 1, Math.max(0, Math.round(threshold / step) - g.first));
}

/** fround(ℓ_j) for every j: the values V is compared with. */
function gridF32(g: ThresholdGrid): Float32Array {
  const out = new Float32Array(g.count);
  for (let j = 0; j < g.count; j++) out[j] = gridValue(g, j);
  return out;
}

/**
 * The smallest j with grid[j] > v (grid.length if none): a uniform-grid estimate corrected
 * against the float32 grid values, so the comparison is exactly the on-test's.
 */
function firstAbove(grid: Float32Array, g0: number, step: number, v: number): number {
  const G = grid.length;
  if (v === -Infinity) return 0;
  let j = Math.floor((v - g0) / step) + 1;
  if (j < 0) j = 0;
  else if (j > G) j = G;
  while (j > 0 && grid[j - 1]! > v) j--;
  while (j < G && grid[j]! <= v) j++;
  return j;
}

/** Adds 1 over the grid points ℓ with a < fround(ℓ) ≤ b, into a difference array of length G + 1. */
function addSpan(diff: Int32Array, grid: Float32Array, g0: number, step: number, a: number, b: number): void {
  const j0 = firstAbove(grid, g0, step, a);
  const j1 = firstAbove(grid, g0, step, b);
  if (j1 > j0) {
    diff[j0]!++;
    diff[j1]!--;
  }
}

function integrate(diff: Int32Array, count: number): Uint32Array {
  const out = new Uint32Array(count);
  let s = 0;
  for (let j = 0; j < count; j++) out[j] = s += diff[j]!;
  return out;
}

/** Checks the selected cells against the values (no copies: the analysis reads them in place). */
function checkCells(m: StateMatrix, cells: ArrayLike<number>, what: string): void {
  if (cells.length === 0) throw new RangeError(`${what}: no cells selected`);
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= m.cells) throw new RangeError(`${what}: cell ${c} is not one of the ${m.cells} cells`);
  }
}

/**
 * Per step, the lowest value among the selected cells: all of them are on at t iff floor[t] ≥ ℓ.
 * `m` holds the transformed values, row-major.
 */
export function selectionFloor(m: StateMatrix, cells: ArrayLike<number>, out: Float32Array = new Float32Array(m.steps)): Float32Array {
  checkCells(m, cells, "selection floor");
  const { steps: T, cells: D, data } = m;
  const sel = Uint32Array.from(cells);
  const k = sel.length;
  // four cells a sweep over the rows, each read by its own load at a fixed stride (see
  // extractColumns); a sweep continues the running minimum in cell order, so a NaN counts exactly
  // as in one pass (only as the first cell's value); a short last group repeats its last cell
  for (let i = 0; i < k; i += 4) {
    const c0 = sel[i]!;
    const c1 = sel[Math.min(i + 1, k - 1)]!;
    const c2 = sel[Math.min(i + 2, k - 1)]!;
    const c3 = sel[Math.min(i + 3, k - 1)]!;
    const first = i === 0;
    for (let t = 0, row = 0; t < T; t++, row += D) {
      let lo = first ? data[row + c0]! : out[t]!;
      const v0 = data[row + c0]!;
      const v1 = data[row + c1]!;
      const v2 = data[row + c2]!;
      const v3 = data[row + c3]!;
      if (!first && v0 < lo) lo = v0;
      if (v1 < lo) lo = v1;
      if (v2 < lo) lo = v2;
      if (v3 < lo) lo = v3;
      out[t] = lo;
    }
  }
  return out;
}

/**
 * Candidate ranges per grid threshold: maximal runs of length ≥ 2 where every selected cell is on.
 * A run starts at t iff on(t), on(t+1) and not on(t−1), i.e. iff
 * floor[t−1] < ℓ ≤ min(floor[t], floor[t+1]) (floor[−1] = −∞): each step adds one interval of
 * thresholds, counted on the grid with a difference array. O(T + G).
 */
export function candidateCurve(floor: Float32Array, g: ThresholdGrid): Uint32Array {
  const grid = gridF32(g);
  const step = g.mant * 10 ** g.exp;
  const g0 = gridValue(g, 0);
  const diff = new Int32Array(g.count + 1);
  const T = floor.length;
  for (let t = 0; t + 1 < T; t++) {
    const a = t > 0 ? floor[t - 1]! : -Infinity;
    const b = Math.min(floor[t]!, floor[t + 1]!);
    if (b > a) addSpan(diff, grid, g0, step, a, b);
  }
  return integrate(diff, g.count);
}

/**
 * The brush as the selection rule sees each cell of the source: the lowest value inside the
 * range and the highest in the padding (−∞ without padding). `window` holds rows [from, to) of
 * all cells (transformed values, row-major); the range is [b0, b1), padding [b0 − padL, b0) and
 * [b1, b1 + padR), clipped to the window.
 */
export function brushExtremes(
  window: { data: Float32Array; from: number; to: number; cells: number },
  brush: [number, number],
  pad: [number, number],
): { rangeMin: Float32Array; padMax: Float32Array } {
  const D = window.cells;
  const rangeMin = new Float32Array(D).fill(Infinity);
  const padMax = new Float32Array(D).fill(-Infinity);
  const [b0, b1] = brush;
  const lo = Math.max(window.from, b0 - pad[0]);
  const hi = Math.min(window.to, b1 + pad[1]);
  for (let t = lo; t < hi; t++) {
    const row = (t - window.from) * D;
    const inRange = t >= b0 && t < b1;
    for (let c = 0; c < D; c++) {
      const v = window.data[row + c]!;
      if (inRange) {
        if (!(v >= rangeMin[c]!)) rangeMin[c] = v; // NaN is never on: it makes the cell unpickable
      } else if (!(v <= padMax[c]!)) padMax[c] = Number.isNaN(v) ? -Infinity : v;
    }
  }
  return { rangeMin, padMax };
}

/** Cells the rule picks per grid threshold: those with padMax < ℓ ≤ rangeMin. O(D + G). */
export function ruleCurve(ex: { rangeMin: Float32Array; padMax: Float32Array }, g: ThresholdGrid): Uint32Array {
  const grid = gridF32(g);
  const step = g.mant * 10 ** g.exp;
  const g0 = gridValue(g, 0);
  const diff = new Int32Array(g.count + 1);
  for (let c = 0; c < ex.rangeMin.length; c++) {
    const a = ex.padMax[c]!;
    const b = ex.rangeMin[c]!;
    if (b > a && !Number.isNaN(b)) addSpan(diff, grid, g0, step, a, b);
  }
  return integrate(diff, g.count);
}

/**
 * Each cell's values counted per grid slot over all steps: slot s (0 … G) holds the values with
 * exactly s grid thresholds at or below them, so the cell is on at ℓ_j iff its slot is > j. It
 * depends on the source and the grid only, not on the brush or the selection, so it is computed
 * once per cell (on first use) and kept with the prepared source.
 */
export class SlotHistograms {
  private readonly counts: Uint32Array;
  private readonly ready: Uint8Array;
  private readonly grid: Float32Array;
  private readonly g0: number;
  private readonly step: number;
  constructor(
    private readonly values: StateMatrix,
    readonly g: ThresholdGrid,
  ) {
    this.counts = new Uint32Array(values.cells * (g.count + 1));
    this.ready = new Uint8Array(values.cells);
    this.grid = gridF32(g);
    this.g0 = gridValue(g, 0);
    this.step = g.mant * 10 ** g.exp;
  }

  /** Bytes held (cache accounting). */
  get bytes(): number {
    return this.counts.byteLength + this.ready.byteLength;
  }

  /** The slot of one value (the number of grid thresholds ≤ v). */
  slotOf(v: number): number {
    return firstAbove(this.grid, this.g0, this.step, v);
  }

  /** Counts the cells not counted yet, together in one pass over the rows. */
  ensure(cells: ArrayLike<number>): void {
    const todo = Uint32Array.from(Array.from(cells).filter((c, i, all) => !this.ready[c] && all.indexOf(c) === i));
    if (todo.length === 0) return;
    const S = this.g.count + 1;
    const { steps: T, cells: D, data } = this.values;
    const { grid, g0, step, counts } = this;
    // four cells a sweep over the rows (see selectionFloor), then one at a time
    let i = 0;
    for (; i + 3 < todo.length; i += 4) {
      const [c0, c1, c2, c3] = [todo[i]!, todo[i + 1]!, todo[i + 2]!, todo[i + 3]!];
      for (let t = 0, row = 0; t < T; t++, row += D) {
        const v0 = data[row + c0]!;
        const v1 = data[row + c1]!;
        const v2 = data[row + c2]!;
        const v3 = data[row + c3]!;
        if (v0 === v0) counts[c0 * S + firstAbove(grid, g0, step, v0)]!++;
        if (v1 === v1) counts[c1 * S + firstAbove(grid, g0, step, v1)]!++;
        if (v2 === v2) counts[c2 * S + firstAbove(grid, g0, step, v2)]!++;
        if (v3 === v3) counts[c3 * S + firstAbove(grid, g0, step, v3)]!++;
      }
    }
    for (; i < todo.length; i++) {
      const c = todo[i]!;
      for (let t = 0, p = c; t < T; t++, p += D) {
        const v = data[p]!;
        if (v === v) counts[c * S + firstAbove(grid, g0, step, v)]!++;
      }
    }
    for (const c of todo) this.ready[c] = 1;
  }

  /** Cell c's counts over all steps (G + 1 slots; a view). */
  overall(c: number): Uint32Array {
    this.ensure([c]);
    const S = this.g.count + 1;
    return this.counts.subarray(c * S, (c + 1) * S);
  }
}

/** The selected cells' slot counts over all steps and inside the brushed range. */
export interface GridHistograms {
  /** Selected cells (k). */
  cells: number;
  /** k × (G + 1) counts over all steps, row per cell. */
  overall: Uint32Array;
  /** k × (G + 1) counts over the steps of the brushed range. */
  range: Uint32Array;
  steps: number;
  rangeSteps: number;
}

export function gridHistograms(m: StateMatrix, slots: SlotHistograms, cells: ArrayLike<number>, brush: [number, number]): GridHistograms {
  checkCells(m, cells, "grid histograms");
  const { steps: T, cells: D, data } = m;
  const k = cells.length;
  const S = slots.g.count + 1;
  const b0 = Math.max(0, Math.min(T, brush[0]));
  const b1 = Math.max(b0, Math.min(T, brush[1]));
  const overall = new Uint32Array(k * S);
  const range = new Uint32Array(k * S);
  slots.ensure(cells);
  for (let i = 0; i < k; i++) {
    overall.set(slots.overall(cells[i]!), i * S);
    for (let t = b0; t < b1; t++) {
      const v = data[t * D + cells[i]!]!;
      if (v === v) range[i * S + slots.slotOf(v)]!++;
    }
  }
  return { cells: k, overall, range, steps: T, rangeSteps: b1 - b0 };
}

export interface Separation {
  /** Per grid threshold: share of the selected cells' values in the range that are on minus the share elsewhere. */
  margin: Float64Array;
  /** Index of the suggested threshold: the middle of the widest run of grid points where the margin is largest. */
  best: number;
}

/**
 * How well each threshold separates the brushed range from the rest of the source, for the
 * selected cells together: margin(ℓ) = (on values in the range / values in the range) − (on
 * values outside / values outside), counting (cell, step) pairs. This is Youden's J of "the cell
 * is on" as a test for "the step is in the range", pooled over the selection. The suggestion is
 * the middle of the widest plateau of its maximum, so it sits away from the data's edges.
 */
export function separation(h: GridHistograms, g: ThresholdGrid): Separation {
  const S = g.count + 1;
  const nIn = h.cells * h.rangeSteps;
  const nOut = h.cells * (h.steps - h.rangeSteps);
  const margin = new Float64Array(g.count);
  // on at ℓ_j ⇔ slot ≥ j + 1: suffix sums, pooled over the cells
  let sAll = 0;
  let sIn = 0;
  for (let j = g.count - 1; j >= 0; j--) {
    for (let i = 0; i < h.cells; i++) {
      sAll += h.overall[i * S + j + 1]!;
      sIn += h.range[i * S + j + 1]!;
    }
    margin[j] = (nIn > 0 ? sIn / nIn : 0) - (nOut > 0 ? (sAll - sIn) / nOut : 0);
  }
  let max = -Infinity;
  for (let j = 0; j < g.count; j++) if (margin[j]! > max) max = margin[j]!;
  let best = 0;
  let bestLen = 0;
  for (let j = 0; j < g.count; ) {
    if (margin[j] !== max) {
      j++;
      continue;
    }
    let e = j;
    while (e < g.count && margin[e] === max) e++;
    if (e - j > bestLen) {
      bestLen = e - j;
      best = j + Math.floor((e - 1 - j) / 2);
    }
    j = e;
  }
  return { margin, best };
}

export interface CellDistribution {
  /** Counts per bin over all steps and inside the brushed range (bins: `edges`). */
  overall: number[];
  range: number[];
}

/**
 * Each selected cell's value distribution over the source and inside the brushed range, on about
 * `bins` bins whose edges are grid thresholds (a bin holds ℓ_a ≤ V < ℓ_b; values below the grid
 * fall in the first bin, values at or above its last threshold in the last).
 */
export function cellDistributions(h: GridHistograms, g: ThresholdGrid, bins: number): { edges: number[]; cells: CellDistribution[] } {
  const S = g.count + 1;
  const per = Math.max(1, Math.ceil((g.count - 1) / bins));
  const nb = Math.max(1, Math.ceil((g.count - 1) / per));
  const edges = Array.from({ length: nb + 1 }, (_, b) => gridValue(g, Math.min(g.count - 1, b * per)));
  // slot s (1 … G) holds ℓ_{s−1} ≤ V < ℓ_s: bin ⌊(s − 1) / per⌋; slot 0 (below the grid) → bin 0
  const binOf = (s: number) => Math.min(nb - 1, s === 0 ? 0 : Math.floor((s - 1) / per));
  const cells: CellDistribution[] = [];
  for (let i = 0; i < h.cells; i++) {
    const overall = new Array<number>(nb).fill(0);
    const range = new Array<number>(nb).fill(0);
    for (let s = 0; s < S; s++) {
      overall[binOf(s)]! += h.overall[i * S + s]!;
      range[binOf(s)]! += h.range[i * S + s]!;
    }
    cells.push({ overall, range });
  }
  return { edges, cells };
}
