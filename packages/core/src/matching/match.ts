import { AppError } from "../errors";
import { popcount32 } from "./bits";
import { LengthHistograms, ranksBefore } from "./collect";
import { buildOnIndex, type OnIndex } from "./on-index";
import type { StateMatrix, Transform } from "./matrix";
import { FAST_CANDIDATES, MATCH_DEFAULTS, planMatch, type MatchHit, type MatchPlan, type MatchQuery, type MatchResult } from "./query";
import { canHarvestFast, harvestFast } from "./fast-whole";
import {
  contextCounts,
  fastStopLevel,
  orderByBoundary,
  scanShard,
  scoreCandidates,
  type BorderOpen,
  type ScoredCandidates,
  type ShardPartial,
} from "./scan";

/** What `match` reads: a prebuilt index (the fast path: build once per threshold and reuse) or a matrix. */
export type MatchSource = OnIndex | { matrix: StateMatrix; transform?: Transform };

/** One time-range shard: it owns global steps [start, end); `index` holds them plus the halo of `shardHalo`. */
export interface Shard {
  index: OnIndex;
  start: number;
  end: number;
}

function isIndex(s: MatchSource): s is OnIndex {
  return "rows" in s;
}

/**
 * Runs a match query (matching.md) over a whole source. With a matrix the index is built for this
 * one query; pass an `OnIndex` from `buildOnIndex` to reuse it across queries at one threshold.
 */
export function match(source: MatchSource, query: MatchQuery): MatchResult {
  const index = isIndex(source)
    ? source
    : buildOnIndex(source.matrix, query.threshold ?? MATCH_DEFAULTS.threshold, { transform: source.transform ?? "none" });
  return matchSharded([wholeShard(index)], query);
}

/**
 * `match` for a query already planned against this source (`planMatch`), so a caller that
 * validated the query first does not plan it twice. The index must be built at the plan's threshold.
 */
export function matchPlanned(index: OnIndex, plan: MatchPlan): MatchResult {
  const shards = [wholeShard(index)];
  checkShards(shards);
  if (index.totalSteps !== plan.totalSteps || index.cells !== plan.cellCount || index.threshold !== plan.threshold) {
    throw new AppError("INTERNAL", `the plan is for ${plan.totalSteps} × ${plan.cellCount} at threshold ${plan.threshold}, the index holds ${index.totalSteps} × ${index.cells} at ${index.threshold}`);
  }
  return runPlanned(shards, plan);
}

/**
 * The row ranges [from, to) a whole-source `fast` query reads from the index's row bits: the
 * scoring windows of its (at most 1,000) candidates with their paddings, and their count
 * contexts. Finding the candidates reads only the selected cells' columns, so a caller holding
 * those can fetch just these rows (a few thousand instead of T) before `matchPlanned`; rows
 * outside them are never read. Null when the query needs all rows (precise mode, or a selection
 * too large for the fast harvest).
 */
export function fastRowRanges(index: OnIndex, plan: MatchPlan): [number, number][] | null {
  const r = fastCandidateRanges(index, plan);
  if (!r) return null;
  return r.score.map(([a, b], i) => [Math.min(a, r.context[i]![0]), Math.max(b, r.context[i]![1])]);
}

/**
 * {@link fastRowRanges} in its two parts, per candidate: `score`, the steps whose row bits of ALL
 * cells scoring reads ([p − padL, p + L + padR)), and `context`, the steps whose bits of the
 * SELECTED cells the result's counts read ([p − before, p + after)); both clipped to [0, T).
 * Lets a caller that has the selected cells' columns fill the context from them
 * (`fillRowsFromColumns`) and read all cells only where scoring needs them.
 */
export function fastCandidateRanges(index: OnIndex, plan: MatchPlan): { score: [number, number][]; context: [number, number][] } | null {
  if (plan.mode !== "fast") return null;
  wholeShard(index);
  if (!canHarvestFast(index, plan)) return null;
  const h = harvestFast(index, plan);
  const order = orderByBoundary(h.cand, plan.k, FAST_CANDIDATES, h.minLevel);
  const T = plan.totalSteps;
  const score: [number, number][] = [];
  const context: [number, number][] = [];
  for (let i = 0; i < order.length; i++) {
    const j = order[i]!;
    const p = h.cand.p[j]!;
    const end = p + h.cand.L[j]!;
    score.push([Math.max(0, p - plan.padL), Math.min(T, end + plan.padR)]);
    context.push([Math.max(0, p - plan.before), Math.min(T, p + plan.after)]);
  }
  return { score, context };
}

