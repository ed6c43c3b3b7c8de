import { describe, expect, it } from "vitest";
import { mulberry32 } from "../random";
import { transformedRows } from "./rows";
import { exactCorrelation, partnersOf, stratifiedSample, topPairs } from "./compare";
import { prepareSource } from "./prepare";
import { pearson, rowMajor } from "./reference";


/** Two "layers": B's cells are noisy mixtures of some of A's (planted pairs) or independent AR noise. */
function layers(T: number, DA: number, DB: number, seed: number) {
  const r = mulberry32(seed);
  const ar = () => {
    const out = new Float32Array(T);
    let x = 0;
    for (let t = 0; t < T; t++) out[t] = x = 0.9 * x + (r() - 0.5);
    return out;
  };
  const A = Array.from({ length: DA }, ar);
  const B = Array.from({ length: DB }, (_, b) => {
    const own = ar();
    if (b % 3 !== 0) return own;
    const src = A[(b * 7) % DA]!;
    const w = 0.3 + 0.7 * r();
    return Float32Array.from(own, (v, t) => w * src[t]! * (b % 2 ? -1 : 1) + (1 - w) * v);
  });
  return { A, B };
}

describe("stratified sample", () => {
  it("one step per stratum, sorted and distinct; everything when n ≥ T", () => {
    const s = stratifiedSample(100, 10, mulberry32(1));
    expect(s).toHaveLength(10);
    s.forEach((t, i) => expect(t >= i * 10 && t < (i + 1) * 10).toBe(true));
    expect(Array.from(stratifiedSample(5, 9, mulberry32(1)))).toEqual([0, 1, 2, 3, 4]);
  });
});

describe("layer comparison", () => {
  const T = 6000;
  const { A, B } = layers(T, 12, 15, 4);
  const pa = prepareSource(transformedRows(rowMajor(A), "tanh"), { ranks: false });
  const pb = prepareSource(transformedRows(rowMajor(B), "tanh"), { ranks: false });
  const VA = A.map((c) => Float32Array.from(c, Math.tanh));
  const VB = B.map((c) => Float32Array.from(c, Math.tanh));

  it("exact correlation equals Pearson's r of the transformed values", () => {
    for (const [a, b] of [[0, 0], [7, 3], [11, 14]] as const) expect(Math.abs(exactCorrelation(pa, a, pb, b) - pearson(VA[a]!, VB[b]!))).toBeLessThan(1e-9);
    const p = partnersOf(pa, 2, pb);
    expect(p).toHaveLength(15);
    p.forEach((r, b) => expect(Math.abs(r - pearson(VA[2]!, VB[b]!))).toBeLessThan(1e-9));
  });

  it("the sampled search returns the exact top pairs of a brute-force scan, with their exact r", () => {
    const all: { a: number; b: number; r: number }[] = [];
    for (let a = 0; a < 12; a++) for (let b = 0; b < 15; b++) all.push({ a, b, r: pearson(VA[a]!, VB[b]!) });
    all.sort((x, y) => Math.abs(y.r) - Math.abs(x.r));
    const res = topPairs(pa, pb, { top: 4, sampleSteps: 600, maxExact: 1000, rand: mulberry32(7) });
    expect(res.sampleSteps).toBe(600);
    expect(res.truncated).toBe(false);
    expect(res.exactPairs).toBeLessThan(12 * 15);
    expect(res.pairs.map((p) => [p.a, p.b])).toEqual(all.slice(0, 4).map((p) => [p.a, p.b]));
    res.pairs.forEach((p, i) => expect(Math.abs(p.r - all[i]!.r)).toBeLessThan(1e-9));
    expect(res.maxError).toBeGreaterThan(0);
    // the margin covers at least 1.5 times the worst standardised error seen at the cut
    const cut = Math.abs(res.pairs[3]!.r);
    expect(res.margin).toBeGreaterThanOrEqual((1.5 * res.maxZ * (1 - cut * cut)) / Math.sqrt(600) - 1e-12);
  });

  it("a source against itself: pairs a < b only, the strongest first", () => {
    const res = topPairs(pb, pb, { top: 3, sampleSteps: 10_000, maxExact: 1000, rand: mulberry32(7), same: true });
    expect(res.sampleSteps).toBe(T);
    for (const p of res.pairs) expect(p.a).toBeLessThan(p.b);
    const all: number[] = [];
    for (let a = 0; a < 15; a++) for (let b = a + 1; b < 15; b++) all.push(Math.abs(pearson(VB[a]!, VB[b]!)));
    all.sort((x, y) => y - x);
    res.pairs.forEach((p, i) => expect(Math.abs(Math.abs(p.r) - all[i]!)).toBeLessThan(1e-9));
  });
});
