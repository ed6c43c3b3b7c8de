import type { MatchHit } from "./query";

/** Rank order of matching.md step 5: I desc, U asc, L desc, p asc. True when a ranks before b. */
export function ranksBefore(
  aI: number, aU: number, aL: number, aP: number,
  bI: number, bU: number, bL: number, bP: number,
): boolean {
  if (aI !== bI) return aI > bI;
  if (aU !== bU) return aU < bU;
  if (aL !== bL) return aL > bL;
  return aP < bP;
}

/**
 * The best `cap` candidates seen, kept sorted best-first in parallel typed arrays. Most candidates
 * lose against the current worst in one comparison; winners are inserted with a binary search and
 * one `copyWithin`, so nothing is allocated per candidate.
 */
export class TopK {
  readonly p: Float64Array;
  readonly L: Float64Array;
  readonly I: Int32Array;
  readonly U: Int32Array;
  size = 0;
  constructor(readonly cap: number) {
    this.p = new Float64Array(cap);
    this.L = new Float64Array(cap);
    this.I = new Int32Array(cap);
    this.U = new Int32Array(cap);
  }

  /** I of the last entry once the top is full (an offer with a smaller I is refused), else −1. */
  get worstI(): number {
    return this.size === this.cap ? this.I[this.cap - 1]! : -1;
  }

  offer(p: number, L: number, I: number, U: number): void {
    const { cap } = this;
    let n = this.size;
    if (n === cap) {
      const w = n - 1;
      if (!ranksBefore(I, U, L, p, this.I[w]!, this.U[w]!, this.L[w]!, this.p[w]!)) return;
      n--;
    }
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ranksBefore(this.I[mid]!, this.U[mid]!, this.L[mid]!, this.p[mid]!, I, U, L, p)) lo = mid + 1;
      else hi = mid;
    }
    if (lo < n) {
      this.p.copyWithin(lo + 1, lo, n);
      this.L.copyWithin(lo + 1, lo, n);
      this.I.copyWithin(lo + 1, lo, n);
      this.U.copyWithin(lo + 1, lo, n);
    }
    this.p[lo] = p;
    this.L[lo] = L;
    this.I[lo] = I;
    this.U[lo] = U;
    this.size = n + 1;
  }

  toHits(countsOf: (pos: number) => (number | null)[]): MatchHit[] {
    const out: MatchHit[] = [];
    for (let i = 0; i < this.size; i++) {
      const pos = this.p[i]!;
      out.push({ pos, length: this.L[i]!, I: this.I[i]!, U: this.U[i]!, counts: countsOf(pos) });
    }
    return out;
  }
}

const SMALL = 4096;

/** Length histograms (all, strict) of scored candidates: flat arrays for short runs, a Map beyond. */
export class LengthHistograms {
  readonly all = new Float64Array(SMALL);
  readonly strict = new Float64Array(SMALL);
  readonly allBig = new Map<number, number>();
  readonly strictBig = new Map<number, number>();

  add(L: number, strict: boolean): void {
    if (L < SMALL) {
      this.all[L]!++;
      if (strict) this.strict[L]!++;
    } else {
      this.allBig.set(L, (this.allBig.get(L) ?? 0) + 1);
      if (strict) this.strictBig.set(L, (this.strictBig.get(L) ?? 0) + 1);
    }
  }

  /** Adds `all` candidates of length L, `strict` of them strict (a stored histogram entry). */
  addCount(L: number, all: number, strict: number): void {
    if (L < SMALL) {
      this.all[L]! += all;
      this.strict[L]! += strict;
    } else {
      this.allBig.set(L, (this.allBig.get(L) ?? 0) + all);
      this.strictBig.set(L, (this.strictBig.get(L) ?? 0) + strict);
    }
  }

  merge(o: LengthHistograms): void {
    for (let i = 0; i < SMALL; i++) {
      this.all[i]! += o.all[i]!;
      this.strict[i]! += o.strict[i]!;
    }
    for (const [L, n] of o.allBig) this.allBig.set(L, (this.allBig.get(L) ?? 0) + n);
    for (const [L, n] of o.strictBig) this.strictBig.set(L, (this.strictBig.get(L) ?? 0) + n);
  }

  /** `{all: {"L": n}, strict: {"L": n}}`; strict lists every length of `all`, 0 where none is strict. */
  toRecords(): { all: Record<string, number>; strict: Record<string, number> } {
    const all: Record<string, number> = {};
    const strict: Record<string, number> = {};
    for (let L = 0; L < SMALL; L++) {
      if (this.all[L]! > 0) {
        all[L] = this.all[L]!;
        strict[L] = this.strict[L]!;
      }
    }
    for (const L of [...this.allBig.keys()].sort((a, b) => a - b)) {
      all[L] = this.allBig.get(L)!;
      strict[L] = this.strictBig.get(L) ?? 0;
    }
    return { all, strict };
  }
}
