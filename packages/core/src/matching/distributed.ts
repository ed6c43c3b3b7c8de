import { AppError } from "../errors";
import { LengthHistograms } from "./collect";
import type { MatchPlan } from "./query";
import { newCandidates, shardHalo, type BorderClose, type BorderOpen, type ShardPartial } from "./scan";

/*
 * What the serving layer needs to run one query as time-range shards on several workers:
 * the shard ranges, the index rows each shard must load, and a JSON form of `ShardPartial`
 * (kilobytes) that can be stored between the scan on one worker and the merge on another.
 * The protocol itself (precise: one round + `PreciseMerger`; fast: `FastLevelsMerger`, then a
 * second round + `FastCollectMerger`) is the one `matchSharded` runs in process.
 */

/** Consecutive ranges of at most `shardSteps` steps that together own [0, totalSteps). */
export function planShardRanges(totalSteps: number, shardSteps: number): { start: number; end: number }[] {
  if (!Number.isSafeInteger(totalSteps) || totalSteps < 1) throw new AppError("BAD_INPUT", `a source to shard needs at least one step, got ${totalSteps}`);
  if (!Number.isSafeInteger(shardSteps) || shardSteps < 1) throw new AppError("BAD_INPUT", `shard size must be a positive integer, got ${shardSteps}`);
  const n = Math.ceil(totalSteps / shardSteps);
  // even shards (sizes differ by at most one step) instead of a runt at the end
  const out: { start: number; end: number }[] = [];
  for (let i = 0; i < n; i++) out.push({ start: Math.floor((i * totalSteps) / n), end: Math.floor(((i + 1) * totalSteps) / n) });
  return out;
}

/**
 * Rows [from, to) the index of a shard must hold: its range plus `shardHalo`, with the halo
 * rounded up to a multiple of `align` so that queries with small paddings and contexts load the
 * same rows (and share a cached index). Clipped to [0, T).
 */
export function shardIndexRange(
  range: { start: number; end: number },
  plan: Pick<MatchPlan, "padL" | "padR" | "before" | "after" | "totalSteps">,
  align = 1024,
): { from: number; to: number } {
  const halo = shardHalo(plan);
  const up = (x: number) => Math.ceil(x / align) * align;
  return { from: Math.max(0, range.start - up(halo.before)), to: Math.min(plan.totalSteps, range.end + up(halo.after)) };
}

/** `ShardPartial` as plain JSON (masks as arrays of uint32 words, histograms as [L, all, strict] triples). */
export interface ShardPartialJson {
  v: 1;
  start: number;
  end: number;
  countBefore: number;
  foreign: number;
  levelCounts: number[] | null;
  collected: { p: number[]; L: number[]; n: number[]; b: number[]; I: number[]; U: number[] } | null;
  collectedCounts: (number | null)[][] | null;
  top: { pos: number; length: number; I: number; U: number; counts: (number | null)[] }[] | null;
  histograms: [number, number, number][] | null;
  closes: { t: number; after: number; mask: number[] | null }[];
  open: { s: number; lo: number; hi: number; before: number; mask: number[] | null; counts: (number | null)[] | null }[];
  passLevels: number;
  passMask: number[] | null;
}

const arr = (a: ArrayLike<number> | null): number[] | null => (a ? Array.from(a) : null);

export function shardPartialToJson(p: ShardPartial): ShardPartialJson {
  let histograms: [number, number, number][] | null = null;
  if (p.histograms) {
    const { all, strict } = p.histograms.toRecords();
    histograms = Object.keys(all).map((L) => [Number(L), all[L]!, strict[L] ?? 0]);
  }
  const c = p.collected;
  return {
    v: 1,
    start: p.start,
    end: p.end,
    countBefore: p.countBefore,
    foreign: p.foreign,
    levelCounts: arr(p.levelCounts),
    collected: c
      ? {
          p: Array.from(c.p.subarray(0, c.size)),
          L: Array.from(c.L.subarray(0, c.size)),
          n: Array.from(c.n.subarray(0, c.size)),
          b: Array.from(c.b.subarray(0, c.size)),
          I: Array.from(c.I.subarray(0, c.size)),
          U: Array.from(c.U.subarray(0, c.size)),
        }
      : null,
    collectedCounts: p.collectedCounts,
    top: p.top ? p.top.hits : null,
    histograms,
    closes: p.closes.map((x) => ({ t: x.t, after: x.after, mask: arr(x.mask) })),
    open: p.open.map((o) => ({ s: o.s, lo: o.lo, hi: o.hi, before: o.before, mask: arr(o.mask), counts: o.counts })),
    passLevels: p.passLevels,
    passMask: arr(p.passMask),
  };
}

