import { rawCutoff, type StateMatrix, type Transform } from "../matching/matrix";

/**
 * Framework-free helpers of the explorer's Select view. Positions are local to the loaded window
 * (row 0 = the window's first step) unless a name says otherwise.
 */

/** A half-open step range [from, to). */
export type StepRange = [number, number];

/**
 * Snaps a dragged pixel span to whole tokens: every token the span touches is in the range, a
 * click (span under half a token) selects the one token under it. `x` is relative to the first
 * token's left edge; the result is clamped to [0, steps).
 */
export function snapBrush(x0: number, x1: number, pxPerStep: number, steps: number): StepRange | null {
  if (steps <= 0 || !(pxPerStep > 0)) return null;
  const lo = Math.min(x0, x1);
  const hi = Math.max(x0, x1);
  if (hi < 0 || lo >= steps * pxPerStep) return null;
  let from = Math.floor(lo / pxPerStep);
  let to = Math.ceil(hi / pxPerStep);
  if (to <= from) to = from + 1;
  from = Math.max(0, Math.min(steps - 1, from));
  to = Math.max(from + 1, Math.min(steps, to));
  return [from, to];
}

/** The step under pixel `x` (relative to the first token), or -1 outside [0, steps). */
export function stepAt(x: number, pxPerStep: number, steps: number): number {
  const t = Math.floor(x / pxPerStep);
  return t >= 0 && t < steps ? t : -1;
}

/**
 * Maximal runs where `cell` is on (V ≥ fround(threshold), the matching.md on-test) in the window,
 * as [from, to) pairs in step order: the bars of the activation-ranges plot.
 */
export function onRuns(window: StateMatrix, cell: number, threshold: number, transform: Transform = "none"): [number, number][] {
  const cut = rawCutoff(threshold, transform);
  const out: [number, number][] = [];
  if (cut === null || cell < 0 || cell >= window.cells) return out;
  const { data, cells, steps } = window;
  let start = -1;
  for (let t = 0; t < steps; t++) {
    const on = data[t * cells + cell]! >= cut;
    if (on && start < 0) start = t;
    else if (!on && start >= 0) {
      out.push([start, t]);
      start = -1;
    }
  }
  if (start >= 0) out.push([start, steps]);
  return out;
}

/** count[t] = how many of `selected` are on at t (token shading, the "match count" of the window). */
export function countOnPerStep(window: StateMatrix, selected: readonly number[], threshold: number, transform: Transform = "none", out?: Uint16Array): Uint16Array {
  const { data, cells, steps } = window;
  const res = out && out.length >= steps ? out : new Uint16Array(steps);
  const cut = rawCutoff(threshold, transform);
  if (cut === null) {
    res.fill(0, 0, steps);
    return res;
  }
  for (let t = 0, row = 0; t < steps; t++, row += cells) {
    let on = 0;
    for (let i = 0; i < selected.length; i++) if (data[row + selected[i]!]! >= cut) on++;
    res[t] = on;
  }
  return res;
}

/**
 * The y range of the line plot: symmetric around 0 when values go negative, [0, max] otherwise.
 * Never empty (a flat 0 source gets [0, 1]).
 */
export function valueDomain(min: number, max: number): [number, number] {
  const lo = Number.isFinite(min) ? min : 0;
  const hi = Number.isFinite(max) ? max : 1;
  if (lo < 0) {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    return [-m, m];
  }
  return [0, hi > 0 ? hi : 1];
}

/** min/max of the finite values of a matrix after the source's transform (tanh is monotone). */
export function windowExtent(window: StateMatrix, transform: Transform = "none"): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  const d = window.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) return [0, 1];
  return transform === "tanh" ? [Math.tanh(lo), Math.tanh(hi)] : [lo, hi];
}

/** Final selection = brushed cells + added − excluded, ascending, distinct, inside [0, cells). */
export function applyManualEdits(brushed: readonly number[], add: readonly number[], exclude: readonly number[], cells: number): number[] {
  const ex = new Set(exclude);
  const out = new Set<number>();
  for (const c of brushed) if (!ex.has(c)) out.add(c);
  for (const c of add) if (c >= 0 && c < cells && Number.isInteger(c) && !ex.has(c)) out.add(c);
  return [...out].sort((a, b) => a - b);
}

/**
 * The shared categorical palette of discrete meta tracks (Tableau 10 + 10 lighter companions):
 * one label id always gets the same colour in every track and view.
 */
export const CATEGORICAL = [
  "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
  "#a0cbe8", "#ffbe7d", "#ff9d9a", "#86bcb6", "#8cd17d", "#f1ce63", "#d4a6c8", "#fabfd2", "#d7b5a6", "#79706e",
] as const;

export function categoricalColor(id: number): string {
  const n = CATEGORICAL.length;
  return CATEGORICAL[((Math.trunc(id) % n) + n) % n]!;
}

/** Largest window (steps) the explorer reads in one request; the states endpoint serves at most this. */
export const MAX_WINDOW = 2000;
/** The loaded range is aligned to this many steps, so small moves reuse the cached window. */
export const WINDOW_CHUNK = 128;
/** Steps read beyond each edge of the visible ones before the range needs to move. */
export const WINDOW_MARGIN = 24;

/**
 * The steps [lo, hi) the explorer loads to show `n` steps from `pos` of a `total`-step dataset:
 * the visible ones plus a margin, aligned to WINDOW_CHUNK, at most MAX_WINDOW, never empty. The
 * page's server side uses it too, to read the first window while the browser starts the page.
 */
export function loadRange(pos: number, n: number, total: number): StepRange {
  const lo = Math.max(0, Math.floor((pos - WINDOW_MARGIN) / WINDOW_CHUNK) * WINDOW_CHUNK);
  const hi = Math.min(total, Math.ceil((pos + n + WINDOW_MARGIN) / WINDOW_CHUNK) * WINDOW_CHUNK, lo + MAX_WINDOW);
  return [lo, Math.max(lo + 1, hi)];
}
