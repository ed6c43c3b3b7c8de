import { afterEach, describe, expect, it } from "vitest";
import { kernelMatrixOf, mulberry32, prepareSource, RowsBuilder, type CellSearchTarget, type CellStats, type PreparedSource } from "@statescope/core";
import { AnalysisEngine } from "./engine";
import { KernelPool } from "./kernel-pool";
import { scoreCells } from "./score";

function source(T: number, D: number, kernels: boolean): PreparedSource {
  const r = mulberry32(T + D);
  const raw = Float32Array.from({ length: T * D }, () => Math.round((r() - 0.5) * 24) / 8);
  const b = new RowsBuilder({ steps: T, sourceCells: D, transform: "tanh", kernels });
  b.push(raw);
  return prepareSource(b.finish(), { ranks: true });
}

const stats = (s: CellStats) => (s.kind === "discrete" ? [s.auc, s.pointBiserial] : [s.r, s.rho]);
const pools: KernelPool[] = [];
const newPool = (size: number) => {
  const p = new KernelPool(size);
  pools.push(p);
  return p;
};
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe("cell search on kernel threads", () => {
  const T = 3001;
  const D = 37;
  const js = source(T, D, false);
  const shared = source(T, D, true);
  const r = mulberry32(9);
  const targets: CellSearchTarget[] = [
    { kind: "label", positive: Uint8Array.from({ length: T }, () => (r() < 0.3 ? 1 : 0)) },
    { kind: "label", positive: Uint8Array.from({ length: T }, () => (r() < 0.6 ? 1 : 0)) },
    { kind: "scalar", y: Float32Array.from({ length: T }, () => Math.round(r() * 20)) },
  ];

  it("threads sharing the source's memories give the JavaScript loop's doubles, reporting progress", async () => {
    expect(kernelMatrixOf(shared.values.data, T, D)).not.toBeNull();
    const pool = newPool(3);
    for (const target of targets) {
      const want = await scoreCells(js, target, null);
      const seen: number[] = [];
      const got = await scoreCells(shared, target, pool, async (f) => void seen.push(f));
      expect(stats(got)).toEqual(stats(want));
      expect(seen.at(-1)).toBe(1);
    }
    expect(pool.running).toBe(3);
  });

  it("a thread holding a released memory ends once idle; the next search starts new threads", async () => {
    const pool = newPool(2);
    await scoreCells(shared, targets[0]!, pool);
    expect(pool.running).toBe(2);
    const m = kernelMatrixOf(shared.values.data, T, D)!.memory;
    pool.release([m]);
    expect(pool.running).toBe(0);
    const want = await scoreCells(js, targets[0]!, null);
    expect(stats(await scoreCells(shared, targets[0]!, pool))).toEqual(stats(want));
    expect(pool.running).toBe(2);
  });

  it("a kernel that traps rejects the search with the thread's error; the pool keeps working", async () => {
    const pool = newPool(2);
    const m = kernelMatrixOf(shared.values.data, T, D)!;
    // groups past the end of the memory: out-of-bounds access traps
    const bad = [[{ memory: m.memory, fn: "sumF32" as const, args: [m.bytes + 65536 * 8, 0, 4, 0, D, m.acc64] }]];
    await expect(pool.run(bad)).rejects.toThrow(/analysis kernel thread failed: RuntimeError: memory access out of bounds/);
    const want = await scoreCells(js, targets[2]!, null);
    expect(stats(await scoreCells(shared, targets[2]!, pool))).toEqual(stats(want));
  });

  it("the engine runs concurrent searches on one source one after the other, each on the kernels", async () => {
    const engine = new AnalysisEngine(2 ** 30, { threads: 2 });
    const pool = engine.pool!;
    pools.push(pool);
    // count the runs (one per search at this size): a search that fell back to the JavaScript loop has none
    let runs = 0;
    const run = pool.run.bind(pool);
    pool.run = (parts) => (runs++, run(parts));
    const [a, b, c] = await Promise.all(targets.map((t) => engine.score(shared, t)));
    expect(runs).toBe(3);
    for (const [got, t] of [[a, targets[0]], [b, targets[1]], [c, targets[2]]] as const) expect(stats(got!)).toEqual(stats(await scoreCells(js, t!, null)));
  });

  it("warming a freshly prepared source starts the engine's threads on it and leaves its scratch free", async () => {
    const engine = new AnalysisEngine(2 ** 30, { threads: 2 });
    pools.push(engine.pool!);
    expect(engine.pool!.running).toBe(0);
    await engine.warm(shared);
    expect(engine.pool!.running).toBe(2);
    const want = await scoreCells(js, targets[1]!, null);
    expect(stats(await engine.score(shared, targets[1]!))).toEqual(stats(want));
  });
});