function bad(what: string): never {
  throw new AppError("INTERNAL", `stored shard partial is malformed: ${what}`);
}

function int(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v)) bad(`${what} is not an integer`);
  return v;
}

function ints(v: unknown, what: string): number[] {
  if (!Array.isArray(v)) bad(`${what} is not an array`);
  for (const x of v) if (typeof x !== "number" || !Number.isFinite(x)) bad(`${what} holds a non-number`);
  return v as number[];
}

function mask(v: unknown, what: string, words: number): Uint32Array | null {
  if (v === null) return null;
  const a = ints(v, what);
  if (a.length !== words) bad(`${what} has ${a.length} words, expected ${words}`);
  return Uint32Array.from(a);
}

function counts(v: unknown, what: string): (number | null)[] {
  if (!Array.isArray(v)) bad(`${what} is not an array`);
  for (const x of v) if (x !== null && typeof x !== "number") bad(`${what} holds a non-number`);
  return v as (number | null)[];
}

/** Reads a partial stored by `shardPartialToJson` for a query of `plan`; throws AppError("INTERNAL") when it does not fit. */
export function shardPartialFromJson(j: unknown, plan: Pick<MatchPlan, "cellCount" | "k">): ShardPartial {
  if (typeof j !== "object" || j === null || (j as { v?: unknown }).v !== 1) bad("unknown version");
  const o = j as ShardPartialJson;
  const words = Math.ceil(plan.cellCount / 32);
  let collected: ShardPartial["collected"] = null;
  if (o.collected !== null) {
    const src = o.collected;
    const size = ints(src.p, "collected.p").length;
    collected = newCandidates(size);
    for (const f of ["p", "L", "n", "b", "I", "U"] as const) {
      const a = ints(src[f], `collected.${f}`);
      if (a.length !== size) bad(`collected.${f} has ${a.length} entries, collected.p ${size}`);
      collected[f].set(a);
    }
    collected.size = size;
  }
  let histograms: LengthHistograms | null = null;
  if (o.histograms !== null) {
    if (!Array.isArray(o.histograms)) bad("histograms is not an array");
    histograms = new LengthHistograms();
    for (const h of o.histograms) {
      const [L, all, strict] = ints(h, "histograms entry");
      histograms.addCount(int(L, "histogram length"), int(all, "histogram count"), int(strict, "histogram strict count"));
    }
  }
  if (o.levelCounts !== null && ints(o.levelCounts, "levelCounts").length !== plan.k + 1) bad(`levelCounts does not have ${plan.k + 1} levels`);
  if (!Array.isArray(o.closes) || !Array.isArray(o.open)) bad("closes/open are not arrays");
  const closes: BorderClose[] = o.closes.map((x, i) => ({ t: int(x.t, `closes[${i}].t`), after: int(x.after, `closes[${i}].after`), mask: mask(x.mask, `closes[${i}].mask`, words) }));
  const open: BorderOpen[] = o.open.map((x, i) => ({
    s: int(x.s, `open[${i}].s`),
    lo: int(x.lo, `open[${i}].lo`),
    hi: int(x.hi, `open[${i}].hi`),
    before: int(x.before, `open[${i}].before`),
    mask: mask(x.mask, `open[${i}].mask`, words),
    counts: x.counts === null ? null : counts(x.counts, `open[${i}].counts`),
  }));
  return {
    start: int(o.start, "start"),
    end: int(o.end, "end"),
    countBefore: int(o.countBefore, "countBefore"),
    foreign: int(o.foreign, "foreign"),
    levelCounts: o.levelCounts === null ? null : Float64Array.from(o.levelCounts),
    collected,
    collectedCounts: o.collectedCounts === null ? null : o.collectedCounts.map((c, i) => counts(c, `collectedCounts[${i}]`)),
    top: o.top === null ? null : { hits: o.top.map((h, i) => ({ pos: int(h.pos, `top[${i}].pos`), length: int(h.length, `top[${i}].length`), I: int(h.I, `top[${i}].I`), U: int(h.U, `top[${i}].U`), counts: counts(h.counts, `top[${i}].counts`) })) },
    histograms,
    closes,
    open,
    passLevels: int(o.passLevels, "passLevels"),
    passMask: mask(o.passMask, "passMask", words),
  };
}
