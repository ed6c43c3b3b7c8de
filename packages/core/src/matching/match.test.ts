import { describe, expect, it } from "vitest";
import { AppError } from "../errors";
import { applyTransform, type StateMatrix, type Transform } from "./matrix";
import { buildOnIndex, columnsOfRows, encodeOnRows, fillRowsFromColumns, onIndexFromBits, type OnIndex } from "./on-index";
import { rawCutoff } from "./matrix";
import { fastCandidateRanges, fastRowRanges, FastCollectMerger, FastLevelsMerger, match, matchPlanned, matchSharded, PreciseMerger, type Shard } from "./match";
import { planMatch, type MatchQuery, type MatchResult } from "./query";
import { referenceMatch, type ReferenceQuery } from "./reference";
import { scanShard, shardHalo, type ShardPartial } from "./scan";
import { planShardRanges, shardIndexRange, shardPartialFromJson, shardPartialToJson } from "./distributed";
import { mulberry32 as rng } from "../random";

function matrix(rows: number[][]): StateMatrix {
  const cells = rows[0]?.length ?? 0;
  return { data: Float32Array.from(rows.flat()), steps: rows.length, cells };
}

describe("match: worked example of matching.md", () => {
  const V = matrix([
    [0, 0, 1],
    [1, 1, 1],
    [1, 1, 0],
    [1, 0, 0],
    [0, 0, 0],
    [1, 1, 1],
    [1, 1, 1],
    [0, 1, 0],
  ]);
  const q: MatchQuery = { cells: [0, 1], threshold: 0.5, padLeft: 1, padRight: 0 };

  for (const mode of ["fast", "precise"] as const) {
    it(`gives the documented ranking and histograms (${mode})`, () => {
      const r = match({ matrix: V }, { ...q, mode });
      expect(r.results.map(({ pos, length, I, U }) => ({ pos, length, I, U }))).toEqual([
        { pos: 1, length: 2, I: 2, U: 2 },
        { pos: 5, length: 2, I: 2, U: 3 },
        { pos: 1, length: 3, I: 1, U: 2 },
        { pos: 5, length: 3, I: 1, U: 2 },
      ]);
      expect(r.histograms).toEqual({ all: { 2: 2, 3: 2 }, strict: { 2: 2, 3: 0 } });
      // count = 0 2 2 1 0 2 2 1, context [p−3, p+20)
      expect(r.results[0]!.counts).toEqual([null, null, 0, 2, 2, 1, 0, 2, 2, 1, ...Array<null>(13).fill(null)]);
      expect(r.results[1]!.counts.slice(0, 6)).toEqual([2, 1, 0, 2, 2, 1]);
      expect(r.results[1]!.counts).toHaveLength(23);
    });
  }

  it("honours the exact length and K", () => {
    const r = match({ matrix: V }, { ...q, mode: "precise", length: 3, k: 1 });
    expect(r.results.map((h) => [h.pos, h.length, h.I, h.U])).toEqual([[1, 3, 1, 2]]);
    expect(r.histograms).toEqual({ all: { 3: 2 }, strict: { 3: 0 } });
  });
});

