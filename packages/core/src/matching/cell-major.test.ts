import { describe, expect, it } from "vitest";
import { mulberry32 } from "../random";
import {
  cellsToRows,
  createCellsToRows,
  createOnColumnEncoder,
  createOnRowsFromCellsEncoder,
  createRowsToCells,
  encodeOnColumn,
  encodeOnRowsFromCells,
  rowsToCells,
  type OnColumnEncoder,
  type OnRowsFromCellsEncoder,
  type Transposer,
} from "./cell-major";
import { columnsOfRows, encodeOnRows } from "./on-index";

const SUB = Math.fround(1.4e-45); // the smallest float32 subnormal
const SUB2 = Math.fround(3e-39); // a larger one
const WIDTHS = [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 255, 650];
const ROWS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 1023, 1024, 1025, 1100];

/** Values with NaN, ±0, ±∞, subnormals and repeats of a few exact values (cuts land on them). */
function values(n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = r();
    a[i] =
      x < 0.02 ? Number.NaN
      : x < 0.04 ? -0
      : x < 0.05 ? 0
      : x < 0.06 ? Infinity
      : x < 0.07 ? -Infinity
      : x < 0.08 ? SUB
      : x < 0.09 ? -SUB
      : x < 0.1 ? SUB2
      : x < 0.12 ? 0.3
      : (r() - 0.5) * 3;
  }
  return a;
}

/** Cuts are float32 values (what `rawCutoff` returns), some equal to values of the block. */
function cutsFor(block: Float32Array): number[] {
  const some = block.length > 0 ? block[Math.floor(block.length / 2)]! : 0;
  return [Math.fround(0.3), 0, -0, -0.5, Infinity, -Infinity, SUB, -SUB, SUB2, Number.isNaN(some) ? 1 : some];
}

/** The definition, one value at a time: bit c&31 of word (r·W + c>>5) iff block[c·rows + r] ≥ cut. */
function naiveRowBits(block: Float32Array, rows: number, cells: number, cut: number): Uint32Array {
  const W = Math.ceil(cells / 32);
  const out = new Uint32Array(rows * W);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cells; c++) if (block[c * rows + r]! >= cut) out[r * W + (c >>> 5)]! |= 1 << (c & 31);
  return out;
}

function naiveColumnBits(v: Float32Array, cut: number): Uint32Array {
  const out = new Uint32Array(Math.ceil(v.length / 32));
  for (let r = 0; r < v.length; r++) if (v[r]! >= cut) out[r >>> 5]! |= 1 << (r & 31);
  return out;
}

/** value(r, c) at c·rows + r → r·cells + c, one value at a time. */
function naiveCellsToRows(block: Float32Array, rows: number, cells: number): Float32Array {
  const out = new Float32Array(rows * cells);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cells; c++) out[r * cells + c] = block[c * rows + r]!;
  return out;
}

/** Bit patterns, so NaN payloads and −0 are compared exactly. */
const bitsOf = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** "same" or where the words first differ (toEqual on 700k-element arrays takes seconds). */
function diff(got: Uint32Array, want: Uint32Array): string {
  if (got.length !== want.length) return `length ${got.length} ≠ ${want.length}`;
  for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) return `word ${i}: ${got[i]!.toString(16)} ≠ ${want[i]!.toString(16)}`;
  return "same";
}

const rowEncoders: [string, OnRowsFromCellsEncoder][] = [
  ["JS", encodeOnRowsFromCells],
  ["SIMD", createOnRowsFromCellsEncoder()],
];
const columnEncoders: [string, OnColumnEncoder][] = [
  ["JS", encodeOnColumn],
  ["SIMD", createOnColumnEncoder()],
];
const toRows: [string, Transposer][] = [
  ["JS", cellsToRows],
  ["SIMD", createCellsToRows()],
];
const toCells: [string, Transposer][] = [
  ["JS", rowsToCells],
  ["SIMD", createRowsToCells()],
];

