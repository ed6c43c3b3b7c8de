import { AppError } from "../errors";
import { callKernel, cellBlocks, kernelMatrixOf, type KernelCall, type KernelMatrix } from "./kernels";
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

/** Kernel matrices whose scratch a cell search is using (one search at a time per matrix). */
const busy = new WeakSet<WebAssembly.Memory>();

/** The kernel path's state: both matrices, with this search's row groups (and weights) in their scratch. */
interface KernelPlan {
  x: KernelMatrix;
  r: KernelMatrix;
  /** Groups in all, and how many of them hold four rows (the rest hold one). */
  groups: number;
  full: number;
  done: number;
  /** Groups per `ranksU32` chunk: Σ of that many groups' doubled ranks stays below 2³². */
  chunk: number;
}

/**
 * Scores every cell of a prepared source against a target in one pass over the target's rows
 * (resumable: `run` takes a number of rows, so a worker can report progress in between):
 * - label: ROC AUC of V for "label" vs "not label" as the Mann–Whitney statistic with ties counted
 *   one half, AUC = (R₊ − n₊(n₊+1)/2) / (n₊ n₋), R₊ the sum of the label steps' mid-ranks (summed
 *   over the rows of whichever class is smaller: R₊ = n(n+1)/2 − R₋); and the point-biserial
 *   correlation r_pb = (Σ₊ V − n₊ V̄) / √(Sxx · n₊ n₋ / n) (Pearson's r with a 0/1 variable);
 * - scalar: Pearson r = Σ V·(y − ȳ) / √(Sxx · Syy) and Spearman ρ, Pearson's r of the mid-ranks.
 * Rows are added four at a time into per-cell accumulators (each row is contiguous). When the
 * source's values and ranks live in kernel memories (see ./kernels) the sums run as WebAssembly
 * SIMD kernels, here ({@link run}) or on worker threads that split the cells ({@link calls}), with
 * the same doubles as the JavaScript loop; otherwise (or while another search holds the memories'
 * scratch) the JavaScript loop runs.
 */
export class CellSearch {
  private readonly n: number;
  private done = 0;
  /** Rows to visit: the smaller class's (label) or all (scalar). */
  readonly total: number;
  /** Per cell: Σ ranks and Σ V over the visited rows (label), or Σ r2·(ry − (n+1)) and Σ V·(y − ȳ) (scalar). */
  private readonly acc1: Float64Array;
  private readonly acc2: Float64Array;
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
  private kernel: KernelPlan | null = null;

