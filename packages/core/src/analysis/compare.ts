/**
 * Comparing two sources of a dataset (e.g. layer 1 vs layer 2): the most correlated cell pairs,
 * and one cell's best partners in the other source.
 *
 * All pairs over all steps cost T·D_A·D_B multiply-adds (4·10¹¹ at 1M × 650²), so the pairs are
 * ranked on a sample of steps, then the leading pairs are recomputed exactly over all steps until
 * no pair left out could, within the sampling error, enter the top list.
 */
import type { PreparedSource } from "./prepare";

/** One step drawn uniformly from each of `n` equal strata of [0, T): sorted, distinct, spread over time. */
export function stratifiedSample(T: number, n: number, rand: () => number): Uint32Array {
  if (n >= T) return Uint32Array.from({ length: T }, (_, i) => i);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const a = Math.floor((i * T) / n);
    const b = Math.floor(((i + 1) * T) / n);
    out[i] = a + Math.min(b - a - 1, Math.floor(rand() * (b - a)));
  }
  return out;
}

/** The sampled steps of every cell, centred and scaled to unit norm over the sample (cell-major). */
function standardizedSample(p: PreparedSource, steps: Uint32Array): Float32Array {
  const { cells: D, data } = p.values;
  const n = steps.length;
  const raw = new Float64Array(n * D);
  // the sampled rows, each read whole
  for (let i = 0; i < n; i++) {
    const row = steps[i]! * D;
    for (let c = 0; c < D; c++) raw[c * n + i] = data[row + c]!;
  }
  const z = new Float32Array(n * D);
  for (let c = 0; c < D; c++) {
    const o = c * n;
    let s = 0;
    for (let i = 0; i < n; i++) s += raw[o + i]!;
    const m = s / n;
    let q = 0;
    for (let i = 0; i < n; i++) q += (raw[o + i]! - m) ** 2;
    // a cell constant over the sample correlates with nothing (its row stays 0)
    const inv = q > 0 ? 1 / Math.sqrt(q) : 0;
    for (let i = 0; i < n; i++) z[o + i] = (raw[o + i]! - m) * inv;
  }
  return z;
}

/** out[a·D_B + b] = Σ_i za[a,i]·zb[b,i]: four columns of B per pass over a row of A. */
function crossProducts(za: Float32Array, zb: Float32Array, n: number, DA: number, DB: number, out: Float32Array): void {
  for (let a = 0; a < DA; a++) {
    const oa = a * n;
    const row = a * DB;
    let b = 0;
    for (; b + 4 <= DB; b += 4) {
      const o0 = b * n;
      const o1 = o0 + n;
      const o2 = o1 + n;
      const o3 = o2 + n;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let i = 0; i < n; i++) {
        const v = za[oa + i]!;
        s0 += v * zb[o0 + i]!;
        s1 += v * zb[o1 + i]!;
        s2 += v * zb[o2 + i]!;
        s3 += v * zb[o3 + i]!;
      }
      out[row + b] = s0;
      out[row + b + 1] = s1;
      out[row + b + 2] = s2;
      out[row + b + 3] = s3;
    }
    for (; b < DB; b++) {
      const ob = b * n;
      let s = 0;
      for (let i = 0; i < n; i++) s += za[oa + i]! * zb[ob + i]!;
      out[row + b] = s;
    }
  }
}

/**
 * Pearson r over all steps of the pairs (as[i] of `pa`, bs[i] of `pb`), in one pass over the rows
 * (NaN for a constant cell). Σ (xa − ma)·xb = Σ (xa − ma)(xb − mb), since Σ (xa − ma) = 0.
 */
export function exactCorrelations(pa: PreparedSource, as: Uint32Array, pb: PreparedSource, bs: Uint32Array): Float64Array {
  const { steps: T, cells: DA, data: xa } = pa.values;
  const { cells: DB, data: xb } = pb.values;
  const k = as.length;
  const ma = Float64Array.from(as, (a) => pa.mean[a]!);
  const acc = new Float64Array(k);
  for (let t = 0; t < T; t++) {
    const oa = t * DA;
    const ob = t * DB;
    for (let i = 0; i < k; i++) acc[i]! += (xa[oa + as[i]!]! - ma[i]!) * xb[ob + bs[i]!]!;
  }
  for (let i = 0; i < k; i++) {
    const d = pa.sxx[as[i]!]! * pb.sxx[bs[i]!]!;
    acc[i] = d > 0 ? acc[i]! / Math.sqrt(d) : NaN;
  }
  return acc;
}

/** Pearson r of cell `a` of one prepared source and cell `b` of another over all steps. */
export function exactCorrelation(pa: PreparedSource, a: number, pb: PreparedSource, b: number): number {
  return exactCorrelations(pa, Uint32Array.of(a), pb, Uint32Array.of(b))[0]!;
}

/** Exact r of cell `a` of `pa` with every cell of `pb`, in one pass over the rows. */
export function partnersOf(pa: PreparedSource, a: number, pb: PreparedSource): Float64Array {
  const { steps: T, cells: DA, data: xa } = pa.values;
  const { cells: DB, data: xb } = pb.values;
  const ma = pa.mean[a]!;
  const acc = new Float64Array(DB);
  for (let t = 0; t < T; t++) {
    const v = xa[t * DA + a]! - ma;
    const ob = t * DB;
    for (let b = 0; b < DB; b++) acc[b]! += v * xb[ob + b]!;
  }
  for (let b = 0; b < DB; b++) {
    const d = pa.sxx[a]! * pb.sxx[b]!;
    acc[b] = d > 0 ? acc[b]! / Math.sqrt(d) : NaN;
  }
  return acc;
}

