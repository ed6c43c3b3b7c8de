/**
 * Threshold guidance for a brush and a selection: how many cells the Select view's rule would
 * pick, how many candidate ranges the selection would have, and how well the threshold separates
 * the brushed range from the rest, over a grid of thresholds.
 *
 * Everything depends on the threshold only through comparisons V ≥ fround(ℓ), so each quantity
 * is a step function of ℓ and is computed for the whole grid at once from the selected cells'
 * values (once per selection, O(k·T + G)); following a drag of the threshold is then a lookup.
 */
import type { ColumnMatrix } from "./columns";

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

/**
 * Per step, the lowest value among the selected cells: all of them are on at t iff floor[t] ≥ ℓ.
 */
export function selectionFloor(cols: ColumnMatrix, out: Float32Array = new Float32Array(cols.steps)): Float32Array {
  const { steps: T, cells: k, data } = cols;
  if (k === 0) throw new RangeError("selection floor: no cells selected");
  out.set(data.subarray(0, T));
  for (let c = 1; c < k; c++) {
    const o = c * T;
    for (let t = 0; t < T; t++) {
      const v = data[o + t]!;
      if (v < out[t]!) out[t] = v;
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
export function separation(cols: ColumnMatrix, brush: [number, number], g: ThresholdGrid): Separation {
  const { steps: T, cells: k, data } = cols;
  const b0 = Math.max(0, Math.min(T, brush[0]));
  const b1 = Math.max(b0, Math.min(T, brush[1]));
  const grid = gridF32(g);
  const step = g.mant * 10 ** g.exp;
  const g0 = gridValue(g, 0);
  // all[j]: values whose highest grid point at or below them is j (−1: below the grid → slot 0 of G + 1)
  const all = new Float64Array(g.count + 1);
  const inRange = new Float64Array(g.count + 1);
  for (let c = 0; c < k; c++) {
    const o = c * T;
    for (let t = 0; t < T; t++) {
      const v = data[o + t]!;
      if (v === v) all[firstAbove(grid, g0, step, v)]!++;
    }
    for (let t = b0; t < b1; t++) {
      const v = data[o + t]!;
      if (v === v) inRange[firstAbove(grid, g0, step, v)]!++;
    }
  }
  // on at ℓ_j ⇔ V ≥ grid[j] ⇔ firstAbove(V) ≥ j + 1: suffix sums from slot j + 1
  const nIn = k * (b1 - b0);
  const nOut = k * (T - (b1 - b0));
  const margin = new Float64Array(g.count);
  let sAll = 0;
  let sIn = 0;
  for (let j = g.count - 1; j >= 0; j--) {
    sAll += all[j + 1]!;
    sIn += inRange[j + 1]!;
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

/** Each selected cell's value distribution over the source and inside [b0, b1), on shared equal bins over [lo, hi]. */
export function cellDistributions(cols: ColumnMatrix, brush: [number, number], lo: number, hi: number, bins: number): { edges: number[]; cells: CellDistribution[] } {
  const { steps: T, cells: k, data } = cols;
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
  const w = (hi - lo) / bins || 1;
  const binOf = (v: number) => Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / w)));
  const b0 = Math.max(0, Math.min(T, brush[0]));
  const b1 = Math.max(b0, Math.min(T, brush[1]));
  const cells: CellDistribution[] = [];
  const counts = new Float64Array(bins);
  for (let c = 0; c < k; c++) {
    const o = c * T;
    counts.fill(0);
    for (let t = 0; t < T; t++) {
      const v = data[o + t]!;
      if (v === v) counts[binOf(v)]!++;
    }
    const range = new Array<number>(bins).fill(0);
    for (let t = b0; t < b1; t++) {
      const v = data[o + t]!;
      if (v === v) range[binOf(v)]!++;
    }
    cells.push({ overall: Array.from(counts), range });
  }
  return { edges, cells };
}
