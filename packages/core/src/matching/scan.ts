import { AppError } from "../errors";
import { ctz32, popcount32 } from "./bits";
import { LengthHistograms, TopK } from "./collect";
import { RUN_SAT, type OnIndex, type RunTable } from "./on-index";
import { FAST_CANDIDATES, type MatchPlan } from "./query";

/*
 * One scan of a time range [t0, t1) of a source: count the selected cells, harvest candidate
 * runs, and (depending on the phase) count, collect or score them. The whole source is the
 * one-shard case t0 = 0, t1 = T; sharded scans produce the same results once `BorderStitcher`
 * (match.ts) joins their border reports.
 *
 * Harvesting is a single pass with a stack instead of one pass per level n. The maximal runs of
 * `count ≥ n` over all n form a laminar family; the stack holds the open ones as segments
 * (start s, levels lo..hi) opened together by one rise of `count`. When count drops to c at t,
 * every open level > c closes at t: a whole segment (lo > c) yields the candidate (s, t − s) once,
 * with n = hi — the same (p, L) at lower levels is the "already found for a larger n" duplicate —
 * and a segment cut in two (lo ≤ c < hi) yields (s, t − s, n = hi) and keeps levels lo..c open.
 * At one level runs are disjoint, so each level emits in p order: sorting by (n desc) stably
 * reproduces matching.md's discovery order. count[p−1] is the count at the segment's rise and
 * count[p+L] the count after the drop, so the boundary score b needs no count array.
 *
 * Scoring (step 4) reads the index's run table when padding before is ≥ 1 (A then only holds
 * cells whose run starts at p: a binary search over that step's runs, longest first), and ANDs
 * row words otherwise. Precise mode scores only the candidates that could still enter its top K:
 * I is at most the level n, and with padding at most the selected cells that switch on at p
 * (switch off at p+L), counted in the same pass as count. Selected cells rarely switch together,
 * so once the top is full ~95 % of candidates are refused unscored (1M × 650, k = 5–20: 8–17k of
 * 230–320k scored). Nothing is allocated per candidate: precise mode keeps a TopK and length
 * histograms, fast mode typed-array candidate lists.
 *
 * Border bookkeeping (sharded scans): levels ≤ min(count[t0−1], count[t0]) were opened before t0
 * by an earlier shard ("foreign" levels). Their closes inside this shard are reported as
 * `closes` (time, level left open, mask of [t0, t) on and right padding off); levels still open
 * at t1 that this shard opened are reported as `open` (start, levels, count[s−1], mask of
 * [s, t1) on and left padding off); foreign levels that survive the whole shard need `passMask`
 * (all of [t0, t1) on). The next shard's view of count[t1] comes from the halo row t1, so a run
 * that ends exactly at t1 is closed by this shard and never by the next.
 */

/** Rows an index must hold around a shard it scans, beyond the owned range. */
export function shardHalo(plan: Pick<MatchPlan, "padL" | "padR" | "before" | "after">): { before: number; after: number } {
  return { before: Math.max(plan.padL, plan.before, 1), after: Math.max(plan.padR, plan.after, 1) };
}

export type ScanPhase =
  /** `fast`, first round: per-level candidate counts only. */
  | { kind: "levels" }
  /**
   * `fast`, second round: the first 1,000 candidates with n ≥ minLevel in (b desc, n desc, p asc)
   * order, scored. minLevel 0: one round for an unsharded source — count levels too and take the
   * stop level from this shard's own counts (only valid when the shard is the whole source).
   */
  | { kind: "collect"; minLevel: number }
  /** `precise`: score every candidate, keep the top K and the histograms. */
  | { kind: "precise" };

/** Harvested candidates with their scores, in typed arrays (struct of arrays; steps < 2^31). */
export interface ScoredCandidates {
  size: number;
  p: Int32Array;
  L: Int32Array;
  n: Int32Array;
  b: Int32Array;
  I: Int32Array;
  U: Int32Array;
}