function wholeShard(index: OnIndex): Shard {
  if (index.origin !== 0 || index.steps !== index.totalSteps) {
    throw new AppError("BAD_INPUT", `the index holds steps [${index.origin}, ${index.origin + index.steps}) of ${index.totalSteps}; use matchSharded for shards`);
  }
  return { index, start: 0, end: index.totalSteps };
}

/**
 * Runs a match query over time-range shards that together own [0, T) in order. Results equal
 * `match` on the whole source. In-process reference of the distributed protocol: each
 * `scanShard` call can run on another worker, only its `ShardPartial` (kilobytes) travels.
 * - precise: one round; `PreciseMerger` accepts partials in time order, so shards can also be
 *   built, scanned and dropped one after another (sources larger than memory).
 * - fast: two rounds; per-level counts give the stop level n*, then each shard sends its first
 *   1,000 candidates with n ≥ n*, and the first 1,000 of their union are the global first 1,000.
 */
export function matchSharded(shards: readonly Shard[], query: MatchQuery): MatchResult {
  checkShards(shards);
  const first = shards[0]!.index;
  if (query.threshold !== undefined && Number.isFinite(query.threshold) && Math.fround(query.threshold) !== first.threshold) {
    throw new AppError("BAD_INPUT", `the index was built for threshold ${first.threshold}, the query asks for ${Math.fround(query.threshold)}`);
  }
  return runPlanned(shards, planMatch({ ...query, threshold: query.threshold ?? first.threshold }, first.totalSteps, first.cells));
}

function checkShards(shards: readonly Shard[]): void {
  if (shards.length === 0) throw new AppError("BAD_INPUT", "no shards");
  const first = shards[0]!.index;
  const T = first.totalSteps;
  let at = 0;
  for (const sh of shards) {
    if (sh.start !== at || sh.end <= sh.start || sh.index.totalSteps !== T || sh.index.cells !== first.cells) {
      throw new AppError("INTERNAL", `shards must own consecutive non-empty ranges of the same ${T}-step source; got [${sh.start}, ${sh.end}) at ${at}`);
    }
    at = sh.end;
  }
  if (at !== T) throw new AppError("INTERNAL", `shards end at ${at}, the source has ${T} steps`);
}

function runPlanned(shards: readonly Shard[], plan: MatchPlan): MatchResult {
  if (plan.mode === "precise") {
    const merger = new PreciseMerger(plan);
    for (const sh of shards) merger.add(scanShard(sh.index, plan, sh, { kind: "precise" }));
    return merger.finish();
  }
  return runFast(shards, plan);
}

/** A candidate that crosses shard borders, as the stitcher finds it. */
type Crossing = (p: number, L: number, n: number, before: number, after: number, mask: Uint32Array | null, counts: (number | null)[] | null) => void;

/**
 * Joins the border reports of consecutive shards: a global stack of runs still open at the last
 * border (from `open`), closed by the next shards' `closes`, with masks ANDed along the way.
 */
export class BorderStitcher {
  private readonly stack: (BorderOpen & { mask: Uint32Array | null })[] = [];
  constructor(private readonly plan: MatchPlan) {}

  add(part: ShardPartial, onCrossing: Crossing): void {
    const { stack, plan } = this;
    const levels = stack.length > 0 ? stack[stack.length - 1]!.hi : 0;
    if (levels !== part.foreign) {
      throw new AppError("INTERNAL", `shard [${part.start}, ${part.end}) starts with ${part.foreign} open levels, the previous shards left ${levels}`);
    }
    for (const cl of part.closes) {
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        if (top.hi <= cl.after) break;
        const L = cl.t - top.s;
        if (plan.length === 0 ? L >= 2 : L === plan.length) {
          onCrossing(top.s, L, top.hi, top.before, cl.after, andMasks(top.mask, cl.mask), top.counts);
        }
        if (top.lo > cl.after) stack.pop();
        else {
          top.hi = cl.after;
          break;
        }
      }
    }
    if (stack.length > 0 && part.passMask) {
      for (const seg of stack) if (seg.mask) andInto(seg.mask, part.passMask);
    }
    for (const o of part.open) stack.push({ ...o, mask: o.mask ? o.mask.slice() : null });
  }

  /** Throws unless every run was closed (the last shard ends at T). */
  finish(): void {
    if (this.stack.length > 0) throw new AppError("INTERNAL", "shards ended with runs still open");
  }
}