describe("the factories", () => {
  it("give the WebAssembly SIMD kernels on this runtime (so the SIMD rows below test them, not the JS fallback)", () => {
    expect(rowEncoders[1]![1]).not.toBe(encodeOnRowsFromCells);
    expect(columnEncoders[1]![1]).not.toBe(encodeOnColumn);
    expect(toRows[1]![1]).not.toBe(cellsToRows);
    expect(toCells[1]![1]).not.toBe(rowsToCells);
  });
});

describe.each(rowEncoders)("encodeOnRowsFromCells (%s)", (_, enc) => {
  it("equals the definition and encodeOnRows of the row-major block (widths 1–650, rows 1–1,100, NaN, ±0, ±∞, subnormals, cuts on values)", () => {
    let seed = 1;
    for (const cells of WIDTHS) {
      for (const rows of ROWS) {
        if (rows * cells > 300_000 && cells !== 650) continue; // the big shapes: 650 wide only
        const block = values(rows * cells, seed++);
        const W = Math.ceil(cells / 32);
        const cuts = rows * cells > 50_000 ? cutsFor(block).slice(0, 3).concat(block[7]!) : cutsFor(block);
        for (const cut of cuts) {
          if (Number.isNaN(cut)) continue;
          const want = naiveRowBits(block, rows, cells, cut);
          const viaRows = new Uint32Array(rows * W);
          encodeOnRows(naiveCellsToRows(block, rows, cells), cells, cut, viaRows);
          expect(diff(viaRows, want), `reference ${rows} × ${cells} at ${cut}`).toBe("same");
          const got = new Uint32Array(rows * W + 3).fill(0xdeadbeef);
          enc(block, rows, cells, cut, got);
          expect(diff(got.subarray(0, rows * W), want), `${rows} × ${cells} at ${cut}`).toBe("same");
          expect(Array.from(got.subarray(rows * W)), "words past the rows are left alone").toEqual([0xdeadbeef, 0xdeadbeef, 0xdeadbeef]);
        }
      }
    }
  });

  it("encodes a source chunk by chunk, the last chunk shorter, with one encoder reused", () => {
    const T = 2500;
    const D = 70;
    const W = Math.ceil(D / 32);
    const rowMajor = values(T * D, 99);
    const want = new Uint32Array(T * W);
    encodeOnRows(rowMajor, D, 0.25, want);
    const got = new Uint32Array(T * W);
    for (let r0 = 0; r0 < T; r0 += 1024) {
      const n = Math.min(1024, T - r0);
      const chunk = new Float32Array(n * D);
      rowsToCells(rowMajor.subarray(r0 * D, (r0 + n) * D), n, D, chunk);
      enc(chunk, n, D, 0.25, got.subarray(r0 * W, (r0 + n) * W));
    }
    expect(diff(got, want)).toBe("same");
  });

  it("encodes blocks wider or longer than one memory slice (32-cell groups × ≤ 1,024 rows per slice), before and after small ones", () => {
    for (const [rows, cells] of [[3, 5], [1100, 1000], [1, 4000], [5000, 70], [2049, 33], [2, 2]] as const) {
      const block = values(rows * cells, rows + cells);
      const want = naiveRowBits(block, rows, cells, 0.25);
      const got = new Uint32Array(want.length);
      enc(block, rows, cells, 0.25, got);
      expect(diff(got, want), `${rows} × ${cells}`).toBe("same");
    }
  });

  it("rejects a block whose length is not rows × cells, and a short out", () => {
    expect(() => enc(new Float32Array(10), 3, 3, 0, new Uint32Array(3))).toThrow(/10 values for 3 rows × 3 cells/);
    expect(() => enc(new Float32Array(9), 3, 3, 0, new Uint32Array(2))).toThrow(/2 words for 3 rows of 1/);
  });
});

