import { describe, expect, it } from "vitest";
import { mulberry32 } from "../random";
import { transformedRows } from "./rows";
import { rowMajor } from "./reference";
import { brushExtremes, candidateCurve, cellDistributions, gridHistograms, gridIndex, gridValue, ruleCurve, selectionFloor, separation, SlotHistograms, thresholdGrid } from "./guidance";
import { selectCells } from "../matching/select-cells";


const A = [0.1, 0.5, 0.6, 0.2, 0.7, 0.8, 0.9, 0.1];
const B = [0.0, 0.4, 0.9, 0.3, 0.6, 0.5, 0.2, 0.3];
const C = [0.5, 0.5, 0.5, 0.9, 0.95, 0.4, 0.5, 0.5];
const g01 = thresholdGrid(0, 1, 11); // 0, 0.1, …, 1

describe("threshold grid", () => {
  it("round steps: 0.001 on [−1, 1], 0.1 for 11 points on [0, 1], 0.02 on [−13.7, 22.1]", () => {
    const g = thresholdGrid(-1, 1);
    expect(g).toEqual({ first: -1000, mant: 1, exp: -3, count: 2001 });
    expect(gridValue(g, 1300)).toBe(0.3);
    expect(gridIndex(g, 0.3)).toBe(1300);
    expect(gridIndex(g, 7)).toBe(2000);
    expect(g01).toEqual({ first: 0, mant: 1, exp: -1, count: 11 });
    expect(thresholdGrid(-13.7, 22.1)).toEqual({ first: -685, mant: 2, exp: -2, count: 1791 });
  });
});

describe("candidate curve (hand-computed)", () => {
  it("counts maximal runs of length ≥ 2 where all selected cells are on, per threshold", () => {
    const cols = transformedRows(rowMajor([A, B]), "none");
    const floor = selectionFloor(cols, [0, 1]);
    expect(Array.from(floor)).toEqual(Array.from(Float32Array.from([0, 0.4, 0.6, 0.2, 0.6, 0.5, 0.2, 0.1])));
    // ℓ=0.3: on 0 1 1 0 1 1 0 0 → [1,3) [4,6); ℓ=0.5: on 0 0 1 0 1 1 0 0 → [4,6) only; ℓ=0.6: no run of 2
    expect(Array.from(candidateCurve(floor, g01))).toEqual([1, 1, 1, 2, 2, 1, 0, 0, 0, 0, 0]);
  });

  it("equals a direct run count at every grid point on random data", () => {
    const r = mulberry32(9);
    const T = 2000;
    const cols = Array.from({ length: 4 }, () => Array.from({ length: T }, () => Math.round((r() * 2 - 1) * 50) / 50));
    const cm = transformedRows(rowMajor(cols), "tanh");
    const floor = selectionFloor(cm, [0, 1, 2, 3]);
    const g = thresholdGrid(-1, 1, 201);
    const curve = candidateCurve(floor, g);
    for (let j = 0; j < g.count; j += 7) {
      const thr = Math.fround(gridValue(g, j));
      let runs = 0;
      let len = 0;
      for (let t = 0; t <= T; t++) {
        const on = t < T && floor[t]! >= thr;
        if (on) len++;
        else {
          if (len >= 2) runs++;
          len = 0;
        }
      }
      expect(curve[j]).toBe(runs);
    }
  });
});

describe("rule curve (hand-computed)", () => {
  it("counts the cells on throughout the brush and off in its padding, as selectCells does", () => {
    const m = rowMajor([A, B, C]);
    const ex = brushExtremes({ data: m.data, from: 0, to: 8, cells: 3 }, [4, 6], [1, 0]);
    // A: range min 0.7, padding max 0.2 → picked for ℓ in (0.2, 0.7]; B: (0.3, 0.5]; C: never (0.9 > 0.4)
    expect(Array.from(ruleCurve(ex, g01))).toEqual([0, 0, 0, 1, 2, 2, 1, 1, 0, 0, 0]);
    for (let j = 0; j < g01.count; j++) expect(ruleCurve(ex, g01)[j]).toBe(selectCells(m, [4, 6], gridValue(g01, j), [1, 0]).length);
  });

  it("matches selectCells on random windows with padding on both sides", () => {
    const r = mulberry32(21);
    const D = 30;
    const cols = Array.from({ length: D }, () => Array.from({ length: 12 }, () => Math.round((r() * 2 - 1) * 20) / 20));
    const m = rowMajor(cols);
    const ex = brushExtremes({ data: m.data, from: 0, to: 12, cells: D }, [4, 8], [2, 1]);
    const g = thresholdGrid(-1, 1, 41);
    const curve = ruleCurve(ex, g);
    for (let j = 0; j < g.count; j++) expect(curve[j]).toBe(selectCells(m, [4, 8], gridValue(g, j), [2, 1]).length);
  });
});