describe("match: bad input", () => {
  const V = matrix([
    [1, 0, 1],
    [1, 1, 0],
  ]);
  const bad = (q: Partial<MatchQuery>, msg: RegExp) => {
    let err: unknown;
    try {
      match({ matrix: V }, { cells: [0], ...q });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("BAD_INPUT");
    expect((err as AppError).message).toMatch(msg);
  };
  it("rejects cells out of range, duplicated or none", () => {
    bad({ cells: [0, 7] }, /source has 3 cells, the request selected cell 7/);
    bad({ cells: [-1] }, /selected cell -1/);
    bad({ cells: [1.5] }, /selected cell 1.5/);
    bad({ cells: [2, 2] }, /cell 2 is selected twice/);
    bad({ cells: [] }, /empty selection/);
  });
  it("rejects bad numbers", () => {
    bad({ threshold: Number.NaN }, /threshold must be a finite number, got NaN/);
    bad({ threshold: Infinity }, /threshold must be a finite number/);
    bad({ padLeft: -1 }, /padL .* non-negative integer, got -1/);
    bad({ padRight: 0.5 }, /padR .* got 0.5/);
    bad({ k: 501 }, /K must be an integer from 1 to 500, got 501/);
    bad({ k: 0 }, /K must be/);
    bad({ length: 1 }, /length must be 0 \(any\) or an integer ≥ 2, got 1/);
    bad({ length: -2 }, /length must be/);
    bad({ mode: "slow" as "fast" }, /mode must be/);
    bad({ before: -1, after: 2 }, /context.before/);
  });
  it("rejects an index built for another threshold", () => {
    const idx = buildOnIndex(V, 0.5);
    expect(() => match(idx, { cells: [0], threshold: 0.7 })).toThrow(/built for threshold 0.5, the query asks for 0.699999988079071/);
  });
});

// --- property tests against the reference -------------------------------------------------

const THRESHOLDS = [0.5, 0.7, 0.3, 0, -0.25, 0.1, 1.5];

/** Random matrix of persistent on/off runs, with values at, just below and far from the threshold, and NaN. */
function randomCase(seed: number, big: boolean) {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const T = big ? 6000 + int(8000) : 1 + int(int(4) === 0 ? 120 : 40);
  const D = big ? 6 + int(34) : 1 + int(r() < 0.2 ? 70 : 12);
  const transform: Transform = r() < 0.25 ? "tanh" : "none";
  const threshold = THRESHOLDS[int(big ? 4 : THRESHOLDS.length)]!;
  const thr32 = Math.fround(threshold);
  const below = thr32 - Math.max(Math.abs(thr32) * 1e-7, 1e-30);
  const flip = big ? 0.2 + r() * 0.4 : 0.05 + r() * 0.6;
  const nanRate = r() < 0.3 ? 0.05 : 0;
  const raw = new Float32Array(T * D);
  for (let c = 0; c < D; c++) {
    let on = r() < 0.5;
    const density = r();
    for (let t = 0; t < T; t++) {
      if (r() < flip) on = r() < density + 0.2;
      let v: number;
      if (r() < nanRate) v = Number.NaN;
      else if (on) v = r() < 0.3 ? threshold : r() < 0.5 ? thr32 + r() : 1;
      else v = r() < 0.3 ? below : thr32 - 0.01 - r();
      // for tanh sources store atanh so the transformed value lands near the intended one
      raw[t * D + c] = transform === "tanh" ? Math.atanh(Math.max(-0.999999, Math.min(0.999999, v))) : v;
    }
  }
  // runs touching both ends: sometimes force the first and last steps on for every cell
  if (r() < 0.3) for (let c = 0; c < D; c++) {
    raw[c] = transform === "tanh" ? 5 : 2;
    raw[(T - 1) * D + c] = transform === "tanh" ? 5 : 2;
  }
  const k = big ? 3 + int(Math.min(D - 3, 9)) : 1 + int(Math.min(D, 6));
  const cells: number[] = [];
  while (cells.length < k) {
    const c = int(D);
    if (!cells.includes(c)) cells.push(c);
  }
  const q: ReferenceQuery = {
    cells,
    threshold,
    padLeft: int(3) === 0 ? 0 : int(4),
    padRight: int(2) === 0 ? 0 : int(4),
    mode: r() < 0.5 ? "fast" : "precise",
    length: r() < 0.75 ? 0 : 2 + int(4),
    k: r() < 0.2 ? 1 + int(5) : r() < 0.5 ? 50 : 500,
    before: int(4) === 0 ? int(6) : 3,
    after: int(4) === 0 ? int(30) : 20,
  };
  return { raw: { data: raw, steps: T, cells: D } as StateMatrix, transform, q, r };
}

function randomShards(raw: StateMatrix, q: ReferenceQuery, transform: Transform, r: () => number): Shard[] {
  const T = raw.steps;
  const halo = shardHalo(planMatch(q, T, raw.cells));
  const cuts = new Set<number>();
  const n = Math.floor(r() * Math.min(T, 6));
  for (let i = 0; i < n; i++) cuts.add(1 + Math.floor(r() * (T - 1)));
  if (T > 2 && r() < 0.3) for (let t = 1; t < T; t++) if (r() < 0.5) cuts.add(t); // tiny shards
  const bounds = [0, ...[...cuts].filter((c) => c > 0 && c < T).sort((a, b) => a - b), T];
  const shards: Shard[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const start = bounds[i]!;
    const end = bounds[i + 1]!;
    const from = Math.max(0, start - halo.before);
    const to = Math.min(T, end + halo.after);
    shards.push({ index: buildOnIndex(raw, q.threshold, { transform, from, to }), start, end });
  }
  return shards;
}

describe("match equals the reference implementation", () => {
  it("on 3,000 random small matrices, whole and sharded", { timeout: 120_000 }, () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const { raw, transform, q, r } = randomCase(seed, false);
      const expected = referenceMatch(applyTransform(raw, transform), q);
      const got = match({ matrix: raw, transform }, q);
      expect(got, `seed ${seed}`).toEqual(expected);
      const sharded = matchSharded(randomShards(raw, q, transform, r), q);
      expect(sharded, `seed ${seed} sharded`).toEqual(expected);
    }
  });

  it("on larger matrices that cross the fast-mode cutoff of 1,000 candidates", { timeout: 120_000 }, () => {
    let crossed = 0;
    for (let seed = 10_001; seed <= 10_040; seed++) {
      const { raw, transform, q, r } = randomCase(seed, true);
      q.mode = seed % 4 === 0 ? "precise" : "fast";
      if (seed % 5 !== 0) q.length = 0;
      const expected = referenceMatch(applyTransform(raw, transform), q);
      const got = match({ matrix: raw, transform }, q);
      expect(got, `seed ${seed}`).toEqual(expected);
      expect(matchSharded(randomShards(raw, q, transform, r), q), `seed ${seed} sharded`).toEqual(expected);
      const scored = Object.values(expected.histograms.all).reduce((a, b) => a + b, 0);
      if (q.mode === "fast" && scored === 1000) crossed++;
    }
    expect(crossed).toBeGreaterThan(10);
  });
});

