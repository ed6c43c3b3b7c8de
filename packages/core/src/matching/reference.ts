/**
 * Test helper: matching.md written out as plainly as possible, step by step, to check the engine
 * against. Quadratic and allocation-happy on purpose; not exported from the package.
 */
import type { StateMatrix } from "./matrix";
import { MATCH_DEFAULTS, type MatchHit, type MatchQuery, type MatchResult } from "./query";

/** A {@link MatchQuery} with every field but the context given. */
export type ReferenceQuery = Required<Omit<MatchQuery, "cells" | "before" | "after">> & Pick<MatchQuery, "before" | "after"> & { cells: number[] };

/** `V` already holds transformed values (fround(tanh(raw)) for tanh sources). */
export function referenceMatch(V: StateMatrix, q: ReferenceQuery): MatchResult {
  const T = V.steps;
  const D = V.cells;
  const thr = Math.fround(q.threshold);
  const on = (t: number, c: number): boolean => V.data[t * D + c]! >= thr; // NaN >= x is false
  const S = q.cells;
  const k = S.length;

  // 1. count[t]
  const count: number[] = [];
  for (let t = 0; t < T; t++) count.push(S.filter((c) => on(t, c)).length);
  const countOr0 = (t: number): number => (t < 0 || t >= T ? 0 : count[t]!);

  // 2. candidates by decreasing agreement
  type Cand = { p: number; L: number; n: number; b: number; order: number };
  const cands: Cand[] = [];
  const seen = new Set<string>();
  for (let n = k; n >= 1; n--) {
    let t = 0;
    while (t < T) {
      if (count[t]! >= n) {
        const p = t;
        while (t < T && count[t]! >= n) t++;
        const L = t - p;
        const lengthOk = q.length === 0 ? L >= 2 : L === q.length;
        const key = `${p},${L}`;
        if (lengthOk && !seen.has(key)) {
          seen.add(key);
          const b = n - (q.padLeft > 0 ? countOr0(p - 1) : 0) - (q.padRight > 0 ? countOr0(p + L) : 0);
          cands.push({ p, L, n, b, order: cands.length });
        }
      } else t++;
    }
    if (q.mode === "fast" && cands.length >= 1000) break;
  }

  // 3. order by b desc, then discovery order
  cands.sort((x, y) => y.b - x.b || x.order - y.order);
  const kept = q.mode === "fast" ? cands.slice(0, 1000) : cands;

  // 4. score against all D cells with the full padding
  const Sset = new Set(S);
  const scored = kept.map(({ p, L }) => {
    const A: number[] = [];
    for (let c = 0; c < D; c++) {
      let ok = true;
      for (let t = p; t < p + L; t++) if (!on(t, c)) ok = false;
      for (let t = p - q.padLeft; t < p; t++) if (t >= 0 && on(t, c)) ok = false;
      for (let t = p + L; t < p + L + q.padRight; t++) if (t < T && on(t, c)) ok = false;
      if (ok) A.push(c);
    }
    const I = A.filter((c) => Sset.has(c)).length;
    const U = new Set([...A, ...S]).size;
    return { p, L, I, U };
  });

  // histograms before the top-K cut
  const all: Record<string, number> = {};
  const strict: Record<string, number> = {};
  for (const s of scored) {
    all[s.L] = (all[s.L] ?? 0) + 1;
    strict[s.L] = (strict[s.L] ?? 0) + (s.I === k ? 1 : 0);
  }

  // 5. rank and cut
  scored.sort((x, y) => y.I - x.I || x.U - y.U || y.L - x.L || x.p - y.p);
  const before = q.before ?? MATCH_DEFAULTS.before;
  const after = q.after ?? MATCH_DEFAULTS.after;
  const results: MatchHit[] = scored.slice(0, q.k).map((s) => {
    const counts: (number | null)[] = [];
    for (let t = s.p - before; t < s.p + after; t++) counts.push(t < 0 || t >= T ? null : count[t]!);
    return { pos: s.p, length: s.L, I: s.I, U: s.U, counts };
  });
  return { results, histograms: { all, strict } };
}