function andMasks(a: Uint32Array | null, b: Uint32Array | null): Uint32Array | null {
  if (!a || !b) return null;
  const out = a.slice();
  andInto(out, b);
  return out;
}

function andInto(a: Uint32Array, b: Uint32Array): void {
  for (let i = 0; i < a.length; i++) a[i]! &= b[i]!;
}

/** |A| and |A ∩ S| of a mask of A. */
function maskScore(plan: MatchPlan, mask: Uint32Array): { I: number; U: number } {
  let a = 0;
  let i = 0;
  for (let w = 0; w < mask.length; w++) {
    const m = mask[w]!;
    if (m === 0) continue;
    a += popcount32(m);
    i += popcount32(m & plan.selMask[w]!);
  }
  return { I: i, U: a + plan.k - i };
}

function rankHits(a: MatchHit, b: MatchHit): number {
  return ranksBefore(a.I, a.U, a.length, a.pos, b.I, b.U, b.length, b.pos) ? -1 : ranksBefore(b.I, b.U, b.length, b.pos, a.I, a.U, a.length, a.pos) ? 1 : 0;
}

/** Merges precise-mode partials given in time order; memory stays O(K + shards' border reports). */
export class PreciseMerger {
  private readonly stitcher: BorderStitcher;
  private readonly hist = new LengthHistograms();
  private hits: MatchHit[] = [];
  constructor(private readonly plan: MatchPlan) {
    this.stitcher = new BorderStitcher(plan);
  }

  add(part: ShardPartial): void {
    const { plan } = this;
    if (!part.top || !part.histograms) throw new AppError("INTERNAL", "precise merge needs precise partials");
    this.hist.merge(part.histograms);
    for (const h of part.top.hits) this.hits.push(h);
    this.stitcher.add(part, (p, L, _n, _before, _after, mask, counts) => {
      const { I, U } = maskScore(plan, mask!);
      this.hist.add(L, I === plan.k);
      this.hits.push({ pos: p, length: L, I, U, counts: counts! });
    });
    if (this.hits.length > 8 * plan.topK) this.trim();
  }

  private trim(): void {
    this.hits.sort(rankHits);
    this.hits.length = Math.min(this.hits.length, this.plan.topK);
  }

  finish(): MatchResult {
    this.stitcher.finish();
    this.trim();
    return { results: this.hits, histograms: this.hist.toRecords() };
  }
}

interface Pooled {
  p: number;
  L: number;
  n: number;
  b: number;
  I: number;
  U: number;
  /** Context counts, when the candidate came from a shard partial (two-round fast mode). */
  counts: (number | null)[] | null;
}

/** Boundary order of matching.md step 3: b desc, then discovery order (n desc, p asc). */
function byBoundary(x: Pooled, y: Pooled): number {
  return y.b - x.b || y.n - x.n || x.p - y.p;
}

/**
 * Fast mode, first round of a sharded query: per-level candidate counts of every shard (given in
 * time order) plus the runs crossing their borders give the stop level n*.
 */
export class FastLevelsMerger {
  private readonly counts: Float64Array;
  private readonly stitcher: BorderStitcher;
  constructor(private readonly plan: MatchPlan) {
    this.counts = new Float64Array(plan.k + 1);
    this.stitcher = new BorderStitcher(plan);
  }

  add(part: ShardPartial): void {
    const { counts, plan } = this;
    if (!part.levelCounts || part.levelCounts.length !== plan.k + 1) throw new AppError("INTERNAL", "the fast levels merge needs levels partials");
    for (let n = 1; n <= plan.k; n++) counts[n]! += part.levelCounts[n]!;
    this.stitcher.add(part, (_p, _L, n) => counts[n]!++);
  }

