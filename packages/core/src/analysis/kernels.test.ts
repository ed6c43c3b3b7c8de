import { describe, expect, it } from "vitest";
import { mulberry32 } from "../random";
import { CellSearch, type CellSearchTarget, type CellStats } from "./cell-search";
import { callKernel, cellBlocks, kernelArray, kernelMatrixOf, kernelModule } from "./kernels";
import { prepareSource, type PreparedSource } from "./prepare";
import { rowMajor } from "./reference";
import { restrictRows, transformedRows } from "./rows";

/** Random columns with many ties (coarse values), one constant cell. */
function columns(T: number, D: number, seed: number): number[][] {
  const r = mulberry32(seed);
  return Array.from({ length: D }, (_, c) => Array.from({ length: T }, () => (c === 3 ? 0.25 : Math.round((r() - 0.5) * (c + 2) * 6) / 3)));
}

function prepared(cols: number[][], kernels: boolean): PreparedSource {
  const m = rowMajor(cols);
  return prepareSource(transformedRows(m, "tanh", undefined, { kernels }), { ranks: true });
}

/** Runs a search `count` rows at a time: on this thread, or as kernel calls split into `parts` cell blocks run last block first. */
function search(p: PreparedSource, target: CellSearchTarget, count: number, parts = 0): { stats: CellStats; kernels: boolean } {
  const s = new CellSearch(p, target);
  const kernels = s.kernels;
  while (s.rowsDone < s.total) {
    if (parts === 0) s.run(count);
    else for (const calls of s.calls(count, parts)!.reverse()) for (const c of calls) callKernel(c);
  }
  return { stats: s.finish(), kernels };
}

const stats = (s: CellStats) => (s.kind === "discrete" ? [s.auc, s.pointBiserial] : [s.r, s.rho]);

describe("cell search's SIMD kernels", () => {
  it("are available in this runtime (WebAssembly SIMD and shared memories)", () => {
    expect(kernelModule()).not.toBeNull();
  });

  it("give the JavaScript loop's doubles bit for bit: labels (both classes), scalars, 0–3 leftover rows, odd cell counts, any blocks of cells", () => {
    const r = mulberry32(5);
    for (const T of [401, 402, 403, 404]) {
      for (const D of [7, 13]) {
        const cols = columns(T, D, T * D);
        const js = prepared(cols, false);
        const wasm = prepared(cols, true);
        expect(kernelMatrixOf(wasm.values.data, T, D)).not.toBeNull();
        expect(kernelMatrixOf(wasm.ranks!, T, D)).not.toBeNull();
        expect(kernelMatrixOf(js.values.data, T, D)).toBeNull();
        const targets: CellSearchTarget[] = [
          { kind: "label", positive: Uint8Array.from({ length: T }, () => (r() < 0.2 ? 1 : 0)) },
          { kind: "label", positive: Uint8Array.from({ length: T }, () => (r() < 0.7 ? 1 : 0)) },
          { kind: "scalar", y: Float32Array.from({ length: T }, () => Math.round(r() * 9)) },
        ];
        for (const target of targets) {
          const want = search(js, target, T);
          expect(want.kernels).toBe(false);
          for (const [count, parts] of [[T, 0], [37, 0], [40, 3], [13, 2]] as const) {
            const got = search(wasm, target, count, parts);
            expect(got.kernels).toBe(true);
            expect(stats(got.stats)).toEqual(stats(want.stats));
          }
        }
      }
    }
  });

  it("a second search while one holds the scratch runs the JavaScript loop, with the same result; the scratch is free again after finish or release", () => {
    const T = 202;
    const p = prepared(columns(T, 9, 2), true);
    const target: CellSearchTarget = { kind: "label", positive: Uint8Array.from({ length: T }, (_, t) => (t % 3 === 0 ? 1 : 0)) };
    const a = new CellSearch(p, target);
    const b = new CellSearch(p, target);
    expect([a.kernels, b.kernels]).toEqual([true, false]);
    a.run(50);
    b.run(b.total);
    a.run(a.total);
    expect(stats(a.finish())).toEqual(stats(b.finish()));
    const c = new CellSearch(p, target);
    expect(c.kernels).toBe(true);
    c.release();
    expect(new CellSearch(p, target).kernels).toBe(true);
  });

  it("rank sums past 2³² stay exact (u32 chunks flushed into doubles)", () => {
    const T = 9;
    const D = 6;
    const ranks = kernelArray(Uint32Array, T, D)!;
    const m = kernelMatrixOf(ranks, T, D)!;
    const want = new Float64Array(D);
    for (let t = 0; t < T; t++) {
      for (let c = 0; c < D; c++) {
        ranks[t * D + c] = 2 ** 30 - 1 - t * 1000 - c;
        want[c]! += ranks[t * D + c]!;
      }
    }
    // groups: rows 0–3, 4–7, then row 8 with three zero rows
    const g = new Uint32Array(m.memory.buffer, m.groups, 12);
    g.set([0, 1, 2, 3, 4, 5, 6, 7].map((t) => t * D * 4));
    g.set([8 * D * 4, m.zeroRow, m.zeroRow, m.zeroRow], 8);
    // one group per chunk: 4 ranks < 2³² per chunk, 9 · 2³⁰ in all
    for (const [c0, c1] of cellBlocks(D, 2)) callKernel({ memory: m.memory, fn: "ranksU32", args: [m.groups, 0, 3, c0, c1, m.acc32, m.acc64, 1] });
    expect(Array.from(new Float64Array(m.memory.buffer, m.acc64, D))).toEqual(Array.from(want));
    expect(want[0]).toBeGreaterThan(2 ** 32);
  });

  it("kernel memories: rows restricted from one are in one; a matrix beyond 4 GiB is refused (ordinary arrays then)", () => {
    const p = prepared(columns(40, 5, 1), true);
    const sub = restrictRows(p.values, Uint32Array.from([1, 5, 9]));
    expect(kernelMatrixOf(sub.data, 3, 5)).not.toBeNull();
    expect(Array.from(sub.data.subarray(0, 5))).toEqual(Array.from(p.values.data.subarray(5, 10)));
    expect(kernelArray(Float32Array, 2 ** 20, 1100)).toBeNull();
    expect(cellBlocks(650, 2)).toEqual([[0, 328], [328, 650]]);
    expect(cellBlocks(3, 4)).toEqual([[0, 3]]);
  });
});
