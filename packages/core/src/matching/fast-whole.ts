import { ctz32 } from "./bits";
import type { OnIndex } from "./on-index";
import { FAST_CANDIDATES, type MatchPlan } from "./query";
import { fastStopLevel, newCandidates, type ScoredCandidates } from "./scan";

/*
 * `fast` mode over a whole (unsharded) source without visiting every switch of the selected cells.
 *
 * count[t] is kept bit-sliced: plane j holds bit j of count for 32 steps per word, built by
 * ripple-carry adding the k selected columns (≈ 2 word ops per cell word). From the planes, a
 * comparator circuit gives the steps with count ≥ m for 32 steps in ~3·B word ops.
 *
 * Fast mode only keeps candidates of levels ≥ n* (the stop level), and runs of count ≥ n ≥ m live
 * inside the regions where count ≥ m, so the harvest for levels ≥ m only visits those regions
 * (count per step read from the planes) and the step after each; its candidates and per-level
 * counts for levels ≥ m equal the full harvest's. If levels ≥ m hold fewer than 1,000 candidates,
 * n* < m: m is lowered (by 1, 2, 4, … steps) and the harvest redone.
 */

/** Whether `harvestFast` applies: a whole source whose selection fits 16 count bits. */
export function canHarvestFast(index: OnIndex, plan: MatchPlan): boolean {
  return index.origin === 0 && index.steps === index.totalSteps && plan.k < 65536;
}

/** Candidates with n ≥ n*, in emission order, with per-level counts (levels ≥ the final m). */
export function harvestFast(index: OnIndex, plan: MatchPlan): { cand: ScoredCandidates; levelCounts: Float64Array; minLevel: number } {
  const T = index.steps;
  const nW = index.colWords;
  const k = plan.k;
  let B = 1;
  while (1 << B <= k) B++;
  const planes = new Int32Array(B * nW);
  const { cols } = index;
  for (const c of plan.cells) {
    const base = c * nW;
    for (let w = 0; w < nW; w++) {
      let carry = cols[base + w]!;
      for (let j = 0; carry !== 0 && j < B; j++) {
        const o = j * nW + w;
        const p = planes[o]!;
        planes[o] = p ^ carry;
        carry &= p;
      }
    }
  }
  const countAt = (t: number): number => {
    const w = t >>> 5;
    const b = t & 31;
    let n = 0;
    for (let j = 0; j < B; j++) n |= ((planes[j * nW + w]! >>> b) & 1) << j;
    return n;
  };

  const stS = new Int32Array(k + 1);
  const stLo = new Int32Array(k + 1);
  const stHi = new Int32Array(k + 1);
  const stCb = new Int32Array(k + 1);
  const length = plan.length;
  const padL = plan.padL > 0;
  const padR = plan.padR > 0;

  let m = k;
  let stepDown = 1;
  for (;;) {
    const levelCounts = new Float64Array(k + 1);
    let cand = newCandidates(4096);
    let bound = m; // levels below the stop level reached so far are dropped at once
    let above = 0;
    let depth = 0;
    let cur = m - 1; // count clamped below at m − 1

    const emit = (p: number, L: number, n: number, cb: number, ca: number): void => {
      if (length === 0 ? L < 2 : L !== length) return;
      levelCounts[n]!++;
      if (n > bound) {
        above++;
        while (bound < k && above >= FAST_CANDIDATES) above -= levelCounts[++bound]!;
      }
      if (n < bound) return;
      if (cand.size === cand.p.length) cand = growCand(cand);
      const i = cand.size++;
      cand.p[i] = p;
      cand.L[i] = L;
      cand.n[i] = n;
      cand.b[i] = n - (padL ? cb : 0) - (padR ? ca : 0);
    };
    const closeTo = (c: number, t: number, ca: number): void => {
      while (depth > 0) {
        const i = depth - 1;
        const hi = stHi[i]!;
        if (hi <= c) return;
        const s = stS[i]!;
        emit(s, t - s, hi, stCb[i]!, ca);
        if (stLo[i]! > c) depth--;
        else {
          stHi[i] = c;
          return;
        }
      }
    };

    // comparator constants: bits of m
    let prevG = 0;
    for (let w = 0; w < nW; w++) {
      // g: steps of this word with count ≥ m (ge accumulates "greater", eq "equal so far")
      let ge = 0;
      let eq = -1;
      for (let j = B - 1; j >= 0 && eq !== 0; j--) {
        const pj = planes[j * nW + w]!;
        if ((m >>> j) & 1) eq &= pj;
        else {
          ge |= eq & pj;
          eq &= ~pj;
        }
      }
      let g = ge | eq;
      const rw = w << 5;
      if (rw + 32 > T) g &= ~0 >>> (32 - (T - rw));
      // visit steps in a region and the step after each region
      let e = g | ((g << 1) | (prevG >>> 31));
      if (rw + 32 > T) e &= ~0 >>> (32 - (T - rw));
      prevG = g;
      while (e !== 0) {
        const bit = ctz32(e);
        e &= e - 1;
        const t = rw + bit;
        const c = countAt(t);
        if ((g >>> bit) & 1) {
          if (c === cur) continue;
          if (c < cur) closeTo(c, t, c);
          else {
            const lo = cur + 1;
            const cb = cur >= m ? cur : t > 0 ? countAt(t - 1) : 0;
            stS[depth] = t;
            stLo[depth] = lo;
            stHi[depth] = c;
            stCb[depth] = cb;
            depth++;
          }
          cur = c;
        } else if (cur >= m) {
          closeTo(m - 1, t, c);
          cur = m - 1;
        }
      }
    }
    if (cur >= m) closeTo(m - 1, T, 0);

    let total = 0;
    for (let n = m; n <= k; n++) total += levelCounts[n]!;
    if (total >= FAST_CANDIDATES || m === 1) return { cand, levelCounts, minLevel: fastStopLevel(levelCounts) };
    m = Math.max(1, m - stepDown);
    stepDown *= 2;
  }
}

function growCand(c: ScoredCandidates): ScoredCandidates {
  const n = newCandidates(c.p.length * 2);
  n.p.set(c.p);
  n.L.set(c.L);
  n.n.set(c.n);
  n.b.set(c.b);
  n.size = c.size;
  return n;
}
