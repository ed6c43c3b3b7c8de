import { AppError } from "../errors";
import type { PreparedSource } from "./prepare";
import { midranks2, RankScratch } from "./ranks";

/**
 * What the cells are scored against, one value per step of the prepared source (every step
 * defined: a track with missing steps is analysed on the source restricted to its defined steps).
 * - `label`: 1 where the step carries the label, 0 where it carries another one;
 * - `scalar`: the track's value.
 */
export type CellSearchTarget = { kind: "label"; positive: Uint8Array } | { kind: "scalar"; y: Float32Array };

/** Per-cell statistics (NaN where undefined, e.g. a constant cell's correlation). */
export type CellStats =
  | { kind: "discrete"; positives: number; negatives: number; auc: Float64Array; pointBiserial: Float64Array }
  | { kind: "scalar"; r: Float64Array; rho: Float64Array };

/**
 * Scores every cell of a prepared source against a target, cell range by cell range (so a worker
 * can report progress between ranges):
 * - label: ROC AUC of V for "label" vs "not label" as the Mann–Whitney statistic with ties counted
 *   one half, AUC = (R₊ − n₊(n₊+1)/2) / (n₊ n₋), R₊ the sum of the label steps' mid-ranks (a sum
 *   over whichever class is smaller: R₊ = n(n+1)/2 − R₋); and the point-biserial correlation
 *   r_pb = (Σ₊ V − n₊ V̄) / √(Sxx · n₊ n₋ / n) (Pearson's r with a 0/1 variable);
 * - scalar: Pearson r = Σ V·(y − ȳ) / √(Sxx · Syy) and Spearman ρ, Pearson's r of the mid-ranks.
 */
export class CellSearch {
  private readonly n: number;
  private done = 0;
  private readonly out: CellStats;
  /** label: the smaller class's steps; scalar: unused. */
  private readonly list: Uint32Array = new Uint32Array(0);
  private readonly complement: boolean = false;
  private readonly nP: number = 0;
  private readonly nN: number = 0;
  /** scalar: centred doubled ranks of y, centred y, and their sums of squares. */
  private readonly cy: Float64Array = new Float64Array(0);
  private readonly dy: Float64Array = new Float64Array(0);
  private readonly syyR: number = 0;
  private readonly syy: number = 0;

  constructor(
    private readonly p: PreparedSource,
    target: CellSearchTarget,
  ) {
    const { steps: n, cells } = p.columns;
    this.n = n;
    if (!p.ranks || !p.srr) throw new RangeError("cell search: the source was prepared without ranks");
    if (target.kind === "label") {
      if (target.positive.length !== n) throw new RangeError(`cell search: the label has ${target.positive.length} steps, the source ${n}`);
      let nP = 0;
      for (let t = 0; t < n; t++) nP += target.positive[t]! === 1 ? 1 : 0;
      const nN = n - nP;
      if (nP === 0) throw new AppError("BAD_INPUT", "no step carries the label: there is nothing to compare against");
      if (nN === 0) throw new AppError("BAD_INPUT", "every step carries the label: there is nothing to compare it with");
      this.nP = nP;
      this.nN = nN;
      this.complement = nP > nN;
      const want = this.complement ? 0 : 1;
      const list = new Uint32Array(Math.min(nP, nN));
      for (let t = 0, j = 0; t < n; t++) if (target.positive[t]! === want) list[j++] = t;
      this.list = list;
      this.out = { kind: "discrete", positives: nP, negatives: nN, auc: new Float64Array(cells), pointBiserial: new Float64Array(cells) };
    } else {
      const y = target.y;
      if (y.length !== n) throw new RangeError(`cell search: the track has ${y.length} steps, the source ${n}`);
      if (n < 2) throw new AppError("BAD_INPUT", "a correlation needs at least 2 steps where the track is defined");
      const r2 = new Uint32Array(n);
      midranks2(y, r2, new RankScratch(n));
      const cy = new Float64Array(n);
      let syyR = 0;
      for (let t = 0; t < n; t++) {
        const d = r2[t]! - (n + 1);
        cy[t] = d;
        syyR += d * d;
      }
      let s = 0;
      for (let t = 0; t < n; t++) s += y[t]!;
      const m = s / n;
      const dy = new Float64Array(n);
      let syy = 0;
      for (let t = 0; t < n; t++) {
        const d = y[t]! - m;
        dy[t] = d;
        syy += d * d;
      }
      if (!Number.isFinite(syy)) throw new AppError("BAD_INPUT", "the track has non-finite values");
      if (syy === 0) throw new AppError("BAD_INPUT", "the track has the same value at every step: there is nothing to correlate with");
      this.cy = cy;
      this.dy = dy;
      this.syyR = syyR;
      this.syy = syy;
      this.out = { kind: "scalar", r: new Float64Array(cells), rho: new Float64Array(cells) };
    }
  }

