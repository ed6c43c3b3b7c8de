/**
 * The import's one-pass histogram: finite values only (NaN and ±Inf never count), and the same
 * bins as counting each value directly (up to the documented 1/256 resolution at bin edges).
 */
import { describe, expect, it } from "vitest";
import { ValueHistogram } from "./histogram";

function direct(values: Float32Array, min: number, max: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) if (Number.isFinite(v)) counts[Math.min(bins - 1, Math.floor(((v - min) / (max - min)) * bins))]!++;
  return counts;
}

describe("ValueHistogram", () => {
  it("counts every finite value, never NaN or ±Inf (whatever their sign or payload)", () => {
    const h = new ValueHistogram();
    const odd = new Float32Array([NaN, Infinity, -Infinity, 1, -1, 0.5]);
    new Uint32Array(odd.buffer)[0] = 0xffc00001; // a negative NaN with a payload
    h.add(odd);
    const r = h.finish(-1, 1, 4);
    expect(r.counts.reduce((a, b) => a + b, 0)).toBe(3);
    expect(r.counts).toEqual([1, 0, 0, 2]);
    const flat = new ValueHistogram();
    flat.add(new Float32Array([2, 2, NaN, Infinity]));
    expect(flat.finish(2, 2)).toEqual({ edges: [2, 2], counts: [2] });
  });

  it("matches direct counting on values away from bin edges", () => {
    // 64 bins over [-1, 1): every value lies within 0.3 bin widths of its bin's centre, farther
    // from an edge than the fine bins' resolution (1/256 of the magnitude)
    const values = new Float32Array(200_000);
    for (let i = 0; i < values.length; i++) {
      const bin = (i * 37) % 64;
      values[i] = -1 + (bin + 0.5 + (((i * 7) % 61) - 30) / 100) / 32;
    }
    const h = new ValueHistogram();
    h.add(values.subarray(0, 70_000));
    h.add(values.subarray(70_000));
    const counts = h.finish(-1, 1).counts;
    expect(counts).toEqual(direct(values, -1, 1, 64));
    expect(counts.every((c) => c > 3000)).toBe(true);
  });
});