  /** The stop level n*: the second round collects candidates with n ≥ n*. */
  finish(): number {
    this.stitcher.finish();
    return fastStopLevel(this.counts);
  }
}

/**
 * Fast mode, second round of a sharded query: each shard's first 1,000 candidates with n ≥ n*
 * (scored, with context counts) plus the crossing runs; the first 1,000 of their union in
 * boundary order are the global first 1,000. Partials in time order; memory O(1,000 + borders).
 */
export class FastCollectMerger {
  private readonly stitcher: BorderStitcher;
  private pool: Pooled[] = [];
  constructor(
    private readonly plan: MatchPlan,
    private readonly minLevel: number,
  ) {
    this.stitcher = new BorderStitcher(plan);
  }

  add(part: ShardPartial): void {
    const { plan, minLevel, pool } = this;
    const c = part.collected;
    const cc = part.collectedCounts;
    if (!c || !cc || cc.length !== c.size) throw new AppError("INTERNAL", "the fast collect merge needs two-round collect partials");
    for (let i = 0; i < c.size; i++) pool.push({ p: c.p[i]!, L: c.L[i]!, n: c.n[i]!, b: c.b[i]!, I: c.I[i]!, U: c.U[i]!, counts: cc[i]! });
    this.stitcher.add(part, (p, L, n, before, after, mask, counts) => {
      if (n < minLevel) return;
      const { I, U } = maskScore(plan, mask!);
      const b = n - (plan.padL > 0 ? before : 0) - (plan.padR > 0 ? after : 0);
      pool.push({ p, L, n, b, I, U, counts });
    });
    if (pool.length > 8 * FAST_CANDIDATES) this.trim();
  }

  private trim(): void {
    this.pool.sort(byBoundary);
    if (this.pool.length > FAST_CANDIDATES) this.pool.length = FAST_CANDIDATES;
  }

  finish(): MatchResult {
    this.stitcher.finish();
    this.trim();
    return finishFast(this.plan, this.pool, (c) => {
      if (!c.counts) throw new AppError("INTERNAL", `candidate (${c.p}, ${c.L}) came without context counts`);
      return c.counts;
    });
  }
}

function runFast(shards: readonly Shard[], plan: MatchPlan): MatchResult {
  if (shards.length === 1) {
    const sh = shards[0]!;
    let c: ScoredCandidates;
    if (canHarvestFast(sh.index, plan)) {
      const h = harvestFast(sh.index, plan);
      c = scoreCandidates(sh.index, plan, h.cand, orderByBoundary(h.cand, plan.k, FAST_CANDIDATES, h.minLevel));
    } else c = scanShard(sh.index, plan, sh, { kind: "collect", minLevel: 0 }).collected!;
    const pool: Pooled[] = [];
    for (let i = 0; i < c.size; i++) pool.push({ p: c.p[i]!, L: c.L[i]!, n: c.n[i]!, b: c.b[i]!, I: c.I[i]!, U: c.U[i]!, counts: null });
    return finishFast(plan, pool, (x) => contextCounts(sh.index, plan, x.p));
  }
  const levels = new FastLevelsMerger(plan);
  for (const sh of shards) levels.add(scanShard(sh.index, plan, sh, { kind: "levels" }));
  const minLevel = levels.finish();
  const merger = new FastCollectMerger(plan, minLevel);
  for (const sh of shards) merger.add(scanShard(sh.index, plan, sh, { kind: "collect", minLevel }));
  return merger.finish();
}

/** Histograms and ranking of the (at most 1,000) fast-mode candidates. */
function finishFast(plan: MatchPlan, pool: Pooled[], countsOf: (c: Pooled) => (number | null)[]): MatchResult {
  const hist = new LengthHistograms();
  for (const c of pool) hist.add(c.L, c.I === plan.k);
  pool.sort((x, y) => (ranksBefore(x.I, x.U, x.L, x.p, y.I, y.U, y.L, y.p) ? -1 : 1));
  const results: MatchHit[] = [];
  for (let i = 0; i < pool.length && i < plan.topK; i++) {
    const c = pool[i]!;
    results.push({ pos: c.p, length: c.L, I: c.I, U: c.U, counts: countsOf(c) });
  }
  return { results, histograms: hist.toRecords() };
}
