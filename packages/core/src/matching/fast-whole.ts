import { ctz32, popcount32 } from "./bits";
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
 * inside the regions where count ≥ m, so the harvest for levels ≥ m only visits the steps in or
 * just after those regions where some plane switches (count read from the planes); its candidates
 * and per-level counts for levels ≥ m equal the full harvest's. If levels ≥ m hold fewer than 1,000 candidates,
 * n* < m: m is lowered and the harvest redone. The first m comes from counting the maximal runs
 * of count ≥ n per level (one comparator pass per level), an upper bound on the candidates.
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
  const { planes, chg } = countPlanes(index, plan, B);
  const countAt = (t: number): number => {
    const o = (t >>> 5) * B;
    const b = t & 31;
    let n = 0;
    for (let j = 0; j < B; j++) n |= ((planes[o + j]! >>> b) & 1) << j;
    return n;
  };
  /** Steps of word w with count ≥ m: a comparator over the planes, most significant first. */
  const atLeast = (w: number, m: number): number => {
    let ge = 0;
    let eq = -1;
    const o = w * B;
    for (let j = B - 1; j >= 0 && eq !== 0; j--) {
      const pj = planes[o + j]!;
      if ((m >>> j) & 1) eq &= pj;
      else {
        ge |= eq & pj;
        eq &= ~pj;
      }
    }
    const g = ge | eq;
    return w === nW - 1 && (T & 31) !== 0 ? g & (~0 >>> (32 - (T & 31))) : g;
  };
  // Starting level: maximal runs of count ≥ n bound the candidates of level n from above, so the
  // harvest can start at the highest m whose levels ≥ m have ≥ 1,000 runs in total.
  let m = k;
  for (let runs = 0; m > 1; m--) {
    let prevG = 0;
    for (let w = 0; w < nW; w++) {
      const g = atLeast(w, m);
      const starts = g & ~((g << 1) | (prevG >>> 31));
      if (starts !== 0) runs += popcount32(starts);
      prevG = g;
    }
    if (runs >= FAST_CANDIDATES) break;
  }

  const stS = new Int32Array(k + 1);
  const stLo = new Int32Array(k + 1);
  const stHi = new Int32Array(k + 1);
  const stCb = new Int32Array(k + 1);
  const length = plan.length;
  const padL = plan.padL > 0;
  const padR = plan.padR > 0;

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

    let prevG = 0;
    for (let w = 0; w < nW; w++) {
      const g = atLeast(w, m);
      // steps in a region or just after one, where some selected cell switches
      let e = g | ((g << 1) | (prevG >>> 31));
      prevG = g;
      if (e === 0) continue;
      e &= chg[w]!;
      const rw = w << 5;
      if (rw + 32 > T) e &= ~0 >>> (32 - (T - rw)); // the step T itself is the final close below
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
    m--;
  }
}

/**
 * Bit-sliced count of the selected cells: planes[w·B + j] holds bit j of count for the 32 steps
 * of word w; chg[w] the steps where some selected cell switches (x ^ (x << 1 | carry)).
 */
export function countPlanes(index: OnIndex, plan: MatchPlan, B: number): { planes: Int32Array; chg: Int32Array } {
  const nW = index.colWords;
  const planes = new Int32Array(B * nW);
  const chg = new Int32Array(nW);
  const { cols } = index;
  const bases = Int32Array.from(plan.cells, (c) => c * nW);
  const nSel = bases.length;
  if (B <= 5) {
    // k < 32: five planes in locals (registers), no data-dependent branches. Cells are added
    // two at a time: a full adder (carry-save) folds both into plane 0 and yields one carry word
    // of weight 2, rippled through planes 1..4 — 17 word ops per pair instead of 2 ripples.
    const pairs = nSel & ~1;
    for (let w = 0, o0 = 0; w < nW; w++, o0 += B) {
      let p0 = 0;
      let p1 = 0;
      let p2 = 0;
      let p3 = 0;
      let p4 = 0;
      let ch = 0;
      let t = 0;
      for (let i = 0; i < pairs; i += 2) {
        const atA = bases[i]! + w;
        const atB = bases[i + 1]! + w;
        const a = cols[atA]!;
        const b = cols[atB]!;
        if (w > 0) ch |= (a ^ ((a << 1) | (cols[atA - 1]! >>> 31))) | (b ^ ((b << 1) | (cols[atB - 1]! >>> 31)));
        else ch |= (a ^ (a << 1)) | (b ^ (b << 1));
        const u = p0 ^ a;
        let h = (p0 & a) | (u & b);
        p0 = u ^ b;
        t = p1 & h;
        p1 ^= h;
        h = t;
        t = p2 & h;
        p2 ^= h;
        h = t;
        t = p3 & h;
        p3 ^= h;
        p4 ^= t;
      }
      if (pairs < nSel) {
        const at = bases[pairs]! + w;
        const x = cols[at]!;
        ch |= x ^ ((x << 1) | (w > 0 ? cols[at - 1]! >>> 31 : 0));
        let c = x;
        t = p0 & c;
        p0 ^= c;
        c = t;
        t = p1 & c;
        p1 ^= c;
        c = t;
        t = p2 & c;
        p2 ^= c;
        c = t;
        t = p3 & c;
        p3 ^= c;
        p4 ^= t;
      }
      chg[w] = ch;
      // planes above B − 1 are zero (count < 2^B)
      planes[o0] = p0;
      if (B > 1) planes[o0 + 1] = p1;
      if (B > 2) planes[o0 + 2] = p2;
      if (B > 3) planes[o0 + 3] = p3;
      if (B > 4) planes[o0 + 4] = p4;
    }
    return { planes, chg };
  }
  for (let w = 0, o0 = 0; w < nW; w++, o0 += B) {
    let ch = 0;
    for (let i = 0; i < nSel; i++) {
      const at = bases[i]! + w;
      const x = cols[at]!;
      ch |= x ^ ((x << 1) | (w > 0 ? cols[at - 1]! >>> 31 : 0));
      let carry = x;
      for (let o = o0; carry !== 0; o++) {
        const p = planes[o]!;
        planes[o] = p ^ carry;
        carry &= p;
      }
    }
    chg[w] = ch;
  }
  return { planes, chg };
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