/** Foreign levels above `after` close at global step `t`. */
export interface BorderClose {
  t: number;
  after: number;
  /** Cells on throughout [t0, t) and off in [t, t + padR) (clipped to T); null in the `levels` phase. */
  mask: Uint32Array | null;
}

/** Levels lo..hi this shard opened at `s` that are still open at t1. */
export interface BorderOpen {
  s: number;
  lo: number;
  hi: number;
  /** count[s − 1] (0 at s = 0). */
  before: number;
  /** Cells on throughout [s, t1) and off in [s − padL, s); null in the `levels` phase. */
  mask: Uint32Array | null;
  /** Context counts for a hit at s (null in the `levels` phase). */
  counts: (number | null)[] | null;
}

export interface ShardPartial {
  start: number;
  end: number;
  /** count[t0 − 1] and count[t0] as seen by this shard, to check shards line up. */
  countBefore: number;
  /** Levels 1..foreign were open when the shard began. */
  foreign: number;
  /** `levels`: candidates per level n (index n) of runs that start and end here, after the length rule. */
  levelCounts: Float64Array | null;
  /** `collect`: the shard's first 1,000 (b desc, n desc, p asc) candidates with n ≥ minLevel, scored. */
  collected: ScoredCandidates | null;
  /**
   * Two-round `collect` only: context counts of each collected candidate (same order), so the
   * merger can fill in `counts` of a result without the shard's index.
   */
  collectedCounts: (number | null)[][] | null;
  /** `precise`: the shard's top K (with context counts) and histograms of everything scored here. */
  top: { hits: { pos: number; length: number; I: number; U: number; counts: (number | null)[] }[] } | null;
  histograms: LengthHistograms | null;
  closes: BorderClose[];
  open: BorderOpen[];
  /** Foreign levels open from t0 to t1 (0 if none) and the cells on throughout [t0, t1). */
  passLevels: number;
  passMask: Uint32Array | null;
}

/** Column words per block of the count pass: 4,096 steps, a 16 KB delta buffer. */
const BLOCK_WORDS = 128;

const PH_LEVELS = 0;
const PH_COLLECT = 1;
const PH_PRECISE = 2;

