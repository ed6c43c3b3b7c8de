import { describe, expect, it } from "vitest";
import { mulberry32 } from "../random";
import { searchCells, rankCells, type CellStats } from "./cell-search";
import { restrictRows, transformedRows } from "./rows";
import { prepareSource } from "./prepare";
import { midranks2, RankScratch } from "./ranks";
import { directAuc, directRanks, pearson, rowMajor, spearman } from "./reference";


const f32 = (xs: number[]) => Array.from(Float32Array.from(xs));

describe("midranks2", () => {
  it("doubles the average rank of tie groups, −0 ties with +0, negatives below positives", () => {
    const v = Float32Array.from([0.5, -1, 0, -0, 0.5, 2, -3, 0.5]);
    const out = new Uint32Array(v.length);
    midranks2(v, out, new RankScratch(v.length));
    // sorted: −3(1) −1(2) 0,−0(3.5) 0.5×3(6) 2(8)
    expect(Array.from(out)).toEqual([12, 4, 7, 7, 12, 16, 2, 12]);
  });

  it("matches ranks by counting on random data with many ties, and sums to n(n+1)", () => {
    const r = mulberry32(3);
    for (const n of [1, 2, 17, 300, 5000]) {
      const v = Float32Array.from({ length: n }, () => Math.round((r() - 0.5) * 40) / 8);
      const out = new Uint32Array(n);
      midranks2(v, out, new RankScratch(n));
      expect(Array.from(out, (x) => x / 2)).toEqual(directRanks(v));
      expect(out.reduce((a, b) => a + b, 0)).toBe(n * (n + 1));
    }
  });

  it("refuses NaN naming its position", () => {
    expect(() => midranks2(Float32Array.from([1, NaN]), new Uint32Array(2), new RankScratch(2))).toThrow("value 1 is NaN");
  });
});