/**
 * The distributed protocol as the serving layer runs it: shard ranges from `planShardRanges`,
 * index rows from `shardIndexRange`, every partial through JSON (as stored in Postgres between
 * the worker that scans and the one that merges), two rounds in fast mode.
 */
function distributed(raw: StateMatrix, transform: Transform, q: MatchQuery, shardSteps: number, align: number): MatchResult {
  const plan = planMatch(q, raw.steps, raw.cells);
  const shards = planShardRanges(raw.steps, shardSteps).map((range) => {
    const { from, to } = shardIndexRange(range, plan, align);
    return { ...range, index: buildOnIndex(raw, q.threshold ?? 0.3, { transform, from, to }) };
  });
  const stored = (p: ShardPartial) => shardPartialFromJson(JSON.parse(JSON.stringify(shardPartialToJson(p))), plan);
  if (plan.mode === "precise") {
    const m = new PreciseMerger(plan);
    for (const sh of shards) m.add(stored(scanShard(sh.index, plan, sh, { kind: "precise" })));
    return m.finish();
  }
  const levels = new FastLevelsMerger(plan);
  for (const sh of shards) levels.add(stored(scanShard(sh.index, plan, sh, { kind: "levels" })));
  const minLevel = levels.finish();
  const m = new FastCollectMerger(plan, minLevel);
  for (const sh of shards) m.add(stored(scanShard(sh.index, plan, sh, { kind: "collect", minLevel })));
  return m.finish();
}

describe("the distributed protocol (shard ranges, stored partials, two fast rounds)", () => {
  it("equals the reference on 1,500 random small matrices with tiny shards", { timeout: 120_000 }, () => {
    for (let seed = 20_001; seed <= 21_500; seed++) {
      const { raw, transform, q, r } = randomCase(seed, false);
      const expected = referenceMatch(applyTransform(raw, transform), q);
      const shardSteps = 1 + Math.floor(r() * Math.max(1, raw.steps / 2));
      expect(distributed(raw, transform, q, shardSteps, r() < 0.5 ? 1 : 7), `seed ${seed}`).toEqual(expected);
    }
  });

  it("equals the reference across the fast-mode cutoff with many shards", { timeout: 120_000 }, () => {
    for (let seed = 30_001; seed <= 30_016; seed++) {
      const { raw, transform, q, r } = randomCase(seed, true);
      q.mode = seed % 3 === 0 ? "precise" : "fast";
      const expected = referenceMatch(applyTransform(raw, transform), q);
      expect(distributed(raw, transform, q, 200 + Math.floor(r() * 800), 64), `seed ${seed}`).toEqual(expected);
    }
  });

  it("plans even, consecutive shard ranges", () => {
    expect(planShardRanges(10, 4)).toEqual([{ start: 0, end: 3 }, { start: 3, end: 6 }, { start: 6, end: 10 }]);
    expect(planShardRanges(5, 100)).toEqual([{ start: 0, end: 5 }]);
    expect(() => planShardRanges(5, 0)).toThrow(/shard size must be a positive integer/);
  });

  it("refuses a malformed stored partial", () => {
    const plan = planMatch({ cells: [0] }, 4, 3);
    expect(() => shardPartialFromJson({ v: 2 }, plan)).toThrow(/malformed: unknown version/);
  });
});

/**
 * An index read back from persisted bits (issue 15): row bits encoded block by block as the
 * import and the lazy build write them, columns transposed from them, no run table — and for a
 * whole source a column array holding only the selected cells' columns, as a worker loads it.
 */