  /** `kernels: false` runs the JavaScript loop even when the source is in kernel memories (benchmarks compare them). */
  constructor(
    private readonly p: PreparedSource,
    private readonly target: CellSearchTarget,
    opts: { kernels?: boolean } = {},
  ) {
    const { steps: n, cells } = p.values;
    this.n = n;
    if (!p.ranks || !p.srr) throw new RangeError("cell search: the source was prepared without ranks");
    this.acc1 = new Float64Array(cells);
    this.acc2 = new Float64Array(cells);
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
      this.total = list.length;
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
      this.total = n;
    }
    this.kernel = opts.kernels === false ? null : this.plan();
  }

  /** Writes the row groups (and, for a scalar, the weights cy / dy) into both kernel matrices' scratch; null when the JavaScript loop runs. */
  private plan(): KernelPlan | null {
    const { values, ranks } = this.p;
    const x = kernelMatrixOf(values.data, values.steps, values.cells);
    const r = ranks ? kernelMatrixOf(ranks, values.steps, values.cells) : null;
    if (!x || !r || busy.has(x.memory) || busy.has(r.memory)) return null;
    busy.add(x.memory);
    busy.add(r.memory);
    const D = values.cells;
    const stride = D * 4;
    const L = this.total;
    const full = Math.floor(L / 4);
    const groups = full + (L - 4 * full);
    // the same bytes at the same offsets in both memories (same layout)
    const ox = new Uint32Array(x.memory.buffer, x.groups, groups * 4);
    const rowAt = this.target.kind === "label" ? (i: number) => this.list[i]! : (i: number) => i;
    for (let i = 0; i < 4 * full; i++) ox[i] = rowAt(i) * stride;
    for (let g = full, i = 4 * full; g < groups; g++, i++) ox.set([rowAt(i) * stride, x.zeroRow, x.zeroRow, x.zeroRow], 4 * g);
    new Uint32Array(r.memory.buffer, r.groups, groups * 4).set(ox);
    if (this.target.kind === "scalar") {
      for (const [m, w] of [[r, this.cy], [x, this.dy]] as const) {
        const out = new Float64Array(m.memory.buffer, m.weights, groups * 4);
        out.set(w.subarray(0, 4 * full));
        for (let g = full, i = 4 * full; g < groups; g++, i++) out.set([w[i]!, 0, 0, 0], 4 * g);
      }
    }
    for (const m of [x, r]) {
      new Float64Array(m.memory.buffer, m.acc64, D).fill(0);
      new Uint32Array(m.memory.buffer, m.acc32, D).fill(0);
    }
    // a group adds at most 4 doubled ranks ≤ 2n each
    const chunk = Math.max(1, Math.floor(0xffffffff / (8 * this.n)));
    return { x, r, groups, full, done: 0, chunk };
  }

  /** Whether the sums run as kernels ({@link calls} gives them); false: call {@link run}. */
  get kernels(): boolean {
    return this.kernel !== null;
  }

  get rowsDone(): number {
    return this.done;
  }

  /**
   * The kernel calls that visit the next `count` rows (marked done), one list per block of cells:
   * run each list in order, the lists in any order or at once on threads sharing the memories
   * (they write disjoint accumulators). Null on the JavaScript path.
   */
  calls(count: number, parts: number): KernelCall[][] | null {
    const k = this.kernel;
    if (!k) return null;
    const g0 = k.done;
    const g1 = Math.min(k.groups, g0 + Math.ceil(Math.max(0, count) / 4));
    k.done = g1;
    this.done = g1 <= k.full ? 4 * g1 : 4 * k.full + (g1 - k.full);
    const { x, r } = k;
    return cellBlocks(this.p.values.cells, parts).map(([c0, c1]): KernelCall[] =>
      this.target.kind === "label"
        ? [
            { memory: r.memory, fn: "ranksU32", args: [r.groups, g0, g1, c0, c1, r.acc32, r.acc64, k.chunk] },
            { memory: x.memory, fn: "sumF32", args: [x.groups, g0, g1, c0, c1, x.acc64] },
          ]
        : [
            { memory: r.memory, fn: "dotU32", args: [r.groups, g0, g1, c0, c1, r.acc64, r.weights] },
            { memory: x.memory, fn: "dotF32", args: [x.groups, g0, g1, c0, c1, x.acc64, x.weights] },
          ],
    );
  }

  /** Visits the next `count` rows on this thread; returns how many are done (of {@link total}). */
  run(count: number): number {
    const calls = this.calls(count, 1);
    if (calls) {
      for (const c of calls[0]!) callKernel(c);
      return this.done;
    }
    const end = Math.min(this.total, this.done + Math.max(0, count));
    const D = this.p.values.cells;
    const x = this.p.values.data;
    const r2 = this.p.ranks!;
    const { acc1, acc2 } = this;
    let i = this.done;
    if (this.target.kind === "label") {
      const list = this.list;
      for (; i + 3 < end; i += 4) {
        const o0 = list[i]! * D;
        const o1 = list[i + 1]! * D;
        const o2 = list[i + 2]! * D;
        const o3 = list[i + 3]! * D;
        for (let c = 0; c < D; c++) {
          acc1[c]! += r2[o0 + c]! + r2[o1 + c]! + r2[o2 + c]! + r2[o3 + c]!;
          acc2[c]! += x[o0 + c]! + x[o1 + c]! + x[o2 + c]! + x[o3 + c]!;
        }
      }
      for (; i < end; i++) {
        const o = list[i]! * D;
        for (let c = 0; c < D; c++) {
          acc1[c]! += r2[o + c]!;
          acc2[c]! += x[o + c]!;
        }
      }
    } else {
      const { cy, dy } = this;
      for (; i + 3 < end; i += 4) {
        const o0 = i * D;
        const o1 = o0 + D;
        const o2 = o1 + D;
        const o3 = o2 + D;
        const a0 = cy[i]!;
        const a1 = cy[i + 1]!;
        const a2 = cy[i + 2]!;
        const a3 = cy[i + 3]!;
        const b0 = dy[i]!;
        const b1 = dy[i + 1]!;
        const b2 = dy[i + 2]!;
        const b3 = dy[i + 3]!;
        for (let c = 0; c < D; c++) {
          acc1[c]! += r2[o0 + c]! * a0 + r2[o1 + c]! * a1 + r2[o2 + c]! * a2 + r2[o3 + c]! * a3;
          acc2[c]! += x[o0 + c]! * b0 + x[o1 + c]! * b1 + x[o2 + c]! * b2 + x[o3 + c]! * b3;
        }
      }
      for (; i < end; i++) {
        const o = i * D;
        const a = cy[i]!;
        const b = dy[i]!;
        for (let c = 0; c < D; c++) {
          acc1[c]! += r2[o + c]! * a;
          acc2[c]! += x[o + c]! * b;
        }
      }
    }
    this.done = end;
    return end;
  }

  /** Gives the kernel matrices' scratch back (done by {@link finish}; call it when a search is abandoned). */
  release(): void {
    const k = this.kernel;
    if (!k) return;
    this.kernel = null;
    busy.delete(k.x.memory);
    busy.delete(k.r.memory);
  }

  finish(): CellStats {
    if (this.done !== this.total) throw new RangeError(`cell search: ${this.done} of ${this.total} rows were visited`);
    const { n, p, acc1, acc2 } = this;
    const D = p.values.cells;
    const k = this.kernel;
    if (k) {
      acc1.set(new Float64Array(k.r.memory.buffer, k.r.acc64, D));
      acc2.set(new Float64Array(k.x.memory.buffer, k.x.acc64, D));
      this.release();
    }
    if (this.target.kind === "label") {
      const { nP, nN, complement } = this;
      const auc = new Float64Array(D);
      const pointBiserial = new Float64Array(D);
      const rankBase = (nP * (nP + 1)) / 2;
      const pairs = nP * nN;
      for (let c = 0; c < D; c++) {
        // sums of doubled ranks are integers below 2^53: exact
        const rPos = (complement ? n * (n + 1) - acc1[c]! : acc1[c]!) / 2;
        auc[c] = (rPos - rankBase) / pairs;
        const mean = p.mean[c]!;
        const num = complement ? nN * mean - acc2[c]! : acc2[c]! - nP * mean;
        // a constant cell has no correlation (its centred sums are rounding noise over zero)
        pointBiserial[c] = p.sxx[c]! > 0 ? num / Math.sqrt((p.sxx[c]! * pairs) / n) : NaN;
      }
      return { kind: "discrete", positives: nP, negatives: nN, auc, pointBiserial };
    }
    const r = new Float64Array(D);
    const rho = new Float64Array(D);
    for (let c = 0; c < D; c++) {
      // Σ cy = 0, so Σ r2·cy is the centred ranks' cross product
      rho[c] = p.srr![c]! > 0 ? acc1[c]! / Math.sqrt(p.srr![c]! * this.syyR) : NaN;
      r[c] = p.sxx[c]! > 0 ? acc2[c]! / Math.sqrt(p.sxx[c]! * this.syy) : NaN;
    }
    return { kind: "scalar", r, rho };
  }
}

export function searchCells(p: PreparedSource, target: CellSearchTarget): CellStats {
  const s = new CellSearch(p, target);
  s.run(s.total);
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