function grow(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

/** The stop level of fast mode: the largest n at which the candidates of levels ≥ n reach 1,000. */
export function fastStopLevel(levelCounts: Float64Array): number {
  let acc = 0;
  for (let n = levelCounts.length - 1; n >= 1; n--) {
    acc += levelCounts[n]!;
    if (acc >= FAST_CANDIDATES) return n;
  }
  return 1;
}

/** count[t] = number of selected cells on at global step t (held by the index). */
export function countAt(index: OnIndex, plan: MatchPlan, t: number): number {
  const { rows, rowWords: W } = index;
  const sel = plan.selMask;
  const base = (t - index.origin) * W;
  let n = 0;
  for (let w = 0; w < W; w++) {
    const s = sel[w]!;
    if (s !== 0) n += popcount32(rows[base + w]! & s);
  }
  return n;
}

/** count[t] for t in [pos − before, pos + after), null outside [0, T). */
export function contextCounts(index: OnIndex, plan: MatchPlan, pos: number): (number | null)[] {
  const out: (number | null)[] = [];
  const T = plan.totalSteps;
  for (let t = pos - plan.before; t < pos + plan.after; t++) {
    out.push(t < 0 || t >= T ? null : countAt(index, plan, t));
  }
  return out;
}

/**
 * Scans the owned range [start, end) of `index`'s source. The index must hold the halo of
 * `shardHalo(plan)` rows around it (clipped to [0, T)).
 */
export function scanShard(index: OnIndex, plan: MatchPlan, range: { start: number; end: number }, phase: ScanPhase): ShardPartial {
  return new ShardScan(index, plan, range.start, range.end, phase).run();
}

class ShardScan {
  private readonly ph: number;
  private readonly minLevel: number;
  private readonly rows: Uint32Array;
  private readonly W: number;
  private readonly origin: number;
  private readonly T: number;
  private readonly k: number;
  private readonly padL: number;
  private readonly padR: number;
  private readonly length: number;
  private readonly sel: Uint32Array;
  // stack of open segments
  private readonly stS: Float64Array;
  private readonly stLo: Int32Array;
  private readonly stHi: Int32Array;
  private readonly stCb: Int32Array;
  /** Selected cells that switch on at the segment's start (an upper bound at t0). */
  private readonly stUp: Int32Array;
  private depth = 0;
  // phase outputs
  private readonly levelCounts: Float64Array | null = null;
  private readonly top: TopK | null = null;
  private readonly hist: LengthHistograms | null = null;
  private cand: ScoredCandidates | null = null;
  private readonly closes: BorderClose[] = [];
  // scoring result scratch
  private scoreA = 0;
  private scoreI = 0;
  /** Run table when it applies to this query (padL ≥ 1, paddings below saturation), else null. */
  private readonly runs: RunTable | null;
  private readonly isSel: Uint8Array;
  private readonly dBuf = new Int32Array(BLOCK_WORDS * 32);
  private readonly uBuf = new Int32Array(BLOCK_WORDS * 32);
  private readonly chgBuf = new Int32Array(BLOCK_WORDS);
  /** One-round fast: largest n with ≥ 1,000 candidates at levels ≥ n so far (1 if none), and that count for levels > bound. */
  private bound = 1;
  private above = 0;

  constructor(
    private readonly index: OnIndex,
    private readonly plan: MatchPlan,
    private readonly t0: number,
    private readonly t1: number,
    phase: ScanPhase,
  ) {
    const T = plan.totalSteps;
    if (index.totalSteps !== T || index.cells !== plan.cellCount) {
      throw new AppError("INTERNAL", `index of ${index.totalSteps} × ${index.cells} does not match the plan's ${T} × ${plan.cellCount}`);
    }
    if (index.threshold !== plan.threshold) {
      throw new AppError("BAD_INPUT", `the index was built for threshold ${index.threshold}, the query asks for ${plan.threshold}`);
    }
    if (!(Number.isInteger(t0) && Number.isInteger(t1) && 0 <= t0 && t0 < t1 && t1 <= T)) {
      throw new AppError("INTERNAL", `shard [${t0}, ${t1}) is not a non-empty range of [0, ${T})`);
    }
    const halo = shardHalo(plan);
    const need0 = Math.max(0, t0 - halo.before);
    const need1 = Math.min(T, t1 + halo.after);
    if (index.origin > need0 || index.origin + index.steps < need1) {
      throw new AppError(
        "INTERNAL",
        `shard [${t0}, ${t1}) needs index rows [${need0}, ${need1}), the index holds [${index.origin}, ${index.origin + index.steps})`,
      );
    }
    this.ph = phase.kind === "levels" ? PH_LEVELS : phase.kind === "collect" ? PH_COLLECT : PH_PRECISE;
    this.minLevel = phase.kind === "collect" ? phase.minLevel : 1;
    if (phase.kind === "collect" && phase.minLevel === 0 && (t0 !== 0 || t1 !== T)) {
      throw new AppError("INTERNAL", "one-round fast collection needs the whole source in one shard");
    }
    this.rows = index.rows;
    this.W = index.rowWords;
    this.origin = index.origin;
    this.T = T;
    this.k = plan.k;
    this.padL = plan.padL;
    this.padR = plan.padR;
    this.length = plan.length;
    this.sel = plan.selMask;
    this.runs = index.runs !== null && plan.padL >= 1 && plan.padL < RUN_SAT && plan.padR < RUN_SAT ? index.runs : null;
    this.isSel = new Uint8Array(plan.cellCount);
    for (const c of plan.cells) this.isSel[c] = 1;
    const d = plan.k + 1;
    this.stS = new Float64Array(d);
    this.stLo = new Int32Array(d);
    this.stHi = new Int32Array(d);
    this.stCb = new Int32Array(d);
    this.stUp = new Int32Array(d);
    if (this.ph === PH_LEVELS || (this.ph === PH_COLLECT && this.minLevel === 0)) this.levelCounts = new Float64Array(plan.k + 1);
    if (this.ph === PH_PRECISE) {
      this.top = new TopK(plan.topK);
      this.hist = new LengthHistograms();
    }
    if (this.ph === PH_COLLECT) this.cand = newCandidates(4096);
  }

  run(): ShardPartial {
    const { t0, t1, T, plan, index } = this;
    const prev = t0 > 0 ? countAt(index, plan, t0 - 1) : 0;
    const c0 = countAt(index, plan, t0);
    const foreign = Math.min(prev, c0);
    if (foreign > 0) {
      this.stS[0] = -1;
      this.stLo[0] = 1;
      this.stHi[0] = foreign;
      this.stCb[0] = 0;
      this.depth = 1;
    }
    let cur = foreign;
    if (c0 > cur) {
      this.push(t0, cur + 1, c0, cur, c0);
      cur = c0;
    }
    // Switches of the selected cells at steps (t0, tEnd], found from their columns a block of
    // BLOCK_WORDS words at a time so the delta buffer stays in L1: x ^ (x << 1 | carry) has a bit
    // wherever a cell differs from the step before. Only steps where some cell switches are visited.
    const tEnd = t1 < T ? t1 : t1 - 1;
    const { cols, colWords: CW } = index;
    const origin = this.origin;
    const rs = t0 - origin; // switches at local rows in (rs, re]
    const re = tEnd - origin;
    const cells = plan.cells;
    const nCells = cells.length;
    const d = this.dBuf;
    const u = this.uBuf;
    const chg = this.chgBuf;
    const wFirst = (rs + 1) >>> 5;
    const wLast = re >>> 5;
    for (let wa = wFirst; wa <= wLast && rs < re; wa += BLOCK_WORDS) {
      const wb = Math.min(wLast, wa + BLOCK_WORDS - 1);
      for (let ci = 0; ci < nCells; ci++) {
        const base = cells[ci]! * CW;
        let carry = wa > 0 ? cols[base + wa - 1]! >>> 31 : 0;
        for (let w = wa; w <= wb; w++) {
          const x = cols[base + w]!;
          let e = x ^ ((x << 1) | carry);
          carry = x >>> 31;
          if (e === 0) continue;
          const rw = w << 5;
          if (rw <= rs) e &= (rs & 31) === 31 ? 0 : ~0 << ((rs & 31) + 1);
          if (rw + 31 > re) e &= ~0 >>> (31 - (re - rw));
          if (e === 0) continue;
          const o = (w - wa) << 5;
          chg[w - wa]! |= e;
          do {
            const bit = ctz32(e);
            e &= e - 1;
            const on = (x >>> bit) & 1;
            d[o + bit]! += on === 1 ? 1 : -1;
            u[o + bit]! += on;
          } while (e !== 0);
        }
      }
      for (let w = wa; w <= wb; w++) {
        let e = chg[w - wa]!;
        if (e === 0) continue;
        chg[w - wa] = 0;
        const o = (w - wa) << 5;
        do {
          const bit = ctz32(e);
          e &= e - 1;
          const delta = d[o + bit]!;
          const up = u[o + bit]!;
          u[o + bit] = 0;
          if (delta === 0) continue;
          d[o + bit] = 0;
          const c = cur + delta;
          const t = origin + (w << 5) + bit;
          if (delta < 0) this.closeTo(c, t, up - delta);
          else if (t !== t1) this.push(t, cur + 1, c, cur, up); // a rise at t1 is the next shard's
          cur = c;
        } while (e !== 0);
      }
    }
    if (t1 === T && cur > 0) this.closeTo(0, T, this.k);
    return this.finish(prev, foreign);
  }

  private push(s: number, lo: number, hi: number, cb: number, up: number): void {
    const i = this.depth++;
    this.stS[i] = s;
    this.stLo[i] = lo;
    this.stHi[i] = hi;
    this.stCb[i] = cb;
    this.stUp[i] = up;
  }

  /** count drops to c at t, where `falls` selected cells switch off (k at the source's end: nothing follows). */
  private closeTo(c: number, t: number, falls: number): void {
    while (this.depth > 0) {
      const i = this.depth - 1;
      const hi = this.stHi[i]!;
      if (hi <= c) return;
      const lo = this.stLo[i]!;
      const s = this.stS[i]!;
      if (s < 0) this.closeForeign(t, c);
      else this.emit(s, t - s, hi, this.stCb[i]!, c, this.stUp[i]!, falls);
      if (lo > c) this.depth--;
      else {
        this.stHi[i] = c;
        return;
      }
    }
  }

  private closeForeign(t: number, after: number): void {
    const mask = this.ph === PH_LEVELS ? null : this.rangeMask(this.t0, t, 0, 0, t, Math.min(this.T, t + this.padR));
    this.closes.push({ t, after, mask });
  }

  /**
   * An owned candidate (p, L) found at level n with count[p−1] = cb and count[p+L] = ca, where
   * at most `up` selected cells switch on at p and `falls` switch off at p+L.
   */
  private emit(p: number, L: number, n: number, cb: number, ca: number, up: number, falls: number): void {
    const len = this.length;
    if (len === 0 ? L < 2 : L !== len) return;
    const ph = this.ph;
    if (ph === PH_PRECISE) {
      // An upper bound of I: n (the count is exactly n somewhere in a run found at level n);
      // with padding before, the selected cells that switch on at p (A holds no cell on at p−1);
      // with padding after, those that switch off at p+L. Selected cells rarely switch together,
      // so the bound is small for most candidates. A candidate whose bound is below the worst I
      // of a full top can never enter it, and has I < k (not strict): it needs no scoring.
      const k = this.k;
      let ub = n;
      if (this.padL > 0 && up < ub) ub = up;
      if (this.padR > 0 && falls < ub) ub = falls;
      if (ub < this.top!.worstI) {
        this.hist!.add(L, false);
        return;
      }
      this.scoreAny(p, L);
      const I = this.scoreI;
      this.hist!.add(L, I === k);
      this.top!.offer(p, L, I, this.scoreA + k - I);
    } else if (ph === PH_LEVELS) {
      this.levelCounts![n]!++;
    } else {
      if (this.minLevel === 0) {
        // one-round fast: the stop level reached so far only grows, so lower levels can be dropped now
        const lc = this.levelCounts!;
        lc[n]!++;
        if (n > this.bound) {
          this.above++;
          while (this.bound < this.k && this.above >= FAST_CANDIDATES) this.above -= lc[++this.bound]!;
        }
        if (n < this.bound) return;
      } else if (n < this.minLevel) return;
      let c = this.cand!;
      if (c.size === c.p.length) c = this.cand = growCandidates(c);
      const i = c.size++;
      c.p[i] = p;
      c.L[i] = L;
      c.n[i] = n;
      c.b[i] = n - (this.padL > 0 ? cb : 0) - (this.padR > 0 ? ca : 0);
    }
  }

  private scoreAny(p: number, L: number): void {
    if (this.runs !== null && L < RUN_SAT) this.scoreRuns(p, L);
    else this.score(p, L);
  }

  /**
   * Like `score`, from the run table (padding before ≥ 1, so A only holds cells whose run starts
   * at p): padR > 0 needs a run of exactly L followed by ≥ padR off steps, padR = 0 a run ≥ L;
   * both need ≥ padL off steps before.
   */
  private scoreRuns(p: number, L: number): void {
    const { offsets, cell, length, gapBefore, gapAfter } = this.runs!;
    const isSel = this.isSel;
    const padL = this.padL;
    const padR = this.padR;
    const r = p - this.origin;
    const j0 = offsets[r]!;
    const j1 = offsets[r + 1]!;
    // entries are longest first: [j0, ge) have length ≥ L, [eq, ge) length = L
    let lo = j0;
    let hi = j1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (length[mid]! >= L) lo = mid + 1;
      else hi = mid;
    }
    const ge = lo;
    let a = 0;
    let inter = 0;
    if (padR > 0) {
      let j = ge;
      while (j > j0 && length[j - 1] === L) j--;
      for (; j < ge; j++) {
        if (gapAfter[j]! >= padR && gapBefore[j]! >= padL) {
          a++;
          inter += isSel[cell[j]!]!;
        }
      }
    } else if (padL <= 1) {
      // a run start always has ≥ 1 off step before it
      a = ge - j0;
      for (let j = j0; j < ge; j++) inter += isSel[cell[j]!]!;
    } else {
      for (let j = j0; j < ge; j++) {
        const ok = gapBefore[j]! >= padL ? 1 : 0;
        a += ok;
        inter += ok & isSel[cell[j]!]!;
      }
    }
    this.scoreA = a;
    this.scoreI = inter;
  }

  /**
   * A of matching.md step 4 for (p, L), as |A| → scoreA and |A ∩ S| → scoreI. Per row word:
   * m = on at p, off at p−1 (if padded), on at p+L−1, off at p+L (if padded) — the adjacent
   * steps kill most cells at once — then the rest of the run and paddings while any bit survives.
   */
  private score(p: number, L: number): void {
    const { rows, W, sel } = this;
    const r0 = p - this.origin;
    const r1 = r0 + L;
    const lA = Math.max(p - this.padL, 0) - this.origin;
    const rB = Math.min(p + L + this.padR, this.T) - this.origin;
    const hasL = lA < r0;
    const hasR = r1 < rB;
    let a = 0;
    let inter = 0;
    for (let w = 0; w < W; w++) {
      let m = rows[r0 * W + w]! & rows[(r1 - 1) * W + w]!;
      if (m === 0) continue;
      if (hasL) m &= ~rows[(r0 - 1) * W + w]!;
      if (hasR) m &= ~rows[r1 * W + w]!;
      for (let r = r0 + 1; m !== 0 && r < r1 - 1; r++) m &= rows[r * W + w]!;
      for (let r = r0 - 2; m !== 0 && r >= lA; r--) m &= ~rows[r * W + w]!;
      for (let r = r1 + 1; m !== 0 && r < rB; r++) m &= ~rows[r * W + w]!;
      if (m === 0) continue;
      a += popcount32(m);
      const s = sel[w]! & m;
      if (s !== 0) inter += popcount32(s);
    }
    this.scoreA = a;
    this.scoreI = inter;
  }

  /** Cells on throughout global [on0, on1) and off in [offA0, offA1) and [offB0, offB1). */
  private rangeMask(on0: number, on1: number, offA0: number, offA1: number, offB0: number, offB1: number): Uint32Array {
    const { rows, W, origin } = this;
    const out = new Uint32Array(W);
    for (let w = 0; w < W; w++) {
      let m = -1;
      for (let t = on0; m !== 0 && t < on1; t++) m &= rows[(t - origin) * W + w]!;
      for (let t = offA0; m !== 0 && t < offA1; t++) m &= ~rows[(t - origin) * W + w]!;
      for (let t = offB0; m !== 0 && t < offB1; t++) m &= ~rows[(t - origin) * W + w]!;
      out[w] = m;
    }
    return out;
  }

  private finish(countBefore: number, foreign: number): ShardPartial {
    const { t0, t1, plan, index } = this;
    const open: BorderOpen[] = [];
    let passLevels = 0;
    let passMask: Uint32Array | null = null;
    const withMasks = this.ph !== PH_LEVELS;
    for (let i = 0; i < this.depth; i++) {
      const s = this.stS[i]!;
      if (s < 0) {
        passLevels = this.stHi[i]!;
        if (withMasks) passMask = this.rangeMask(t0, t1, 0, 0, 0, 0);
      } else {
        open.push({
          s,
          lo: this.stLo[i]!,
          hi: this.stHi[i]!,
          before: this.stCb[i]!,
          mask: withMasks ? this.rangeMask(s, t1, Math.max(0, s - this.padL), s, 0, 0) : null,
          counts: withMasks ? contextCounts(index, plan, s) : null,
        });
      }
    }
    let collected: ScoredCandidates | null = null;
    let collectedCounts: (number | null)[][] | null = null;
    if (this.ph === PH_COLLECT) {
      collected = this.firstByBoundary();
      if (this.minLevel > 0) {
        collectedCounts = [];
        for (let i = 0; i < collected.size; i++) collectedCounts.push(contextCounts(index, plan, collected.p[i]!));
      }
    }
    return {
      start: t0,
      end: t1,
      countBefore,
      foreign,
      levelCounts: this.levelCounts,
      collected,
      collectedCounts,
      top: this.top ? { hits: this.top.toHits((pos) => contextCounts(index, plan, pos)) } : null,
      histograms: this.hist,
      closes: this.closes,
      open,
      passLevels,
      passMask,
    };
  }

  /** The first FAST_CANDIDATES collected candidates in (b desc, n desc, p asc) order, scored. */
  private firstByBoundary(): ScoredCandidates {
    const c = this.cand!;
    const minN = this.minLevel === 0 ? fastStopLevel(this.levelCounts!) : this.minLevel;
    return this.scoreOrder(c, orderByBoundary(c, this.k, FAST_CANDIDATES, minN));
  }

  /** Scores candidates c[order[i]] into a new list in that order. */
  scoreOrder(c: ScoredCandidates, order: Int32Array): ScoredCandidates {
    const out = newCandidates(order.length);
    for (let i = 0; i < order.length; i++) {
      const j = order[i]!;
      const p = c.p[j]!;
      const L = c.L[j]!;
      this.scoreAny(p, L);
      out.p[i] = p;
      out.L[i] = L;
      out.n[i] = c.n[j]!;
      out.b[i] = c.b[j]!;
      out.I[i] = this.scoreI;
      out.U[i] = this.scoreA + this.k - this.scoreI;
    }
    out.size = order.length;
    return out;
  }
}

