import { describe, expect, it } from "vitest";
import { mulberry32 } from "../random";
import { columnHistograms } from "./histograms";
import { prepareSource } from "./prepare";

/** One column's histogram by the definition: extent, then each counted step's bin. */
function direct(col: Float32Array, classOf: Int16Array, classes: number, B: number, y: Float64Array | null) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of col) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (hi === lo) hi = lo + 1;
  const counts = new Uint32Array(classes * B);
  const sums = new Float64Array(B);
  col.forEach((v, t) => {
    if (classOf[t]! < 0) return;
    // as the histograms were computed before: scale = B / (hi − lo), truncated
    const b = Math.min(B - 1, ((v - lo) * (B / (hi - lo))) | 0);
    counts[classOf[t]! * B + b]!++;
    if (y) sums[b]! += y[t]!;
  });
  return { lo, hi, counts, sums };
}

describe("columnHistograms", () => {
  it("equals the per-column definition: classes (−1 not counted), Σ y per bin, a constant column, 1–9 columns, extents given or swept", () => {
    const r = mulberry32(21);
    const T = 503;
    const D = 40;
    const data = Float32Array.from({ length: T * D }, (_, i) => (i % D === 7 ? 0.5 : Math.round((r() - 0.5) * 64) / 16));
    const m = { data, steps: T, cells: D };
    const prep = prepareSource(m, { ranks: false });
    const classOf = Int16Array.from({ length: T }, () => Math.floor(r() * 4) - 1);
    const y = Float64Array.from({ length: T }, () => r() * 10);
    for (const k of [1, 3, 4, 5, 9]) {
      const cols = Array.from({ length: k }, (_, i) => (i * 13 + 7) % D);
      for (const extent of [undefined, prep]) {
        const got = columnHistograms(m, cols, classOf, 3, 24, y, extent);
        expect(got).toHaveLength(k);
        cols.forEach((c, i) => {
          const col = Float32Array.from({ length: T }, (_, t) => data[t * D + c]!);
          const want = direct(col, classOf, 3, 24, y);
          expect([got[i]!.lo, got[i]!.hi]).toEqual([want.lo, want.hi]);
          expect(Array.from(got[i]!.counts)).toEqual(Array.from(want.counts));
          got[i]!.sums.forEach((s, b) => expect(s).toBeCloseTo(want.sums[b]!, 9));
        });
      }
    }
    // cell 7 is constant: one bin holds every counted step
    const [c7] = columnHistograms(m, [7], classOf, 3, 24, null);
    expect([c7!.lo, c7!.hi]).toEqual([0.5, 1.5]);
    expect(c7!.counts.reduce((a, b) => a + b, 0)).toBe(classOf.filter((c) => c >= 0).length);
  });
});