describe("separation (hand-computed)", () => {
  it("suggests the threshold maximising on-in-range minus on-elsewhere", () => {
    const cols = transformedRows(rowMajor([A, B]), "none");
    const s = separation(gridHistograms(cols, new SlotHistograms(cols, g01), [0, 1], [4, 6]), g01);
    // in range: .7 .8 .6 .5 (4 values); elsewhere 12 values. ℓ=0.5: 4/4 − 4/12 = 2/3 (the maximum)
    const want = [0, 1 / 12, 3 / 12, 5 / 12, 7 / 12, 8 / 12, 6 / 12, 4 / 12, 1 / 12, -2 / 12, 0];
    want.forEach((w, j) => expect(s.margin[j]).toBeCloseTo(w, 12));
    expect(s.best).toBe(5);
  });

  it("a plateau of maxima suggests its middle", () => {
    // one cell, range values 0.9, elsewhere ≤ 0.1: every ℓ in (0.1, 0.9] separates perfectly
    const cols = transformedRows(rowMajor([[0.1, 0.9, 0.9, 0.0]]), "none");
    const s = separation(gridHistograms(cols, new SlotHistograms(cols, g01), [0], [1, 3]), g01);
    expect(s.margin[2]).toBe(1);
    expect(s.margin[9]).toBe(1);
    expect(s.best).toBe(5); // middle of 0.2 … 0.9
  });
});

describe("cell distributions", () => {
  it("counts over the source and inside the range on bins whose edges are grid thresholds", () => {
    const cols = transformedRows(rowMajor([B, A]), "none");
    const slots = new SlotHistograms(cols, g01);
    const h = gridHistograms(cols, slots, [1], [4, 6]);
    const d = cellDistributions(h, g01, 4);
    // 10 grid steps in 4 bins → 3 steps per bin, the last one shorter
    expect(d.edges).toEqual([0, 0.3, 0.6, 0.9, 1]);
    // A = .1 .5 .6 .2 .7 .8 .9 .1 (0.6 and 0.9 sit on an edge: they are ≥ it); the range holds .7 .8
    expect(d.cells[0]).toEqual({ overall: [3, 1, 3, 1], range: [0, 0, 2, 0] });
    // the per-cell counts are kept: a second brush reuses them
    expect(cellDistributions(gridHistograms(cols, slots, [1], [0, 2]), g01, 4).cells[0]).toEqual({ overall: [3, 1, 3, 1], range: [1, 1, 0, 0] });
  });

  it("values outside the grid fall in the first and last bins", () => {
    const cols = transformedRows(rowMajor([[-5, 0.05, 0.95, 7]]), "none");
    const h = gridHistograms(cols, new SlotHistograms(cols, g01), [0], [0, 0]);
    expect(cellDistributions(h, g01, 10).cells[0]!.overall).toEqual([2, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
  });

  it("many scattered cells (swept four at a time): the floor and the slot counts equal one pass in cell order, NaN included", () => {
    const r = mulberry32(8);
    const T = 97;
    const D = 60;
    const data = Float32Array.from({ length: T * D }, () => (r() < 0.03 ? NaN : Math.round(r() * 20) / 20));
    const m = { data, steps: T, cells: D };
    for (const cells of [[3, 59, 17, 40, 8, 33, 21, 50, 1], [12, 44, 5, 30, 57], [9, 2, 41, 26]]) {
      const want = Float32Array.from({ length: T }, (_, t) => {
        let lo = data[t * D + cells[0]!]!;
        for (const c of cells.slice(1)) if (data[t * D + c]! < lo) lo = data[t * D + c]!;
        return lo;
      });
      expect(Array.from(selectionFloor(m, cells))).toEqual(Array.from(want));
      const slots = new SlotHistograms(m, g01);
      slots.ensure(cells);
      for (const c of cells) {
        const direct = new Array<number>(12).fill(0);
        for (let t = 0; t < T; t++) {
          const v = data[t * D + c]!;
          if (!Number.isNaN(v)) direct[slots.slotOf(v)]!++;
        }
        expect(Array.from(slots.overall(c))).toEqual(direct);
      }
    }
  });
});