describe("cell search", () => {
  // hand-computed: cell 0 = [0.1 .4 .4 .2 .9 .3], label at steps 1 and 4
  // label values {0.4, 0.9} vs others {0.1, 0.4, 0.2, 0.3}: U = 3.5 + 4 = 7.5 of 8 pairs → AUC 0.9375
  const m = rowMajor([
    [0.1, 0.4, 0.4, 0.2, 0.9, 0.3],
    [5, 5, 5, 5, 5, 5],
    [0.9, 0.1, 0.8, 0.7, 0.2, 0.6],
  ]);
  const p = prepareSource(transformedRows(m, "none"), { ranks: true });

  it("AUC (ties ½), point-biserial, and NaN for a constant cell's correlation", () => {
    const s = searchCells(p, { kind: "label", positive: Uint8Array.from([0, 1, 0, 0, 1, 0]) });
    if (s.kind !== "discrete") throw new Error("kind");
    expect(s.auc[0]).toBeCloseTo(0.9375, 12);
    // Pearson with the 0/1 label, computed by numpy on the float32 values: 0.7411856873348879
    expect(s.pointBiserial[0]).toBeCloseTo(0.7411856873348879, 6);
    expect(s.auc[1]).toBe(0.5);
    expect(s.pointBiserial[1]).toBeNaN();
    // cell 2 is low exactly where the label is: AUC 0
    expect(s.auc[2]).toBe(0);
    expect([s.positives, s.negatives]).toEqual([2, 4]);
    // strength |AUC − 0.5|: cell 2 (0.5), cell 0 (0.4375), then the constant cell
    expect(rankCells(s)).toEqual([2, 0, 1]);
  });

  it("the label's complement gives 1 − AUC and −r_pb (the larger-class path)", () => {
    const a = searchCells(p, { kind: "label", positive: Uint8Array.from([0, 1, 0, 0, 1, 0]) }) as Extract<CellStats, { kind: "discrete" }>;
    const b = searchCells(p, { kind: "label", positive: Uint8Array.from([1, 0, 1, 1, 0, 1]) }) as Extract<CellStats, { kind: "discrete" }>;
    for (const c of [0, 2]) {
      expect(b.auc[c]).toBeCloseTo(1 - a.auc[c]!, 12);
      expect(b.pointBiserial[c]).toBeCloseTo(-a.pointBiserial[c]!, 12);
    }
  });

  it("Pearson and Spearman with ties (hand-computed ρ = 21/68)", () => {
    const s = searchCells(p, { kind: "scalar", y: Float32Array.from([3, 1, 4, 1, 5, 9]) });
    if (s.kind !== "scalar") throw new Error("kind");
    // ranks x (1, 4.5, 4.5, 2, 6, 3), ranks y (3, 1.5, 4, 1.5, 5, 6): Σ dx·dy = 5.25, Σ dx² = Σ dy² = 17
    expect(s.rho[0]).toBeCloseTo(21 / 68, 12);
    expect(s.r[0]).toBeCloseTo(0.2117004537475491, 6);
    expect(s.r[1]).toBeNaN();
    expect(s.rho[1]).toBeNaN();
  });

  it("refuses a label nobody carries, a label everyone carries, and a constant track", () => {
    expect(() => searchCells(p, { kind: "label", positive: new Uint8Array(6) })).toThrow("no step carries the label");
    expect(() => searchCells(p, { kind: "label", positive: new Uint8Array(6).fill(1) })).toThrow("every step carries the label");
    expect(() => searchCells(p, { kind: "scalar", y: new Float32Array(6).fill(2) })).toThrow("same value at every step");
  });

  it("equals the direct computation to 1e-6 on random data with ties, both transforms", () => {
    const r = mulberry32(11);
    for (const transform of ["none", "tanh"] as const) {
      const T = 401; // odd: the unrolled loops' last step
      const D = 7;
      // coarse values make ties; a saturating scale makes tanh ties of distinct raw values too
      const cols = Array.from({ length: D }, (_, c) => Array.from({ length: T }, () => Math.round((r() - 0.5) * (c + 2) * 6) / 3 + (c === 6 ? 20 : 0)));
      const m2 = rowMajor(cols);
      const prep = prepareSource(transformedRows(m2, transform), { ranks: true });
      const V = cols.map((col) => f32(col.map((v) => (transform === "tanh" ? Math.tanh(v) : v))));
      for (const share of [0.1, 0.7]) {
        const pos = Uint8Array.from({ length: T }, () => (r() < share ? 1 : 0));
        const s = searchCells(prep, { kind: "label", positive: pos }) as Extract<CellStats, { kind: "discrete" }>;
        for (let c = 0; c < D; c++) {
          expect(s.auc[c]).toBeCloseTo(directAuc(V[c]!, pos), 9);
          const pb = pearson(V[c]!, pos);
          if (Number.isNaN(pb)) expect(s.pointBiserial[c]).toBeNaN();
          else expect(Math.abs(s.pointBiserial[c]! - pb)).toBeLessThan(1e-6);
        }
      }
      const y = Float32Array.from({ length: T }, (_, t) => Math.round(V[2]![t]! * 4 + r() * 3));
      const s = searchCells(prep, { kind: "scalar", y }) as Extract<CellStats, { kind: "scalar" }>;
      for (let c = 0; c < D; c++) {
        const rr = pearson(V[c]!, y);
        const rho = spearman(V[c]!, y);
        for (const [got, want] of [[s.r[c]!, rr], [s.rho[c]!, rho]] as const) {
          if (Number.isNaN(want)) expect(got).toBeNaN();
          else expect(Math.abs(got - want)).toBeLessThan(1e-6);
        }
      }
    }
  });

  it("a track with missing steps: the restricted source equals the direct computation over the defined steps", () => {
    const keep = Uint32Array.from([0, 2, 3, 5]);
    const sub = prepareSource(restrictRows(p.values, keep), { ranks: true });
    const s = searchCells(sub, { kind: "label", positive: Uint8Array.from([1, 0, 1, 0]) }) as Extract<CellStats, { kind: "discrete" }>;
    // cell 0 at steps 0,2,3,5 = (.1 .4 .2 .3); label at .1 and .2 vs .4 and .3: U = 0 → AUC 0
    expect(s.auc[0]).toBe(0);
    expect(s.auc[2]).toBeCloseTo(directAuc([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0]), 12);
  });
});
