import { AppError } from "../errors";

export const MATCH_MODES = ["fast", "precise"] as const;
export type MatchMode = (typeof MATCH_MODES)[number];

/**
 * A match query (matching.md, Inputs): the one declaration of its fields. The server's query
 * schema `satisfies` this type and adds which source to scan (dataset and source name); job
 * payloads, saved hypotheses and the browser's query are that schema or inferred from it.
 * Omitted fields take {@link MATCH_DEFAULTS} (the Select view's and the CLI's defaults).
 */
export interface MatchQuery {
  /** S: distinct cell indices in [0, D), at least one. */
  cells: ArrayLike<number>;
  /** ℓ: compared as fround(ℓ). */
  threshold?: number;
  /** matching.md's padL: steps that must be off before a match. */
  padLeft?: number;
  /** matching.md's padR: steps that must be off after a match. */
  padRight?: number;
  mode?: MatchMode;
  /** 0: any run of length ≥ 2; L ≥ 2: only maximal runs of exactly L steps. */
  length?: number;
  /** K: results wanted, 1..{@link MAX_K}. */
  k?: number;
  /** `counts` context per result: count[t] for t in [pos − before, pos + after). */
  before?: number;
  after?: number;
}

export interface MatchHit {
  pos: number;
  length: number;
  /** |A ∩ S| */
  I: number;
  /** |A ∪ S| */
  U: number;
  /** count[t] for t in [pos − before, pos + after); null outside [0, T). */
  counts: (number | null)[];
}

export interface MatchResult {
  results: MatchHit[];
  /** Length histograms of all scored candidates: keys are lengths, strict = those with I = k. */
  histograms: { all: Record<string, number>; strict: Record<string, number> };
}

export const MAX_K = 500;
export const DEFAULT_K = 50;
/** What an omitted field of a {@link MatchQuery} means. */
export const MATCH_DEFAULTS = {
  threshold: 0.3,
  padLeft: 1,
  padRight: 0,
  mode: "fast",
  length: 0,
  k: DEFAULT_K,
  before: 3,
  after: 20,
} as const satisfies Required<Omit<MatchQuery, "cells">>;
/** `fast` stops harvesting once this many candidates are held and scores only this many. */
export const FAST_CANDIDATES = 1000;
/** Bound on the counts context, so a query cannot ask for an unbounded array per result. */
export const MAX_CONTEXT = 10_000;

/** A validated query, with the selection as sorted cells and per-row-word masks. */
export interface MatchPlan {
  readonly cells: Uint32Array;
  readonly k: number;
  /** Bit c&31 of word c>>5 set for each selected cell. */
  readonly selMask: Uint32Array;
  readonly threshold: number;
  readonly padL: number;
  readonly padR: number;
  readonly mode: MatchMode;
  readonly length: number;
  readonly topK: number;
  readonly before: number;
  readonly after: number;
  readonly totalSteps: number;
  readonly cellCount: number;
}

function nonNegInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 0) {
    throw new AppError("BAD_INPUT", `${name} must be a non-negative integer, got ${v}`);
  }
  return v;
}

/** Validates a query against a source of `totalSteps` × `cellCount`; throws AppError("BAD_INPUT"). */
export function planMatch(query: MatchQuery, totalSteps: number, cellCount: number): MatchPlan {
  const { cells } = query;
  if (cells.length === 0) throw new AppError("BAD_INPUT", "empty selection: select at least one cell");
  const seen = new Uint8Array(cellCount);
  const sorted = new Uint32Array(cells.length);
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= cellCount) {
      throw new AppError("BAD_INPUT", `source has ${cellCount} cells, the request selected cell ${c}`);
    }
    if (seen[c]) throw new AppError("BAD_INPUT", `cell ${c} is selected twice`);
    seen[c] = 1;
    sorted[i] = c;
  }
  sorted.sort();
  const d = MATCH_DEFAULTS;
  const threshold = query.threshold ?? d.threshold;
  if (typeof threshold !== "number" || !Number.isFinite(threshold)) {
    throw new AppError("BAD_INPUT", `threshold must be a finite number, got ${threshold}`);
  }
  const padL = nonNegInt(query.padLeft ?? d.padLeft, "padL (padding before)");
  const padR = nonNegInt(query.padRight ?? d.padRight, "padR (padding after)");
  const mode = query.mode ?? d.mode;
  if (!MATCH_MODES.includes(mode)) {
    throw new AppError("BAD_INPUT", `mode must be "fast" or "precise", got ${String(mode)}`);
  }
  const length = query.length ?? d.length;
  if (!Number.isInteger(length) || length < 0 || length === 1) {
    throw new AppError("BAD_INPUT", `length must be 0 (any) or an integer ≥ 2, got ${length}`);
  }
  const topK = query.k ?? d.k;
  if (!Number.isInteger(topK) || topK < 1 || topK > MAX_K) {
    throw new AppError("BAD_INPUT", `K must be an integer from 1 to ${MAX_K}, got ${topK}`);
  }
  const before = nonNegInt(query.before ?? d.before, "counts context before");
  const after = nonNegInt(query.after ?? d.after, "counts context after");
  if (before + after > MAX_CONTEXT) {
    throw new AppError("BAD_INPUT", `counts context of ${before + after} steps exceeds ${MAX_CONTEXT}`);
  }
  const selMask = new Uint32Array(Math.ceil(cellCount / 32));
  for (const c of sorted) selMask[c >>> 5]! |= 1 << (c & 31);
  return {
    cells: sorted,
    k: sorted.length,
    selMask,
    threshold: Math.fround(threshold),
    padL,
    padR,
    mode,
    length,
    topK,
    before,
    after,
    totalSteps,
    cellCount,
  };
}
