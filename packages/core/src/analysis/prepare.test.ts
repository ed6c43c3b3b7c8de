import { describe, expect, it } from "vitest";
import { mulberry32 } from "../random";
import { prepareSource, SourcePreparer } from "./prepare";
import { directRanks, rowMajor } from "./reference";
import { extractColumns, restrictRows, RowsBuilder, transformedRows } from "./rows";

describe("rows", () => {
  const m = rowMajor([
    [0, 1, 2],
    [10, 11, 12],
    [20, 21, 22],
  ]);

  it("streamed chunks keep the selected columns in order, transformed", () => {
    const b = new RowsBuilder({ steps: 3, sourceCells: 3, select: [2, 0], transform: "tanh" });
    b.push(m.data.subarray(0, 6));
    b.push(m.data.subarray(6));
    expect(Array.from(b.finish().data)).toEqual(Array.from(Float32Array.from([20, 0, 21, 1, 22, 2], Math.tanh)));
    expect(() => b.push(m.data.subarray(0, 3))).toThrow("4 rows pushed into a 3-step matrix");
    expect(() => new RowsBuilder({ steps: 3, sourceCells: 3, select: [3], transform: "none" })).toThrow("cell 3 was selected");
  });

  it("columns come out cell-major; restricted rows are compacted", () => {
    expect(Array.from(extractColumns(m, [2, 1]))).toEqual([20, 21, 22, 10, 11, 12]);
    expect(Array.from(restrictRows(m, Uint32Array.of(0, 2)).data)).toEqual([0, 10, 20, 2, 12, 22]);
    expect(() => restrictRows(m, Uint32Array.of(2, 1))).toThrow("ascending");
  });

  it("scattered columns (four a pass, then the rest) and adjacent ones (one pass) hold the same values", () => {
    const T = 11;
    const D = 100;
    const big = { data: Float32Array.from({ length: T * D }, (_, i) => i), steps: T, cells: D };
    for (const cells of [[99, 0, 50, 7, 64, 3, 98], [40, 41, 42, 43, 44], [5, 36]]) {
      const want = cells.flatMap((c) => Array.from({ length: T }, (_, t) => t * D + c));
      expect(Array.from(extractColumns(big, cells))).toEqual(want);
    }
    expect(() => extractColumns(big, [3, 100])).toThrow("cell 100 is not one of the 100 cells");
  });
});

describe("source preparation", () => {
  it("per-cell ranks (row-major), means and centred sums of squares, across blocks of cells", () => {
    const r = mulberry32(8);
    const D = 70; // three blocks of cells, the last one partial
    const T = 150;
    const cols = Array.from({ length: D }, () => Array.from({ length: T }, () => Math.round((r() - 0.5) * 12) / 4));
    const values = transformedRows(rowMajor(cols), "none");
    const p = new SourcePreparer(values, { ranks: true });
    // progress comes in whole blocks
    expect(p.run(1)).toBe(32);
    expect(p.run(1)).toBe(64);
    expect(p.run(100)).toBe(70);
    const prep = p.finish();
    for (const c of [0, 31, 32, 69]) {
      const col = Float32Array.from(cols[c]!);
      expect(Array.from({ length: T }, (_, t) => prep.ranks![t * D + c]! / 2)).toEqual(directRanks(col));
      const mean = col.reduce((a, b) => a + b, 0) / T;
      expect(prep.mean[c]).toBeCloseTo(mean, 12);
      expect(prep.sxx[c]).toBeCloseTo(col.reduce((a, v) => a + (v - mean) ** 2, 0), 9);
    }
    expect(prepareSource(values, { ranks: false }).ranks).toBeNull();
  });

  it("refuses NaN, naming the cell", () => {
    expect(() => prepareSource(rowMajor([[1, 2], [3, NaN]]), { ranks: false })).toThrow("cell 1 has NaN values");
  });
});
