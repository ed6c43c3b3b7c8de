import type { StateMatrix } from "../matching/matrix";

/** One column's histogram: `bins` equal bins over [lo, hi], counts per class (class-major), Σ y per bin. */
export interface ColumnHistogram {
  lo: number;
  hi: number;
  counts: Uint32Array;
  sums: Float64Array;
}

/**
 * Value histograms of some columns of a row-major matrix (cell search's top cells): `bins` equal
 * bins over each column's [lo, hi] (hi = lo + 1 for a constant column), the bin of v being
 * min(bins − 1, ⌊(v − lo) · bins / (hi − lo)⌋); counted per class, `classOf[t]` in [0, classes)
 * or −1 (not counted), and with `y`, Σ y[t] per bin. Extents come from `extent` (a prepared
 * source's per-cell min and max) or a first sweep. The columns are read four a sweep over the
 * rows, each by its own load at a fixed stride (see `extractColumns`), without copying them out.
 */
export function columnHistograms(
  m: StateMatrix,
  columns: ArrayLike<number>,
  classOf: Int16Array,
  classes: number,
  bins: number,
  y: Float64Array | null,
  extent?: { min: ArrayLike<number>; max: ArrayLike<number> },
): ColumnHistogram[] {
  const { data, steps: T, cells: D } = m;
  if (classOf.length < T || (y && y.length < T)) throw new RangeError(`histograms: ${T} steps need a class (and y) per step`);
  const out: ColumnHistogram[] = [];
  for (let g = 0; g < columns.length; g += 4) {
    // a short last group repeats its last column into throwaway histograms
    const cs = [0, 1, 2, 3].map((j) => columns[Math.min(g + j, columns.length - 1)]!);
    for (const c of cs) if (!(c >= 0 && c < D)) throw new RangeError(`histograms: cell ${c} is not one of the ${D} cells`);
    const lo = cs.map((c) => extent?.min[c] ?? Infinity);
    const hi = cs.map((c) => extent?.max[c] ?? -Infinity);
    if (!extent) sweepExtent(data, T, D, cs, lo, hi);
    const hs = cs.map((_, j): ColumnHistogram => {
      const l = lo[j]!;
      const h = hi[j] === l ? l + 1 : hi[j]!;
      return { lo: l, hi: h, counts: new Uint32Array(classes * bins), sums: new Float64Array(bins) };
    });
    sweepBins(data, T, D, cs, hs, classOf, bins, y);
    out.push(...hs.slice(0, Math.min(4, columns.length - g)));
  }
  return out;
}

function sweepExtent(data: Float32Array, T: number, D: number, cs: number[], lo: number[], hi: number[]): void {
  const [c0, c1, c2, c3] = cs as [number, number, number, number];
  let [l0, l1, l2, l3] = lo as [number, number, number, number];
  let [h0, h1, h2, h3] = hi as [number, number, number, number];
  for (let t = 0, row = 0; t < T; t++, row += D) {
    const v0 = data[row + c0]!;
    const v1 = data[row + c1]!;
    const v2 = data[row + c2]!;
    const v3 = data[row + c3]!;
    if (v0 < l0) l0 = v0;
    if (v0 > h0) h0 = v0;
    if (v1 < l1) l1 = v1;
    if (v1 > h1) h1 = v1;
    if (v2 < l2) l2 = v2;
    if (v2 > h2) h2 = v2;
    if (v3 < l3) l3 = v3;
    if (v3 > h3) h3 = v3;
  }
  lo.splice(0, 4, l0, l1, l2, l3);
  hi.splice(0, 4, h0, h1, h2, h3);
}

function sweepBins(data: Float32Array, T: number, D: number, cs: number[], hs: ColumnHistogram[], classOf: Int16Array, B: number, y: Float64Array | null): void {
  const [c0, c1, c2, c3] = cs as [number, number, number, number];
  const [h0, h1, h2, h3] = hs as [ColumnHistogram, ColumnHistogram, ColumnHistogram, ColumnHistogram];
  const { lo: lo0, counts: k0, sums: s0 } = h0;
  const { lo: lo1, counts: k1, sums: s1 } = h1;
  const { lo: lo2, counts: k2, sums: s2 } = h2;
  const { lo: lo3, counts: k3, sums: s3 } = h3;
  const f0 = B / (h0.hi - lo0);
  const f1 = B / (h1.hi - lo1);
  const f2 = B / (h2.hi - lo2);
  const f3 = B / (h3.hi - lo3);
  const top = B - 1;
  for (let t = 0, row = 0; t < T; t++, row += D) {
    const r = classOf[t]!;
    if (r < 0) continue;
    const o = r * B;
    const b0 = Math.min(top, ((data[row + c0]! - lo0) * f0) | 0);
    const b1 = Math.min(top, ((data[row + c1]! - lo1) * f1) | 0);
    const b2 = Math.min(top, ((data[row + c2]! - lo2) * f2) | 0);
    const b3 = Math.min(top, ((data[row + c3]! - lo3) * f3) | 0);
    k0[o + b0]!++;
    k1[o + b1]!++;
    k2[o + b2]!++;
    k3[o + b3]!++;
    if (y) {
      const v = y[t]!;
      s0[b0]! += v;
      s1[b1]! += v;
      s2[b2]! += v;
      s3[b3]! += v;
    }
  }
}