/** Scores the candidates c[order[i]] of a whole-source index (I and U per matching.md step 4). */
export function scoreCandidates(index: OnIndex, plan: MatchPlan, c: ScoredCandidates, order: Int32Array): ScoredCandidates {
  return new ShardScan(index, plan, 0, plan.totalSteps, { kind: "collect", minLevel: 1 }).scoreOrder(c, order);
}

export function newCandidates(cap: number): ScoredCandidates {
  return {
    size: 0,
    p: new Int32Array(cap),
    L: new Int32Array(cap),
    n: new Int32Array(cap),
    b: new Int32Array(cap),
    I: new Int32Array(cap),
    U: new Int32Array(cap),
  };
}

function growCandidates(c: ScoredCandidates): ScoredCandidates {
  const cap = c.p.length * 2;
  return { size: c.size, p: grow(c.p, cap), L: grow(c.L, cap), n: grow(c.n, cap), b: grow(c.b, cap), I: grow(c.I, cap), U: grow(c.U, cap) };
}

/**
 * Indices of the first `limit` candidates in (b desc, n desc, p asc) order, for candidates listed
 * in emission order. b ∈ [2−k, k] and n ∈ [1, k] (a maximal run's neighbours have count < n), so
 * (b, n) is a small integer bucket, and within one bucket (one level) emission order is p order:
 * a stable counting sort, cut at the bucket where `limit` is reached, needs no comparisons.
 */
export function orderByBoundary(c: ScoredCandidates, k: number, limit: number, minN = 1): Int32Array {
  const nb = (2 * k - 1) * k;
  const { b, n, size } = c;
  const start = new Int32Array(nb + 1);
  // levels below minN go to the sentinel bucket nb, past any cut
  const bucketOf = (i: number) => (n[i]! >= minN ? (k - b[i]!) * k + (k - n[i]!) : nb);
  for (let i = 0; i < size; i++) start[bucketOf(i) + 1]!++;
  let cut = nb;
  for (let x = 1; x <= nb; x++) {
    start[x]! += start[x - 1]!;
    if (cut === nb && start[x]! >= limit) cut = x;
  }
  const kept = start[cut]!;
  const order = new Int32Array(kept);
  for (let i = 0; i < size; i++) {
    const bucket = bucketOf(i);
    if (bucket < cut) order[start[bucket]!++] = i;
  }
  return order.subarray(0, Math.min(limit, kept));
}