describe.each(columnEncoders)("encodeOnColumn (%s)", (_, enc) => {
  it("equals the definition for lengths 0–1,100 and beyond (NaN, ±0, ±∞, subnormals, cuts on values), bits past n are 0", () => {
    let seed = 500;
    for (const n of [0, ...ROWS, 4096, 100_003]) {
      const v = values(n, seed++);
      for (const cut of cutsFor(v)) {
        if (Number.isNaN(cut)) continue;
        const want = naiveColumnBits(v, cut);
        const got = new Uint32Array(want.length + 2).fill(0xdeadbeef);
        enc(v, cut, got);
        expect(diff(got.subarray(0, want.length), want), `${n} values at ${cut}`).toBe("same");
        expect(Array.from(got.subarray(want.length))).toEqual([0xdeadbeef, 0xdeadbeef]);
      }
    }
  });

  it("gives OnIndex.cols of a source encoded chunk by chunk (1,024 rows, the last shorter)", () => {
    const T = 2500;
    const D = 40;
    const rowMajor = values(T * D, 7);
    const W = Math.ceil(D / 32);
    const rowBits = new Uint32Array(T * W);
    encodeOnRows(rowMajor, D, 0.1, rowBits);
    const want = columnsOfRows(rowBits, T, D);
    const CW = Math.ceil(T / 32);
    const got = new Uint32Array(D * CW).fill(0xdeadbeef);
    for (let r0 = 0; r0 < T; r0 += 1024) {
      const n = Math.min(1024, T - r0);
      const chunk = new Float32Array(n * D);
      rowsToCells(rowMajor.subarray(r0 * D, (r0 + n) * D), n, D, chunk);
      for (let c = 0; c < D; c++) enc(chunk.subarray(c * n, (c + 1) * n), 0.1, got.subarray(c * CW + r0 / 32));
    }
    expect(diff(got, want)).toBe("same");
  });

  it("rejects a short out", () => {
    expect(() => enc(new Float32Array(33), 0, new Uint32Array(1))).toThrow(/1 words for 33 values/);
  });
});

describe.each([0, 1])("transposes (%#: JS, SIMD)", (i) => {
  const [, c2r] = toRows[i]!;
  const [, r2c] = toCells[i]!;
  it("cellsToRows equals the definition and rowsToCells inverts it, bit for bit (widths 1–650, rows 1–1,100, NaN, ±0, subnormals)", () => {
    let seed = 1000;
    for (const cells of WIDTHS) {
      for (const rows of ROWS) {
        if (rows * cells > 300_000 && cells !== 650) continue;
        const block = values(rows * cells, seed++);
        const want = naiveCellsToRows(block, rows, cells);
        const got = new Float32Array(rows * cells + 2).fill(7);
        c2r(block, rows, cells, got);
        expect(diff(bitsOf(got.subarray(0, rows * cells)), bitsOf(want)), `${rows} × ${cells}`).toBe("same");
        expect(Array.from(got.subarray(rows * cells))).toEqual([7, 7]);
        const back = new Float32Array(rows * cells).fill(7);
        r2c(got.subarray(0, rows * cells), rows, cells, back);
        expect(diff(bitsOf(back), bitsOf(block)), `round trip ${rows} × ${cells}`).toBe("same");
      }
    }
  });

  it("transposes a 0-row block to nothing and rejects bad shapes and overlapping buffers", () => {
    c2r(new Float32Array(0), 0, 5, new Float32Array(0));
    expect(() => c2r(new Float32Array(6), 2, 2, new Float32Array(6))).toThrow(/6 values for 2 rows × 2 cells/);
    expect(() => r2c(new Float32Array(6), 2, 3, new Float32Array(5))).toThrow(/out holds 5 values, 6 needed/);
    const buf = new Float32Array(12);
    expect(() => r2c(buf.subarray(0, 6), 2, 3, buf.subarray(3, 9))).toThrow(/overlaps/);
    r2c(buf.subarray(0, 6), 2, 3, buf.subarray(6, 12));
  });
});