  get cellsDone(): number {
    return this.done;
  }

  /** Scores the next `count` cells; returns how many are done. */
  run(count: number): number {
    const { n, p } = this;
    const x = p.columns.data;
    const r2 = p.ranks!;
    const end = Math.min(p.columns.cells, this.done + count);
    const out = this.out;
    if (out.kind === "discrete") {
      const { list, nP, nN, complement } = this;
      const rankBase = (nP * (nP + 1)) / 2;
      const pairs = nP * nN;
      for (let c = this.done; c < end; c++) {
        const o = c * n;
        let sr = 0;
        let sx = 0;
        for (let i = 0; i < list.length; i++) {
          const t = o + list[i]!;
          sr += r2[t]!;
          sx += x[t]!;
        }
        // sums of doubled ranks are integers below 2^53: exact
        const rPos = (complement ? n * (n + 1) - sr : sr) / 2;
        out.auc[c] = (rPos - rankBase) / pairs;
        const mean = p.mean[c]!;
        const num = complement ? nN * mean - sx : sx - nP * mean;
        // a constant cell has no correlation (its centred sums are rounding noise over zero)
        out.pointBiserial[c] = p.sxx[c]! > 0 ? num / Math.sqrt((p.sxx[c]! * pairs) / n) : NaN;
      }
    } else {
      const { cy, dy } = this;
      for (let c = this.done; c < end; c++) {
        const R = r2.subarray(c * n, (c + 1) * n);
        const X = x.subarray(c * n, (c + 1) * n);
        // two steps per iteration into four accumulators: ~1.7× faster in V8 than one
        let a0 = 0;
        let a1 = 0;
        let b0 = 0;
        let b1 = 0;
        let t = 0;
        for (; t + 1 < n; t += 2) {
          a0 += R[t]! * cy[t]!;
          b0 += X[t]! * dy[t]!;
          a1 += R[t + 1]! * cy[t + 1]!;
          b1 += X[t + 1]! * dy[t + 1]!;
        }
        if (t < n) {
          a0 += R[t]! * cy[t]!;
          b0 += X[t]! * dy[t]!;
        }
        const a = a0 + a1;
        const b = b0 + b1;
        // Σ cy = 0, so Σ r2·cy is the centred ranks' cross product
        out.rho[c] = p.srr![c]! > 0 ? a / Math.sqrt(p.srr![c]! * this.syyR) : NaN;
        out.r[c] = p.sxx[c]! > 0 ? b / Math.sqrt(p.sxx[c]! * this.syy) : NaN;
      }
    }
    this.done = end;
    return end;
  }

  finish(): CellStats {
    if (this.done !== this.p.columns.cells) throw new RangeError(`cell search: ${this.done} of ${this.p.columns.cells} cells were scored`);
    return this.out;
  }
}

export function searchCells(p: PreparedSource, target: CellSearchTarget): CellStats {
  const s = new CellSearch(p, target);
  s.run(p.columns.cells);
  return s.finish();
}

/** A cell's strength of association: |AUC − 0.5| for a label, |r| for a scalar (NaN → −1, last). */
export function cellStrength(stats: CellStats, c: number): number {
  const v = stats.kind === "discrete" ? Math.abs(stats.auc[c]! - 0.5) : Math.abs(stats.r[c]!);
  return Number.isNaN(v) ? -1 : v;
}

/** Cells by decreasing strength, ties by cell index: the first `top` (all by default). */
export function rankCells(stats: CellStats, top?: number): number[] {
  const cells = stats.kind === "discrete" ? stats.auc.length : stats.r.length;
  const strength = new Float64Array(cells);
  for (let c = 0; c < cells; c++) strength[c] = cellStrength(stats, c);
  const order = Array.from({ length: cells }, (_, c) => c).sort((a, b) => strength[b]! - strength[a]! || a - b);
  return top === undefined ? order : order.slice(0, top);
}