export interface CellPair {
  a: number;
  b: number;
  /** Exact over all steps. */
  r: number;
  /** On the sample. */
  sampleR: number;
}

export interface PairSearch {
  pairs: CellPair[];
  /** Steps in the sample (all steps when the source is no longer than the sample). */
  sampleSteps: number;
  /** Pairs recomputed over all steps. */
  exactPairs: number;
  /** The error allowance used: pairs with |sample r| ≥ (the top list's weakest exact |r|) − margin were recomputed. */
  margin: number;
  /** Largest and mean |sample r − exact r| over the recomputed pairs (the sample's observed error). */
  maxError: number;
  meanError: number;
  /** Largest standardised error |sample r − exact r|·√n / (1 − r²) observed (≈ 1 for independent steps). */
  maxZ: number;
  /** True when `maxExact` stopped the recomputation before the margin was covered. */
  truncated: boolean;
}

export interface PairSearchOptions {
  top: number;
  sampleSteps: number;
  /** At most this many exact recomputations. */
  maxExact: number;
  rand: () => number;
  /** Called after each block of exact recomputations (progress 0..1 of the worst case). */
  onProgress?: (done: number, worst: number) => void;
  /** Same source on both sides: only pairs a < b. */
  same?: boolean;
}

/**
 * The `top` cell pairs by |r| between two prepared sources of the same steps. Sample correlations
 * rank all pairs; exact recomputation proceeds down that ranking until the next pair's sample |r|
 * plus the margin is below the weakest exact |r| in the top list. The margin is z standard errors
 * of a sample correlation at the cut, z·(1 − r²)/√n, with z the larger of 5 and 1.5 times the
 * largest standardised error observed so far, |r_sample − r|·√n / (1 − r²): steps of a time series
 * are autocorrelated, so a sample of n steps carries less information than n independent draws,
 * and the observed errors measure by how much.
 */
export function topPairs(pa: PreparedSource, pb: PreparedSource, opts: PairSearchOptions): PairSearch {
  const T = pa.values.steps;
  if (pb.values.steps !== T) throw new RangeError(`compare: the sources have ${T} and ${pb.values.steps} steps`);
  const DA = pa.values.cells;
  const DB = pb.values.cells;
  const steps = stratifiedSample(T, opts.sampleSteps, opts.rand);
  const n = steps.length;
  const za = standardizedSample(pa, steps);
  const zb = opts.same ? za : standardizedSample(pb, steps);
  const rs = new Float32Array(DA * DB);
  crossProducts(za, zb, n, DA, DB, rs);
  // candidates by decreasing |sample r| (pairs a < b only for a source against itself)
  const ids: number[] = [];
  for (let a = 0; a < DA; a++) for (let b = opts.same ? a + 1 : 0; b < DB; b++) if (rs[a * DB + b] === rs[a * DB + b]) ids.push(a * DB + b);
  const key = Float64Array.from(ids, (id) => Math.abs(rs[id]!));
  const order = Uint32Array.from(ids.keys());
  order.sort((i, j) => key[j]! - key[i]! || ids[i]! - ids[j]!);

  const exact: CellPair[] = [];
  let maxError = 0;
  let maxZ = 0;
  let sumError = 0;
  let margin = 0;
  let truncated = false;
  const weakestTop = () => {
    if (exact.length < opts.top) return -Infinity;
    const s = exact.map((p) => Math.abs(p.r)).sort((x, y) => y - x);
    return s[opts.top - 1]!;
  };
  // each batch is one pass over both sources' rows: the first covers twice the list, later ones
  // whatever the margin still admits
  let i = 0;
  let batch = Math.max(2 * opts.top, 64);
  while (i < order.length) {
    const cut = weakestTop();
    const rCut = Math.min(1, Math.max(0, cut));
    margin = n >= T ? 1e-9 : (Math.max(5, 1.5 * maxZ) * (1 - rCut * rCut)) / Math.sqrt(n); // all steps sampled: exact up to rounding
    if (exact.length >= opts.top && key[order[i]!]! + margin < cut) break;
    if (exact.length >= opts.maxExact) {
      truncated = true;
      break;
    }
    let end = Math.min(order.length, i + batch, i + opts.maxExact - exact.length);
    if (exact.length >= opts.top) while (end < Math.min(order.length, i + opts.maxExact - exact.length) && key[order[end]!]! + margin >= cut) end++;
    const pick = Array.from({ length: end - i }, (_, j) => ids[order[i + j]!]!);
    const as = Uint32Array.from(pick, (id) => Math.floor(id / DB));
    const bs = Uint32Array.from(pick, (id, j) => id - as[j]! * DB);
    const rExact = exactCorrelations(pa, as, pb, bs);
    pick.forEach((id, j) => {
      const r = rExact[j]!;
      const e = Math.abs(rs[id]! - r);
      if (e === e) {
        maxError = Math.max(maxError, e);
        sumError += e;
        if (r * r < 1) maxZ = Math.max(maxZ, (e * Math.sqrt(n)) / (1 - r * r));
      }
      exact.push({ a: as[j]!, b: bs[j]!, r, sampleR: rs[id]! });
    });
    i = end;
    batch = 64;
    opts.onProgress?.(exact.length, Math.min(opts.maxExact, order.length));
  }
  const pairs = exact
    .filter((p) => p.r === p.r)
    .sort((x, y) => Math.abs(y.r) - Math.abs(x.r) || x.a - y.a || x.b - y.b)
    .slice(0, opts.top);
  return { pairs, sampleSteps: n, exactPairs: exact.length, margin, maxError, meanError: exact.length ? sumError / exact.length : 0, maxZ, truncated };
}