function fromBits(raw: StateMatrix, threshold: number, transform: Transform, from: number, to: number, onlyCells: number[] | null, r: () => number): OnIndex {
  const D = raw.cells;
  const W = Math.ceil(D / 32);
  const rows = new Uint32Array((to - from) * W);
  const cut = rawCutoff(threshold, transform);
  // uneven blocks, like chunks of any size
  for (let a = from; a < to; ) {
    const b = Math.min(to, a + 1 + Math.floor(r() * 50));
    if (cut !== null) encodeOnRows(raw.data.subarray(a * D, b * D), D, cut, rows.subarray((a - from) * W, (b - from) * W));
    a = b;
  }
  const all = columnsOfRows(rows, to - from, D);
  let cols = all;
  if (onlyCells) {
    const CW = Math.ceil((to - from) / 32);
    cols = new Uint32Array(all.length);
    for (const c of onlyCells) cols.set(all.subarray(c * CW, (c + 1) * CW), c * CW);
  }
  return onIndexFromBits({ totalSteps: raw.steps, origin: from, steps: to - from, cells: D, threshold, transform, rows, cols });
}

describe("an index from persisted bits equals the reference", () => {
  it("on 2,000 random small matrices, whole (selected columns only) and sharded", { timeout: 120_000 }, () => {
    for (let seed = 40_001; seed <= 42_000; seed++) {
      const { raw, transform, q, r } = randomCase(seed, false);
      const expected = referenceMatch(applyTransform(raw, transform), q);
      expect(match(fromBits(raw, q.threshold, transform, 0, raw.steps, q.cells, r), q), `seed ${seed}`).toEqual(expected);
      const plan = planMatch(q, raw.steps, raw.cells);
      const shardSteps = 1 + Math.floor(r() * Math.max(1, raw.steps / 2));
      const shards = planShardRanges(raw.steps, shardSteps).map((range) => {
        const { from, to } = shardIndexRange(range, plan, 1);
        return { ...range, index: fromBits(raw, q.threshold, transform, from, to, null, r) };
      });
      expect(matchSharded(shards, q), `seed ${seed} sharded`).toEqual(expected);
    }
  });

  it("across the fast-mode cutoff", { timeout: 120_000 }, () => {
    for (let seed = 50_001; seed <= 50_020; seed++) {
      const { raw, transform, q, r } = randomCase(seed, true);
      q.mode = seed % 3 === 0 ? "precise" : "fast";
      const expected = referenceMatch(applyTransform(raw, transform), q);
      expect(match(fromBits(raw, q.threshold, transform, 0, raw.steps, q.cells, r), q), `seed ${seed}`).toEqual(expected);
    }
  });

  it("in fast mode, from only the rows of fastRowRanges (the others left zero)", { timeout: 120_000 }, () => {
    let partial = 0;
    for (let seed = 60_001; seed <= 61_500; seed++) {
      const big = seed % 25 === 0;
      const { raw, transform, q, r } = randomCase(seed, big);
      q.mode = "fast";
      const expected = referenceMatch(applyTransform(raw, transform), q);
      const full = fromBits(raw, q.threshold, transform, 0, raw.steps, q.cells, r);
      const plan = planMatch(q, raw.steps, raw.cells);
      const ranges = fastRowRanges(full, plan)!;
      const W = full.rowWords;
      const rows = new Uint32Array(full.rows.length);
      let kept = 0;
      for (const [a, b] of ranges) {
        rows.set(full.rows.subarray(a * W, b * W), a * W);
        kept += b - a;
      }
      if (kept < raw.steps) partial++;
      expect(matchPlanned({ ...full, rows }, plan), `seed ${seed}`).toEqual(expected);
    }
    expect(partial).toBeGreaterThan(100);
  });

  it("in fast mode, from the selected cells' columns and only the scoring rows of fastCandidateRanges (the context from the columns)", { timeout: 120_000 }, () => {
    let partial = 0;
    for (let seed = 62_001; seed <= 63_200; seed++) {
      const { raw, transform, q, r } = randomCase(seed, seed % 25 === 0);
      q.mode = "fast";
      const expected = referenceMatch(applyTransform(raw, transform), q);
      const full = fromBits(raw, q.threshold, transform, 0, raw.steps, q.cells, r);
      const plan = planMatch(q, raw.steps, raw.cells);
      const parts = fastCandidateRanges(full, plan)!;
      // what a reader of k columns holds: all rows empty, then the selected cells around each candidate, all cells where it is scored
      const part = { ...full, rows: new Uint32Array(full.rows.length) };
      fillRowsFromColumns(part, plan.cells, parts.context);
      const W = full.rowWords;
      let kept = 0;
      for (const [a, b] of parts.score) {
        part.rows.set(full.rows.subarray(a * W, b * W), a * W);
        kept += b - a;
      }
      if (kept < raw.steps) partial++;
      expect(matchPlanned(part, plan), `seed ${seed}`).toEqual(expected);
      expect(fastRowRanges(full, plan)).toEqual(parts.score.map(([a, b], i) => [Math.min(a, parts.context[i]![0]), Math.max(b, parts.context[i]![1])]));
    }
    expect(partial).toBeGreaterThan(100);
  });
});
